//! The stores SQLite takes word for word from `shared_sql`, stamped with writes on its
//! single writer connection and reads on its reader pool. Each lives in a module of its
//! own because every stamp brings its own imports; what differs per backend stays in the
//! sibling modules.

use super::SqliteStore;
// The care stores append their events through this backend's insert.
use super::care::append_in;

mod auth {
    crate::store::shared_sql::auth_store!(super::SqliteStore, writer: writer, reader: reader);
}

mod consent {
    crate::store::shared_sql::consent_store!(super::SqliteStore, writer: writer, reader: reader);
}

mod contacts {
    crate::store::shared_sql::contact_store!(super::SqliteStore, writer: writer, reader: reader);
}

mod cron {
    // The single writer serialises claims, so no row lock is needed.
    crate::store::shared_sql::cron_store!(
        super::SqliteStore, writer: writer, reader: reader, lock: ""
    );
}

mod discharge {
    crate::store::shared_sql::discharge_store!(
        super::SqliteStore, writer: writer, reader: reader, row: sqlx::sqlite::SqliteRow
    );
}

mod encounters {
    crate::store::shared_sql::encounter_store!(super::SqliteStore, writer: writer, reader: reader);
}

mod hospitals {
    crate::store::shared_sql::hospital_store!(super::SqliteStore, writer: writer, reader: reader);
}

mod notifications {
    crate::store::shared_sql::notification_store!(super::SqliteStore, writer: writer, reader: reader);
}

mod nurses {
    crate::store::shared_sql::nurse_store!(super::SqliteStore, writer: writer, reader: reader);
}

mod outreach {
    crate::store::shared_sql::outreach_store!(super::SqliteStore, writer: writer, reader: reader);
}

mod routing {
    crate::store::shared_sql::routing_store!(super::SqliteStore, writer: writer, reader: reader);
}

mod tasks {
    crate::store::shared_sql::task_store!(super::SqliteStore, writer: writer, reader: reader);
}
