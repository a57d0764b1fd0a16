//! Output kind: `redacted.rs`, the names of the fields a simulator's cassette never holds.

use quote::quote;

use crate::codegen::format::unparse;
use crate::codegen::model::Model;
use crate::codegen::{Result, HEADER};

/// The model's redacted field names, sorted, as a Rust constant.
pub(in crate::codegen) fn render(model: &Model) -> Result<String> {
    let names = model.redacted.iter();
    let count = proc_macro2::Literal::usize_unsuffixed(model.redacted.len());
    let item = quote! {
        /// The marked fields' names, sorted.
        pub(crate) const FIELDS: [&str; #count] = [#(#names),*];
    };
    Ok(format!(
        "{HEADER}//! The fields whose values a cassette never holds: every property of the spec marked\n\
         //! `x-buzzin-secret`, `x-buzzin-personal-data` or `x-buzzin-personal`, by name.\n\n{}",
        unparse([item])?
    ))
}
