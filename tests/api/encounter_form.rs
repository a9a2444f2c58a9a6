//! The prior-authorization form as a payer receives it: read back from
//! `GET /v1/encounters/{id}/form.pdf` and its text extracted, it shows a patient
//! name outside Latin-1, the payer and member id, the requesting provider's NPI, the
//! requested services with codes, units and dates, and units as people write them.

use serde_json::json;

use crate::both_backends;
use crate::encounter::{pdf_text, spawn};
use crate::fake_fhir::FakeFhir;
use crate::helpers::{Backend, json, step};

async fn the_form_carries_what_a_payer_submission_needs_in_any_script(backend: Backend) {
    let fake = FakeFhir::start().await;
    fake.add_encounter("enc-1", "2025-03-03T14:05:00Z");
    fake.set_patient_name("enc-1", "王伟", "王", "伟");
    fake.add_temperature("enc-1", 39.6);
    let app = spawn(backend, &fake, false, |_| {}).await;

    let run = json(
        app.post("/v1/encounters?wait=30s", &json!({"encounterId": "enc-1"}))
            .await,
    )
    .await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(step(&run, "generatePdf")["output"]["formGenerated"], true);
    let r = app.get("/v1/encounters/enc-1/form.pdf").await;
    assert_eq!(r.status(), 200);
    let text = pdf_text(&r.bytes().await.unwrap());

    for expected in [
        // The patient, in the script of their name.
        "王伟",
        // Payer and member id from the active Coverage (the cancelled one left out).
        "Acme Health",
        "AH-enc-1-01",
        "Plan: Gold PPO (GOLD-PPO)",
        // The attending physician (not the admitter) and their NPI.
        "Maria Alvarez",
        "1234567893",
        "ATND attender",
        // Requested services with codes, units and dates; the revoked one left out.
        "E1390",
        "Oxygen concentrator (HCPCS) · Units: 1 device · Dates: 2025-03-03 to 2025-04-02",
        "94760",
        "Units: 4 tests · Dates: 2025-03-10",
        // A UCUM code shown as a unit.
        "Body temperature: 39.6 °C",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    for absent in [
        "Former Insurer",
        "CANCELLED-1",
        "94660",
        "Cel",
        "Dr. Night Shift",
    ] {
        assert!(!text.contains(absent), "{absent:?} printed in:\n{text}");
    }
    assert!(!text.contains('?'), "a character was replaced:\n{text}");
    assert!(fake.count("/Practitioner/pr-1") == 1 && fake.count("/Coverage?") == 1);

    // The payer details stay out of events, like the patient's name.
    let everything = json(app.get("/v1/events?limit=1000").await)
        .await
        .to_string();
    for private in ["王", "AH-enc-1-01", "1234567893"] {
        assert!(!everything.contains(private), "{private} reached an event");
    }
}

both_backends!(the_form_carries_what_a_payer_submission_needs_in_any_script);
