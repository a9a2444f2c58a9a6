//! Deserializers for the shapes settings take in TOML and in environment variables.

/// Durations written like `250ms`, `30s`, `10m` (humantime syntax).
pub mod duration {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    /// Parses a humantime duration string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map_err(|e| {
            serde::de::Error::custom(format!(
                "`{text}` is not a duration like \"500ms\" or \"30s\": {e}"
            ))
        })
    }
}

/// Lists given as TOML arrays or, from the environment, as comma-separated text.
pub mod string_list {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrText {
        List(Vec<String>),
        Text(String),
    }

    /// Accepts `["a", "b"]` or `"a,b"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match ListOrText::deserialize(d)? {
            ListOrText::List(items) => items,
            ListOrText::Text(text) => text
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        })
    }
}

/// An optional duration (humantime syntax), absent when the key is not given.
pub mod optional_duration {
    use serde::Deserializer;
    use std::time::Duration;

    /// Parses a humantime duration string; used with `#[serde(default)]`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        super::duration::deserialize(d).map(Some)
    }
}
