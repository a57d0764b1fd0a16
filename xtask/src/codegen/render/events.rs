//! Output kind: `events.rs`, the `Event` enum of the spec's `webhooks`.
//!
//! One variant per event (named by `WebhookEventName`'s `x-enum-varnames`, holding the schema
//! of its `data`), the mapping between variants and names, and the dispatch of a delivery's
//! `data` by name.

use quote::{format_ident, quote};

use crate::codegen::format::{doc_lines, unparse};
use crate::codegen::model::{EventDef, Events};
use crate::codegen::{Result, HEADER};

/// The file `events.rs`, before rustfmt.
pub(in crate::codegen) fn render(model: &Events) -> Result<String> {
    let events = &model.events;
    let enum_doc = doc_lines(&model.doc, 0);
    let data_idents: Vec<_> = model
        .data_types
        .iter()
        .map(|d| format_ident!("{}", d.schema))
        .collect();

    let variant = |e: &EventDef| format_ident!("{}", e.variant);
    let variants: Vec<_> = events.iter().map(variant).collect();
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    let data: Vec<_> = events.iter().map(|e| format_ident!("{}", e.data)).collect();
    let docs: Vec<Vec<String>> = events
        .iter()
        .map(|e| doc_lines(&format!("`{}`: {}", e.name, e.summary), 4))
        .collect();

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
    for data_type in &model.data_types {
        let method = format_ident!("{}", data_type.accessor);
        let data_type = data_type.schema.as_str();
        let carrying: Vec<_> = events.iter().filter(|e| e.data == data_type).collect();
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
