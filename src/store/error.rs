//! The storage layer's error type.

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist (in this tenant).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken (same idempotency key, same name, ...).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The writer's lease on a run was taken over; its write was dropped.
    #[error("the lease on the run was lost to another holder")]
    LeaseLost,
    /// The database could not be reached when the store was opened.
    #[error("cannot connect to {target}: {cause}")]
    Connect {
        /// Where: the server (or file), database and role; never a password.
        target: String,
        /// Why, e.g. `database "x" does not exist` or `connection refused at host:port`.
        cause: String,
    },
    /// The database cannot be reached or has no free connection.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// A query failed.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migration(#[source] sqlx::migrate::MigrateError),
    /// A stored value does not have the shape this build expects.
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// True when the same call may succeed later: the database was unreachable or
    /// failed for a reason of its own (a dropped connection, a busy writer). A
    /// refused value (a data exception, a broken constraint), a lost lease or a
    /// malformed row fails the same way every time.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Database(sqlx::Error::Database(db)) => !refuses_value(db.as_ref()),
            StoreError::Database(_) => true,
            StoreError::NotFound
            | StoreError::Conflict(_)
            | StoreError::Connect { .. }
            | StoreError::LeaseLost
            | StoreError::Migration(_)
            | StoreError::Corrupt(_) => false,
        }
    }
}

/// Errors saying the statement or its values are at fault, not the database.
fn refuses_value(db: &dyn sqlx::error::DatabaseError) -> bool {
    let code = db.code();
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        sqlite_refuses(code.as_deref())
    } else {
        postgres_refuses(code.as_deref())
    }
}

/// PostgreSQL's classes 22 (data exception: a NUL byte, a bad escape), 23
/// (integrity) and 42 (syntax or access rule).
fn postgres_refuses(code: Option<&str>) -> bool {
    code.is_some_and(|c| c.starts_with("22") || c.starts_with("23") || c.starts_with("42"))
}

/// SQLite's primary codes TOOBIG (18), CONSTRAINT (19), MISMATCH (20) and RANGE
/// (25), whatever their extended code.
fn sqlite_refuses(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<i64>().ok())
        .is_some_and(|c| matches!(c & 0xff, 18 | 19 | 20 | 25))
}

/// Result alias of the storage layer.
pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                StoreError::Conflict(db.constraint().unwrap_or("unique").to_string())
            }
            sqlx::Error::Database(ref db) if is_unavailable_code(db.code().as_deref()) => {
                StoreError::Unavailable(e)
            }
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                StoreError::Corrupt(e.to_string())
            }
            other => StoreError::Database(other),
        }
    }
}

/// PostgreSQL codes meaning the database went away rather than the query was wrong:
/// admin shutdown, crash shutdown, cannot connect now, database does not exist.
fn is_unavailable_code(code: Option<&str>) -> bool {
    matches!(code, Some("57P01" | "57P02" | "57P03" | "3D000"))
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migration(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_values_are_not_worth_a_retry_but_outages_are() {
        assert!(
            postgres_refuses(Some("22021")),
            "invalid byte sequence (a NUL byte)"
        );
        assert!(
            postgres_refuses(Some("22P05")),
            "unsupported Unicode escape"
        );
        assert!(postgres_refuses(Some("23505")));
        assert!(!postgres_refuses(Some("57P01")), "admin shutdown");
        assert!(!postgres_refuses(Some("40001")), "serialization failure");
        assert!(!postgres_refuses(None));
        assert!(sqlite_refuses(Some("2067")), "UNIQUE constraint");
        assert!(!sqlite_refuses(Some("5")), "BUSY");
        assert!(!sqlite_refuses(Some("517")), "BUSY_SNAPSHOT");
        assert!(StoreError::Unavailable(sqlx::Error::PoolTimedOut).is_transient());
        assert!(StoreError::Database(sqlx::Error::Protocol("eof".into())).is_transient());
        assert!(!StoreError::LeaseLost.is_transient());
    }
}
