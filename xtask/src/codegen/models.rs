//! Output kind: one Rust module of models per `x-buzzin-module`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_norway::Value;

use super::format::doc_comment;
use super::model::{ChoiceVariant, Field, Item, Module, StructItem, TaggedVariant, Use};
use super::names::camel;
use super::{Result, HEADER};

/// Renders one module of models: its title, its imports (from what its items use) and its
/// items.
pub(super) fn render_module(module: &Module) -> Result<String> {
    let mut body = String::new();
    for item in &module.items {
        match item {
            Item::Id { name, doc } => render_id(&mut body, name, doc),
            Item::OpenEnum {
                name,
                doc,
                integer,
                variants,
            } => render_open_enum(&mut body, name, doc, *integer, variants),
            Item::ClosedEnum {
                name,
                doc,
                variants,
            } => render_closed_enum(&mut body, name, doc, variants),
            Item::Tagged {
                name,
                doc,
                tag,
                variants,
            } => render_tagged(&mut body, name, doc, tag, variants),
            Item::Choice {
                name,
                doc,
                variants,
            } => render_choice(&mut body, name, doc, variants),
            Item::Struct(item) => {
                render_struct(&mut body, item);
                if item.one_pass() {
                    body.push_str(&super::deserialize::render(item)?);
                    body.push('\n');
                }
            }
        }
    }
    let own: BTreeSet<&str> = module.items.iter().map(Item::name).collect();
    let uses: BTreeSet<Use> = module.items.iter().flat_map(Item::uses).collect();
    Ok(format!(
        "{HEADER}//! {}\n\n{}\n{body}",
        module.title,
        imports(&uses, &own)
    ))
}

/// The `use` lines for what a module's items use, less the module's own items.
fn imports(uses: &BTreeSet<Use>, own: &BTreeSet<&str>) -> String {
    let mut out = String::new();
    if uses.contains(&Use::Fmt) {
        out.push_str("use std::fmt;\n\n");
    }
    let list = |names: Vec<&str>| names.join(", ");
    let serde: Vec<&str> = uses
        .iter()
        .filter_map(|u| match u {
            Use::Serde(name) => Some(*name),
            _ => None,
        })
        .collect();
    let datetime: Vec<&str> = uses
        .iter()
        .filter_map(|u| match u {
            Use::Date => Some("Date"),
            Use::Timestamp => Some("Timestamp"),
            _ => None,
        })
        .collect();
    let foreign: Vec<&str> = uses
        .iter()
        .filter_map(|u| match u {
            Use::Schema(name) if !own.contains(name.as_str()) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    if !foreign.is_empty() {
        writeln!(out, "use super::{{{}}};", list(foreign)).unwrap();
    }
    if !datetime.is_empty() {
        writeln!(out, "use crate::datetime::{{{}}};", list(datetime)).unwrap();
    }
    if uses.contains(&Use::TypedId) {
        out.push_str("use crate::id::typed_id;\n");
    }
    if !serde.is_empty() {
        writeln!(out, "use serde::{{{}}};", list(serde)).unwrap();
    }
    out
}

fn render_id(out: &mut String, name: &str, doc: &str) {
    out.push_str("typed_id! {\n");
    doc_comment(out, doc, "    ");
    writeln!(out, "    {name}\n}}\n").unwrap();
}

fn render_open_enum(
    out: &mut String,
    name: &str,
    doc: &str,
    integer: bool,
    variants: &[(String, Value, String)],
) {
    doc_comment(out, doc, "");
    out.push_str("///\n/// Open: a value this version of the SDK does not know parses into `Unknown` and is kept.\n");
    let copy = if integer { "Copy, " } else { "" };
    writeln!(
        out,
        "#[derive(Debug, Clone, {copy}PartialEq, Eq, Hash)]\n#[non_exhaustive]\npub enum {name} {{"
    )
    .unwrap();
    for (rust, _, raw) in variants {
        writeln!(out, "    /// `{raw}`.\n    {rust},").unwrap();
    }
    let raw_ty = if integer { "i64" } else { "String" };
    writeln!(out, "    /// A value this version of the SDK does not know, kept as sent.\n    Unknown({raw_ty}),\n}}\n").unwrap();
    if integer {
        writeln!(out, "impl {name} {{\n    /// The value as Buzz-In sends it.\n    pub fn code(&self) -> i64 {{\n        match self {{").unwrap();
        for (rust, _, raw) in variants {
            writeln!(out, "            Self::{rust} => {raw},").unwrap();
        }
        writeln!(
            out,
            "            Self::Unknown(code) => *code,\n        }}\n    }}\n}}\n"
        )
        .unwrap();
        writeln!(out, "impl From<i64> for {name} {{\n    fn from(code: i64) -> Self {{\n        match code {{").unwrap();
        for (rust, _, raw) in variants {
            writeln!(out, "            {raw} => Self::{rust},").unwrap();
        }
        writeln!(
            out,
            "            other => Self::Unknown(other),\n        }}\n    }}\n}}\n"
        )
        .unwrap();
        writeln!(out, "impl fmt::Display for {name} {{\n    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{\n        write!(f, \"{{}}\", self.code())\n    }}\n}}\n").unwrap();
        writeln!(out, "impl Serialize for {name} {{\n    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{\n        serializer.serialize_i64(self.code())\n    }}\n}}\n").unwrap();
        writeln!(out, "impl<'de> Deserialize<'de> for {name} {{\n    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{\n        i64::deserialize(deserializer).map(Self::from)\n    }}\n}}\n").unwrap();
    } else {
        writeln!(out, "impl {name} {{\n    /// The value as Buzz-In spells it.\n    pub fn as_str(&self) -> &str {{\n        match self {{").unwrap();
        for (rust, _, raw) in variants {
            writeln!(out, "            Self::{rust} => {raw:?},").unwrap();
        }
        writeln!(
            out,
            "            Self::Unknown(other) => other,\n        }}\n    }}\n}}\n"
        )
        .unwrap();
        writeln!(out, "impl From<&str> for {name} {{\n    fn from(value: &str) -> Self {{\n        match value {{").unwrap();
        for (rust, _, raw) in variants {
            writeln!(out, "            {raw:?} => Self::{rust},").unwrap();
        }
        writeln!(
            out,
            "            other => Self::Unknown(other.to_owned()),\n        }}\n    }}\n}}\n"
        )
        .unwrap();
        writeln!(out, "impl fmt::Display for {name} {{\n    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{\n        f.write_str(self.as_str())\n    }}\n}}\n").unwrap();
        writeln!(out, "impl Serialize for {name} {{\n    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{\n        serializer.serialize_str(self.as_str())\n    }}\n}}\n").unwrap();
        writeln!(out, "impl<'de> Deserialize<'de> for {name} {{\n    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{\n        crate::open_enum::deserialize_str(deserializer)\n    }}\n}}\n").unwrap();
    }
}

fn render_closed_enum(out: &mut String, name: &str, doc: &str, variants: &[(String, String)]) {
    doc_comment(out, doc, "");
    let default = if variants.len() == 1 { "Default, " } else { "" };
    writeln!(out, "#[derive(Debug, Clone, Copy, {default}PartialEq, Eq, Hash, Serialize, Deserialize)]\npub enum {name} {{").unwrap();
    for (rust, raw) in variants {
        if variants.len() == 1 {
            out.push_str("    #[default]\n");
        }
        writeln!(
            out,
            "    /// `{raw}`.\n    #[serde(rename = {raw:?})]\n    {rust},"
        )
        .unwrap();
    }
    out.push_str("}\n\n");
    writeln!(out, "impl {name} {{\n    /// The value as Buzz-In spells it.\n    pub fn as_str(&self) -> &'static str {{\n        match self {{").unwrap();
    for (rust, raw) in variants {
        writeln!(out, "            Self::{rust} => {raw:?},").unwrap();
    }
    out.push_str("        }\n    }\n}\n\n");
}

fn render_tagged(out: &mut String, name: &str, doc: &str, tag: &str, variants: &[TaggedVariant]) {
    doc_comment(out, doc, "");
    writeln!(out, "#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]\n#[serde(tag = {tag:?})]\npub enum {name} {{").unwrap();
    for variant in variants {
        doc_comment(out, &variant.doc, "    ");
        writeln!(out, "    #[serde(rename = {:?})]", variant.tag_value).unwrap();
        if variant.fields.is_empty() {
            writeln!(out, "    {},", variant.rust).unwrap();
        } else {
            writeln!(out, "    {} {{", variant.rust).unwrap();
            for field in &variant.fields {
                render_field(out, field, FieldIn::Variant);
            }
            out.push_str("    },\n");
        }
    }
    out.push_str("}\n\n");
}

fn render_choice(out: &mut String, name: &str, doc: &str, variants: &[ChoiceVariant]) {
    doc_comment(out, doc, "");
    out.push_str("///\n/// Serialized as exactly one of its variants' fields.\n");
    writeln!(
        out,
        "#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]\npub enum {name} {{"
    )
    .unwrap();
    for v in variants {
        let doc = format!("By `{}`: {}", v.key, v.doc);
        doc_comment(out, &doc, "    ");
        writeln!(
            out,
            "    #[serde(rename = {:?})]\n    {}({}),",
            v.key,
            v.rust,
            v.ty.rust()
        )
        .unwrap();
    }
    out.push_str("}\n\n");
}

/// Where a field is rendered: in a struct (public, `rename_all = "camelCase"` applies) or in a
/// tagged enum's variant (neither).
#[derive(Clone, Copy, PartialEq)]
enum FieldIn {
    Struct,
    Variant,
}

fn render_field(out: &mut String, field: &Field, place: FieldIn) {
    let indent = if place == FieldIn::Struct {
        "    "
    } else {
        "        "
    };
    doc_comment(out, &field.doc, indent);
    let mut attrs = Vec::new();
    if field.flatten {
        attrs.push("flatten".to_owned());
    } else {
        let serde_name = match place {
            FieldIn::Struct => camel(&field.rust),
            FieldIn::Variant => field.rust.trim_start_matches("r#").to_owned(),
        };
        if serde_name != field.json {
            attrs.push(format!("rename = {:?}", field.json));
        }
        if !field.required {
            attrs.push("default, skip_serializing_if = \"Option::is_none\"".into());
        }
    }
    if !attrs.is_empty() {
        writeln!(out, "{indent}#[serde({})]", attrs.join(", ")).unwrap();
    }
    let ty = if field.required {
        field.ty.rust()
    } else {
        format!("Option<{}>", field.ty.rust())
    };
    let public = if place == FieldIn::Struct { "pub " } else { "" };
    writeln!(out, "{indent}{public}{}: {ty},", field.rust).unwrap();
}

fn render_struct(out: &mut String, item: &StructItem) {
    let StructItem {
        name,
        doc,
        server_owned,
        fields,
        extra,
    } = item;
    doc_comment(out, doc, "");
    let secret = item.redacted();
    let debug = if secret { "" } else { "Debug, " };
    // A one-pass struct's `Deserialize` is written out below the struct.
    let deserialize = if item.one_pass() { "" } else { ", Deserialize" };
    if *server_owned {
        out.push_str("///\n/// Fields Buzz-In adds later are kept in `extra`.\n");
        writeln!(out, "#[derive({debug}Clone, Default, PartialEq, Serialize{deserialize})]\n#[serde(rename_all = \"camelCase\")]\n#[non_exhaustive]").unwrap();
    } else {
        let all_optional = fields.iter().all(|f| !f.required || f.constant);
        let default = if all_optional { "Default, " } else { "" };
        writeln!(out, "#[derive({debug}Clone, {default}PartialEq, Serialize{deserialize})]\n#[serde(rename_all = \"camelCase\")]").unwrap();
    }
    writeln!(out, "pub struct {name} {{").unwrap();
    for field in fields {
        render_field(out, field, FieldIn::Struct);
    }
    if *extra {
        out.push_str("    /// Fields not described above, kept as sent (and sent as given).\n    #[serde(flatten)]\n    pub extra: serde_json::Map<String, serde_json::Value>,\n");
    }
    out.push_str("}\n\n");

    let required: Vec<&Field> = fields
        .iter()
        .filter(|f| f.required && !f.constant)
        .collect();
    if !server_owned && !required.is_empty() {
        writeln!(out, "impl {name} {{").unwrap();
        let optional = fields.iter().any(|f| !f.required);
        let what = if !optional && !extra {
            "from its fields".to_owned()
        } else {
            format!(
                "from its required fields; the optional ones start empty{}",
                if *extra {
                    " and `extra` starts empty"
                } else {
                    ""
                }
            )
        };
        doc_comment(out, &format!("Builds the value {what}."), "    ");
        let params: Vec<String> = required
            .iter()
            .map(|f| format!("{}: impl Into<{}>", f.rust, f.ty.rust()))
            .collect();
        writeln!(
            out,
            "    pub fn new({}) -> Self {{\n        Self {{",
            params.join(", ")
        )
        .unwrap();
        for field in fields {
            if field.constant {
                writeln!(out, "            {}: Default::default(),", field.rust).unwrap();
            } else if field.required {
                writeln!(out, "            {}: {}.into(),", field.rust, field.rust).unwrap();
            } else {
                writeln!(out, "            {}: None,", field.rust).unwrap();
            }
        }
        if *extra {
            out.push_str("            extra: serde_json::Map::new(),\n");
        }
        out.push_str("        }\n    }\n}\n\n");
    }

    if secret {
        writeln!(out, "impl fmt::Debug for {name} {{\n    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{\n        f.debug_struct({name:?})").unwrap();
        for field in fields {
            if field.secret {
                writeln!(out, "            .field({:?}, &\"[redacted]\")", field.rust).unwrap();
            } else {
                writeln!(
                    out,
                    "            .field({:?}, &self.{})",
                    field.rust, field.rust
                )
                .unwrap();
            }
        }
        if *extra {
            out.push_str("            .field(\"extra\", &self.extra)\n");
        }
        out.push_str("            .finish()\n    }\n}\n\n");
    }
}
