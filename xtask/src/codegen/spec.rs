//! Reading the YAML spec: the document parsed once into typed structs, and the rules that
//! recognise a schema's form.
//!
//! Schemas stay JSON Schema values (`serde_norway::Value`): their forms are many, and
//! [`model`](super::model) reads them by the rules here. Everything around them (paths,
//! operations, parameters, webhooks, the extensions) is a struct.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_norway::Value;

use super::{Result, SPEC};

/// The spec, as far as the generator reads it.
#[derive(Deserialize)]
pub(super) struct Spec {
    pub(super) paths: IndexMap<String, PathItem>,
    pub(super) webhooks: IndexMap<String, Webhook>,
    pub(super) components: Components,
    /// Each generated module's title.
    #[serde(rename = "x-buzzin-modules")]
    pub(super) modules: IndexMap<String, String>,
    #[serde(rename = "x-buzzin-events")]
    pub(super) events: EventsDoc,
}

#[derive(Deserialize)]
pub(super) struct Components {
    pub(super) schemas: IndexMap<String, Value>,
}

/// `x-buzzin-events`: the doc of the `Event` enum.
#[derive(Deserialize)]
pub(super) struct EventsDoc {
    pub(super) description: String,
}

/// The operations of one path, in the order the SDK supports.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PathItem {
    pub(super) get: Option<Operation>,
    pub(super) post: Option<Operation>,
    pub(super) patch: Option<Operation>,
}

impl PathItem {
    /// Each operation with its method, lowercase as the spec spells it.
    pub(super) fn operations(&self) -> impl Iterator<Item = (&'static str, &Operation)> {
        [
            ("get", &self.get),
            ("post", &self.post),
            ("patch", &self.patch),
        ]
        .into_iter()
        .filter_map(|(method, op)| Some((method, op.as_ref()?)))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Operation {
    pub(super) operation_id: String,
    pub(super) summary: Option<String>,
    #[serde(default)]
    pub(super) parameters: Vec<Parameter>,
    pub(super) request_body: Option<RequestBody>,
    /// An empty requirement (`{}`) lets the call go without the key.
    pub(super) security: Option<Vec<IndexMap<String, Value>>>,
    #[serde(rename = "x-buzzin-assumed", default)]
    pub(super) assumed: bool,
    #[serde(rename = "x-buzzin-assumed-security")]
    pub(super) assumed_security: Option<String>,
    #[serde(rename = "x-buzzin-retry")]
    pub(super) retry: Retry,
    #[serde(rename = "x-buzzin-retry-by-action", default)]
    pub(super) retry_by_action: IndexMap<String, Retry>,
    #[serde(rename = "x-buzzin-sdk-call")]
    pub(super) sdk_call: Option<String>,
    #[serde(rename = "x-buzzin-sdk-call-by-action", default)]
    pub(super) sdk_call_by_action: IndexMap<String, String>,
}

/// `x-buzzin-retry`.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(super) enum Retry {
    Safe,
    Dedup,
    Never,
}

#[derive(Deserialize)]
pub(super) struct Parameter {
    pub(super) name: String,
    #[serde(rename = "in")]
    pub(super) location: String,
    pub(super) description: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RequestBody {
    pub(super) content: IndexMap<String, MediaType>,
}

impl RequestBody {
    /// The schema of its `application/json` content.
    pub(super) fn json_schema(&self) -> Option<&Value> {
        self.content
            .get("application/json")
            .map(|json| &json.schema)
    }
}

#[derive(Deserialize)]
pub(super) struct MediaType {
    pub(super) schema: Value,
}

/// One entry of `webhooks`: the delivery Buzz-In posts.
#[derive(Deserialize)]
pub(super) struct Webhook {
    pub(super) post: Delivery,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Delivery {
    pub(super) summary: String,
    pub(super) request_body: RequestBody,
}

/// Reads the spec's text: YAML with no key left without a value, then the typed document.
pub(super) fn parse(text: &str) -> Result<Spec> {
    let value: Value = serde_norway::from_str(text).map_err(|e| format!("{SPEC}: {e}"))?;
    reject_nulls(&value, String::new())?;
    serde_norway::from_value(value).map_err(|e| format!("{SPEC}: {e}"))
}

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
