//! How both stores apply their migrations to a database that may be ahead of them.
//!
//! During a rolling deploy the migration job runs first, while replicas of the
//! previous version still serve, and every migration keeps the previous version
//! working on the new schema. A replica of that version that restarts meanwhile
//! (a crash, a node drained) finds migrations it does not know: it must start all
//! the same, or it stays down until the rollout replaces it. So versions the build
//! does not know are allowed, and logged; a known migration whose text changed still
//! stops the start.

use sqlx::migrate::Migrator;

/// `migrator`, allowing applied versions it does not know.
pub(super) fn lenient(mut migrator: Migrator) -> Migrator {
    migrator.set_ignore_missing(true);
    migrator
}

/// Logs the applied versions `migrator` does not know, if any.
pub(super) fn warn_of_newer(applied: &[i64], migrator: &Migrator) {
    let unknown: Vec<i64> = applied
        .iter()
        .copied()
        .filter(|v| !migrator.iter().any(|m| m.version == *v))
        .collect();
    if !unknown.is_empty() {
        tracing::warn!(
            versions = ?unknown,
            "the database has migrations this build does not know: a newer version migrated it; \
             this replica runs on the newer schema until it is replaced"
        );
    }
}
