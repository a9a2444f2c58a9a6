use super::*;

fn med(line: &str) -> (String, Option<String>, Option<String>, Option<String>) {
    let m = Medication::from_line(line);
    assert_eq!(m.text, line.trim());
    (m.name, m.dose, m.frequency, m.duration)
}

fn s(x: &str) -> Option<String> {
    Some(x.to_string())
}

#[test]
fn a_typical_medication_line_splits_into_its_parts() {
    assert_eq!(
        med("Carprofen 75 mg - 1 tablet twice daily for 7 days"),
        (
            "Carprofen".into(),
            s("75 mg, 1 tablet"),
            s("twice daily"),
            s("7 days")
        )
    );
}

#[test]
fn medication_lines_in_other_shapes_are_read_best_effort() {
    assert_eq!(
        med("Cerenia (maropitant) 16 mg tablets, 1 tablet once a day for the next 4 days"),
        (
            "Cerenia (maropitant)".into(),
            s("16 mg tablets, 1 tablet"),
            s("once a day"),
            s("4 days")
        )
    );
    assert_eq!(
        med("Gabapentin: 100mg every 8 hours as needed"),
        ("Gabapentin".into(), s("100mg"), s("every 8 hours"), None)
    );
    assert_eq!(
        med("Amoxicillin-clavulanate 250 mg BID until finished"),
        (
            "Amoxicillin-clavulanate".into(),
            s("250 mg"),
            s("BID"),
            s("until finished")
        )
    );
    assert_eq!(med("Omeprazole"), ("Omeprazole".into(), None, None, None));
}

#[test]
fn a_line_without_a_leading_name_keeps_the_whole_line_as_name() {
    let m = Medication::from_line("1/2 tablet of Metronidazole q12h");
    assert_eq!(m.name, "1/2 tablet of Metronidazole q12h");
    assert_eq!(m.frequency.as_deref(), Some("q12h"));
}

#[test]
fn follow_up_delays_are_read_in_days() {
    assert_eq!(FollowUp::from_text("Recheck in 14 days").in_days, Some(14));
    assert_eq!(
        FollowUp::from_text("recheck in two weeks").in_days,
        Some(14)
    );
    assert_eq!(
        FollowUp::from_text("Recheck in 10-14 days").in_days,
        Some(10)
    );
    assert_eq!(FollowUp::from_text("Call tomorrow").in_days, Some(1));
    assert_eq!(FollowUp::from_text("Recheck in a week").in_days, Some(7));
    assert_eq!(
        FollowUp::from_text("Rest for 7 days, then recheck in 3 weeks").in_days,
        Some(21)
    );
    assert_eq!(FollowUp::from_text("Recheck in 1 month").in_days, None);
}

#[test]
fn follow_up_iso_dates_are_read() {
    let f = FollowUp::from_text("Suture removal on 2024-06-15.");
    assert_eq!(f.date, NaiveDate::from_ymd_opt(2024, 6, 15));
    assert_eq!(f.text, "Suture removal on 2024-06-15.");
}

#[test]
fn diagnosis_codes_in_brackets_are_separated() {
    let d = Diagnosis::from_text("Otitis externa (code: 3135009)");
    assert_eq!(d.text, "Otitis externa");
    assert_eq!(d.code.as_deref(), Some("3135009"));
    let d = Diagnosis::from_text("Gastroenteritis [Code 25374005]");
    assert_eq!(d.code.as_deref(), Some("25374005"));
    let d = Diagnosis::from_text("Fracture (left radius)");
    assert_eq!(d.text, "Fracture (left radius)");
    assert_eq!(d.code, None);
}
