//! The events' part of the model: one event per entry of the spec's `webhooks`.
//!
//! Each is named by `WebhookEventName`'s `x-enum-varnames` and holds the schema of its `data`.

use crate::codegen::spec::Spec;
use crate::codegen::Result;

/// The webhook events.
pub(in crate::codegen) struct Events {
    /// The doc of the `Event` enum (`x-buzzin-events`).
    pub(in crate::codegen) doc: String,
    /// Every event, in the spec's order.
    pub(in crate::codegen) events: Vec<EventDef>,
    /// The schemas of the events' data, in the order of their first event.
    pub(in crate::codegen) data_types: Vec<DataType>,
}

/// One event of the spec's `webhooks`.
pub(in crate::codegen) struct EventDef {
    /// The name Buzz-In sends, such as `passes.permits.issued`.
    pub(in crate::codegen) name: String,
    /// The variant's name (`x-enum-varnames`).
    pub(in crate::codegen) variant: String,
    /// The schema of its `data`.
    pub(in crate::codegen) data: String,
    /// The summary of its delivery.
    pub(in crate::codegen) summary: String,
}

/// The schema of some events' data, and the name of the method that returns it.
pub(in crate::codegen) struct DataType {
    pub(in crate::codegen) schema: String,
    /// `x-buzzin-event-accessor`.
    pub(in crate::codegen) accessor: String,
}

pub(super) fn read(spec: &Spec) -> Result<Events> {
    let schemas = &spec.components.schemas;
    let names = schemas
        .get("WebhookEventName")
        .ok_or("the spec has no WebhookEventName schema")?;
    let known: Vec<&str> = names
        .extensible_enum
        .iter()
        .flatten()
        .filter_map(|name| name.as_str())
        .collect();
    let variants = &names.enum_varnames;
    let mut events = Vec::new();
    for (name, webhook) in &spec.webhooks {
        let at = known
            .iter()
            .position(|k| k == name)
            .ok_or_else(|| format!("webhook {name} is not in WebhookEventName"))?;
        let variant = variants
            .get(at)
            .ok_or_else(|| format!("WebhookEventName has no x-enum-varnames entry for {name}"))?;
        // The body is `allOf: [envelope, {properties: {event, data: $ref}}]`.
        let data = webhook
            .post
            .request_body
            .json_schema()
            .and_then(|s| s.all_of.as_ref())
            .into_iter()
            .flatten()
            .find_map(|member| member.properties.as_ref()?.get("data"))
            .and_then(|data| data.ref_name())
            .ok_or_else(|| format!("webhook {name}: its body's data is no $ref"))?;
        events.push(EventDef {
            name: name.clone(),
            variant: variant.clone(),
            data: data.to_owned(),
            summary: webhook.post.summary.trim().to_owned(),
        });
    }
    if events.len() != known.len() {
        return Err("WebhookEventName lists an event that webhooks does not describe".into());
    }
    let mut data_types: Vec<DataType> = Vec::new();
    for event in &events {
        if data_types.iter().any(|d| d.schema == event.data) {
            continue;
        }
        let schema = schemas
            .get(&event.data)
            .ok_or_else(|| format!("unknown schema {}", event.data))?;
        let accessor = schema.event_accessor.as_deref().ok_or_else(|| {
            format!(
                "{} is the data of an event but has no x-buzzin-event-accessor",
                event.data
            )
        })?;
        data_types.push(DataType {
            schema: event.data.clone(),
            accessor: accessor.to_owned(),
        });
    }
    Ok(Events {
        doc: spec.events.description.clone(),
        events,
        data_types,
    })
}
