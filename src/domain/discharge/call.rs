//! The follow-up call's script: what the owner hears when they answer, as TwiML
//! (`<Response><Say>...</Say></Response>`). Names and follow-up text come from the
//! clinic's data, so every interpolated value is XML-escaped.

use super::case::CaseData;

/// Escapes text for an XML element body or attribute.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0; a line break reads as a pause.
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The spoken follow-up for `case`, from `clinic_name`, as TwiML.
pub fn call_script(case: &CaseData, clinic_name: &str) -> String {
    let patient = case.patient.name.as_str();
    let greeting = match &case.owner.name {
        Some(name) => format!("Hello {name}."),
        None => "Hello.".to_string(),
    };
    let mut sentences = vec![
        greeting,
        format!("This is {clinic_name}, calling to check on {patient} after the recent discharge."),
    ];
    if let Some(f) = &case.follow_up {
        sentences.push(format!(
            "As a reminder, the follow-up plan is: {}.",
            f.display()
        ));
    }
    sentences.push(format!(
        "If you have any questions, or if {patient} seems unwell, please call the clinic. Thank you."
    ));
    format!(
        "<Response><Say>{}</Say></Response>",
        xml_escape(&sentences.join(" "))
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::discharge::validate::validate_structured;

    #[test]
    fn the_script_greets_the_owner_and_names_the_patient_and_follow_up() {
        let case = validate_structured(
            &json!({
                "patient": {"name": "Bella"},
                "owner": {"name": "Jane"},
                "followUp": "Recheck in 14 days."
            }),
            &crate::domain::discharge::phone::PhoneRegion::default(),
        )
        .unwrap();
        let script = call_script(&case, "Happy Paws");
        assert_eq!(
            script,
            "<Response><Say>Hello Jane. This is Happy Paws, calling to check on Bella after the \
             recent discharge. As a reminder, the follow-up plan is: Recheck in 14 days. If you \
             have any questions, or if Bella seems unwell, please call the clinic. Thank you.\
             </Say></Response>"
        );
    }

    #[test]
    fn markup_in_names_cannot_change_the_twiml() {
        let case = validate_structured(
            &json!({
                "patient": {"name": "</Say><Dial>+15550000000</Dial><Say>"},
                "owner": {"name": "A & B"}
            }),
            &crate::domain::discharge::phone::PhoneRegion::default(),
        )
        .unwrap();
        let script = call_script(&case, "Paws \"R\" Us");
        assert!(!script.contains("<Dial>"), "{script}");
        assert!(script.contains("&lt;/Say&gt;&lt;Dial&gt;"));
        assert!(script.contains("Hello A &amp; B."));
        assert!(script.contains("Paws &quot;R&quot; Us"));
        assert_eq!(script.matches("<Say>").count(), 1);
    }
}
