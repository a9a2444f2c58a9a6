//! Pauses on PostgreSQL: the shared statements, notices through NOTIFY so every
//! replica hears them.

use super::PgStore;

crate::store::shared_sql::pause_store!(PgStore, writer: pool, reader: pool);

impl PgStore {
    async fn announce_pause(&self, notice: Notice) -> StoreResult<()> {
        sqlx::query("select pg_notify($1, $2)")
            .bind(Notice::CHANNEL)
            .bind(notice.to_payload())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
