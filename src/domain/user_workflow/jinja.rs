//! JSON values in and out of minijinja: the build uses minijinja without its serde
//! support, so the run's input and step outputs are converted here, and an
//! expression's value is read back as JSON.

use std::collections::BTreeMap;

use minijinja::Value as Jinja;
use minijinja::value::ValueKind;
use serde_json::{Map, Number, Value};

/// A JSON value as minijinja sees it.
pub fn to_jinja(v: &Value) -> Jinja {
    match v {
        Value::Null => Jinja::from(()),
        Value::Bool(b) => Jinja::from(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Jinja::from(i),
            (None, Some(u)) => Jinja::from(u),
            _ => Jinja::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Jinja::from(s.clone()),
        Value::Array(a) => Jinja::from(a.iter().map(to_jinja).collect::<Vec<_>>()),
        Value::Object(m) => Jinja::from(
            m.iter()
                .map(|(k, v)| (Jinja::from(k.clone()), to_jinja(v)))
                .collect::<BTreeMap<Jinja, Jinja>>(),
        ),
    }
}

/// A minijinja value as JSON; what has no JSON form (bytes, objects without a
/// map or list shape) becomes its text.
pub fn from_jinja(v: &Jinja) -> Result<Value, String> {
    Ok(match v.kind() {
        ValueKind::Undefined | ValueKind::None => Value::Null,
        ValueKind::Bool => Value::Bool(v.is_true()),
        ValueKind::Number => match v.as_i64() {
            Some(i) => Value::from(i),
            None => f64::try_from(v.clone())
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number)
                .unwrap_or(Value::Null),
        },
        ValueKind::String => Value::String(v.as_str().unwrap_or_default().to_string()),
        ValueKind::Seq | ValueKind::Iterable => Value::Array(
            v.try_iter()
                .map_err(|e| e.to_string())?
                .map(|item| from_jinja(&item))
                .collect::<Result<_, _>>()?,
        ),
        ValueKind::Map => {
            let mut out = Map::new();
            for key in v.try_iter().map_err(|e| e.to_string())? {
                let item = v.get_item(&key).map_err(|e| e.to_string())?;
                let name = key.as_str().map_or_else(|| key.to_string(), str::to_string);
                out.insert(name, from_jinja(&item)?);
            }
            Value::Object(out)
        }
        _ => Value::String(v.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_survives_the_round_trip() {
        let v = json!({"a": [1, -2, 2.5, "x", null, true], "b": {"c": {}}});
        assert_eq!(from_jinja(&to_jinja(&v)).unwrap(), v);
    }
}
