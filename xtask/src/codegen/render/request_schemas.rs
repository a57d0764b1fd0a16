//! Output kind: `request_schemas.json`, the request bodies the simulator validates against.

use serde_norway::Value;

use crate::codegen::model::Model;
use crate::codegen::schema::Schema;
use crate::codegen::Result;

/// The request-body schema of every operation (by operationId) and the component schemas they
/// refer to, as JSON without descriptions or extensions: what the simulator validates requests
/// against, so that it refuses exactly what the spec forbids.
pub(in crate::codegen) fn render(model: &Model) -> Result<String> {
    fn strip(value: &Value) -> serde_json::Value {
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
    let strip_all = |map: &indexmap::IndexMap<String, Schema>| -> Result<serde_json::Value> {
        let mut out = serde_json::Map::new();
        for (name, schema) in map {
            let value = serde_norway::to_value(schema).map_err(|e| format!("{name}: {e}"))?;
            out.insert(name.clone(), strip(&value));
        }
        Ok(out.into())
    };
    let all = serde_json::json!({
        "operations": strip_all(&model.request_bodies)?,
        "schemas": strip_all(&model.schemas)?,
    });
    serde_json::to_string_pretty(&all)
        .map(|text| text + "\n")
        .map_err(|e| e.to_string())
}
