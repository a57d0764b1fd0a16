//! Rust names from the spec's names.

use proc_macro2::Ident;
use quote::format_ident;

use super::model::Field;

/// A Rust name as an identifier for a token stream; `r#type` becomes a raw identifier.
pub(super) fn ident(name: &str) -> Ident {
    format_ident!("{}", name)
}

/// The Rust name of a model's field: its name (JSON key or `x-buzzin-field`) in snake case.
pub(super) fn field_name(field: &Field) -> String {
    snake(&field.name)
}

/// The Rust name of an enum value's variant: its name (`x-enum-varnames`, else the value) in
/// Pascal case.
pub(super) fn variant_name(name: &str) -> Ident {
    ident(&pascal(name))
}

/// `communitiesIds` → `communities_ids`, `_id` → `id`, `type` → `r#type`.
pub(super) fn snake(json: &str) -> String {
    let trimmed = json.trim_start_matches('_');
    let mut out = String::new();
    for (i, c) in trimmed.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    match out.as_str() {
        "type" | "ref" | "match" | "mod" | "use" | "fn" | "struct" | "enum" => format!("r#{out}"),
        _ => out,
    }
}

/// The spelling serde's `rename_all = "camelCase"` gives a Rust field name.
pub(super) fn camel(rust: &str) -> String {
    let rust = rust.trim_start_matches("r#");
    let mut out = String::new();
    let mut upper = false;
    for c in rust.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

pub(super) fn pascal(raw: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in raw.chars() {
        if !c.is_alphanumeric() {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

pub(super) fn screaming(id: &str) -> String {
    snake(id).to_ascii_uppercase()
}

/// The constant naming a query parameter: `$limit` → `LIMIT`, `createdAt[$gte]` →
/// `CREATED_AT_GTE`, `$sort[createdAt]` → `SORT_CREATED_AT`.
pub(super) fn query_const(json: &str) -> String {
    let words: Vec<String> = json
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(screaming)
        .collect();
    words.join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rust_conventions() {
        assert_eq!(snake("_id"), "id");
        assert_eq!(snake("communitiesIds"), "communities_ids");
        assert_eq!(snake("qrImageBase64"), "qr_image_base64");
        assert_eq!(snake("type"), "r#type");
        assert_eq!(camel("qr_image_base64"), "qrImageBase64");
        assert_eq!(camel("r#type"), "type");
        assert_eq!(pascal("entryEventCreated"), "EntryEventCreated");
        assert_eq!(query_const("$limit"), "LIMIT");
        assert_eq!(query_const("$sort[createdAt]"), "SORT_CREATED_AT");
        assert_eq!(query_const("createdAt[$gte]"), "CREATED_AT_GTE");
        assert_eq!(query_const("propertyId"), "PROPERTY_ID");
        assert_eq!(
            screaming("createExternalNfcVisit"),
            "CREATE_EXTERNAL_NFC_VISIT"
        );
    }
}
