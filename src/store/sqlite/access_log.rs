//! The access log in SQLite (the statements are shared with PostgreSQL).

crate::store::shared_sql::access_log_store!(
    super::SqliteStore,
    writer: writer,
    reader: reader,
    prune:
    // By row id: SQLite (3.40) deletes nothing when this statement compares row
    // values `(tenant_id, id) in (...)` with the time index present.
    "delete from access_log where id in
       (select id from access_log where at < $1 order by at limit $2)"
);
