//! Pauses on SQLite: the shared statements, notices in-process (one process).

use super::SqliteStore;

crate::store::shared_sql::pause_store!(SqliteStore, writer: writer, reader: reader);

impl SqliteStore {
    async fn announce_pause(&self, notice: Notice) -> StoreResult<()> {
        self.announce([notice]);
        Ok(())
    }
}
