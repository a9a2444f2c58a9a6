//! Clinical notes as clinics write them: abbreviations and headings are read into
//! their sections, and a line nothing recognises still reaches the owner, under a
//! heading of its own, with a warning in the answer.

use serde_json::json;

use super::{Env, Setup, env, orchestrate, s};
use crate::both_backends;
use crate::helpers::{Backend, json};

/// Diagnosis, history and three medications (one a 10-day antibiotic course)
/// under `Dx:`, `Hx:`, `Rx:` and `Sig:`, and one line no rule knows.
fn note() -> String {
    format!(
        "{}Owner declined ear cytology today.\n",
        include_str!("../../fixtures/discharge_notes/02-otitis-dx-rx-sig.txt")
    )
}

async fn a_note_in_clinical_shorthand_reaches_the_owner_whole(backend: Backend) {
    let Env { app, .. } = env(backend, Setup::default()).await;
    for template in ["standard", "detailed"] {
        let body = orchestrate(
            &app,
            json!({
                "input": {"rawData": {"mode": "text", "text": note()}},
                "steps": {"generateSummary": {"options": {"templateId": template}}}
            }),
        )
        .await;
        assert_eq!(body["success"], true, "{body}");
        let entities = &body["data"]["ingestion"]["entities"];
        assert_eq!(
            (
                &entities["diagnoses"],
                &entities["medications"],
                &entities["unknownLines"]
            ),
            (&json!(1), &json!(3), &json!(1)),
            "{entities}"
        );
        let text = s(&body, "/data/email/text");
        for expected in [
            "Bilateral otitis externa (Malassezia)",
            "Scratching at both ears for 2 weeks",
            "Posatex otic suspension",
            "Epi-Otic ear cleaner",
            "Cefpodoxime 100 mg tablets #10 - Give 1 tablet by mouth once daily for 10 days",
            "RTC 2 weeks for ear cytology",
            "Other notes from the clinic\n- Owner declined ear cytology today.",
        ] {
            assert!(
                text.contains(expected),
                "{template}: {expected:?} not in {text}"
            );
        }
        let html = s(&body, "/data/email/html");
        assert!(
            html.contains("Other notes from the clinic<br>- Owner declined ear cytology today."),
            "{html}"
        );
        let warnings = body["metadata"]["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{body}");
        assert_eq!(warnings[0]["step"], "ingest");
        assert_eq!(
            warnings[0]["lines"],
            json!(["Owner declined ear cytology today."])
        );
    }

    // The stored case keeps every section; the same orchestration read later
    // carries the same warning.
    let body = orchestrate(
        &app,
        json!({"input": {"rawData": {"mode": "text", "text": note()}}, "steps": {"scheduleCall": false}}),
    )
    .await;
    let case_id = s(&body, "/data/ingestion/caseId");
    let case = json(app.get(&format!("/v1/cases/{case_id}")).await).await;
    assert_eq!(
        case["data"]["history"][0],
        "Scratching at both ears for 2 weeks, head shaking."
    );
    assert_eq!(case["data"]["medications"][2]["duration"], "10 days");
    assert_eq!(case["data"]["followUp"]["inDays"], 14);
    let run_id = s(&body, "/runId");
    let later = json(
        app.get(&format!("/v1/discharge/orchestrations/{run_id}"))
            .await,
    )
    .await;
    assert_eq!(later["metadata"]["warnings"], body["metadata"]["warnings"]);
}

both_backends!(a_note_in_clinical_shorthand_reaches_the_owner_whole);
