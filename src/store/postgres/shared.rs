//! The stores PostgreSQL takes word for word from `shared_sql`, stamped on its one
//! pool (named as both writer and reader). Each lives in a module of its own because
//! every stamp brings its own imports; what differs per backend stays in the sibling
//! modules.

use super::PgStore;
// The care stores append their events through this backend's batched insert.
use super::care::append_in;

mod auth {
    crate::store::shared_sql::auth_store!(super::PgStore, writer: pool, reader: pool);
}

mod consent {
    crate::store::shared_sql::consent_store!(super::PgStore, writer: pool, reader: pool);
}

mod contacts {
    crate::store::shared_sql::contact_store!(super::PgStore, writer: pool, reader: pool);
}

mod cron {
    // Replicas claim due schedules side by side, skipping rows another one holds.
    crate::store::shared_sql::cron_store!(
        super::PgStore, writer: pool, reader: pool, lock: "for update skip locked"
    );
}

mod discharge {
    crate::store::shared_sql::discharge_store!(
        super::PgStore, writer: pool, reader: pool, row: sqlx::postgres::PgRow
    );
}

mod encounters {
    crate::store::shared_sql::encounter_store!(super::PgStore, writer: pool, reader: pool);
}

mod hospitals {
    crate::store::shared_sql::hospital_store!(super::PgStore, writer: pool, reader: pool);
}

mod notifications {
    crate::store::shared_sql::notification_store!(super::PgStore, writer: pool, reader: pool);
}

mod nurses {
    crate::store::shared_sql::nurse_store!(super::PgStore, writer: pool, reader: pool);
}

mod outreach {
    crate::store::shared_sql::outreach_store!(super::PgStore, writer: pool, reader: pool);
}

mod routing {
    crate::store::shared_sql::routing_store!(super::PgStore, writer: pool, reader: pool);
}

mod tasks {
    crate::store::shared_sql::task_store!(super::PgStore, writer: pool, reader: pool);
}
