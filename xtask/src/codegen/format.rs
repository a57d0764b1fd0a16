//! Formatting generated source.
//!
//! Token streams are printed by prettyplease, rustfmt runs over each file, and doc comments are
//! wrapped at 96 columns.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use proc_macro2::TokenStream;
use quote::quote;

use super::Result;

pub(super) fn format_rust(source: &str) -> Result<String> {
    let mut child = Command::new("rustfmt")
        .args([
            "--edition",
            "2024",
            "--style-edition",
            "2021",
            "--emit",
            "stdout",
            "--quiet",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt (rustup component add rustfmt): {e}"))?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(source.as_bytes())
        .map_err(|e| e.to_string())?;
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt rejected the generated code: {}\n{source}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| e.to_string())
}

/// The lines of a doc comment that starts `indent` columns in, each as it follows `///` (with
/// its leading space; `#[doc = line]` in a token stream): list items and their indentation
/// kept, prose wrapped at word boundaries to 96 columns.
pub(super) fn doc_lines(doc: &str, indent: usize) -> Vec<String> {
    const WIDTH: usize = 96;
    let mut out = Vec::new();
    for line in doc.trim().lines() {
        if line.trim().is_empty() {
            out.push(String::new());
            continue;
        }
        let lead = &line[..line.len() - line.trim_start().len()];
        let mut current = String::new();
        for word in line.split_whitespace() {
            if !current.is_empty() && indent + lead.len() + current.len() + word.len() + 5 > WIDTH {
                out.push(format!(" {lead}{current}"));
                current.clear();
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push(format!(" {lead}{current}"));
    }
    out
}

/// `doc` as `#[doc]` attributes (`///` lines once printed) at `indent` columns.
pub(super) fn doc_attrs(doc: &str, indent: usize) -> TokenStream {
    let lines = doc_lines(doc, indent);
    quote! { #(#[doc = #lines])* }
}

/// Prints token streams of items as formatted Rust (prettyplease, but see [`unparse_call`];
/// rustfmt runs over the whole file afterwards), a blank line between two items.
pub(super) fn unparse(items: impl IntoIterator<Item = TokenStream>) -> Result<String> {
    let mut out = String::new();
    for tokens in items {
        let file: syn::File = syn::parse2(tokens).map_err(|e| format!("generated tokens: {e}"))?;
        if !out.is_empty() {
            out.push('\n');
        }
        match file.items.as_slice() {
            [syn::Item::Macro(item)] if item.ident.is_none() => match unparse_call(item) {
                Some(call) => out.push_str(&call),
                None => out.push_str(&prettyplease::unparse(&file)),
            },
            _ => out.push_str(&prettyplease::unparse(&file)),
        }
    }
    Ok(out)
}

/// Prints a macro call of doc attributes and a name, `typed_id! { #[doc = …]… Name }`, with the
/// docs as `///` lines (prettyplease prints a macro's tokens as they are); `None` for any other
/// call.
fn unparse_call(item: &syn::ItemMacro) -> Option<String> {
    let (attrs, name) = item
        .mac
        .parse_body_with(|input: syn::parse::ParseStream| {
            Ok((
                input.call(syn::Attribute::parse_outer)?,
                input.parse::<syn::Ident>()?,
            ))
        })
        .ok()?;
    let braces = matches!(item.mac.delimiter, syn::MacroDelimiter::Brace(_));
    let path = item.mac.path.get_ident().filter(|_| braces)?;
    let mut out = format!("{path}! {{\n");
    for attr in &attrs {
        let doc = doc_value(attr).filter(|doc| !doc.contains('\n'))?;
        writeln!(out, "    ///{doc}").unwrap();
    }
    writeln!(out, "    {name}\n}}").unwrap();
    Some(out)
}

/// The text of `#[doc = "…"]`.
fn doc_value(attr: &syn::Attribute) -> Option<String> {
    match &attr.meta {
        syn::Meta::NameValue(meta) if meta.path.is_ident("doc") => match &meta.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) => Some(text.value()),
            _ => None,
        },
        _ => None,
    }
}
