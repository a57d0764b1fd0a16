//! Output kind: the one-pass `Deserialize` of a struct, as a call of `one_pass_deserialize!`.
//!
//! The hand-written macro (`crate::models::object_de`) gets each field with its JSON key.

use std::fmt::Write as _;

use crate::codegen::model::StructItem;
use crate::codegen::names::field_name;

/// The macro call for `item`, printed as a person would write it: one field a line.
pub(super) fn call(item: &StructItem) -> String {
    let extra = if item.extra { " (extra)" } else { "" };
    let mut out = format!("one_pass_deserialize! {{\n    {}{extra} {{\n", item.name);
    for field in &item.fields {
        let required = if field.required { " (required)" } else { "" };
        let name = field_name(field);
        writeln!(out, "        {name}: {:?}{required},", field.json).unwrap();
    }
    out.push_str("    }\n}\n");
    out
}
