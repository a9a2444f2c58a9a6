//! Lenient readers for Twilio's JSON: RFC 2822 dates, counts sent as strings, nulls where a
//! value is expected. A field Twilio changes shape on must not make a whole answer unreadable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// A value that may be a JSON number or a string holding one.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(serde_json::Number),
    Text(String),
}

/// `null` (or absent, with `#[serde(default)]`) becomes the type's default.
pub(super) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Dates written as RFC 2822 by Twilio (RFC 3339 also read, for values stored by us).
pub(super) mod date {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(at) => s.serialize_str(&at.to_rfc2822()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        Ok(text.and_then(|t| parse(&t)))
    }

    pub fn parse(text: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc2822(text)
            .or_else(|_| DateTime::parse_from_rfc3339(text))
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }
}

/// Integers Twilio sends as numbers or as strings (`"num_segments": "1"`, `"duration": "42"`).
pub(super) mod int {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(n) => s.serialize_i64(*n),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(match Option::<NumberOrText>::deserialize(d)? {
            Some(NumberOrText::Number(n)) => n.as_i64(),
            Some(NumberOrText::Text(t)) => t.trim().parse().ok(),
            None => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[derive(Deserialize, serde::Serialize, Debug, PartialEq)]
    struct Sample {
        #[serde(default, with = "date")]
        at: Option<DateTime<Utc>>,
        #[serde(default, with = "int")]
        n: Option<i64>,
    }

    #[test]
    fn dates_and_counts_are_read_leniently_and_round_trip() {
        let s: Sample =
            serde_json::from_str(r#"{"at": "Mon, 03 Mar 2025 14:00:00 +0000", "n": "3"}"#).unwrap();
        assert_eq!(s.at, Utc.with_ymd_and_hms(2025, 3, 3, 14, 0, 0).single());
        assert_eq!(s.n, Some(3));
        let again: Sample = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(again, s);

        let s: Sample = serde_json::from_str(r#"{"at": "yesterday", "n": 7}"#).unwrap();
        assert_eq!((s.at, s.n), (None, Some(7)));
        let s: Sample = serde_json::from_str(r#"{"at": null, "n": null}"#).unwrap();
        assert_eq!((s.at, s.n), (None, None));
        let s: Sample = serde_json::from_str("{}").unwrap();
        assert_eq!((s.at, s.n), (None, None));
    }
}
