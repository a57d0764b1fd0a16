//! Output kind: `request_schemas.json`, the request bodies the simulator validates against.

use serde_norway::Value;

use super::spec::{get, get_str};
use super::Result;

/// The request-body schema of every operation (by operationId) and the component schemas they
/// refer to, as JSON without descriptions or extensions: what the simulator validates requests
/// against, so that it refuses exactly what the spec forbids.
pub(super) fn render(spec: &Value) -> Result<String> {
    pub(super) fn strip(value: &Value) -> serde_json::Value {
        match value {
            Value::Mapping(map) => serde_json::Value::Object(
                map.iter()
                    .filter_map(|(k, v)| {
                        let key = k.as_str()?;
                        let keep = !key.starts_with("x-")
                            && !matches!(key, "description" | "summary" | "example" | "examples")
                            || key == "x-extensible-enum";
                        keep.then(|| (key.to_owned(), strip(v)))
                    })
                    .collect(),
            ),
            Value::Sequence(items) => serde_json::Value::Array(items.iter().map(strip).collect()),
            other => serde_json::to_value(other).unwrap_or(serde_json::Value::Null),
        }
    }
    let mut operations = serde_json::Map::new();
    if let Some(Value::Mapping(paths)) = get(spec, "paths") {
        for item in paths.values() {
            let Value::Mapping(methods) = item else {
                continue;
            };
            for op in methods.values() {
                let (Some(id), Some(schema)) = (
                    get_str(op, "operationId"),
                    get(op, "requestBody")
                        .and_then(|b| get(b, "content"))
                        .and_then(|c| get(c, "application/json"))
                        .and_then(|j| get(j, "schema")),
                ) else {
                    continue;
                };
                operations.insert(id.to_owned(), strip(schema));
            }
        }
    }
    let schemas = get(spec, "components")
        .and_then(|c| get(c, "schemas"))
        .map(strip)
        .unwrap_or_default();
    let all = serde_json::json!({ "operations": operations, "schemas": schemas });
    serde_json::to_string_pretty(&all)
        .map(|text| text + "\n")
        .map_err(|e| e.to_string())
}
