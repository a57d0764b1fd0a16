//! The one model every renderer reads: models by module, operations and webhook events.
//!
//! Each is checked and named as the generated code needs it.
//!
//! Nothing here spells Rust: types are [`Ty`]s, names are the spec's (the renderers derive the
//! Rust ones), and docs are the spec's text.

mod events;
mod items;
mod operations;

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;

use super::schema::Schema;
use super::spec::Spec;
use super::Result;

pub(super) use events::{EventDef, Events};
pub(super) use items::{
    ChoiceVariant, Field, Item, Module, NonEmpty, StructItem, TaggedVariant, Ty, ValueName,
};
pub(super) use operations::OperationDef;

/// The spec, read.
pub(super) struct Model {
    /// Each generated module of models (`x-buzzin-module`), by name.
    pub(super) modules: BTreeMap<String, Module>,
    /// Every operation, in the spec's order.
    pub(super) operations: Vec<OperationDef>,
    /// The webhook events.
    pub(super) events: Events,
    /// The name of every property the spec marks secret or personal, anywhere.
    pub(super) redacted: BTreeSet<String>,
    /// The models an operation sends as its request body (the `$ref` of the body's schema).
    pub(super) request_models: BTreeSet<String>,
    /// The JSON schema of each operation's request body, by operation id.
    pub(super) request_bodies: IndexMap<String, Schema>,
    /// The component schemas, as the spec has them.
    pub(super) schemas: IndexMap<String, Schema>,
}

impl Model {
    pub(super) fn read(spec: &Spec) -> Result<Self> {
        let schemas = &spec.components.schemas;
        let reader = items::Schemas::new(schemas);
        let mut modules = BTreeMap::new();
        for (name, schema) in schemas {
            let module = schema
                .module
                .as_deref()
                .ok_or_else(|| format!("schema {name} has no x-buzzin-module"))?;
            let title = spec
                .modules
                .get(module)
                .ok_or_else(|| format!("x-buzzin-modules has no title for {module}"))?;
            let item = reader
                .item(name, schema)
                .map_err(|e| format!("schema {name}: {e}"))?;
            modules
                .entry(module.to_owned())
                .or_insert_with(|| Module {
                    title: title.trim().to_owned(),
                    items: Vec::new(),
                })
                .items
                .push(item);
        }
        if let Some(unused) = spec.modules.keys().find(|m| !modules.contains_key(*m)) {
            return Err(format!(
                "x-buzzin-modules names {unused}, which no schema is in"
            ));
        }
        let mut request_bodies = IndexMap::new();
        for (_, item) in &spec.paths {
            for (_, op) in item.operations() {
                if let Some(schema) = op.request_body.as_ref().and_then(|b| b.json_schema()) {
                    request_bodies.insert(op.operation_id.clone(), schema.clone());
                }
            }
        }
        let request_models = request_bodies
            .values()
            .filter_map(|schema| schema.ref_name().map(str::to_owned))
            .collect();
        Ok(Model {
            modules,
            request_models,
            operations: operations::read(spec)?,
            events: events::read(spec)?,
            redacted: redacted(spec)?,
            request_bodies,
            schemas: schemas.clone(),
        })
    }
}

/// The name of every property, in any schema of the spec, marked `x-buzzin-secret`,
/// `x-buzzin-personal-data` or `x-buzzin-personal`.
fn redacted(spec: &Spec) -> Result<BTreeSet<String>> {
    fn walk(schema: &Schema, found: &mut BTreeSet<String>) {
        for (name, property) in schema.properties.iter().flatten() {
            if property.secret || property.personal_data || property.personal {
                found.insert(name.clone());
            }
            walk(property, found);
        }
        let members = schema.one_of.iter().chain(&schema.all_of).flatten();
        members
            .chain(schema.items.as_deref())
            .for_each(|s| walk(s, found));
    }
    let mut found = BTreeSet::new();
    spec.components
        .schemas
        .values()
        .for_each(|schema| walk(schema, &mut found));
    for (_, item) in &spec.paths {
        for (_, op) in item.operations() {
            if let Some(schema) = op.request_body.as_ref().and_then(|b| b.json_schema()) {
                walk(schema, &mut found);
            }
        }
    }
    if found.is_empty() {
        return Err("no field of the spec is marked secret or personal".to_owned());
    }
    Ok(found)
}
