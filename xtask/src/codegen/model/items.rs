//! The models' part of the model: each component schema read into an item.
//!
//! An item has types, fields, docs and flags, read by the rules the generator's module doc
//! lists.

use indexmap::IndexMap;
use serde_norway::Value;

use crate::codegen::schema::Schema;
use crate::codegen::Result;

/// The type a field or variant holds (the renderers spell it in Rust).
#[derive(Clone)]
pub(in crate::codegen) enum Ty {
    /// A type generated from the schema of this name.
    Named(String),
    /// An instant (`format: date-time`).
    Timestamp,
    /// A calendar date (`format: date`).
    Date,
    String,
    U64,
    I64,
    Bool,
    F64,
    Vec(Box<Ty>),
    /// Any JSON.
    Json,
}

/// A generated module: its title (the spec's `x-buzzin-modules`) and its items, in spec order.
pub(in crate::codegen) struct Module {
    pub(in crate::codegen) title: String,
    pub(in crate::codegen) items: Vec<Item>,
}

/// One generated item.
pub(in crate::codegen) enum Item {
    Id {
        name: String,
        doc: String,
    },
    OpenEnum {
        name: String,
        doc: String,
        integer: bool,
        /// Each value's name (`x-enum-varnames`, else the value), the value and its text.
        variants: Vec<(String, Value, String)>,
        /// The name each code goes with (`x-buzzin-value-names`), then the codes the spec
        /// assumes with their names (`x-buzzin-assumed-values`).
        names: Vec<ValueName>,
    },
    ClosedEnum {
        name: String,
        doc: String,
        variants: Vec<(String, String)>,
    },
    Tagged {
        name: String,
        doc: String,
        tag: String,
        variants: Vec<TaggedVariant>,
    },
    Choice {
        name: String,
        doc: String,
        variants: Vec<ChoiceVariant>,
    },
    Struct(StructItem),
}

pub(in crate::codegen) struct TaggedVariant {
    /// `x-buzzin-variant`.
    pub(in crate::codegen) name: String,
    pub(in crate::codegen) tag_value: String,
    pub(in crate::codegen) doc: String,
    pub(in crate::codegen) fields: Vec<Field>,
    /// `x-buzzin-open`: any other tag value, the whole object kept as sent.
    pub(in crate::codegen) open: bool,
}

pub(in crate::codegen) struct ChoiceVariant {
    /// `x-buzzin-variant`.
    pub(in crate::codegen) name: String,
    pub(in crate::codegen) key: String,
    pub(in crate::codegen) ty: Ty,
    pub(in crate::codegen) doc: String,
    pub(in crate::codegen) non_empty: Option<NonEmpty>,
}

pub(in crate::codegen) struct StructItem {
    pub(in crate::codegen) name: String,
    pub(in crate::codegen) doc: String,
    pub(in crate::codegen) server_owned: bool,
    pub(in crate::codegen) fields: Vec<Field>,
    pub(in crate::codegen) extra: bool,
}

pub(in crate::codegen) struct Field {
    /// A single-value enum: the field always holds its default and is not a `new()` argument.
    pub(in crate::codegen) constant: bool,
    /// The JSON key (empty for a flattened `allOf` member).
    pub(in crate::codegen) json: String,
    /// The field's name: its JSON key, or a flattened member's `x-buzzin-field`.
    pub(in crate::codegen) name: String,
    pub(in crate::codegen) ty: Ty,
    pub(in crate::codegen) doc: String,
    pub(in crate::codegen) required: bool,
    pub(in crate::codegen) flatten: bool,
    pub(in crate::codegen) secret: bool,
    /// What must not be empty in it (in each element, for a list).
    pub(in crate::codegen) non_empty: Option<NonEmpty>,
}

/// A value the spec marks as never empty, which a request's `validate()` checks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(in crate::codegen) enum NonEmpty {
    /// A typed id (`x-buzzin-id`): not blank, and not `.` or `..`.
    Id,
    /// A string with a `minLength`: not blank.
    Text,
}

/// The name an integer code of an open enum goes with (a permit status's `statusName`).
pub(in crate::codegen) struct ValueName {
    pub(in crate::codegen) code: i64,
    pub(in crate::codegen) name: String,
    /// The spec assumes the code (`x-buzzin-assumed-values`): it is not one of the enum's.
    pub(in crate::codegen) assumed: bool,
}

/// Reads component schemas into items, looking up the schemas they refer to.
pub(in crate::codegen) struct Schemas<'a> {
    schemas: &'a IndexMap<String, Schema>,
}

impl<'a> Schemas<'a> {
    pub(in crate::codegen) fn new(schemas: &'a IndexMap<String, Schema>) -> Self {
        Schemas { schemas }
    }

    fn schema(&self, name: &str) -> Result<&'a Schema> {
        self.schemas
            .get(name)
            .ok_or_else(|| format!("unknown schema {name}"))
    }

    pub(in crate::codegen) fn item(&self, name: &str, schema: &'a Schema) -> Result<Item> {
        let doc = schema
            .description
            .as_deref()
            .ok_or("every schema needs a description")?
            .trim()
            .to_owned();
        if schema.assumed && !doc.contains("Assumed") {
            return Err("an x-buzzin-assumed schema's description must say what is assumed".into());
        }
        let server_owned = schema.server_owned;
        if schema.id {
            return Ok(Item::Id {
                name: name.into(),
                doc,
            });
        }
        let open = schema.extensible_enum.as_deref();
        if open.is_some() && !server_owned {
            return Err("an x-extensible-enum is open, so it must be x-buzzin-server-owned".into());
        }
        if let Some(values) = open.or(schema.values.as_deref()) {
            let integer = schema.ty.as_deref() == Some("integer");
            let mut variants = Vec::new();
            for (i, value) in values.iter().enumerate() {
                let raw = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return Err("enum values must be strings or integers".into()),
                };
                let variant = match schema.enum_varnames.get(i) {
                    Some(n) => n.clone(),
                    None if !integer => raw.clone(),
                    None => return Err("integer enums need x-enum-varnames".into()),
                };
                variants.push((variant, value.clone(), raw));
            }
            return Ok(if open.is_some() {
                Item::OpenEnum {
                    name: name.into(),
                    doc,
                    integer,
                    names: value_names(schema, values)?,
                    variants,
                }
            } else {
                let variants = variants
                    .into_iter()
                    .map(|(variant, _, raw)| (variant, raw))
                    .collect();
                Item::ClosedEnum {
                    name: name.into(),
                    doc,
                    variants,
                }
            });
        }
        if let Some(alternatives) = schema.alternatives() {
            return self.alternatives(name, doc, schema, alternatives);
        }
        self.structure(name, doc, schema)
    }

    /// A schema of several forms: a tagged enum, or an enum choosing one property.
    fn alternatives(
        &self,
        name: &str,
        doc: String,
        schema: &'a Schema,
        alternatives: &'a [Schema],
    ) -> Result<Item> {
        // A property an alternative names is defined there or, when the alternative gives it
        // no schema (`{}`), by the object's own `properties`.
        let shared = schema.properties.as_ref();
        let definition = |json: &str, prop: Option<&'a Schema>| -> Result<&'a Schema> {
            match prop {
                Some(prop) if !prop.is_empty() => Ok(prop),
                _ => shared
                    .and_then(|props| props.get(json))
                    .ok_or_else(|| format!("property {json} has no schema")),
            }
        };
        let variant_name = |alt: &Schema| -> Result<String> {
            alt.variant
                .clone()
                .ok_or_else(|| "oneOf needs x-buzzin-variant".to_owned())
        };
        let alt_doc = |alt: &Schema| alt.description.as_deref().unwrap_or_default().trim().into();
        let Some(tag) = schema.tag_of(alternatives) else {
            let mut variants = Vec::new();
            for alt in alternatives {
                let [key] = alt.required() else {
                    return Err("a choice alternative must require exactly one property".into());
                };
                let named = alt.properties.as_ref().and_then(|p| p.get(key));
                let prop = definition(key, named)?;
                variants.push(ChoiceVariant {
                    name: variant_name(alt)?,
                    key: key.clone(),
                    ty: self.type_of(prop)?,
                    doc: self.field_doc(prop)?,
                    non_empty: self.non_empty(prop),
                });
            }
            return Ok(Item::Choice {
                name: name.into(),
                doc,
                variants,
            });
        };
        let mut variants = Vec::new();
        for alt in alternatives {
            if alt.open {
                variants.push(TaggedVariant {
                    name: variant_name(alt)?,
                    tag_value: String::new(),
                    doc: alt_doc(alt),
                    fields: Vec::new(),
                    open: true,
                });
                continue;
            }
            let props = alt.properties.as_ref().ok_or("no properties")?;
            let tag_value = props
                .get(tag)
                .and_then(|t| t.constant.as_ref())
                .and_then(Value::as_str)
                .ok_or("the discriminator property needs a const")?;
            // The variant's fields: those it names, in the object's order.
            let named: Vec<&str> = props
                .keys()
                .map(String::as_str)
                .chain(alt.required().iter().map(String::as_str))
                .collect();
            let mut names: Vec<&str> = shared
                .into_iter()
                .flat_map(|props| props.keys().map(String::as_str))
                .filter(|name| named.contains(name))
                .collect();
            for name in named {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            let mut fields = Vec::new();
            for json in names.into_iter().filter(|json| *json != tag) {
                let prop = definition(json, props.get(json))?;
                fields.push(self.field(json, prop, alt.requires(json), false)?);
            }
            variants.push(TaggedVariant {
                name: variant_name(alt)?,
                tag_value: tag_value.into(),
                doc: alt_doc(alt),
                fields,
                open: false,
            });
        }
        Ok(Item::Tagged {
            name: name.into(),
            doc,
            tag: tag.into(),
            variants,
        })
    }

    /// An object, or an `allOf` of `$ref`s and objects: a struct.
    fn structure(&self, name: &str, doc: String, schema: &'a Schema) -> Result<Item> {
        let server_owned = schema.server_owned;
        let mut fields = Vec::new();
        let mut extra = true;
        // `allOf` members first (flattened `$ref`s, objects), then the object's own properties;
        // a member that only constrains (`anyOf`, `not`) adds no field.
        let mut members: Vec<&Schema> = schema.all_of.iter().flatten().collect();
        if members.is_empty() || schema.properties.is_some() {
            members.push(schema);
        }
        for member in members {
            if let Some(target) = member.ref_name() {
                let field = member
                    .field
                    .as_deref()
                    .ok_or("allOf $ref needs x-buzzin-field")?;
                let target_schema = self.schema(target)?;
                if target_schema
                    .alternatives()
                    .is_some_and(|alts| target_schema.tag_of(alts).is_some())
                {
                    extra = false;
                }
                fields.push(Field {
                    constant: false,
                    json: String::new(),
                    name: field.into(),
                    ty: Ty::Named(target.into()),
                    doc: first_paragraph(target_schema.description.as_deref().unwrap_or_default()),
                    required: true,
                    flatten: true,
                    secret: false,
                    non_empty: None,
                });
                continue;
            }
            if member.additional_properties == Some(Value::Bool(false)) {
                extra = false;
            }
            for (json, prop) in member.properties.iter().flatten() {
                let is_required = !server_owned && member.requires(json);
                fields.push(self.field(json, prop, is_required, false)?);
            }
        }
        Ok(Item::Struct(StructItem {
            name: name.into(),
            doc,
            server_owned,
            fields,
            extra,
        }))
    }

    fn field(&self, json: &str, prop: &Schema, required: bool, flatten: bool) -> Result<Field> {
        let constant = prop
            .ref_name()
            .and_then(|target| self.schemas.get(target))
            .is_some_and(|target| {
                !target.server_owned && target.values.as_ref().is_some_and(|e| e.len() == 1)
            });
        Ok(Field {
            constant,
            json: json.into(),
            name: json.into(),
            ty: self.type_of(prop)?,
            doc: self.field_doc(prop)?,
            required,
            flatten,
            secret: prop.secret || prop.personal_data,
            non_empty: self.non_empty(prop),
        })
    }

    /// What the spec marks as never empty in a property: a typed id, a string with a
    /// `minLength`, or the elements of a list of either.
    fn non_empty(&self, prop: &Schema) -> Option<NonEmpty> {
        if let Some(target) = prop.ref_name() {
            return self.schemas.get(target)?.id.then_some(NonEmpty::Id);
        }
        match prop.ty.as_deref() {
            Some("string") => prop
                .min_length
                .is_some_and(|min| min >= 1)
                .then_some(NonEmpty::Text),
            Some("array") => self.non_empty(prop.items.as_deref()?),
            _ => None,
        }
    }

    fn field_doc(&self, prop: &Schema) -> Result<String> {
        if let Some(doc) = &prop.description {
            if prop.assumed && !doc.contains("Assumed:") {
                return Err(
                    "an x-buzzin-assumed property's description must say what is assumed".into(),
                );
            }
            return Ok(doc.trim().to_owned());
        }
        if let Some(target) = prop.ref_name() {
            let described = self.schema(target)?.description.as_deref();
            return Ok(first_paragraph(described.unwrap_or_default()));
        }
        if let Some(items) = &prop.items {
            return self.field_doc(items);
        }
        Err("a property needs a description (or a $ref to a described schema)".into())
    }

    fn type_of(&self, prop: &Schema) -> Result<Ty> {
        if let Some(target) = prop.ref_name() {
            self.schema(target)?;
            return Ok(Ty::Named(target.into()));
        }
        let ty = match (prop.ty.as_deref(), prop.format.as_deref()) {
            (Some("string"), Some("date-time")) => Ty::Timestamp,
            (Some("string"), Some("date")) => Ty::Date,
            (Some("string"), _) => Ty::String,
            (Some("integer"), _) => {
                let unsigned = prop
                    .minimum
                    .as_ref()
                    .and_then(Value::as_i64)
                    .is_some_and(|m| m >= 0);
                if unsigned {
                    Ty::U64
                } else {
                    Ty::I64
                }
            }
            (Some("boolean"), _) => Ty::Bool,
            (Some("number"), _) => Ty::F64,
            (Some("array"), _) => Ty::Vec(Box::new(
                self.type_of(prop.items.as_deref().ok_or("array without items")?)?,
            )),
            (Some("object") | None, _) => Ty::Json,
            (Some(other), _) => return Err(format!("unsupported type {other}")),
        };
        Ok(ty)
    }
}

impl Item {
    pub(in crate::codegen) fn name(&self) -> &str {
        match self {
            Item::Id { name, .. }
            | Item::OpenEnum { name, .. }
            | Item::ClosedEnum { name, .. }
            | Item::Tagged { name, .. }
            | Item::Choice { name, .. } => name,
            Item::Struct(s) => &s.name,
        }
    }
}

impl StructItem {
    /// Whether the struct is read in one pass (each key into its field, unknown keys into
    /// `extra`). A struct that flattens another model's fields (an `allOf` member) is not: its
    /// keys are not all known here.
    pub(in crate::codegen) fn one_pass(&self) -> bool {
        !self.fields.iter().any(|f| f.flatten)
    }

    /// Whether `Debug` is written out, redacting secret and personal fields.
    pub(in crate::codegen) fn redacted(&self) -> bool {
        self.fields.iter().any(|f| f.secret)
    }
}

/// The names of an integer enum's codes: `x-buzzin-value-names` (one per value, in order) and
/// `x-buzzin-assumed-values` (code: name).
fn value_names(schema: &Schema, values: &[Value]) -> Result<Vec<ValueName>> {
    let documented = &schema.value_names;
    if !documented.is_empty() && documented.len() != values.len() {
        return Err("x-buzzin-value-names needs one name per value".into());
    }
    let mut names = Vec::new();
    for (value, name) in values.iter().zip(documented) {
        let code = value
            .as_i64()
            .ok_or("x-buzzin-value-names is for integer codes")?;
        names.push(ValueName {
            code,
            name: name.clone(),
            assumed: false,
        });
    }
    for (code, name) in &schema.assumed_values {
        if values.iter().any(|v| v.as_i64() == Some(*code)) {
            return Err(format!("x-buzzin-assumed-values: {code} is documented"));
        }
        names.push(ValueName {
            code: *code,
            name: name.clone(),
            assumed: true,
        });
    }
    Ok(names)
}

fn first_paragraph(doc: &str) -> String {
    doc.trim()
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}
