//! PostgreSQL's event positions, given at insert from the transaction's id: readers
//! stop below the oldest transaction still running, so an event committed late by a
//! slow transaction is never skipped, and positions given before the numbering
//! changed stay below every new one.

use std::borrow::Cow;
use std::path::Path;

use careflow::store::{EventFilter, NewEvent, Store, TenantId};
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, Postgres, Transaction};

use crate::helpers::{Backend, TestDb};
use crate::store_contract::{event, tenant};

/// The first migration that numbers events at insert.
const POSITIONS_AT_INSERT: i64 = 140;

/// A store on the database at `url`, migrated as the service does.
async fn store_on(url: &str) -> std::sync::Arc<dyn Store> {
    let settings = careflow::config::DatabaseSettings {
        url: careflow::config::Secret::new(url.to_string()),
        sqlite_path: Default::default(),
        max_connections: 4,
        acquire_timeout: std::time::Duration::from_secs(10),
        test_after_idle: std::time::Duration::from_secs(1),
    };
    let store = careflow::store::connect(&settings)
        .await
        .expect("the store opens");
    store.migrate().await.expect("the migrations apply");
    store
}

async fn readable_types(store: &dyn Store, after: i64) -> Vec<(String, i64)> {
    store
        .events_after(after, 100)
        .await
        .expect("events read")
        .into_iter()
        .map(|e| (e.event_type, e.position))
        .collect()
}

/// A transaction of its own on `url` that has taken its id, so it holds the
/// horizon back, and written nothing yet.
async fn slow_transaction(url: &str) -> Transaction<'static, Postgres> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("a connection");
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select pg_current_xact_id()")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

/// Commits `tx` with an event of type `slow` for tenant `north`.
async fn commit_slow_event(mut tx: Transaction<'static, Postgres>) {
    sqlx::query(
        "insert into events (tenant_id, event_id, event_type, source, data, created_at)
         values ('north', gen_random_uuid(), 'slow', 'test', '{}', now())",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_committed_late_by_an_older_transaction_is_not_skipped() {
    let db = TestDb::new(Backend::Postgres).await;
    let opened = store_on(&db.url).await;
    let store = opened.as_ref();
    let north = tenant("north");
    store
        .append_events(&north, &[event("first", None, 1)])
        .await
        .unwrap();
    let seen = readable_types(store, 0).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    let cursor = seen[0].1;

    // A slow transaction takes its id, then another commits an event after it.
    let tx = slow_transaction(&db.url).await;
    store
        .append_events(&north, &[event("quick", None, 3)])
        .await
        .unwrap();
    assert!(
        readable_types(store, cursor).await.is_empty(),
        "the quick event waits for the older transaction"
    );
    assert!(
        store.sequence_events().await.unwrap().waiting,
        "committed events are reported as waiting"
    );
    let mine = store
        .tenant_events_after(&north, cursor, &EventFilter::default(), 100)
        .await
        .unwrap();
    assert!(mine.is_empty(), "tenant reads wait too: {mine:?}");

    // The slow one adds its event and commits: it comes first, nothing is skipped.
    commit_slow_event(tx).await;
    let rest = readable_types(store, cursor).await;
    let types: Vec<_> = rest.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["slow", "quick"], "in transaction order");
    assert!(rest[0].1 > cursor && rest[0].1 < rest[1].1);
    assert!(
        !store.sequence_events().await.unwrap().waiting,
        "nothing waits"
    );
    assert_eq!(store.last_event_position().await.unwrap(), rest[1].1);
    opened.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_position_stays_below_an_event_an_older_transaction_still_commits() {
    let db = TestDb::new(Backend::Postgres).await;
    let opened = store_on(&db.url).await;
    let store = opened.as_ref();
    let north = tenant("north");

    // A slow transaction takes its id; a quicker one commits an event after it,
    // which is erased (raising the floor of deleted positions) before it is readable.
    let tx = slow_transaction(&db.url).await;
    store
        .append_events(&north, &[event("erased", None, 1)])
        .await
        .unwrap();
    let raised: i64 = sqlx::query_scalar(
        "with gone as (delete from events where event_type = 'erased' returning position)
         update event_position_floor
            set position = greatest(position, (select max(position) from gone))
         returning position",
    )
    .fetch_one(&mut PgConnection::connect(&db.url).await.expect("a connection"))
    .await
    .unwrap();

    // A reader starting after the last position, as the event pump and a live stream
    // do, must still get the slow transaction's event.
    let last = store.last_event_position().await.unwrap();
    assert!(last < raised, "the floor counts only below the horizon");
    commit_slow_event(tx).await;
    let types: Vec<_> = readable_types(store, last)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(types, ["slow"]);
    opened.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_open_in_another_database_of_the_server_holds_nothing_back() {
    let db = TestDb::new(Backend::Postgres).await;
    let opened = store_on(&db.url).await;
    let store = opened.as_ref();
    let north = tenant("north");

    // Another application's transaction on the same server takes its id first.
    let mut other = PgConnection::connect(&crate::helpers::admin_url())
        .await
        .expect("a connection to the server's admin database");
    let mut tx = other.begin().await.unwrap();
    sqlx::query("select pg_current_xact_id()")
        .execute(&mut *tx)
        .await
        .unwrap();
    store
        .append_events(&north, &[event("later", None, 1)])
        .await
        .unwrap();
    assert!(
        !store.sequence_events().await.unwrap().waiting,
        "nothing waits for the other database's transaction"
    );
    let seen = readable_types(store, 0).await;
    let types: Vec<_> = seen.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        ["later"],
        "readable while the other transaction runs"
    );
    tx.rollback().await.unwrap();
    drop(other);
    opened.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_resuming_after_a_position_given_before_the_upgrade_gets_every_new_event() {
    let db = TestDb::new(Backend::Postgres).await;
    let mut conn = PgConnection::connect(&db.url).await.expect("a connection");
    let all = Migrator::new(Path::new("migrations/postgres"))
        .await
        .expect("the migrations read");
    let before = Migrator {
        migrations: Cow::Owned(
            all.iter()
                .filter(|m| m.version < POSITIONS_AT_INSERT)
                .cloned()
                .collect(),
        ),
        ..Migrator::DEFAULT
    };
    before.run(&mut conn).await.expect("the earlier migrations");
    // What the previous version left: numbered events, one deleted at the top (the
    // floor keeps its number), and one committed but not numbered yet.
    sqlx::raw_sql(
        "insert into events (position, tenant_id, event_id, event_type, source, data, created_at)
         select p, 'north', gen_random_uuid(), 'old-' || p, 'test', '{}', now()
         from generate_series(1, 3) as p;
         update event_position_floor set position = 5;
         insert into events (tenant_id, event_id, event_type, source, data, created_at)
         values ('north', gen_random_uuid(), 'unnumbered', 'test', '{}', now());",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    drop(conn);

    let store = store_on(&db.url).await;
    let north: TenantId = tenant("north");
    let new: Vec<NewEvent> = vec![event("new-1", None, 1), event("new-2", None, 2)];
    store.append_events(&north, &new).await.unwrap();

    let after_old = readable_types(store.as_ref(), 3).await;
    let types: Vec<_> = after_old.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["unnumbered", "new-1", "new-2"]);
    assert_eq!(after_old[0].1, 6, "numbered above the floor by the upgrade");
    assert!(after_old[1].1 > 6, "new positions above every old one");
    assert!(
        after_old[2].1 < 1 << 53,
        "exact as a JavaScript number: {}",
        after_old[2].1
    );
    let everything = readable_types(store.as_ref(), 0).await;
    assert_eq!(everything.len(), 6);
    assert!(everything.windows(2).all(|w| w[0].1 < w[1].1));
    store.close().await;
}
