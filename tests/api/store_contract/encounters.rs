//! Encounters: the polling lease and cursor of a FHIR source, the latest run per
//! encounter (a later run only), transient failures to recover, and the forms, the
//! older superseded by the newer.

use careflow::store::{EncounterRunRow, NewEncounterForm, RunId, SourceCursor, Store};
use uuid::Uuid;

use super::{at, tenant};

contract!(
    a_source_is_polled_by_one_owner_at_a_time_and_keeps_its_cursor,
    an_encounter_keeps_its_latest_run_and_the_failures_to_recover,
    a_newer_runs_form_supersedes_the_older_whatever_order_they_are_saved_in,
);

async fn a_source_is_polled_by_one_owner_at_a_time_and_keeps_its_cursor(store: &dyn Store) {
    let north = tenant("north");
    let cursor = store
        .claim_encounter_source(&north, "ehr", "replica-a", at(0), at(30))
        .await
        .unwrap();
    assert_eq!(cursor, Some(SourceCursor::default()), "a new source");
    assert_eq!(
        store
            .claim_encounter_source(&north, "ehr", "replica-b", at(10), at(40))
            .await
            .unwrap(),
        None,
        "held by another owner"
    );
    let saved = SourceCursor {
        last_updated: Some(at(5)),
        ids: vec!["e-1".into(), "e-2".into()],
    };
    assert!(
        store
            .save_encounter_cursor(&north, "ehr", "replica-a", &saved, at(11), at(60))
            .await
            .unwrap()
    );
    assert!(
        !store
            .save_encounter_cursor(
                &north,
                "ehr",
                "replica-b",
                &SourceCursor::default(),
                at(12),
                at(60)
            )
            .await
            .unwrap(),
        "a non-owner saves nothing"
    );
    assert_eq!(
        store
            .claim_encounter_source(&north, "ehr", "replica-b", at(50), at(90))
            .await
            .unwrap(),
        None,
        "saving renewed the lease"
    );
    assert_eq!(
        store
            .claim_encounter_source(&north, "ehr", "replica-b", at(61), at(90))
            .await
            .unwrap(),
        Some(saved.clone()),
        "a lapsed lease is taken over, with the cursor"
    );
    store
        .release_encounter_source(&north, "ehr", "replica-a")
        .await
        .unwrap();
    assert_eq!(
        store
            .claim_encounter_source(&north, "ehr", "replica-a", at(62), at(90))
            .await
            .unwrap(),
        None,
        "only the owner releases"
    );
    store
        .release_encounter_source(&north, "ehr", "replica-b")
        .await
        .unwrap();
    assert_eq!(
        store
            .claim_encounter_source(&north, "ehr", "replica-a", at(63), at(90))
            .await
            .unwrap(),
        Some(saved),
        "a released source is taken at once"
    );
    assert_eq!(
        store
            .claim_encounter_source(&tenant("south"), "ehr", "replica-b", at(64), at(90))
            .await
            .unwrap(),
        Some(SourceCursor::default()),
        "another tenant's source of the same name is its own"
    );
}

fn encounter_run(source: &str, run: u128, version: &str, seconds: i64) -> EncounterRunRow {
    EncounterRunRow {
        tenant_id: tenant("north"),
        encounter_id: "enc-1".into(),
        source: source.into(),
        run_id: RunId(Uuid::from_u128(run)),
        version: Some(version.into()),
        submitted_at: at(seconds),
    }
}

async fn an_encounter_keeps_its_latest_run_and_the_failures_to_recover(store: &dyn Store) {
    let north = tenant("north");
    store
        .record_encounter_run(&encounter_run("ehr", 2, "v2", 2))
        .await
        .unwrap();
    store
        .record_encounter_run(&encounter_run("ehr", 1, "v1", 3))
        .await
        .unwrap();
    store
        .record_encounter_run(&encounter_run("lab", 5, "v1", 4))
        .await
        .unwrap();
    let runs = store.encounter_runs(&north, "enc-1", None).await.unwrap();
    assert_eq!(
        runs,
        [
            encounter_run("ehr", 2, "v2", 2),
            encounter_run("lab", 5, "v1", 4)
        ],
        "an earlier run never replaces a later one; one per source, by source"
    );
    assert_eq!(
        store
            .encounter_runs(&north, "enc-1", Some("lab"))
            .await
            .unwrap(),
        [encounter_run("lab", 5, "v1", 4)]
    );
    assert!(
        store
            .encounter_runs(&tenant("south"), "enc-1", None)
            .await
            .unwrap()
            .is_empty()
    );

    let two = RunId(Uuid::from_u128(2));
    store
        .mark_encounter_failed_transient(
            &north,
            "enc-1",
            "ehr",
            RunId(Uuid::from_u128(1)),
            Some(at(5)),
        )
        .await
        .unwrap();
    assert!(
        store
            .encounters_to_recover(&north, "ehr", 10)
            .await
            .unwrap()
            .is_empty(),
        "only the recorded run is marked"
    );
    store
        .mark_encounter_failed_transient(&north, "enc-1", "ehr", two, Some(at(6)))
        .await
        .unwrap();
    assert_eq!(
        store
            .encounters_to_recover(&north, "ehr", 10)
            .await
            .unwrap(),
        [encounter_run("ehr", 2, "v2", 2)]
    );
    assert!(
        store
            .encounters_to_recover(&north, "lab", 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A later run replaces the failed one and clears the mark.
    store
        .record_encounter_run(&encounter_run("ehr", 3, "v3", 7))
        .await
        .unwrap();
    assert!(
        store
            .encounters_to_recover(&north, "ehr", 10)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .mark_encounter_failed_transient(
            &north,
            "enc-1",
            "ehr",
            RunId(Uuid::from_u128(3)),
            Some(at(8)),
        )
        .await
        .unwrap();
    store
        .mark_encounter_failed_transient(&north, "enc-1", "ehr", RunId(Uuid::from_u128(3)), None)
        .await
        .unwrap();
    assert!(
        store
            .encounters_to_recover(&north, "ehr", 10)
            .await
            .unwrap()
            .is_empty(),
        "a cleared mark"
    );
}

fn form(run: u128, seconds: i64, pdf: &[u8]) -> NewEncounterForm {
    NewEncounterForm {
        tenant_id: tenant("north"),
        encounter_id: "enc-1".into(),
        source: "ehr".into(),
        run_id: RunId(Uuid::from_u128(run)),
        transaction_id: format!("tx-{run}"),
        version: Some(format!("v{run}")),
        pdf: pdf.to_vec(),
        created_at: at(seconds),
    }
}

async fn a_newer_runs_form_supersedes_the_older_whatever_order_they_are_saved_in(
    store: &dyn Store,
) {
    let north = tenant("north");
    store
        .save_encounter_form(&form(2, 10, b"%PDF-2"))
        .await
        .unwrap();
    // The older run's form arrives late: it is stored superseded at once.
    store
        .save_encounter_form(&form(1, 11, b"%PDF-1"))
        .await
        .unwrap();
    let forms = store.encounter_forms(&north, "enc-1", "ehr").await.unwrap();
    let seen: Vec<_> = forms
        .iter()
        .map(|f| {
            (
                f.transaction_id.as_str(),
                f.size_bytes,
                f.created_at,
                f.superseded_at,
                f.superseded_by.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("tx-2", 6, at(10), None, None),
            ("tx-1", 6, at(11), Some(at(11)), Some("tx-2"))
        ],
        "the latest run's first"
    );
    assert_eq!(
        store
            .encounter_form_pdf(&north, "enc-1", "ehr", None)
            .await
            .unwrap()
            .as_deref(),
        Some(&b"%PDF-2"[..])
    );
    assert_eq!(
        store
            .encounter_form_pdf(&north, "enc-1", "ehr", Some("tx-1"))
            .await
            .unwrap()
            .as_deref(),
        Some(&b"%PDF-1"[..])
    );

    // A repeated attempt stores its form again, in place.
    store
        .save_encounter_form(&form(3, 12, b"%PDF-3a"))
        .await
        .unwrap();
    store
        .save_encounter_form(&form(3, 13, b"%PDF-3b"))
        .await
        .unwrap();
    let forms = store.encounter_forms(&north, "enc-1", "ehr").await.unwrap();
    assert_eq!(forms.len(), 3);
    assert_eq!((forms[0].size_bytes, forms[0].created_at), (7, at(13)));
    assert_eq!(
        (forms[1].superseded_at, forms[1].superseded_by.as_deref()),
        (Some(at(12)), Some("tx-3"))
    );

    // A run that needed no form supersedes the forms before it.
    store
        .supersede_encounter_forms(
            &north,
            "enc-1",
            "ehr",
            RunId(Uuid::from_u128(4)),
            "tx-4",
            at(20),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .encounter_form_pdf(&north, "enc-1", "ehr", None)
            .await
            .unwrap(),
        None,
        "no current form"
    );
    let forms = store.encounter_forms(&north, "enc-1", "ehr").await.unwrap();
    assert_eq!(
        (forms[0].superseded_at, forms[0].superseded_by.as_deref()),
        (Some(at(20)), Some("tx-4"))
    );
    assert!(
        store
            .encounter_forms(&tenant("south"), "enc-1", "ehr")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .encounter_form_pdf(&tenant("south"), "enc-1", "ehr", Some("tx-1"))
            .await
            .unwrap(),
        None
    );
}
