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
