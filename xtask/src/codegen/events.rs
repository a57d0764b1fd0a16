//! Output kind: `events.rs`, the `Event` enum of the spec's `webhooks`: one variant per event
//! (named by `WebhookEventName`'s `x-enum-varnames`, holding the schema of its `data`), the
//! mapping between variants and names, and the dispatch of a delivery's `data` by name.

use quote::{format_ident, quote};
use serde_norway::Value;

use super::format::{doc_lines, unparse};
use super::spec::{get, get_str, ref_name, strings};
use super::{Result, HEADER};

/// One event of the spec's `webhooks`.
struct EventDef {
    /// The name Buzz-In sends, such as `passes.permits.issued`.
    name: String,
    /// The Rust variant.
    variant: String,
    /// The schema of its `data`.
    data: String,
    /// The summary of its delivery.
    doc: String,
}

/// Reads the events from the spec: every entry of `webhooks`, in spec order.
fn read(spec: &Value) -> Result<Vec<EventDef>> {
    let schemas = get(spec, "components").and_then(|c| get(c, "schemas"));
    let names = schemas
        .and_then(|s| get(s, "WebhookEventName"))
        .ok_or("the spec has no WebhookEventName schema")?;
    let known = strings(get(names, "x-extensible-enum"));
    let variants = strings(get(names, "x-enum-varnames"));
    let webhooks = get(spec, "webhooks")
        .and_then(Value::as_mapping)
        .ok_or("the spec has no webhooks")?;
    let mut events = Vec::new();
    for (name, item) in webhooks {
        let name = name.as_str().ok_or("webhook names are strings")?;
        let post = get(item, "post").ok_or_else(|| format!("webhook {name}: no post"))?;
        let at = known
            .iter()
            .position(|k| k == name)
            .ok_or_else(|| format!("webhook {name} is not in WebhookEventName"))?;
        let variant = variants
            .get(at)
            .ok_or_else(|| format!("WebhookEventName has no x-enum-varnames entry for {name}"))?;
        let data = get(post, "requestBody")
            .and_then(|b| get(b, "content"))
            .and_then(|c| get(c, "application/json"))
            .and_then(|j| get(j, "schema"))
            .and_then(|s| get(s, "allOf"))
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .find_map(|member| get(member, "properties").and_then(|p| get(p, "data")))
            .and_then(ref_name)
            .ok_or_else(|| format!("webhook {name}: its body's data is no $ref"))?;
        let summary = get_str(post, "summary")
            .ok_or_else(|| format!("webhook {name}: no summary"))?
            .trim();
        events.push(EventDef {
            name: name.into(),
            variant: variant.clone(),
            data: data.into(),
            doc: format!("`{name}`: {summary}"),
        });
    }
    if events.len() != known.len() {
        return Err("WebhookEventName lists an event that webhooks does not describe".into());
    }
    Ok(events)
}

/// The file `events.rs`, before rustfmt.
pub(super) fn render(spec: &Value) -> Result<String> {
    let events = read(spec)?;
    let schemas = get(spec, "components")
        .and_then(|c| get(c, "schemas"))
        .ok_or("the spec has no components.schemas")?;
    let enum_doc = get(spec, "x-buzzin-events")
        .and_then(|e| get_str(e, "description"))
        .ok_or("the spec has no x-buzzin-events.description")?;
    let enum_doc = doc_lines(enum_doc, 0);

    // The data types, in the order of their first event.
    let mut data_types: Vec<&str> = Vec::new();
    for event in &events {
        if !data_types.contains(&event.data.as_str()) {
            data_types.push(&event.data);
        }
    }
    let data_idents: Vec<_> = data_types.iter().map(|d| format_ident!("{d}")).collect();

    let variant = |e: &EventDef| format_ident!("{}", e.variant);
    let variants: Vec<_> = events.iter().map(variant).collect();
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    let data: Vec<_> = events.iter().map(|e| format_ident!("{}", e.data)).collect();
    let docs: Vec<Vec<String>> = events.iter().map(|e| doc_lines(&e.doc, 4)).collect();

    let definition = quote! {
        #(#[doc = #enum_doc])*
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum Event {
            #(
                #(#[doc = #docs])*
                #variants(#data),
            )*
            /// An event this version of the SDK does not know.
            Unknown {
                /// The event's name as sent.
                name: String,
                /// The event's `data`, exactly as sent (parse it with
                /// `serde_json::from_str(data.get())`).
                data: Box<RawValue>,
            },
        }
    };

    let mut accessors = Vec::new();
    for data_type in &data_types {
        let schema =
            get(schemas, data_type).ok_or_else(|| format!("unknown schema {data_type}"))?;
        let method = get_str(schema, "x-buzzin-event-accessor").ok_or_else(|| {
            format!("{data_type} is the data of an event but has no x-buzzin-event-accessor")
        })?;
        let method = format_ident!("{method}");
        let carrying: Vec<_> = events.iter().filter(|e| e.data == *data_type).collect();
        let list = carrying
            .iter()
            .map(|e| format!("`{}`", e.name))
            .collect::<Vec<_>>()
            .join(", ");
        let doc = doc_lines(
            &format!("The data of the events that carry a [`{data_type}`] ({list}); `None` for other events."),
            4,
        );
        let ty = format_ident!("{data_type}");
        let arms = carrying.iter().map(|e| variant(e));
        accessors.push(quote! {
            #(#[doc = #doc])*
            pub fn #method(&self) -> Option<&#ty> {
                match self {
                    #(Self::#arms(data))|* => Some(data),
                    _ => None,
                }
            }
        });
    }

    let methods = quote! {
        impl Event {
            /// The event's name as Buzz-In spells it, such as `passes.permits.issued`.
            pub fn name(&self) -> &str {
                match self {
                    #(Self::#variants(_) => #names,)*
                    Self::Unknown { name, .. } => name,
                }
            }

            /// The event's name as a [`WebhookEventName`].
            pub fn event_name(&self) -> WebhookEventName {
                match self {
                    #(Self::#variants(_) => WebhookEventName::#variants,)*
                    Self::Unknown { name, .. } => WebhookEventName::Unknown(name.clone()),
                }
            }

            #(#accessors)*

            /// Deserializes a delivery's `data` into the variant its event `name` calls for: an
            /// event this version does not know keeps its data as sent.
            pub(crate) fn deserialize_data<'de, D: Deserializer<'de>>(
                name: &str,
                data: D,
            ) -> Result<Self, D::Error> {
                match name {
                    #(#names => #data::deserialize(data).map(Self::#variants),)*
                    _ => Box::<RawValue>::deserialize(data).map(|data| Self::Unknown {
                        name: name.to_owned(),
                        data,
                    }),
                }
            }

            /// Serializes the event's `data` as its type does; the data of an event this
            /// version does not know exactly as received.
            pub(crate) fn serialize_data<S: Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                match self {
                    #(Self::#variants(data) => data.serialize(serializer),)*
                    Self::Unknown { data, .. } => data.serialize(serializer),
                }
            }
        }
    };

    let equality = quote! {
        /// Equal when the name and the data are; the data of [`Event::Unknown`] is compared as
        /// text.
        impl PartialEq for Event {
            fn eq(&self, other: &Self) -> bool {
                match (self, other) {
                    #((Self::#variants(a), Self::#variants(b)) => a == b,)*
                    (Self::Unknown { name: a, data: x }, Self::Unknown { name: b, data: y }) => {
                        a == b && x.get() == y.get()
                    }
                    _ => false,
                }
            }
        }
    };

    let known = quote! {
        /// The name of an event this version knows, for as long as the program runs; `None` for
        /// any other name.
        pub(crate) fn known_name(name: &str) -> Option<&'static str> {
            match name {
                #(#names => Some(#names),)*
                _ => None,
            }
        }
    };

    let imports = quote! {
        use serde::{Deserialize, Deserializer, Serialize, Serializer};
        use serde_json::value::RawValue;

        use super::{#(#data_idents,)* WebhookEventName};
    };
    Ok(format!(
        "{HEADER}//! The webhook events of the spec's `webhooks`, with their names and data types.\n\n{}",
        unparse([imports, definition, methods, equality, known])?
    ))
}
