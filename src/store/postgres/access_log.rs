//! The access log in PostgreSQL (the statements are shared with SQLite).

crate::store::shared_sql::access_log_store!(
    super::PgStore,
    writer: pool,
    reader: pool,
    prune:
    // By primary key, so each batch is found through `access_log_by_time` and deleted
    // by index.
    "delete from access_log where (tenant_id, id) in
       (select tenant_id, id from access_log where at < $1 order by at limit $2)"
);
