use chrono::NaiveDate;

use super::*;

const TIDY: &str = "\
DISCHARGE SUMMARY - Happy Paws Veterinary Clinic
Patient: Max
Species: Canine
Breed: Labrador Retriever
Age: 7 years
Sex: Male neutered
Weight: 32 kg
Owner: Jane Doe
Email: jane.doe@example.com
Phone: +1 (555) 123-4567

Diagnosis:
- Acute gastroenteritis
- Mild dehydration (code: 34095006)

Medications:
1. Maropitant 16 mg - 1 tablet once daily for 4 days
2. Metronidazole 250 mg - 1 tablet twice daily for 7 days

Instructions:
* Feed a bland diet (boiled chicken and rice) in small
  portions for 3 days.
* Fresh water at all times.

Follow-up: Recheck in 14 days
Dr. Smith examined Max today.
";

#[test]
fn a_tidy_discharge_note_is_read_into_every_field() {
    let ExtractedCase { data, entities } =
        extract_case(TIDY, &PhoneRegion::parse("US").unwrap()).unwrap();
    assert_eq!(data.patient.name, "Max");
    assert_eq!(data.patient.species.as_deref(), Some("Canine"));
    assert_eq!(data.patient.breed.as_deref(), Some("Labrador Retriever"));
    assert_eq!(data.patient.age.as_deref(), Some("7 years"));
    assert_eq!(data.patient.sex.as_deref(), Some("Male neutered"));
    assert_eq!(data.patient.weight.as_deref(), Some("32 kg"));
    assert_eq!(data.owner.name.as_deref(), Some("Jane Doe"));
    assert_eq!(data.owner.email.as_deref(), Some("jane.doe@example.com"));
    assert_eq!(data.owner.phone.as_deref(), Some("+15551234567"));
    let diagnoses: Vec<_> = data.diagnoses.iter().map(|d| d.text.as_str()).collect();
    assert_eq!(diagnoses, ["Acute gastroenteritis", "Mild dehydration"]);
    assert_eq!(data.diagnoses[1].code.as_deref(), Some("34095006"));
    assert_eq!(data.medications.len(), 2);
    assert_eq!(data.medications[1].name, "Metronidazole");
    assert_eq!(
        data.medications[1].dose.as_deref(),
        Some("250 mg, 1 tablet")
    );
    assert_eq!(
        data.medications[1].frequency.as_deref(),
        Some("twice daily")
    );
    assert_eq!(
        data.instructions,
        [
            "Feed a bland diet (boiled chicken and rice) in small portions for 3 days.",
            "Fresh water at all times."
        ]
    );
    assert_eq!(data.follow_up.as_ref().unwrap().in_days, Some(14));
    assert!(data.notes.is_empty());
    assert_eq!(
        data.details,
        ["DISCHARGE SUMMARY - Happy Paws Veterinary Clinic"]
    );
    assert_eq!(data.unrecognised, ["Dr. Smith examined Max today."]);
    assert_eq!(entities.fields.len(), 9);
    assert_eq!(
        (
            entities.diagnoses,
            entities.medications,
            entities.instructions
        ),
        (2, 2, 2)
    );
    assert!(entities.follow_up);
    assert_eq!(entities.unknown_lines, 1);
}

#[test]
fn messy_spacing_case_and_reordered_sections_are_tolerated() {
    let text = "
  MEDICATIONS
  •  Carprofen 75mg  - 1 tab   twice daily  x 7 days
  •Gabapentin 100 mg every 8 hours as needed

follow up - recheck in 2 weeks
  owner email :   JANE@Example.com
PATIENT NAME -   Bella
species:feline
Diagnoses: Cystitis
Home care:
 - Encourage water intake
 - Monitor urination; call us if
   she strains

   Keep the litter box clean
Owner phone: 00 44 20 7946 0958
";
    let ExtractedCase { data, entities } =
        extract_case(text, &PhoneRegion::parse("US").unwrap()).unwrap();
    assert_eq!(data.patient.name, "Bella");
    assert_eq!(data.patient.species.as_deref(), Some("feline"));
    assert_eq!(data.owner.email.as_deref(), Some("JANE@Example.com"));
    assert_eq!(data.owner.phone.as_deref(), Some("+442079460958"));
    let names: Vec<_> = data.medications.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Carprofen", "Gabapentin"]);
    assert_eq!(data.medications[0].duration.as_deref(), Some("7 days"));
    assert_eq!(data.diagnoses[0].text, "Cystitis");
    assert_eq!(
        data.instructions,
        [
            "Encourage water intake",
            "Monitor urination; call us if she strains",
            "Keep the litter box clean"
        ]
    );
    assert_eq!(data.follow_up.unwrap().in_days, Some(14));
    assert!(data.notes.is_empty());
    assert_eq!(entities.unknown_lines, 0);
}

#[test]
fn name_lines_inside_an_owner_block_belong_to_the_owner() {
    let text = "Patient:\n  Name: Rocky\nOwner:\n  Name: Tom Baker\n  Email: tom@example.org\nBreed: Beagle";
    let data = extract_case(text, &PhoneRegion::parse("US").unwrap())
        .unwrap()
        .data;
    assert_eq!(data.patient.name, "Rocky");
    assert_eq!(data.owner.name.as_deref(), Some("Tom Baker"));
    assert_eq!(data.owner.email.as_deref(), Some("tom@example.org"));
    assert_eq!(data.patient.breed.as_deref(), Some("Beagle"));
}

#[test]
fn a_bare_label_takes_the_next_line_and_a_repeat_is_kept_as_a_note() {
    let text = "Patient name:\nLuna\nPatient: Other\nFollow-up\nSuture removal on 2024-06-15\nwith Dr. Lee";
    let data = extract_case(text, &PhoneRegion::parse("US").unwrap())
        .unwrap()
        .data;
    assert_eq!(data.patient.name, "Luna");
    assert_eq!(data.unrecognised, ["Patient: Other"]);
    let follow_up = data.follow_up.unwrap();
    assert_eq!(follow_up.text, "Suture removal on 2024-06-15 with Dr. Lee");
    assert_eq!(follow_up.date, NaiveDate::from_ymd_opt(2024, 6, 15));
}

#[test]
fn bulleted_lines_inside_a_section_stay_items_even_when_they_look_labelled() {
    let text =
        "Patient: Max\nInstructions:\n- Weight: check weekly\n- Age-related stiffness is expected";
    let data = extract_case(text, &PhoneRegion::parse("US").unwrap())
        .unwrap()
        .data;
    assert_eq!(data.patient.weight, None);
    assert_eq!(
        data.instructions,
        ["Weight: check weekly", "Age-related stiffness is expected"]
    );
}

#[test]
fn a_title_with_a_dash_is_not_mistaken_for_a_section() {
    let text = "Discharge instructions - Happy Paws\nPatient: Max";
    let data = extract_case(text, &PhoneRegion::parse("US").unwrap())
        .unwrap()
        .data;
    assert!(data.instructions.is_empty());
    assert!(data.unrecognised.is_empty());
    assert_eq!(data.details, ["Discharge instructions - Happy Paws"]);
}

#[test]
fn a_text_without_a_patient_name_is_a_problem_at_text() {
    let problems = extract_case(
        "Species: Canine\nDiagnosis: Otitis",
        &PhoneRegion::parse("US").unwrap(),
    )
    .unwrap_err()
    .into_vec();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].pointer, "/text");
    assert!(problems[0].message.contains("patient name"));
}

#[test]
fn bad_contact_details_are_all_reported_without_echoing_them() {
    let text = "Patient: Max\nEmail: jane at example\nPhone: 555-1234";
    let problems = extract_case(text, &PhoneRegion::parse("US").unwrap())
        .unwrap_err()
        .into_vec();
    assert_eq!(problems.len(), 2);
    assert!(problems.iter().all(|p| p.pointer == "/text"));
    assert!(problems.iter().all(|p| !p.message.contains("555-1234")));
    assert!(problems.iter().all(|p| !p.message.contains("jane")));
}

#[test]
fn an_empty_text_is_a_problem() {
    let problems = extract_case("  \n ", &PhoneRegion::parse("US").unwrap())
        .unwrap_err()
        .into_vec();
    assert_eq!(problems[0].message, "must not be empty");
}

#[test]
fn clinical_abbreviations_and_headings_fill_their_sections() {
    let text = "Patient: Max\nHx: Itchy ears\nDx: Otitis externa\nRx: Cefpodoxime 100 mg #10\n\
Sig: 1 tablet by mouth once daily for 10 days\nPE: Red ear canals\nTx: Ear flush\n\
Plan: Clean ears twice weekly\nReturn if: head tilt or pain\nPrognosis: Good\n\
Diet: Hypoallergenic food\nRTC 2 weeks\nCall us if he stops eating.";
    let data = extract_case(text, &PhoneRegion::parse("US").unwrap())
        .unwrap()
        .data;
    assert_eq!(data.history, ["Itchy ears"]);
    assert_eq!(data.diagnoses[0].text, "Otitis externa");
    let med = &data.medications[0];
    assert_eq!(med.name, "Cefpodoxime");
    assert_eq!(med.duration.as_deref(), Some("10 days"));
    assert_eq!(med.frequency.as_deref(), Some("once daily"));
    assert_eq!(data.findings, ["Red ear canals"]);
    assert_eq!(data.procedures, ["Ear flush"]);
    assert_eq!(
        data.instructions,
        ["Clean ears twice weekly", "Diet: Hypoallergenic food"]
    );
    assert_eq!(
        data.warning_signs,
        ["head tilt or pain", "Call us if he stops eating."]
    );
    assert_eq!(data.prognosis, ["Good"]);
    let follow_up = data.follow_up.unwrap();
    assert_eq!(
        (follow_up.text.as_str(), follow_up.in_days),
        ("RTC 2 weeks", Some(14))
    );
    assert!(data.unrecognised.is_empty(), "{:?}", data.unrecognised);
}
