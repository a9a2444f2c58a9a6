//! The owner's discharge email: subject, an HTML body and a plain-text body
//! built around the summary. The HTML body goes through a template engine with
//! HTML auto-escaping, because patient names and summaries are untrusted text.

use minijinja::{AutoEscape, Environment, context};

use super::case::CaseData;

/// Why the email could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum EmailRenderError {
    /// The template engine failed.
    #[error("email template failed to render: {0}")]
    Template(#[from] minijinja::Error),
}

/// A ready-to-send email body pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// Subject line, free of line breaks.
    pub subject: String,
    /// HTML body; every interpolated value is escaped.
    pub html: String,
    /// Plain-text body; values appear as written.
    pub text: String,
}

const HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; line-height: 1.5; color: #222222;">
<p>{{ greeting }}</p>
<p>Thank you for trusting {{ clinic }} with the care of {{ patient }}. Below is the discharge summary.</p>
{% for paragraph in paragraphs -%}
<p>{% for line in paragraph %}{{ line }}{% if not loop.last %}<br>{% endif %}{% endfor %}</p>
{% endfor -%}
{% if other_notes -%}
<p>{{ other_notes_title }}{% for line in other_notes %}<br>- {{ line }}{% endfor %}</p>
{% endif -%}
<p>If you have any questions, or if {{ patient }} seems unwell, please reply to this email or call us.</p>
<p>Kind regards,<br>{{ clinic }}</p>
</body>
</html>
"#;

const TEXT: &str = "{{ greeting }}

Thank you for trusting {{ clinic }} with the care of {{ patient }}. Below is the discharge summary.

{{ summary }}
{% if other_notes %}
{{ other_notes_title }}
{% for line in other_notes %}- {{ line }}
{% endfor %}{% endif %}
If you have any questions, or if {{ patient }} seems unwell, please reply to this email or call us.

Kind regards,
{{ clinic }}
";

/// The heading of the lines of a clinical note that no rule recognised: they are
/// shown as written rather than left out.
pub const OTHER_NOTES_TITLE: &str = "Other notes from the clinic";

/// Renders the discharge email for `case` carrying `summary`, and the lines of the
/// case's note that no rule recognised under [`OTHER_NOTES_TITLE`].
pub fn render_email(
    case: &CaseData,
    summary: &str,
    clinic_name: &str,
) -> Result<RenderedEmail, EmailRenderError> {
    let patient = case.patient.name.as_str();
    let subject: String = format!("Discharge summary for {patient} from {clinic_name}")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let greeting = match &case.owner.name {
        Some(name) => format!("Dear {name},"),
        None => "Hello,".to_string(),
    };
    let summary = summary.replace("\r\n", "\n");
    // Paragraphs are separated by blank lines; lines within one keep their breaks.
    let paragraphs: Vec<Vec<String>> = summary
        .split("\n\n")
        .map(|p| {
            p.lines()
                .map(str::trim_end)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty())
        .collect();
    let ctx = context! {
        subject => subject.as_str(),
        greeting => greeting.as_str(),
        clinic => clinic_name,
        patient => patient,
        summary => summary.trim(),
        paragraphs => paragraphs,
        other_notes => &case.unrecognised,
        other_notes_title => OTHER_NOTES_TITLE,
    };
    let mut env = Environment::new();
    // Decided here, not by file extension, so escaping cannot silently change.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    let html = env.render_named_str("discharge.html", HTML, &ctx)?;
    let text = env.render_named_str("discharge.txt", TEXT, &ctx)?;
    Ok(RenderedEmail {
        subject,
        html,
        text,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::discharge::validate::validate_structured;

    fn case(name: &str) -> CaseData {
        validate_structured(
            &json!({
                "patient": {"name": name},
                "owner": {"name": "Jane Doe"}
            }),
            &crate::domain::discharge::phone::PhoneRegion::default(),
        )
        .unwrap()
    }

    #[test]
    fn script_tags_are_escaped_in_html_and_kept_in_text() {
        let email = render_email(
            &case("<script>alert(1)</script>Max"),
            "Give <script>steal()</script> twice daily.",
            "Happy Paws",
        )
        .unwrap();
        assert!(!email.html.contains("<script>"), "{}", email.html);
        assert!(
            email
                .html
                .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;Max"),
            "{}",
            email.html
        );
        assert!(
            email
                .html
                .contains("Give &lt;script&gt;steal()&lt;&#x2f;script&gt; twice daily.")
        );
        assert!(email.text.contains("<script>alert(1)</script>Max"));
        assert!(
            email
                .text
                .contains("Give <script>steal()</script> twice daily.")
        );
    }

    #[test]
    fn the_summary_keeps_its_paragraphs_and_lines_in_html() {
        let email = render_email(
            &case("Max"),
            "Discharge summary for Max\n\nMedications\n- Carprofen\n- Maropitant",
            "Happy Paws",
        )
        .unwrap();
        assert!(email.html.contains("<p>Discharge summary for Max</p>"));
        assert!(
            email
                .html
                .contains("<p>Medications<br>- Carprofen<br>- Maropitant</p>")
        );
        assert!(
            email
                .text
                .contains("Medications\n- Carprofen\n- Maropitant\n")
        );
    }

    #[test]
    fn the_owner_is_greeted_by_name_when_known() {
        let email = render_email(&case("Max"), "Summary.", "Happy Paws").unwrap();
        assert!(email.text.starts_with("Dear Jane Doe,\n"));
        assert_eq!(email.subject, "Discharge summary for Max from Happy Paws");
        let mut anonymous = case("Max");
        anonymous.owner.name = None;
        let email = render_email(&anonymous, "Summary.", "Happy Paws").unwrap();
        assert!(email.text.starts_with("Hello,\n"));
    }

    #[test]
    fn the_closing_sentence_appears_once_with_a_template_summary() {
        let case = case("Max");
        let summary = crate::domain::discharge::summary::render_summary("standard", &case).unwrap();
        let email = render_email(&case, &summary, "Happy Paws").unwrap();
        for body in [&email.text, &email.html] {
            assert_eq!(
                body.matches("If you have any questions").count(),
                1,
                "{body}"
            );
            assert!(body.contains("or if Max seems unwell"), "{body}");
        }
    }

    #[test]
    fn unrecognised_lines_are_shown_under_their_own_heading() {
        let mut c = case("Max");
        c.unrecognised = vec![
            "Cytology: cocci <3/hpf".into(),
            "Owner declined bloodwork".into(),
        ];
        let email = render_email(&c, "Discharge summary for Max", "Happy Paws").unwrap();
        assert!(
            email.text.contains(
                "Discharge summary for Max\n\nOther notes from the clinic\n- Cytology: cocci <3/hpf\n- Owner declined bloodwork\n\nIf you have"
            ),
            "{}",
            email.text
        );
        assert!(
            email.html.contains(
                "<p>Other notes from the clinic<br>- Cytology: cocci &lt;3&#x2f;hpf<br>- Owner declined bloodwork</p>"
            ),
            "{}",
            email.html
        );
        let plain = render_email(&case("Max"), "Summary.", "Happy Paws").unwrap();
        assert!(!plain.text.contains("Other notes") && !plain.html.contains("Other notes"));
        assert!(
            plain.text.contains("Summary.\n\nIf you have"),
            "{}",
            plain.text
        );
    }

    #[test]
    fn line_breaks_cannot_reach_the_subject() {
        let email = render_email(&case("Max\r\nBcc: x@example.com"), "S", "Clinic").unwrap();
        assert!(!email.subject.contains('\n') && !email.subject.contains('\r'));
    }
}
