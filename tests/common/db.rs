//! A fresh database per test: a new PostgreSQL database on the test server, or a
//! SQLite file in a temporary folder.

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// The PostgreSQL server tests create their databases on. CI exports it; locally the
/// machine's PostgreSQL is assumed. Tests fail (never skip) when it is unreachable.
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh database for one test. Dropping it drops the PostgreSQL database (or
/// removes the SQLite folder), so local runs leave nothing behind.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("careflow.db").display());
                Self {
                    url,
                    _dir: Some(dir),
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                use sqlx::Connection;
                let admin = admin_url();
                let prefix = std::env::var("TEST_DB_PREFIX").unwrap_or_else(|_| "cf_test".into());
                // PostgreSQL cuts identifiers at 63 bytes, silently for `create
                // database`; a cut name would no longer match `pg_database.datname`.
                let random = uuid::Uuid::new_v4().simple().to_string();
                let name = format!("{prefix}_{}", &random[..20]);
                assert!(
                    name.len() <= 63,
                    "TEST_DB_PREFIX `{prefix}` is too long for a database name"
                );
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "PostgreSQL at {admin} must be reachable for the PostgreSQL tests: {e}"
                        )
                    });
                sqlx::query(&format!("create database {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                Self {
                    url: format!("{base}/{name}"),
                    _dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which may be single-threaded and
        // cannot be blocked on: the drop gets a thread and a runtime of its own.
        // The service under test may still be running (its tasks end with the
        // runtime, after the test's locals are dropped) and its pool reconnects:
        // connections are refused first, then `with (force)` ends those open, so
        // none can slip in between and make the drop fail.
        let admin = admin_url();
        let dropped = std::thread::spawn(move || {
            use sqlx::Connection;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(&format!("alter database {name} allow_connections false"))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(&format!("drop database if exists {name} with (force)"))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| format!("{name}: {e}"))?;
                Ok::<_, String>(())
            })
        })
        .join()
        .unwrap_or_else(|_| Err("the thread dropping it panicked".into()));
        if let Err(e) = dropped {
            // Straight to stderr: the test harness swallows `eprintln!` of a test
            // that passed, and a database left behind must not go unnoticed.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "could not drop a test database: {e}");
        }
    }
}
