//! A step's input as written in a definition: any JSON, where
//! - `{"$ref": "/input/patientId"}` is replaced by the value at that JSON pointer
//!   into `{input, steps: {name: output}}`,
//! - `{"$expr": "steps.fetch.body.items | length"}` by the value of a minijinja
//!   expression over `input` and `steps`,
//! - a string holding `{{ ... }}` or `{% ... %}` by the rendered template,
//!
//! and everything else is taken as written. A step can only read the outputs of
//! the steps it depends on directly (those are the outputs the engine hands it),
//! so references to any other step are refused when the definition is checked.

use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Map, Value};

use super::jinja::{from_jinja, to_jinja};
use crate::domain::validation::Problems;

/// A JSON value with references and expressions, evaluated when the step runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Template(Value);

/// Names a step's input may read: the run's input and its direct dependencies.
pub struct Scope<'a> {
    /// The steps the step depends on directly.
    pub deps: &'a [String],
}

impl Template {
    /// The value as written (checked separately by [`Template::check`]).
    pub fn new(value: Value) -> Self {
        Self(value)
    }

    /// The value as written.
    pub fn source(&self) -> &Value {
        &self.0
    }

    /// True when evaluating gives the value as written (no reference anywhere).
    pub fn is_literal(&self) -> bool {
        literal(&self.0)
    }

    /// Records every problem of the template under `pointer`: malformed
    /// references, expressions or templates that do not compile, and names outside
    /// `scope`.
    pub fn check(&self, pointer: &str, scope: &Scope<'_>, problems: &mut Problems) {
        check_value(&self.0, pointer, scope, problems);
    }

    /// The value, with references and expressions replaced from `context`
    /// (`{input, steps}`). Fails naming the reference or expression that could not
    /// be evaluated.
    pub fn evaluate(&self, context: &Value) -> Result<Value, String> {
        evaluate_value(&self.0, context, &environment())
    }
}

/// The minijinja environment every template and expression runs in: strict about
/// undefined names, so a typo fails the step instead of passing an empty value on.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env
}

enum Special<'a> {
    Ref(&'a Value),
    Expr(&'a Value),
}

fn special(map: &Map<String, Value>) -> Option<Special<'_>> {
    if map.len() != 1 {
        return None;
    }
    if let Some(v) = map.get("$ref") {
        return Some(Special::Ref(v));
    }
    map.get("$expr").map(Special::Expr)
}

fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

fn literal(v: &Value) -> bool {
    match v {
        Value::String(s) => !is_template(s),
        Value::Array(a) => a.iter().all(literal),
        Value::Object(m) => special(m).is_none() && m.values().all(literal),
        _ => true,
    }
}

fn check_value(v: &Value, pointer: &str, scope: &Scope<'_>, problems: &mut Problems) {
    match v {
        Value::String(s) if is_template(s) => {
            let env = environment();
            match env.template_from_str(s) {
                Ok(t) => check_names(t.undeclared_variables(true), pointer, scope, problems),
                Err(e) => problems.push(pointer, format!("template does not compile: {e}")),
            }
        }
        Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                check_value(item, &format!("{pointer}/{i}"), scope, problems);
            }
        }
        Value::Object(m) => match special(m) {
            Some(Special::Ref(r)) => check_ref(r, &format!("{pointer}/$ref"), scope, problems),
            Some(Special::Expr(e)) => {
                let at = format!("{pointer}/$expr");
                let Some(e) = e.as_str() else {
                    problems.push(at, "must be a string holding an expression");
                    return;
                };
                let env = environment();
                match env.compile_expression(e) {
                    Ok(x) => check_names(x.undeclared_variables(true), &at, scope, problems),
                    Err(err) => problems.push(at, format!("expression does not compile: {err}")),
                }
            }
            None => {
                for (k, item) in m {
                    let key = crate::domain::validation::escape_pointer(k);
                    check_value(item, &format!("{pointer}/{key}"), scope, problems);
                }
            }
        },
        _ => {}
    }
}

fn check_ref(r: &Value, pointer: &str, scope: &Scope<'_>, problems: &mut Problems) {
    let Some(r) = r.as_str() else {
        problems.push(
            pointer,
            "must be a JSON pointer string such as /input/patientId",
        );
        return;
    };
    if r == "/input" || r.starts_with("/input/") {
        return;
    }
    match r.strip_prefix("/steps/") {
        Some(rest) => {
            let step = rest.split('/').next().unwrap_or_default();
            let step = step.replace("~1", "/").replace("~0", "~");
            if !scope.deps.contains(&step) {
                problems.push(
                    pointer,
                    format!("refers to step `{step}`, which is not in this step's dependsOn"),
                );
            }
        }
        None => problems.push(
            pointer,
            "must point into /input or /steps/<a step this one depends on>",
        ),
    }
}

/// Checks the names a template or expression reads (dotted, as minijinja reports
/// them: `steps.fetch.body`).
fn check_names(
    names: std::collections::HashSet<String>,
    pointer: &str,
    scope: &Scope<'_>,
    problems: &mut Problems,
) {
    let mut names: Vec<String> = names.into_iter().collect();
    names.sort();
    for name in names {
        let mut parts = name.split('.');
        match (parts.next(), parts.next()) {
            (Some("input"), _) | (Some("steps"), None) => {}
            (Some("steps"), Some(step)) if scope.deps.iter().any(|d| d == step) => {}
            (Some("steps"), Some(step)) => problems.push(
                pointer,
                format!("refers to step `{step}`, which is not in this step's dependsOn"),
            ),
            _ => problems.push(
                pointer,
                format!("refers to `{name}`: only `input` and `steps` can be read"),
            ),
        }
    }
}

fn evaluate_value(v: &Value, context: &Value, env: &Environment<'_>) -> Result<Value, String> {
    match v {
        Value::String(s) if is_template(s) => env
            .render_str(s, to_jinja(context))
            .map(Value::String)
            .map_err(|e| format!("template failed: {e}")),
        Value::Array(a) => a
            .iter()
            .map(|item| evaluate_value(item, context, env))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Value::Object(m) => match special(m) {
            Some(Special::Ref(r)) => {
                let r = r.as_str().unwrap_or_default();
                context
                    .pointer(r)
                    .cloned()
                    .ok_or_else(|| format!("`$ref` {r} points at nothing"))
            }
            Some(Special::Expr(e)) => {
                let e = e.as_str().unwrap_or_default();
                let x = env
                    .compile_expression(e)
                    .map_err(|err| format!("expression `{e}` does not compile: {err}"))?;
                let out = x
                    .eval(to_jinja(context))
                    .map_err(|err| format!("expression `{e}` failed: {err}"))?;
                from_jinja(&out).map_err(|err| format!("expression `{e}`: {err}"))
            }
            None => m
                .iter()
                .map(|(k, item)| Ok((k.clone(), evaluate_value(item, context, env)?)))
                .collect::<Result<Map<_, _>, String>>()
                .map(Value::Object),
        },
        other => Ok(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems_of(v: Value, deps: &[&str]) -> Vec<String> {
        let deps: Vec<String> = deps.iter().map(|d| d.to_string()).collect();
        let mut p = Problems::new();
        Template::new(v).check("/x", &Scope { deps: &deps }, &mut p);
        p.into_vec()
            .into_iter()
            .map(|f| format!("{} {}", f.pointer, f.message))
            .collect()
    }

    #[test]
    fn references_expressions_and_templates_are_evaluated() {
        let ctx = json!({"input": {"id": "p-1", "n": 2}, "steps": {"fetch": {"body": {"items": [1, 2, 3]}}}});
        let t = Template::new(json!({
            "id": {"$ref": "/input/id"},
            "count": {"$expr": "steps.fetch.body['items'] | length"},
            "text": "patient {{ input.id }} x{{ input.n }}",
            "plain": [1, "two"],
        }));
        assert_eq!(
            t.evaluate(&ctx).unwrap(),
            json!({"id": "p-1", "count": 3, "text": "patient p-1 x2", "plain": [1, "two"]})
        );
    }

    #[test]
    fn missing_values_fail_naming_what_was_read() {
        let ctx = json!({"input": {}, "steps": {}});
        let err = Template::new(json!({"$ref": "/input/gone"}))
            .evaluate(&ctx)
            .unwrap_err();
        assert!(err.contains("/input/gone"), "{err}");
        assert!(
            Template::new(json!("{{ input.gone }}"))
                .evaluate(&ctx)
                .is_err()
        );
    }

    #[test]
    fn every_bad_reference_is_reported() {
        let found = problems_of(
            json!({
                "a": {"$ref": "/steps/other/x"},
                "b": {"$ref": "/elsewhere"},
                "c": {"$expr": "steps.fetch.x +"},
                "d": "{{ steps.other.y }}",
                "e": {"$expr": "now"},
                "ok": [{"$ref": "/steps/fetch/body"}, "{{ input.x }}"],
            }),
            &["fetch"],
        );
        assert_eq!(found.len(), 5, "{found:?}");
        assert!(
            found[0].starts_with("/x/a/$ref refers to step `other`"),
            "{found:?}"
        );
        assert!(found[1].starts_with("/x/b/$ref must point"), "{found:?}");
        assert!(
            found[2].starts_with("/x/c/$expr expression does not compile"),
            "{found:?}"
        );
        assert!(
            found[3].starts_with("/x/d refers to step `other`"),
            "{found:?}"
        );
        assert!(
            found[4].starts_with("/x/e/$expr refers to `now`"),
            "{found:?}"
        );
    }
}
