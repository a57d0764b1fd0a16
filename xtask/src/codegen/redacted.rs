//! Output kind: `redacted.rs`, the names of the fields a simulator's cassette never holds.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_norway::Value;

use super::spec::{flag, get};
use super::{Result, HEADER};

/// The marks of a field whose value a cassette never holds.
const MARKS: [&str; 3] = [
    "x-buzzin-secret",
    "x-buzzin-personal-data",
    "x-buzzin-personal",
];

/// The name of every property, anywhere in the spec, that one of [`MARKS`] marks, sorted, as a
/// Rust constant.
pub(super) fn render(spec: &Value) -> Result<String> {
    fn walk(value: &Value, found: &mut BTreeSet<String>) {
        match value {
            Value::Mapping(map) => {
                if let Some(Value::Mapping(properties)) = get(value, "properties") {
                    for (name, schema) in properties {
                        if MARKS.iter().any(|mark| flag(schema, mark)) {
                            if let Some(name) = name.as_str() {
                                found.insert(name.to_owned());
                            }
                        }
                    }
                }
                map.values().for_each(|v| walk(v, found));
            }
            Value::Sequence(items) => items.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    walk(spec, &mut found);
    if found.is_empty() {
        return Err("no field of the spec is marked secret or personal".to_owned());
    }
    let mut out = String::from(HEADER);
    out.push_str(
        "//! The fields whose values a cassette never holds: every property of the spec marked\n\
         //! `x-buzzin-secret`, `x-buzzin-personal-data` or `x-buzzin-personal`, by name.\n\n\
         /// The marked fields' names, sorted.\n",
    );
    write!(out, "pub(crate) const FIELDS: [&str; {}] = [", found.len()).unwrap();
    for name in &found {
        write!(out, "{name:?},").unwrap();
    }
    out.push_str("];\n");
    Ok(out)
}
