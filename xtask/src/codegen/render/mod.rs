//! The renderers: each reads the [`Model`] and writes one kind of output file.
//!
//! They spell Rust as token streams (`quote!`) that [`format`](crate::codegen::format) prints.

mod deserialize;
mod events;
mod models;
mod open_enums;
mod operations;
mod redacted;
mod request_schemas;
mod validate;

use std::collections::BTreeMap;

use proc_macro2::Ident;
use quote::quote;

use super::format::{format_rust, unparse};
use super::model::Model;
use super::names::ident;
use super::Result;

/// The SDK's files (`src/models/generated/`): file name → formatted Rust source.
pub(super) fn sdk(model: &Model) -> Result<BTreeMap<String, String>> {
    let index = validate::Index {
        items: model
            .modules
            .values()
            .flat_map(|module| &module.items)
            .map(|item| (item.name(), item))
            .collect(),
        requests: &model.request_models,
    };
    let mut files = BTreeMap::new();
    for (name, module) in &model.modules {
        files.insert(
            format!("{name}.rs"),
            format_rust(&models::render_module(module, &index)?)?,
        );
    }
    files.insert("mod.rs".into(), format_rust(&module_index(model)?)?);
    files.insert(
        "events.rs".into(),
        format_rust(&events::render(&model.events)?)?,
    );
    files.insert(
        "operations.rs".into(),
        format_rust(&operations::render(&model.operations)?)?,
    );
    Ok(files)
}

/// The simulator's files (`buzzin-sim/src/generated/`): file name → text.
pub(super) fn simulator(model: &Model) -> Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    files.insert(
        "request_schemas.json".into(),
        request_schemas::render(model)?,
    );
    files.insert(
        "redacted.rs".into(),
        format_rust(&redacted::render(model)?)?,
    );
    Ok(files)
}

/// `mod.rs`: the modules of models, re-exported, then the events and the operations table.
fn module_index(model: &Model) -> Result<String> {
    let modules: Vec<Ident> = model.modules.keys().map(|name| ident(name)).collect();
    let declarations = quote! {
        #(mod #modules;)*
        pub(crate) mod events;
        pub(crate) mod operations;
    };
    let exports = quote! { #(pub use #modules::*;)* };
    Ok(format!(
        "//! Code generated from `openapi/buzzin.yaml` by `cargo xtask codegen`. Do not edit by hand.\n\n{}",
        unparse([declarations, exports])?
    ))
}
