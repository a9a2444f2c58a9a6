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

/// A fresh database for one test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
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
                }
            }
        }
    }
}
