use serde_json::json;

use super::*;

fn pointers(value: Value) -> Vec<String> {
    validate_structured(
        &value,
        &crate::domain::discharge::phone::PhoneRegion::default(),
    )
    .unwrap_err()
    .into_vec()
    .into_iter()
    .map(|p| p.pointer)
    .collect()
}

#[test]
fn a_complete_structured_case_is_accepted_as_sent() {
    let case = validate_structured(&json!({
        "patient": {"name": " Max ", "species": "Canine", "breed": "Labrador", "age": 7, "sex": "MN", "weight": "32 kg"},
        "owner": {"name": "Jane Doe", "email": "jane@example.com", "phone": "+15551234567"},
        "diagnoses": [{"text": "Acute gastroenteritis", "code": "25374005"}, "Dehydration"],
        "medications": [
            {"name": "Maropitant", "dose": "16 mg", "frequency": "once daily", "duration": "4 days"},
            "Carprofen 75 mg - 1 tablet twice daily for 7 days"
        ],
        "instructions": ["Bland diet for 3 days", "Fresh water at all times"],
        "followUp": {"text": "Recheck in 14 days"},
        "notes": ["Vaccines due next month"],
        "clinicRef": "ignored"
    }), &crate::domain::discharge::phone::PhoneRegion::default())
    .unwrap();
    assert_eq!(case.patient.name, "Max");
    assert_eq!(case.patient.age.as_deref(), Some("7"));
    assert_eq!(case.owner.phone.as_deref(), Some("+15551234567"));
    assert_eq!(case.diagnoses[0].code.as_deref(), Some("25374005"));
    assert_eq!(case.diagnoses[1].text, "Dehydration");
    assert_eq!(
        case.medications[0].text,
        "Maropitant 16 mg once daily for 4 days"
    );
    assert_eq!(case.medications[1].name, "Carprofen");
    assert_eq!(
        case.medications[1].frequency.as_deref(),
        Some("twice daily")
    );
    assert_eq!(case.instructions.len(), 2);
    let follow_up = case.follow_up.unwrap();
    assert_eq!(follow_up.in_days, Some(14));
    assert_eq!(case.notes, vec!["Vaccines due next month"]);
}

#[test]
fn every_problem_is_reported_with_its_pointer() {
    let found = pointers(json!({
        "patient": {"species": 4},
        "owner": {"email": "jane.example.com", "phone": "555-1234"},
        "diagnoses": [{"code": "x"}, 3],
        "medications": [{"dose": "5 mg"}],
        "instructions": "rest",
        "followUp": {"date": "15/06/2024", "inDays": -2},
        "notes": [""]
    }));
    assert_eq!(
        found,
        vec![
            "/patient/name",
            "/patient/species",
            "/owner/email",
            "/owner/phone",
            "/diagnoses/0/text",
            "/diagnoses/1",
            "/medications/0/name",
            "/instructions",
            "/notes/0",
            "/followUp/inDays",
            "/followUp/date",
        ]
    );
}

#[test]
fn a_missing_patient_or_a_non_object_is_rejected() {
    assert_eq!(pointers(json!({"owner": {}})), vec!["/patient"]);
    assert_eq!(pointers(json!({"patient": "Max"})), vec!["/patient"]);
    assert_eq!(pointers(json!(["Max"])), vec![""]);
}

#[test]
fn a_blank_patient_name_is_required() {
    let problems = validate_structured(
        &json!({"patient": {"name": "  "}}),
        &crate::domain::discharge::phone::PhoneRegion::default(),
    )
    .unwrap_err();
    let all = problems.into_vec();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].pointer, "/patient/name");
    assert_eq!(all[0].message, "is required");
}

#[test]
fn a_follow_up_with_only_a_date_gets_a_readable_text() {
    let case = validate_structured(
        &json!({
            "patient": {"name": "Max"},
            "followUp": {"date": "2024-06-15"}
        }),
        &crate::domain::discharge::phone::PhoneRegion::default(),
    )
    .unwrap();
    let f = case.follow_up.unwrap();
    assert_eq!(f.text, "Follow-up on 2024-06-15");
    assert_eq!(f.date, NaiveDate::from_ymd_opt(2024, 6, 15));
}

#[test]
fn an_empty_follow_up_object_is_a_problem() {
    assert_eq!(
        pointers(json!({"patient": {"name": "Max"}, "followUp": {}})),
        vec!["/followUp"]
    );
}

#[test]
fn a_medication_given_only_as_text_is_parsed_and_explicit_fields_win() {
    let case = validate_structured(&json!({
        "patient": {"name": "Max"},
        "medications": [{"text": "Carprofen 75 mg twice daily for 7 days", "duration": "10 days"}]
    }), &crate::domain::discharge::phone::PhoneRegion::default())
    .unwrap();
    let m = &case.medications[0];
    assert_eq!(m.name, "Carprofen");
    assert_eq!(m.dose.as_deref(), Some("75 mg"));
    assert_eq!(m.duration.as_deref(), Some("10 days"));
    assert_eq!(m.text, "Carprofen 75 mg twice daily for 7 days");
}
