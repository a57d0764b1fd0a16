//! The simulator refuses what the spec forbids: request bodies are checked against the spec's
//! own schemas (`src/generated/request_schemas.json`, written by `cargo xtask codegen` from
//! `openapi/buzzin.yaml`) before any rule runs or any state changes.
//!
//! It interprets the part of JSON Schema the spec uses: `$ref`, `type` (a name or a list,
//! `"null"` only where listed), `properties`, `required`, `items`, `enum`, `const`, `oneOf`
//! (exactly one), `anyOf`, `allOf`, `not`, `minLength`, `minItems`, `minimum`, `pattern` (an
//! ECMA-262 subset, as `regex-lite` reads it, unanchored), and the `date`, `date-time` and
//! `uri` formats. An `x-extensible-enum` is open (any string), as in the SDK.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::state::Failure;
use buzzin::models::{Date, Timestamp};
use buzzin::operations::Operation;

const SCHEMAS: &str = include_str!("generated/request_schemas.json");

fn schemas() -> &'static Value {
    static PARSED: OnceLock<Value> = OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_str(SCHEMAS).unwrap_or(Value::Null))
}

/// Checks the body of `operation` against its schema: a Feathers 400 naming the first field at
/// fault (and every fault in `errors`), or `Ok`. An operation without a request schema is
/// refused (a 500: the simulator does not know what to accept), never let through unchecked.
pub(crate) fn request(operation: &Operation, body: &Value) -> Result<(), Failure> {
    let Some(schema) = schemas()["operations"].get(operation.id) else {
        return Err(Failure::new(
            500,
            format!(
                "The simulator has no request schema for operation `{}` (a bug: please report it)",
                operation.id
            ),
        ));
    };
    let mut faults = Vec::new();
    check(schema, body, "", &mut faults);
    let Some((path, reason)) = faults.first() else {
        return Ok(());
    };
    let field = if path.is_empty() { "body" } else { path };
    let mut failure = Failure::bad_request(format!("`{field}` {reason}"));
    let errors: Map<String, Value> = faults
        .iter()
        .map(|(p, r)| {
            let p = if p.is_empty() { "body" } else { p.as_str() };
            (p.to_owned(), json!(r))
        })
        .collect();
    failure.errors = Some(Value::Object(errors));
    Err(failure)
}

/// Whether `text` matches the spec's `pattern`. Every pattern of the schemas is compiled once,
/// on first use; one that does not compile (a slip in the spec, which a test catches) matches
/// nothing, so the simulator refuses rather than lets through what the spec meant to forbid.
fn matches_pattern(pattern: &str, text: &str) -> bool {
    static COMPILED: OnceLock<HashMap<String, Option<regex_lite::Regex>>> = OnceLock::new();
    COMPILED
        .get_or_init(|| {
            let mut patterns = HashMap::new();
            collect_patterns(schemas(), &mut patterns);
            patterns
        })
        .get(pattern)
        .and_then(Option::as_ref)
        .is_some_and(|regex| regex.is_match(text))
}

fn collect_patterns(schema: &Value, into: &mut HashMap<String, Option<regex_lite::Regex>>) {
    match schema {
        Value::Object(map) => {
            if let Some(pattern) = map.get("pattern").and_then(Value::as_str) {
                into.entry(pattern.to_owned())
                    .or_insert_with(|| regex_lite::Regex::new(pattern).ok());
            }
            map.values().for_each(|v| collect_patterns(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_patterns(v, into)),
        _ => {}
    }
}

fn resolve(schema: &Value) -> &Value {
    let mut schema = schema;
    // Bounded: a cycle of `$ref`s in the spec cannot hang a request.
    for _ in 0..16 {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.trim_start_matches("#/components/schemas/");
                schema = &schemas()["schemas"][name];
            }
            None => break,
        }
    }
    schema
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_type(value: &Value, name: &str) -> bool {
    let actual = type_name(value);
    actual == name || (name == "number" && actual == "integer")
}

/// The names an either/or alternative requires, for a message that names them.
fn required_names(schema: &Value) -> Vec<String> {
    resolve(schema)["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(|n| format!("`{n}`")))
        .collect()
}

fn check(schema: &Value, value: &Value, path: &str, faults: &mut Vec<(String, String)>) {
    let schema = resolve(schema);
    match &schema["type"] {
        Value::String(name) if !is_type(value, name) => {
            let reason = if value.is_null() {
                "must not be null".to_owned()
            } else {
                format!("must be of type {name}, not {}", type_name(value))
            };
            faults.push((path.to_owned(), reason));
            return;
        }
        Value::Array(names)
            if !names
                .iter()
                .filter_map(Value::as_str)
                .any(|n| is_type(value, n)) =>
        {
            let names: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
            faults.push((
                path.to_owned(),
                format!(
                    "must be of type {}, not {}",
                    names.join(" or "),
                    type_name(value)
                ),
            ));
            return;
        }
        _ => {}
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        faults.push((
            path.to_owned(),
            format!("must be one of {}", Value::from(allowed.clone())),
        ));
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        faults.push((path.to_owned(), format!("must be {constant}")));
    }
    if let Value::String(text) = value {
        if let Some(min) = schema["minLength"].as_u64()
            && (text.chars().count() as u64) < min
        {
            faults.push((
                path.to_owned(),
                format!("must have at least {min} character(s)"),
            ));
        }
        match schema["format"].as_str() {
            Some("date-time") if Timestamp::parse(text).is_err() => faults.push((
                path.to_owned(),
                "must be an ISO-8601 UTC date-time such as 2026-07-01T06:00:00.000Z".into(),
            )),
            Some("date") if Date::parse(text).is_err() => faults.push((
                path.to_owned(),
                "must be a calendar date such as 2026-07-01".into(),
            )),
            Some("uri") if url::Url::parse(text).is_err() => faults.push((
                path.to_owned(),
                "must be an absolute URI such as https://files.example.com/licence.pdf".into(),
            )),
            _ => {}
        }
        if let Some(pattern) = schema["pattern"].as_str()
            && !matches_pattern(pattern, text)
        {
            faults.push((
                path.to_owned(),
                format!("must match the pattern `{pattern}`"),
            ));
        }
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), value.as_f64())
        && n < min
    {
        faults.push((path.to_owned(), format!("must be at least {min}")));
    }
    if let Value::Array(items) = value {
        if let Some(min) = schema["minItems"].as_u64()
            && (items.len() as u64) < min
        {
            faults.push((path.to_owned(), format!("must have at least {min} item(s)")));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                check(item_schema, item, &format!("{path}[{i}]"), faults);
            }
        }
    }
    if let Value::Object(fields) = value {
        for name in schema["required"].as_array().into_iter().flatten() {
            if let Some(name) = name.as_str()
                && !fields.contains_key(name)
            {
                faults.push((join(path, name), "is required".into()));
            }
        }
        if let Some(Value::Object(properties)) = schema.get("properties") {
            for (name, field_schema) in properties {
                if let Some(field) = fields.get(name) {
                    check(field_schema, field, &join(path, name), faults);
                }
            }
        }
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        check(part, value, path, faults);
    }
    if let Some(choices) = schema["oneOf"].as_array() {
        let outcomes: Vec<Vec<(String, String)>> = choices
            .iter()
            .map(|choice| {
                let mut choice_faults = Vec::new();
                check(choice, value, path, &mut choice_faults);
                choice_faults
            })
            .collect();
        let passing = outcomes.iter().filter(|f| f.is_empty()).count();
        let names: Vec<String> = choices.iter().flat_map(required_names).collect();
        let only_missing = outcomes
            .iter()
            .all(|f| !f.is_empty() && f.iter().all(|(_, r)| r == "is required"));
        if passing > 1 {
            faults.push((
                path.to_owned(),
                format!("must have only one of {}, not several", names.join(", ")),
            ));
        } else if passing == 0 && only_missing && !names.is_empty() {
            faults.push((
                path.to_owned(),
                format!("needs exactly one of {}", names.join(", ")),
            ));
        } else if passing == 0 {
            // The closest alternative says what is wrong.
            if let Some(closest) = outcomes.into_iter().min_by_key(Vec::len) {
                faults.extend(closest);
            }
        }
    }
    if let Some(choices) = schema["anyOf"].as_array() {
        let any = choices.iter().any(|choice| {
            let mut f = Vec::new();
            check(choice, value, path, &mut f);
            f.is_empty()
        });
        if !any {
            let names: Vec<String> = choices.iter().flat_map(required_names).collect();
            faults.push((
                path.to_owned(),
                format!("needs at least one of {}", names.join(", ")),
            ));
        }
    }
    if let Some(forbidden) = schema.get("not") {
        let mut f = Vec::new();
        check(forbidden, value, path, &mut f);
        if f.is_empty() {
            faults.push((path.to_owned(), "has a form the spec forbids".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_of_the_spec_compiles() {
        let mut patterns = HashMap::new();
        collect_patterns(schemas(), &mut patterns);
        assert!(
            !patterns.is_empty(),
            "the spec has patterns (the file URL's scheme)"
        );
        for (pattern, regex) in &patterns {
            assert!(regex.is_some(), "`{pattern}` does not compile");
        }
    }

    #[test]
    fn a_pattern_is_matched_unanchored_and_a_uri_must_be_absolute() {
        let schema =
            json!({"type": "string", "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"});
        let faults = |text: &str| {
            let mut faults = Vec::new();
            check(&schema, &json!(text), "url", &mut faults);
            faults
        };
        assert!(faults("https://x.example/a.pdf").is_empty());
        assert!(faults("HTTP://x.example/a.pdf").is_empty());
        let refused = faults("javascript:alert(1)");
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(refused[0].0, "url");
        assert!(refused[0].1.contains("pattern"), "{refused:?}");
        // Not a URI at all: both rules say so.
        assert_eq!(faults("files/a.pdf").len(), 2);
    }

    #[test]
    fn an_operation_without_a_schema_is_refused_not_let_through() {
        let typo = Operation {
            id: "createPermitt",
            ..buzzin::operations::CREATE_PERMIT
        };
        let refused = request(&typo, &json!({})).expect_err("an unknown operation is refused");
        assert_eq!(refused.status, 500);
        assert!(
            refused.message.contains("createPermitt"),
            "{}",
            refused.message
        );
        // The real one checks the same body, and finds it wanting.
        let refused = request(&buzzin::operations::CREATE_PERMIT, &json!({})).unwrap_err();
        assert_eq!(refused.status, 400);
    }
}
