//! Structured-mode validation: turns the JSON a clinic sends into a
//! [`CaseData`], reporting every problem at once with pointers relative to the
//! data object. Unknown keys are ignored so the frontend can send extra context.
//! List items may be objects or, for convenience, plain strings that are read
//! like lines of a free-text case.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::case::{
    CaseData, Diagnosis, FollowUp, Medication, Owner, Patient, is_valid_email, says_as_needed,
};
use super::phone::PhoneRegion;
use crate::domain::validation::Problems;

/// A JSON object being read, with its pointer, collecting problems as it goes.
struct Reader<'a, 'p> {
    map: &'a Map<String, Value>,
    at: String,
    problems: &'p mut Problems,
}

impl<'a> Reader<'a, '_> {
    fn ptr(&self, key: &str) -> String {
        format!("{}/{key}", self.at)
    }

    /// A trimmed string; null, absent or blank is `None`. Numbers are accepted
    /// when `numbers_ok` (an age of `7`, a weight of `32.5`).
    fn text(&mut self, key: &str, numbers_ok: bool) -> Option<String> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Some(Value::Number(n)) if numbers_ok => Some(n.to_string()),
            Some(_) => {
                self.problems.push(self.ptr(key), "must be a string");
                None
            }
        }
    }

    /// Like [`Self::text`], and absent or blank is a problem too (a value of
    /// the wrong type already is one).
    fn required(&mut self, key: &str) -> Option<String> {
        let v = self.text(key, false);
        let wrong_type = self
            .map
            .get(key)
            .is_some_and(|v| !v.is_null() && !v.is_string());
        if v.is_none() && !wrong_type {
            self.problems.push(self.ptr(key), "is required");
        }
        v
    }

    fn object(&mut self, key: &str) -> Option<&'a Map<String, Value>> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => {
                self.problems.push(self.ptr(key), "must be an object");
                None
            }
        }
    }

    fn array(&mut self, key: &str) -> &'a [Value] {
        match self.map.get(key) {
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.problems.push(self.ptr(key), "must be an array");
                &[]
            }
        }
    }

    fn nested<'b>(&'b mut self, map: &'a Map<String, Value>, at: String) -> Reader<'a, 'b> {
        Reader {
            map,
            at,
            problems: self.problems,
        }
    }
}

/// Validates the structured `data` object of a discharge case; phone numbers
/// without a country code are read in `region`.
pub fn validate_structured(value: &Value, region: &PhoneRegion) -> Result<CaseData, Problems> {
    let mut problems = Problems::new();
    let Some(map) = value.as_object() else {
        problems.push("", "must be an object");
        return Err(problems);
    };
    let mut r = Reader {
        map,
        at: String::new(),
        problems: &mut problems,
    };
    let patient = match r.object("patient") {
        Some(m) => patient(&mut r.nested(m, "/patient".into())),
        None => {
            if map.get("patient").is_none_or(Value::is_null) {
                r.problems.push("/patient", "is required");
            }
            Patient::default()
        }
    };
    let owner = match r.object("owner") {
        Some(m) => owner(&mut r.nested(m, "/owner".into()), region),
        None => Owner::default(),
    };
    let diagnoses = each(&mut r, "diagnoses", diagnosis);
    let medications = each(&mut r, "medications", medication);
    let instructions = each(&mut r, "instructions", plain_text);
    let notes = each(&mut r, "notes", plain_text);
    let history = each(&mut r, "history", plain_text);
    let findings = each(&mut r, "findings", plain_text);
    let procedures = each(&mut r, "procedures", plain_text);
    let warning_signs = each(&mut r, "warningSigns", plain_text);
    let prognosis = each(&mut r, "prognosis", plain_text);
    let veterinarian = r.text("veterinarian", false);
    let follow_up = match map.get("followUp") {
        None | Some(Value::Null) => None,
        Some(v) => follow_up(v, "/followUp".into(), r.problems),
    };
    problems.into_result(CaseData {
        patient,
        owner,
        diagnoses,
        medications,
        instructions,
        follow_up,
        notes,
        history,
        findings,
        procedures,
        warning_signs,
        prognosis,
        veterinarian,
        details: Vec::new(),
        unrecognised: Vec::new(),
    })
}

fn patient(r: &mut Reader<'_, '_>) -> Patient {
    Patient {
        name: r.required("name").unwrap_or_default(),
        species: r.text("species", false),
        breed: r.text("breed", false),
        age: r.text("age", true),
        sex: r.text("sex", false),
        weight: r.text("weight", true),
    }
}

fn owner(r: &mut Reader<'_, '_>, region: &PhoneRegion) -> Owner {
    let email = r.text("email", false);
    if email.as_deref().is_some_and(|e| !is_valid_email(e)) {
        r.problems.push(r.ptr("email"), "must be an email address");
    }
    let phone = r
        .text("phone", false)
        .and_then(|p| match region.normalise(&p) {
            Ok(e164) => Some(e164),
            Err(why) => {
                r.problems.push(r.ptr("phone"), format!("{why}"));
                None
            }
        });
    Owner {
        name: r.text("name", false),
        email,
        phone,
    }
}

/// Reads every item of the array at `key`, skipping the ones with problems.
fn each<T>(
    r: &mut Reader<'_, '_>,
    key: &str,
    item: fn(&Value, String, &mut Problems) -> Option<T>,
) -> Vec<T> {
    let base = r.ptr(key);
    r.array(key)
        .iter()
        .enumerate()
        .filter_map(|(i, v)| item(v, format!("{base}/{i}"), r.problems))
        .collect()
}

fn plain_text(v: &Value, at: String, problems: &mut Problems) -> Option<String> {
    match v.as_str().map(str::trim) {
        Some("") => problems.push(at, "must not be empty"),
        Some(s) => return Some(s.to_string()),
        None => problems.push(at, "must be a string"),
    }
    None
}

fn item_object<'a>(
    v: &'a Value,
    at: &str,
    problems: &mut Problems,
) -> Option<&'a Map<String, Value>> {
    let m = v.as_object();
    if m.is_none() {
        problems.push(at, "must be a string or an object");
    }
    m
}

fn diagnosis(v: &Value, at: String, problems: &mut Problems) -> Option<Diagnosis> {
    if v.is_string() {
        return plain_text(v, at, problems).map(|s| Diagnosis::from_text(&s));
    }
    let map = item_object(v, &at, problems)?;
    let mut r = Reader { map, at, problems };
    let text = r.required("text");
    let code = r.text("code", true);
    text.map(|text| Diagnosis { text, code })
}

fn medication(v: &Value, at: String, problems: &mut Problems) -> Option<Medication> {
    if v.is_string() {
        return plain_text(v, at, problems).map(|s| Medication::from_line(&s));
    }
    let map = item_object(v, &at, problems)?;
    let mut r = Reader { map, at, problems };
    let text = r.text("text", false);
    let name = if text.is_some() {
        r.text("name", false)
    } else {
        r.required("name")
    };
    let (dose, frequency, duration) = (
        r.text("dose", true),
        r.text("frequency", false),
        r.text("duration", false),
    );
    let mut as_needed = false;
    for key in ["asNeeded", "prn"] {
        match map.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => as_needed |= *b,
            Some(_) => r.problems.push(r.ptr(key), "must be true or false"),
        }
    }
    let parsed = text.as_deref().map(Medication::from_line);
    let name = name.or_else(|| parsed.as_ref().map(|p| p.name.clone()))?;
    let parsed_or = |given: Option<String>, pick: fn(&Medication) -> &Option<String>| {
        given.or_else(|| parsed.as_ref().and_then(|p| pick(p).clone()))
    };
    let dose = parsed_or(dose, |p| &p.dose);
    let frequency = parsed_or(frequency, |p| &p.frequency);
    let duration = parsed_or(duration, |p| &p.duration);
    let as_needed = as_needed
        || parsed.as_ref().is_some_and(|p| p.as_needed)
        || frequency.as_deref().is_some_and(says_as_needed);
    let text = text.unwrap_or_else(|| {
        let for_duration = duration.as_deref().map(|d| {
            if d.starts_with("for ") || d.starts_with("until ") {
                d.to_string()
            } else {
                format!("for {d}")
            }
        });
        let how_often = match &frequency {
            Some(f) if as_needed && !says_as_needed(f) => Some(format!("{f} as needed")),
            None if as_needed => Some("as needed".to_string()),
            f => f.clone(),
        };
        [Some(name.clone()), dose.clone(), how_often, for_duration]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    });
    Some(Medication {
        name,
        dose,
        frequency,
        duration,
        as_needed,
        text,
    })
}

fn follow_up(v: &Value, at: String, problems: &mut Problems) -> Option<FollowUp> {
    if v.is_string() {
        return plain_text(v, at, problems).map(|s| FollowUp::from_text(&s));
    }
    let Some(map) = v.as_object() else {
        problems.push(at, "must be a string or an object");
        return None;
    };
    let mut r = Reader { map, at, problems };
    let text = r.text("text", false);
    let in_days = match map.get("inDays") {
        None | Some(Value::Null) => None,
        Some(n) => {
            let days = n.as_u64().and_then(|d| u32::try_from(d).ok());
            if days.is_none() {
                r.problems
                    .push(r.ptr("inDays"), "must be a whole number of days, 0 or more");
            }
            days
        }
    };
    let date = r.text("date", false).and_then(|d| {
        let parsed = NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok();
        if parsed.is_none() {
            r.problems
                .push(r.ptr("date"), "must be an ISO date (YYYY-MM-DD)");
        }
        parsed
    });
    let from_text = text.as_deref().map(FollowUp::from_text);
    let in_days = in_days.or_else(|| from_text.as_ref().and_then(|f| f.in_days));
    let date = date.or_else(|| from_text.as_ref().and_then(|f| f.date));
    let text = match (text, in_days, date) {
        (Some(t), _, _) => t,
        (None, _, Some(d)) => format!("Follow-up on {d}"),
        (None, Some(n), None) => format!("Follow-up in {n} days"),
        (None, None, None) => {
            if !map.contains_key("inDays") && !map.contains_key("date") {
                r.problems.push(r.at.clone(), "needs text, inDays or date");
            }
            return None;
        }
    };
    Some(FollowUp {
        text,
        in_days,
        date,
    })
}

#[cfg(test)]
mod tests;
