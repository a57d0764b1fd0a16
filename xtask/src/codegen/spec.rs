//! Reading the YAML spec: the document parsed once into typed structs.
//!
//! Its schemas are [`Schema`]s.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_norway::Value;

use super::schema::Schema;
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
    pub(super) schemas: IndexMap<String, Schema>,
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
    pub(super) fn json_schema(&self) -> Option<&Schema> {
        self.content
            .get("application/json")
            .map(|json| &json.schema)
    }
}

#[derive(Deserialize)]
pub(super) struct MediaType {
    pub(super) schema: Schema,
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

/// A key with no value is almost always a YAML slip (an unquoted comma in a flow mapping).
fn reject_nulls(value: &Value, path: String) -> Result<()> {
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
