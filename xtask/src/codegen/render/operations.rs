//! Output kind: `operations.rs`, the table of the spec's operations.
//!
//! One `Operation` constant each, `ALL`, and the names of each operation's query parameters,
//! in the types of the hand-written `crate::operations`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::codegen::format::{doc_lines, unparse};
use crate::codegen::model::OperationDef;
use crate::codegen::names::{query_const, screaming};
use crate::codegen::spec::Retry;
use crate::codegen::{Result, HEADER};

/// The file `operations.rs`, before rustfmt.
pub(in crate::codegen) fn render(operations: &[OperationDef]) -> Result<String> {
    let imports = quote! {
        use crate::operations::types::{HttpMethod, Operation, RetryClass, SdkCall};
    };
    let mut items = vec![imports];
    for op in operations {
        items.push(operation(op)?);
        items.extend(query_names(op));
    }
    let all = operations
        .iter()
        .map(|op| format_ident!("{}", screaming(&op.id)));
    items.push(quote! {
        /// Every operation of the spec, in the spec's order.
        pub const ALL: &[Operation] = &[#(#all),*];
    });
    Ok(format!(
        "{HEADER}//! Every operation of the spec: its method, path, retry class (`x-buzzin-retry`) and\n//! SDK calls, and the names of its query parameters.\n\n{}",
        unparse(items)?
    ))
}

fn retry_class(retry: Retry) -> TokenStream {
    match retry {
        Retry::Safe => quote!(RetryClass::Safe),
        Retry::Dedup => quote!(RetryClass::Dedup),
        Retry::Never => quote!(RetryClass::Never),
    }
}

/// `/// summary` and the `Operation` constant of one operation.
fn operation(op: &OperationDef) -> Result<TokenStream> {
    let method = match op.method {
        "get" => quote!(HttpMethod::Get),
        "post" => quote!(HttpMethod::Post),
        "patch" => quote!(HttpMethod::Patch),
        other => return Err(format!("unsupported method {other}")),
    };
    let (id, path) = (&op.id, &op.path);
    let upper = op.method.to_uppercase();
    let mut doc = format!("{}: `{upper} {path}` (`{id}`).", op.summary);
    for assumed in &op.assumed {
        doc.push(' ');
        doc.push_str(assumed);
    }
    let doc = doc_lines(&doc, 0);
    let span_name = format!("{upper} {path}");
    let retry = retry_class(op.retry);
    let overrides = op.retry_by_action.iter().map(|(action, retry)| {
        let class = retry_class(*retry);
        quote!((#action, #class))
    });
    let calls = op.calls.iter().map(|call| {
        let name = &call.name;
        let action = match &call.action {
            Some(action) => quote!(Some(#action)),
            None => quote!(None),
        };
        quote!(SdkCall { action: #action, name: #name })
    });
    let key_optional = op.key_optional;
    let query = op.query.iter().map(|q| &q.name);
    let name = format_ident!("{}", screaming(id));
    Ok(quote! {
        #(#[doc = #doc])*
        pub const #name: Operation = Operation {
            id: #id,
            span_name: #span_name,
            method: #method,
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
fn query_names(op: &OperationDef) -> Option<TokenStream> {
    if op.query.is_empty() {
        return None;
    }
    let consts = op.query.iter().map(|param| {
        let json = &param.name;
        let doc = match &param.doc {
            Some(text) => format!("`{json}`: {text}"),
            None => format!("`{json}`."),
        };
        let doc = doc_lines(&doc, 4);
        let name = format_ident!("{}", query_const(json));
        quote! {
            #(#[doc = #doc])*
            pub const #name: &str = #json;
        }
    });
    let module = format_ident!("{}", screaming(&op.id).to_ascii_lowercase());
    let doc = format!(
        " The query parameters of `{}`, as the spec spells them.",
        op.id
    );
    Some(quote! {
        #[doc = #doc]
        pub mod #module {
            #(#consts)*
        }
    })
}
