use serde_json::json;

use super::*;
use crate::domain::discharge::validate::validate_structured;

fn case() -> CaseData {
    validate_structured(&json!({
        "patient": {"name": "Max", "species": "Canine", "breed": "Labrador", "age": "7 years", "weight": "32 kg"},
        "owner": {"name": "Jane Doe", "email": "jane@example.com", "phone": "+15551234567"},
        "diagnoses": ["Acute gastroenteritis"],
        "medications": ["Carprofen 75 mg - 1 tablet twice daily for 7 days"],
        "instructions": ["Bland diet for 3 days"],
        "followUp": "Recheck in 14 days",
        "notes": ["Vaccines due next month"]
    }), &crate::domain::discharge::phone::PhoneRegion::default())
    .unwrap()
}

#[test]
fn every_listed_template_renders() {
    for id in template_ids() {
        let text = render_summary(id, &case()).unwrap();
        assert!(text.contains("Max"), "{id}");
        assert!(text.contains("Recheck in 14 days"), "{id}");
    }
}

#[test]
fn the_standard_summary_has_owner_readable_sections() {
    let text = render_summary("standard", &case()).unwrap();
    assert!(text.starts_with("Discharge summary for Max\n\nPatient: Max (Canine, Labrador)"));
    assert!(text.contains("Diagnosis\n- Acute gastroenteritis\n"));
    assert!(text.contains("Medications\n- Carprofen 75 mg - 1 tablet twice daily for 7 days\n"));
    assert!(text.contains("Care at home\n- Bland diet for 3 days\n"));
    assert!(
        !text.contains("Vaccines"),
        "internal notes stay out of the standard summary"
    );
}

#[test]
fn the_brief_summary_is_one_paragraph() {
    let text = render_summary("brief", &case()).unwrap();
    assert!(!text.contains('\n'));
    assert!(text.contains("Max was treated for: Acute gastroenteritis."));
    assert!(text.contains("Carprofen"));
}

#[test]
fn the_detailed_summary_breaks_medications_down_and_keeps_notes() {
    let text = render_summary("detailed", &case()).unwrap();
    assert!(text.contains("- Weight: 32 kg"));
    assert!(
        text.contains(
            "    Dose: 75 mg, 1 tablet\n    How often: twice daily\n    How long: 7 days"
        )
    );
    assert!(text.contains("Additional notes\n- Vaccines due next month"));
}

#[test]
fn the_follow_up_keeps_its_timing_and_medications_keep_as_needed() {
    let case = validate_structured(
        &json!({
            "patient": {"name": "Max"},
            "medications": [{"name": "Gabapentin", "dose": "100 mg", "frequency": "every 8 hours", "asNeeded": true}],
            "followUp": {"text": "Recheck urinalysis", "inDays": 7}
        }),
        &crate::domain::discharge::phone::PhoneRegion::default(),
    )
    .unwrap();
    let standard = render_summary("standard", &case).unwrap();
    assert!(
        standard.contains("Follow-up\nRecheck urinalysis in 7 days"),
        "{standard}"
    );
    assert!(
        standard.contains("- Gabapentin 100 mg every 8 hours as needed"),
        "{standard}"
    );
    let detailed = render_summary("detailed", &case).unwrap();
    assert!(
        detailed.contains("How often: every 8 hours, as needed"),
        "{detailed}"
    );
    let brief = render_summary("brief", &case).unwrap();
    assert!(brief.contains("Gabapentin (as needed)"), "{brief}");
    assert!(
        brief.contains("Follow-up: Recheck urinalysis in 7 days."),
        "{brief}"
    );
    for id in template_ids() {
        let text = render_summary(id, &case).unwrap();
        assert!(
            !text.contains("If you have any questions"),
            "{id}: the email closes"
        );
    }
}

#[test]
fn empty_sections_are_left_out() {
    let bare = validate_structured(
        &json!({"patient": {"name": "Luna"}}),
        &crate::domain::discharge::phone::PhoneRegion::default(),
    )
    .unwrap();
    let text = render_summary("standard", &bare).unwrap();
    assert!(!text.contains("Medications"));
    assert!(!text.contains("Follow-up"));
    assert!(!text.contains("Patient:"));
}

#[test]
fn an_unknown_template_names_the_known_ones() {
    let err = render_summary("fancy", &case()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown summary template 'fancy'; known templates: standard, brief, detailed"
    );
}

#[test]
fn the_llm_prompt_carries_the_facts_but_not_the_owner_contacts() {
    let (system, user) = llm_messages(&case());
    assert!(system.contains("Use only the facts"));
    assert!(user.contains("Patient name: Max"));
    assert!(user.contains("- Carprofen 75 mg - 1 tablet twice daily for 7 days"));
    assert!(user.contains("Follow-up: Recheck in 14 days"));
    assert!(user.contains("Owner name: Jane Doe"));
    assert!(!user.contains("jane@example.com"));
    assert!(!user.contains("+15551234567"));
}
