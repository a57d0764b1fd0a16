//! The OpenAPI spec as JSON, and JSON-Schema validators over it, for the tests that check
//! bodies against `openapi/buzzin.yaml`.

use std::path::PathBuf;

use serde_json::{json, Value};

/// `openapi/buzzin.yaml`, parsed: the SDK's, from its own tests or from buzzin-sim's (one folder
/// down).
pub fn spec() -> Value {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = [
        here.join("openapi/buzzin.yaml"),
        here.join("../openapi/buzzin.yaml"),
    ]
    .into_iter()
    .find(|p| p.exists())
    .expect("openapi/buzzin.yaml is in the crate or one folder up");
    let text = std::fs::read_to_string(path).expect("the spec is readable");
    serde_norway::from_str(&text).expect("the spec is valid YAML")
}

/// A validator for `schema` (formats checked), resolving `#/components/...` against the spec.
pub fn validator(spec: &Value, schema: &Value) -> jsonschema::Validator {
    let mut document = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": spec["components"],
    });
    for (key, value) in schema.as_object().expect("a schema is an object") {
        document[key] = value.clone();
    }
    jsonschema::options()
        .should_validate_formats(true)
        .build(&document)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}\n{schema}"))
}
