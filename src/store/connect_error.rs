//! Why the database could not be reached when the store was opened, in words an
//! operator can act on: the database does not exist, authentication failed, the
//! connection was refused at host:port. Never the URL itself (it may carry a password).

use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::postgres::PgConnectOptions;

use super::StoreError;

/// Where a PostgreSQL store connects: server, database and role, without secrets.
pub(super) fn pg_target(options: &PgConnectOptions) -> String {
    let database = options.get_database().unwrap_or(options.get_username());
    format!(
        "PostgreSQL at {} (database \"{database}\", role \"{}\")",
        pg_address(options),
        options.get_username()
    )
}

fn pg_address(options: &PgConnectOptions) -> String {
    match options.get_socket() {
        Some(socket) => socket.display().to_string(),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    }
}

/// The error for a pool that could not connect. A pool retries refused connections
/// until its acquire timeout and then only says it timed out, so one direct attempt
/// finds out why.
pub(super) async fn pg_failure(
    options: &PgConnectOptions,
    error: sqlx::Error,
    timeout: Duration,
) -> StoreError {
    let error = match error {
        sqlx::Error::PoolTimedOut => match tokio::time::timeout(timeout, options.connect()).await {
            Ok(Err(direct)) => direct,
            Ok(Ok(conn)) => {
                // Reachable after all (it came up meanwhile): say the pool timed out.
                let _ = sqlx::Connection::close(conn).await;
                sqlx::Error::PoolTimedOut
            }
            Err(_) => sqlx::Error::PoolTimedOut,
        },
        other => other,
    };
    StoreError::Connect {
        target: pg_target(options),
        cause: cause(&error, &pg_address(options)),
    }
}

/// The cause of a failed connection attempt to `address`.
pub(super) fn cause(error: &sqlx::Error, address: &str) -> String {
    use std::io::ErrorKind;
    match error {
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // `database "x" does not exist`
            Some("3D000") => db.message().to_string(),
            // Wrong password, unknown role, or refused by pg_hba.conf.
            Some("28P01" | "28000") => format!("authentication failed: {}", db.message()),
            Some("57P03") => format!("the server is starting or stopping: {}", db.message()),
            Some("53300") => format!("the server has no free connection: {}", db.message()),
            _ => db.message().to_string(),
        },
        sqlx::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => format!("connection refused at {address}"),
            ErrorKind::TimedOut => format!("timed out connecting to {address}"),
            _ => format!("cannot reach {address}: {io}"),
        },
        sqlx::Error::Tls(e) => format!("TLS with {address} failed: {e}"),
        sqlx::Error::PoolTimedOut => {
            format!("no connection to {address} within database.acquire_timeout")
        }
        sqlx::Error::Configuration(e) => format!("the database URL is malformed: {e}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_names_server_database_and_role_but_never_the_password() {
        let options: PgConnectOptions = "postgres://clinic:s3cret@db.internal:6543/careflow"
            .parse()
            .unwrap();
        let target = pg_target(&options);
        assert_eq!(
            target,
            "PostgreSQL at db.internal:6543 (database \"careflow\", role \"clinic\")"
        );
        assert!(!target.contains("s3cret"));
    }

    #[test]
    fn a_refused_connection_names_the_address() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(
            cause(&refused, "127.0.0.1:1"),
            "connection refused at 127.0.0.1:1"
        );
    }
}
