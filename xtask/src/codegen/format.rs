//! Formatting generated source: rustfmt over a file, doc comments wrapped at 96 columns.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use super::Result;

pub(super) fn format_rust(source: &str) -> Result<String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
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

/// Writes `doc` as `///` lines at `indent`.
pub(super) fn doc_comment(out: &mut String, doc: &str, indent: &str) {
    for line in doc_lines(doc, indent.len()) {
        writeln!(out, "{indent}///{line}").unwrap();
    }
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

/// Prints token streams of items as formatted Rust (prettyplease; rustfmt runs over the whole
/// file afterwards), a blank line between two items.
pub(super) fn unparse(items: impl IntoIterator<Item = proc_macro2::TokenStream>) -> Result<String> {
    let mut out = String::new();
    for tokens in items {
        let file: syn::File = syn::parse2(tokens).map_err(|e| format!("generated tokens: {e}"))?;
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&prettyplease::unparse(&file));
    }
    Ok(out)
}
