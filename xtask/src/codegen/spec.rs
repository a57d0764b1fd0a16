//! Reading the YAML spec: lookups, and the rules that recognise a schema's form.

use serde_norway::Value;

use super::{Result, SPEC};

pub(super) fn get<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    value.as_mapping().and_then(|m| m.get(key))
}

pub(super) fn get_str<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    get(value, key).and_then(Value::as_str)
}

pub(super) fn flag(value: &Value, key: &str) -> bool {
    get(value, key).and_then(Value::as_bool).unwrap_or(false)
}

pub(super) fn ref_name(value: &Value) -> Option<&str> {
    get_str(value, "$ref").and_then(|r| r.strip_prefix("#/components/schemas/"))
}

pub(super) fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_sequence)
        .map(|seq| {
            seq.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The alternatives of a schema that is one of several forms: its `oneOf`, or, for an object
/// that lists its properties and then says which combinations are allowed, the `oneOf` in its
/// `allOf` (the form openapi-python-client reads as one class).
pub(super) fn alternatives(schema: &Value) -> Option<&Vec<Value>> {
    if let Some(alternatives) = get(schema, "oneOf").and_then(Value::as_sequence) {
        return Some(alternatives);
    }
    get(schema, "properties")?;
    let mut found = get(schema, "allOf")?
        .as_sequence()?
        .iter()
        .filter_map(|member| get(member, "oneOf").and_then(Value::as_sequence));
    let alternatives = found.next()?;
    found.next().is_none().then_some(alternatives)
}

/// The property that tells the alternatives apart: the `discriminator`, or the one property to
/// which every alternative gives a `const`.
pub(super) fn tag_of<'v>(schema: &'v Value, alternatives: &'v [Value]) -> Option<&'v str> {
    if let Some(tag) = get(schema, "discriminator").and_then(|d| get_str(d, "propertyName")) {
        return Some(tag);
    }
    let consts = |alt: &'v Value| -> Vec<&'v str> {
        get(alt, "properties")
            .and_then(Value::as_mapping)
            .map(|props| {
                props
                    .iter()
                    .filter(|(_, p)| get(p, "const").is_some())
                    .filter_map(|(k, _)| k.as_str())
                    .collect()
            })
            .unwrap_or_default()
    };
    // An open alternative (`x-buzzin-open`: any other tag value) names no const.
    let tagged: Vec<&'v Value> = alternatives
        .iter()
        .filter(|alt| get(alt, "x-buzzin-open").and_then(Value::as_bool) != Some(true))
        .collect();
    let (first, rest) = tagged.split_first()?;
    let candidates = consts(first);
    let mut tags = candidates
        .into_iter()
        .filter(|tag| rest.iter().all(|alt| consts(alt).contains(tag)));
    let tag = tags.next()?;
    tags.next().is_none().then_some(tag)
}

/// A key with no value is almost always a YAML slip (an unquoted comma in a flow mapping).
pub(super) fn reject_nulls(value: &Value, path: String) -> Result<()> {
    match value {
        Value::Null => Err(format!(
            "{SPEC}: `{path}` has no value (an unquoted comma?)"
        )),
        Value::Mapping(map) => map.iter().try_for_each(|(k, v)| {
            reject_nulls(v, format!("{path}/{}", k.as_str().unwrap_or("?")))
        }),
        Value::Sequence(seq) => seq
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| reject_nulls(v, format!("{path}[{i}]"))),
        _ => Ok(()),
    }
}
