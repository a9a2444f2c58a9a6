//! Values every store accepts. PostgreSQL refuses a NUL character in `text` and
//! `jsonb` (and the `\u0000` escape in JSON), and no store can hold bytes that are
//! not UTF-8 as text. Whatever an outside provider answers (a partner's response
//! body, a FHIR resource, an LLM's completion, a Twilio or Amion answer) is made
//! storable here before anything keeps it: bytes that are not UTF-8 and NUL
//! characters become U+FFFD, the replacement character, on both backends alike. A
//! step's output, error and events pass through [`json`] before the engine commits
//! them, so no answer can wedge a run.

use std::borrow::Cow;

use serde_json::Value;

/// What a NUL character or a byte that is not UTF-8 becomes.
pub const REPLACEMENT: char = char::REPLACEMENT_CHARACTER;

/// `s` with every NUL character replaced.
pub fn text(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// An owned string with every NUL character replaced.
pub fn string(s: String) -> String {
    match text(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(clean) => clean,
    }
}

/// Bytes as storable text: what is not UTF-8 and every NUL replaced.
pub fn bytes_to_text(bytes: &[u8]) -> String {
    string(String::from_utf8_lossy(bytes).into_owned())
}

/// Replaces NUL characters in every string and key of `value`, in place; values
/// without one are left untouched (and unallocated).
pub fn json(value: &mut Value) {
    match value {
        Value::String(s) => {
            if s.contains('\0') {
                *s = s.replace('\0', "\u{FFFD}");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(json),
        Value::Object(map) => {
            if map.keys().any(|k| k.contains('\0')) {
                let entries = std::mem::take(map);
                for (k, mut v) in entries {
                    json(&mut v);
                    map.insert(string(k), v);
                }
            } else {
                map.values_mut().for_each(json);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A JSON document as a provider sent it, made storable before it is parsed:
/// bytes that are not UTF-8 and raw NUL bytes become U+FFFD, and the `\u0000`
/// escape becomes `\uFFFD`, so every string parsed from it can be stored. Anything
/// else (including an escaped backslash before `u0000`) is kept as it was.
pub fn json_body(bytes: &[u8]) -> Cow<'_, [u8]> {
    let needs = std::str::from_utf8(bytes).is_err()
        || bytes.contains(&0)
        || bytes.windows(6).any(|w| w == b"\\u0000");
    if !needs {
        return Cow::Borrowed(bytes);
    }
    let text = bytes_to_text(bytes);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find('\\') {
        // A run of backslashes: pairs are escaped backslashes; an odd one starts
        // an escape.
        let run = rest[at..].bytes().take_while(|b| *b == b'\\').count();
        out.push_str(&rest[..at + run]);
        rest = &rest[at + run..];
        if run % 2 == 1 && rest.starts_with("u0000") {
            out.push_str("uFFFD");
            rest = &rest[5..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_characters_are_replaced_and_clean_text_is_borrowed() {
        assert_eq!(text("a\0b"), "a\u{FFFD}b");
        assert!(matches!(text("plain"), Cow::Borrowed(_)));
        assert_eq!(bytes_to_text(b"ok\0\xff!"), "ok\u{FFFD}\u{FFFD}!");
    }

    #[test]
    fn json_values_are_cleaned_in_strings_and_keys() {
        let mut v = json!({"a\u{0}": ["x\u{0}", 1, {"b": "y\u{0}z"}], "n": null});
        json(&mut v);
        assert_eq!(
            v,
            json!({"a\u{FFFD}": ["x\u{FFFD}", 1, {"b": "y\u{FFFD}z"}], "n": null})
        );
    }

    #[test]
    fn json_bodies_lose_their_nul_escapes_but_keep_escaped_backslashes() {
        let body = br#"{"a": "x\u0000y", "b": "\\u0000", "c": "\\\u0000"}"#;
        let clean = json_body(body);
        let v: Value = serde_json::from_slice(&clean).unwrap();
        assert_eq!(v["a"], "x\u{FFFD}y");
        assert_eq!(v["b"], "\\u0000", "an escaped backslash, then text");
        assert_eq!(v["c"], "\\\u{FFFD}");
        let raw = b"{\"a\": \"bad \xff\"}";
        let v: Value = serde_json::from_slice(&json_body(raw)).unwrap();
        assert_eq!(v["a"], "bad \u{FFFD}");
        assert!(matches!(json_body(br#"{"ok": 1}"#), Cow::Borrowed(_)));
    }
}
