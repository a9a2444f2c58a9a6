//! Tests of the rendered form, read back with a PDF parser.

use chrono::TimeZone;
use lopdf::Document;

use super::*;
use crate::domain::encounter::rules::{RuleSet, analyze};
use crate::domain::encounter::test_support::{
    pneumonia_admission, pneumonia_submission, routine_visit,
};

fn form_for(data: &ClinicalData) -> PaForm {
    let analysis = analyze(&RuleSet::default(), data, Some("Acme Health"));
    let at = Utc.with_ymd_and_hms(2025, 3, 3, 15, 0, 0).unwrap();
    PaForm::new("txn-0192f3a0", at, data, analysis)
}

/// The text of every page, in page order.
fn pages_text(pdf: &[u8]) -> Vec<String> {
    let doc = Document::load_mem(pdf).unwrap();
    doc.get_pages()
        .keys()
        .map(|n| doc.extract_text(&[*n]).unwrap())
        .collect()
}

#[test]
fn the_form_is_a_pdf_showing_diagnoses_and_the_recommendation() {
    let pdf = render_pa_form(&form_for(&pneumonia_admission())).unwrap();

    assert!(pdf.starts_with(b"%PDF-"));
    let text = pages_text(&pdf).concat();
    for expected in [
        "Prior Authorization Request",
        "txn-0192f3a0",
        "Prior authorization required",
        "J18.9",
        "Pneumonia, unspecified organism",
        "E11.9",
        "Type 2 diabetes mellitus without complications",
        "Ada Okafor",
        "1961-07-14",
        "enc-9001",
        "Riverside General",
        "Oxygen saturation by pulse oximetry: 91 %",
        "Heart rate above 120/min",
        "Confidence",
        "95%",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains("I50.9"), "a refuted diagnosis was printed");
}

#[test]
fn a_visit_without_criteria_says_no_authorization_is_needed() {
    let pdf = render_pa_form(&form_for(&routine_visit())).unwrap();

    let text = pages_text(&pdf).concat();
    assert!(text.contains("Prior authorization not required"), "{text}");
    assert!(text.contains("Z00.00"));
    assert!(text.contains("No criterion met."));
}

#[test]
fn long_content_wraps_and_flows_onto_further_pages() {
    let mut form = form_for(&pneumonia_admission());
    let words: Vec<String> = (0..2500).map(|i| format!("finding{i}")).collect();
    form.analysis.justification = words.join(" ");

    let pdf = render_pa_form(&form).unwrap();

    let pages = pages_text(&pdf);
    assert!(pages.len() >= 3, "only {} pages", pages.len());
    let total = pages.len();
    for (i, page) in pages.iter().enumerate() {
        let footer = format!("page {} of {total}", i + 1);
        assert!(page.contains(&footer), "page {} lacks its footer", i + 1);
    }
    let all = pages.concat();
    assert!(all.contains("finding0 ") && all.contains("finding2499"));
    assert!(pages[total - 1].contains("Reviewer signature"));
}

#[test]
fn accented_names_survive_the_round_trip() {
    let mut form = form_for(&pneumonia_admission());
    form.patient.name = Some("Zoë Ångström-Nuñez".into());

    let text = pages_text(&render_pa_form(&form).unwrap()).concat();

    assert!(text.contains("Zoë Ångström-Nuñez"), "{text}");
}

#[test]
fn an_incomplete_form_is_refused_with_every_problem() {
    let mut form = form_for(&pneumonia_admission());
    form.transaction_id = " ".into();
    form.analysis.confidence = 1.5;

    let Err(PdfError::Invalid(problems)) = render_pa_form(&form) else {
        panic!("expected the form to be refused");
    };

    let pointers: Vec<_> = problems
        .as_slice()
        .iter()
        .map(|p| p.pointer.as_str())
        .collect();
    assert_eq!(pointers, ["/transactionId", "/analysis/confidence"]);
}

#[test]
fn text_outside_latin_1_prints_as_written() {
    let mut form = form_for(&pneumonia_admission());
    form.patient.name = Some("王伟".into());
    form.analysis.justification =
        "SpO2 91 % → supplemental oxygen; heart rate ≥ 120/min; 体温 39.6 °C.".into();

    let pdf = render_pa_form(&form).unwrap();

    let text = pages_text(&pdf).concat();
    for expected in ["王伟", "→ supplemental oxygen", "≥ 120/min", "体温 39.6 °C"] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains('?'), "a character was replaced:\n{text}");
    assert!(
        !text.contains('\u{FFFD}'),
        "a character was replaced:\n{text}"
    );
}

#[test]
fn only_the_glyphs_used_are_embedded() {
    let pdf = render_pa_form(&form_for(&pneumonia_admission())).unwrap();
    let mut form = form_for(&pneumonia_admission());
    form.patient.name = Some("王伟".into());
    let with_cjk = render_pa_form(&form).unwrap();

    // The full fonts weigh over 2 MB; a form carries only the glyphs it shows.
    assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
    assert!(
        with_cjk.len() < pdf.len() + 10_000,
        "{} bytes",
        with_cjk.len()
    );
    let fonts = |pdf: &[u8]| {
        let doc = Document::load_mem(pdf).unwrap();
        let mut names: Vec<String> = doc
            .objects
            .values()
            .filter_map(|o| o.as_dict().ok())
            .filter(|d| d.get(b"Subtype").and_then(|s| s.as_name()).ok() == Some(b"Type0"))
            .map(|d| {
                let name = d.get(b"BaseFont").unwrap().as_name().unwrap();
                String::from_utf8_lossy(&name[7..]).into_owned()
            })
            .collect();
        names.sort();
        names
    };
    assert_eq!(fonts(&pdf), ["DejaVuSans", "DejaVuSans-Bold"]);
    assert_eq!(
        fonts(&with_cjk),
        ["DejaVuSans", "DejaVuSans-Bold", "DroidSansFallback"]
    );
}

#[test]
fn the_form_names_payer_member_provider_and_requested_services() {
    let text = pages_text(&render_pa_form(&form_for(&pneumonia_submission())).unwrap()).concat();

    for expected in [
        "Payer (primary)",
        "Acme Health",
        "AH-0042-01",
        "Plan: Gold PPO (GOLD)",
        "Maria Alvarez",
        "1234567893",
        "94760",
        "Pulse oximetry (CPT) · Units: 4 tests · Dates: 2025-03-10",
        "Therapeutic exercises (CPT) · Units: 12 · Dates: 2025-03-04 to 2025-04-04",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn missing_submission_details_are_said_to_be_missing() {
    let text = pages_text(&render_pa_form(&form_for(&pneumonia_admission())).unwrap()).concat();

    for expected in [
        "No coverage recorded.",
        "No requesting provider recorded.",
        "No services recorded.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
