//! Output kind: `operations.rs`, the table of the spec's operations, and the names of each
//! operation's query parameters, which the client and the simulator both use. The client's
//! table fills in the client's own types (`crate::client::operation`: method, path, retry
//! class); the simulator's copy (`buzzin-sim/src/generated/`) defines the little it needs (the
//! operation id, method and path) in the file itself.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_norway::Value;

use super::format::{doc_lines, unparse};
use super::names::{query_const, screaming};
use super::spec::{flag, get, get_str};
use super::{Result, HEADER};

/// The file `operations.rs`, before rustfmt.
pub(super) fn render(spec: &Value) -> Result<String> {
    let paths = get(spec, "paths")
        .and_then(Value::as_mapping)
        .ok_or("the spec has no paths")?;
    let mut items = Vec::new();
    let mut ids = Vec::new();
    for (path, item) in paths {
        let path = path.as_str().ok_or("paths are strings")?;
        for (method, op) in item.as_mapping().ok_or("a path item is a mapping")? {
            let method = method.as_str().unwrap_or_default();
            if method == "parameters" {
                continue;
            }
            items.push(operation(path, method, op)?);
            ids.push(get_str(op, "operationId").unwrap_or_default());
            if let Some(names) = query_names(op)? {
                items.push(names);
            }
        }
    }
    let ids: Vec<_> = ids
        .iter()
        .map(|id| format_ident!("{}", screaming(id)))
        .collect();
    let imports = quote! {
        use crate::operations::{HttpMethod, Operation, RetryClass, SdkCall};
    };
    let all = quote! {
        /// Every operation of the spec, in the spec's order.
        pub const ALL: &[Operation] = &[#(#ids),*];
    };
    Ok(format!(
        "{HEADER}//! Every operation of the spec: its method, path and retry class (`x-buzzin-retry`),\n//! and the names of its query parameters.\n\n{}",
        unparse(std::iter::once(imports).chain(items).chain([all]))?
    ))
}

fn retry_class(value: &str) -> Result<TokenStream> {
    Ok(match value {
        "safe" => quote!(RetryClass::Safe),
        "dedup" => quote!(RetryClass::Dedup),
        "never" => quote!(RetryClass::Never),
        other => return Err(format!("unknown x-buzzin-retry {other}")),
    })
}

/// `/// summary` and the `Operation` constant of one operation.
fn operation(path: &str, method: &str, op: &Value) -> Result<TokenStream> {
    let variant = match method {
        "get" => quote!(HttpMethod::Get),
        "post" => quote!(HttpMethod::Post),
        "patch" => quote!(HttpMethod::Patch),
        other => return Err(format!("unsupported method {other}")),
    };
    let id =
        get_str(op, "operationId").ok_or_else(|| format!("{method} {path}: no operationId"))?;
    let retry = retry_class(
        get_str(op, "x-buzzin-retry").ok_or_else(|| format!("{id}: no x-buzzin-retry"))?,
    )?;
    let mut overrides = Vec::new();
    if let Some(map) = get(op, "x-buzzin-retry-by-action").and_then(Value::as_mapping) {
        for (action, value) in map {
            let action = action.as_str().ok_or("actions are strings")?;
            let class = retry_class(value.as_str().unwrap_or_default())?;
            overrides.push(quote!((#action, #class)));
        }
    }
    let summary = get_str(op, "summary").unwrap_or(id);
    let mut doc = format!("{summary}: `{} {path}` (`{id}`).", method.to_uppercase());
    if flag(op, "x-buzzin-assumed") {
        doc.push_str(" Assumed: its documentation page is not available.");
    }
    if let Some(security) = get_str(op, "x-buzzin-assumed-security") {
        if !security.starts_with("Assumed:") {
            return Err(format!(
                "{id}: x-buzzin-assumed-security must say what is assumed"
            ));
        }
        doc.push(' ');
        doc.push_str(security.trim());
    }
    // An empty security requirement (`security: [{}, …]`) lets the call go without the key.
    let key_optional = get(op, "security")
        .and_then(Value::as_sequence)
        .is_some_and(|reqs| {
            reqs.iter()
                .any(|r| r.as_mapping().is_some_and(|m| m.is_empty()))
        });
    let name = format_ident!("{}", screaming(id));
    let doc = doc_lines(&doc, 0);
    let span_name = format!("{} {path}", method.to_uppercase());
    let mut calls = Vec::new();
    if let Some(name) = get_str(op, "x-buzzin-sdk-call") {
        calls.push(quote!(SdkCall { action: None, name: #name }));
    }
    if let Some(map) = get(op, "x-buzzin-sdk-call-by-action").and_then(Value::as_mapping) {
        for (action, name) in map {
            let action = action.as_str().ok_or("actions are strings")?;
            let name = name.as_str().ok_or("call names are strings")?;
            calls.push(quote!(SdkCall { action: Some(#action), name: #name }));
        }
    }
    if calls.is_empty() {
        return Err(format!("{id}: no x-buzzin-sdk-call"));
    }
    let query: Vec<&str> = get(op, "parameters")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter(|p| get_str(p, "in") == Some("query"))
        .filter_map(|p| get_str(p, "name"))
        .collect();
    Ok(quote! {
        #(#[doc = #doc])*
        pub const #name: Operation = Operation {
            id: #id,
            span_name: #span_name,
            method: #variant,
            path: #path,
            retry: #retry,
            retry_by_action: &[#(#overrides),*],
            key_optional: #key_optional,
            calls: &[#(#calls),*],
            query: &[#(#query),*],
        };
    })
}

/// A module named after the operation with one constant per query parameter, when it has any.
fn query_names(op: &Value) -> Result<Option<TokenStream>> {
    let id = get_str(op, "operationId").unwrap_or_default();
    let params = get(op, "parameters")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter(|p| get_str(p, "in") == Some("query"));
    let mut consts = Vec::new();
    for param in params {
        let json =
            get_str(param, "name").ok_or_else(|| format!("{id}: a parameter has no name"))?;
        let doc = match get_str(param, "description") {
            Some(text) => format!("`{json}`: {}", text.trim()),
            None => format!("`{json}`."),
        };
        let doc = doc_lines(&doc, 4);
        let name = format_ident!("{}", query_const(json));
        consts.push(quote! {
            #(#[doc = #doc])*
            pub const #name: &str = #json;
        });
    }
    if consts.is_empty() {
        return Ok(None);
    }
    let module = format_ident!("{}", screaming(id).to_ascii_lowercase());
    let doc = format!(" The query parameters of `{id}`, as the spec spells them.");
    Ok(Some(quote! {
        #[doc = #doc]
        pub mod #module {
            #(#consts)*
        }
    }))
}
