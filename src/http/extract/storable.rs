//! The request-side half of [`crate::storable`]: text a client sends must be storable
//! as it is. PostgreSQL refuses the NUL character in `text` and `jsonb`, SQLite keeps
//! it, so without this rule the same request would fail on one backend and succeed on
//! the other. Client input is refused (never silently changed, unlike a provider's
//! answer): every offending JSON string or key, query value or path segment is named
//! by its pointer, all in one answer.

use serde_json::Value;

use crate::domain::validation::Problems;

/// What every refused value is told.
pub const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// What a refused object key is told.
const NUL_KEY_MESSAGE: &str = "has a member name containing the NUL character (U+0000)";

/// One RFC 6901 reference token: `~` and `/` escaped.
pub fn token(raw: &str) -> String {
    raw.replace('~', "~0").replace('/', "~1")
}

/// Records a problem for every string and key of `value` holding a NUL character,
/// each at its pointer below `at` (`""` for a whole body).
pub fn check_json(value: &Value, at: &str, problems: &mut Problems) {
    match value {
        Value::String(s) if s.contains('\0') => problems.push(at, NUL_MESSAGE),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_json(item, &format!("{at}/{i}"), problems);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let pointer = format!("{at}/{}", token(key));
                if key.contains('\0') {
                    problems.push(pointer.clone(), NUL_KEY_MESSAGE);
                }
                check_json(item, &pointer, problems);
            }
        }
        _ => {}
    }
}

/// Records a problem for every name or value holding a NUL character, at
/// `{prefix}/{name}` (`/query/workflow`, `/path/id`).
pub fn check_pairs<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    prefix: &str,
    problems: &mut Problems,
) {
    for (name, value) in pairs {
        let pointer = format!("{prefix}/{}", token(name));
        if name.contains('\0') {
            problems.push(pointer, NUL_KEY_MESSAGE);
        } else if value.contains('\0') {
            problems.push(pointer, NUL_MESSAGE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pointers(p: &Problems) -> Vec<&str> {
        p.as_slice().iter().map(|f| f.pointer.as_str()).collect()
    }

    #[test]
    fn every_nul_in_strings_and_keys_is_named_by_its_pointer() {
        let body = json!({
            "name": "a\u{0}b",
            "ok": "fine",
            "list": [1, "x\u{0}", {"deep\u{0}": "y"}],
            "a/b~c": "\u{0}",
        });
        let mut p = Problems::new();
        check_json(&body, "", &mut p);
        let mut found = pointers(&p);
        found.sort_unstable();
        assert_eq!(
            found,
            ["/a~1b~0c", "/list/1", "/list/2/deep\u{0}", "/name"],
            "{p}"
        );
    }

    #[test]
    fn clean_documents_and_pairs_have_no_problem() {
        let mut p = Problems::new();
        check_json(&json!({"a": ["b", 1, null, {"c": "d"}]}), "", &mut p);
        check_pairs([("workflow", "discharge")], "/query", &mut p);
        assert!(p.is_empty(), "{p}");
    }

    #[test]
    fn query_names_and_values_with_nul_are_refused() {
        let mut p = Problems::new();
        check_pairs(
            [("workflow", "x\u{0}"), ("a\u{0}", "b"), ("limit", "5")],
            "/query",
            &mut p,
        );
        assert_eq!(pointers(&p), ["/query/workflow", "/query/a\u{0}"]);
    }
}
