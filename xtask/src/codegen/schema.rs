//! A JSON Schema of the spec, typed, with the rules that recognise its form.
//!
//! It holds the keywords and extensions the generator reads, and the rest as written (the
//! simulator's request schemas need every keyword).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_norway::Value;

/// One schema: a component, a property, an `allOf` member or a `oneOf` alternative.
#[derive(Deserialize, Serialize, Default, PartialEq, Clone)]
#[serde(rename_all = "camelCase")]
pub(super) struct Schema {
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub(super) reference: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(super) ty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<String>,
    #[serde(rename = "enum", skip_serializing_if = "Option::is_none")]
    pub(super) values: Option<Vec<Value>>,
    #[serde(rename = "const", skip_serializing_if = "Option::is_none")]
    pub(super) constant: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) properties: Option<IndexMap<String, Schema>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) required: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) items: Option<Box<Schema>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) one_of: Option<Vec<Schema>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) all_of: Option<Vec<Schema>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) discriminator: Option<Discriminator>,
    /// `true`, `false` or a schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) additional_properties: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) minimum: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) min_length: Option<u64>,
    #[serde(rename = "x-extensible-enum", skip_serializing_if = "Option::is_none")]
    pub(super) extensible_enum: Option<Vec<Value>>,
    #[serde(
        rename = "x-enum-varnames",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(super) enum_varnames: Vec<String>,
    #[serde(
        rename = "x-buzzin-value-names",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(super) value_names: Vec<String>,
    #[serde(
        rename = "x-buzzin-assumed-values",
        default,
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub(super) assumed_values: IndexMap<i64, String>,
    #[serde(rename = "x-buzzin-id", default, skip_serializing_if = "is_false")]
    pub(super) id: bool,
    #[serde(
        rename = "x-buzzin-server-owned",
        default,
        skip_serializing_if = "is_false"
    )]
    pub(super) server_owned: bool,
    #[serde(rename = "x-buzzin-assumed", default, skip_serializing_if = "is_false")]
    pub(super) assumed: bool,
    /// An alternative that takes any other tag value, the whole object kept as sent.
    #[serde(rename = "x-buzzin-open", default, skip_serializing_if = "is_false")]
    pub(super) open: bool,
    #[serde(rename = "x-buzzin-secret", default, skip_serializing_if = "is_false")]
    pub(super) secret: bool,
    #[serde(
        rename = "x-buzzin-personal-data",
        default,
        skip_serializing_if = "is_false"
    )]
    pub(super) personal_data: bool,
    #[serde(
        rename = "x-buzzin-personal",
        default,
        skip_serializing_if = "is_false"
    )]
    pub(super) personal: bool,
    #[serde(rename = "x-buzzin-module", skip_serializing_if = "Option::is_none")]
    pub(super) module: Option<String>,
    #[serde(rename = "x-buzzin-variant", skip_serializing_if = "Option::is_none")]
    pub(super) variant: Option<String>,
    #[serde(rename = "x-buzzin-field", skip_serializing_if = "Option::is_none")]
    pub(super) field: Option<String>,
    #[serde(
        rename = "x-buzzin-event-accessor",
        skip_serializing_if = "Option::is_none"
    )]
    pub(super) event_accessor: Option<String>,
    /// Every other keyword (`pattern`, `anyOf`, `minItems`, …), as written.
    #[serde(flatten)]
    pub(super) rest: IndexMap<String, Value>,
}

#[derive(Deserialize, Serialize, PartialEq, Clone)]
#[serde(rename_all = "camelCase")]
pub(super) struct Discriminator {
    pub(super) property_name: String,
}

fn is_false(value: &bool) -> bool {
    !value
}

impl Schema {
    /// The component schema a `$ref` names.
    pub(super) fn ref_name(&self) -> Option<&str> {
        self.reference
            .as_deref()?
            .strip_prefix("#/components/schemas/")
    }

    /// `{}`: a property an alternative names without defining it.
    pub(super) fn is_empty(&self) -> bool {
        *self == Schema::default()
    }

    /// The `required` list.
    pub(super) fn required(&self) -> &[String] {
        self.required.as_deref().unwrap_or_default()
    }

    /// Whether `required` names `property`.
    pub(super) fn requires(&self, property: &str) -> bool {
        self.required().iter().any(|r| r == property)
    }

    /// The alternatives of a schema that is one of several forms: its `oneOf`, or, for an
    /// object that lists its properties and then says which combinations are allowed, the
    /// `oneOf` in its `allOf` (the form openapi-python-client reads as one class).
    pub(super) fn alternatives(&self) -> Option<&[Schema]> {
        if let Some(alternatives) = &self.one_of {
            return Some(alternatives);
        }
        self.properties.as_ref()?;
        let mut found = self
            .all_of
            .as_ref()?
            .iter()
            .filter_map(|member| member.one_of.as_deref());
        let alternatives = found.next()?;
        found.next().is_none().then_some(alternatives)
    }

    /// The property that tells the alternatives apart: the `discriminator`, or the one property
    /// to which every alternative gives a `const`.
    pub(super) fn tag_of<'s>(&'s self, alternatives: &'s [Schema]) -> Option<&'s str> {
        if let Some(discriminator) = &self.discriminator {
            return Some(&discriminator.property_name);
        }
        let consts = |alt: &'s Schema| -> Vec<&'s str> {
            alt.properties
                .iter()
                .flatten()
                .filter(|(_, p)| p.constant.is_some())
                .map(|(k, _)| k.as_str())
                .collect()
        };
        // An open alternative (`x-buzzin-open`: any other tag value) names no const.
        let tagged: Vec<&'s Schema> = alternatives.iter().filter(|alt| !alt.open).collect();
        let (first, rest) = tagged.split_first()?;
        let mut tags = consts(first)
            .into_iter()
            .filter(|tag| rest.iter().all(|alt| consts(alt).contains(tag)));
        let tag = tags.next()?;
        tags.next().is_none().then_some(tag)
    }
}
