//! The models' part of the model: each component schema read into an item (types, fields,
//! docs, flags) by the rules the generator's module doc lists.

use indexmap::IndexMap;
use serde_norway::Value;

use crate::codegen::names::{pascal, snake};
use crate::codegen::spec::{alternatives, flag, get, get_str, ref_name, strings, tag_of};
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
    pub(in crate::codegen) rust: String,
    pub(in crate::codegen) tag_value: String,
    pub(in crate::codegen) doc: String,
    pub(in crate::codegen) fields: Vec<Field>,
    /// `x-buzzin-open`: any other tag value, the whole object kept as sent.
    pub(in crate::codegen) open: bool,
}

pub(in crate::codegen) struct ChoiceVariant {
    pub(in crate::codegen) rust: String,
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
    pub(in crate::codegen) json: String,
    pub(in crate::codegen) rust: String,
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
    schemas: &'a IndexMap<String, Value>,
}

impl<'a> Schemas<'a> {
    pub(in crate::codegen) fn new(schemas: &'a IndexMap<String, Value>) -> Self {
        Schemas { schemas }
    }

    fn schema(&self, name: &str) -> Result<&'a Value> {
        self.schemas
            .get(name)
            .ok_or_else(|| format!("unknown schema {name}"))
    }

    pub(in crate::codegen) fn item(&self, name: &str, schema: &'a Value) -> Result<Item> {
        let doc = get_str(schema, "description")
            .ok_or("every schema needs a description")?
            .trim()
            .to_owned();
        if flag(schema, "x-buzzin-assumed") && !doc.contains("Assumed") {
            return Err("an x-buzzin-assumed schema's description must say what is assumed".into());
        }
        let server_owned = flag(schema, "x-buzzin-server-owned");
        if flag(schema, "x-buzzin-id") {
            return Ok(Item::Id {
                name: name.into(),
                doc,
            });
        }
        let open = get(schema, "x-extensible-enum").and_then(Value::as_sequence);
        if open.is_some() && !server_owned {
            return Err("an x-extensible-enum is open, so it must be x-buzzin-server-owned".into());
        }
        if let Some(values) = open.or_else(|| get(schema, "enum").and_then(Value::as_sequence)) {
            let names = strings(get(schema, "x-enum-varnames"));
            let integer = get_str(schema, "type") == Some("integer");
            let mut variants = Vec::new();
            for (i, value) in values.iter().enumerate() {
                let raw = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return Err("enum values must be strings or integers".into()),
                };
                let rust = match names.get(i) {
                    Some(n) => n.clone(),
                    None if !integer => pascal(&raw),
                    None => return Err("integer enums need x-enum-varnames".into()),
                };
                variants.push((rust, value.clone(), raw));
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
                    .map(|(rust, _, raw)| (rust, raw))
                    .collect();
                Item::ClosedEnum {
                    name: name.into(),
                    doc,
                    variants,
                }
            });
        }
        if let Some(alternatives) = alternatives(schema) {
            // A property an alternative names is defined there or, when the alternative gives
            // it no schema (`{}`), by the object's own `properties`.
            let shared = get(schema, "properties").and_then(Value::as_mapping);
            let definition = |json: &str, prop: &'a Value| -> Result<&'a Value> {
                if prop.as_mapping().is_some_and(|m| !m.is_empty()) {
                    return Ok(prop);
                }
                shared
                    .and_then(|props| props.get(json))
                    .ok_or_else(|| format!("property {json} has no schema"))
            };
            if let Some(tag) = tag_of(schema, alternatives) {
                let mut variants = Vec::new();
                for alt in alternatives {
                    let rust =
                        get_str(alt, "x-buzzin-variant").ok_or("oneOf needs x-buzzin-variant")?;
                    if get(alt, "x-buzzin-open").and_then(Value::as_bool) == Some(true) {
                        variants.push(TaggedVariant {
                            rust: rust.into(),
                            tag_value: String::new(),
                            doc: get_str(alt, "description")
                                .unwrap_or_default()
                                .trim()
                                .into(),
                            fields: Vec::new(),
                            open: true,
                        });
                        continue;
                    }
                    let props = get(alt, "properties")
                        .and_then(Value::as_mapping)
                        .ok_or("no properties")?;
                    let tag_value = props
                        .get(tag)
                        .and_then(|t| get_str(t, "const"))
                        .ok_or("the discriminator property needs a const")?;
                    let required = strings(get(alt, "required"));
                    // The variant's fields: those it names, in the object's order.
                    let named: Vec<&str> = props
                        .keys()
                        .filter_map(Value::as_str)
                        .chain(required.iter().map(String::as_str))
                        .collect();
                    let mut names: Vec<&str> = shared
                        .into_iter()
                        .flat_map(|props| props.keys().filter_map(Value::as_str))
                        .filter(|name| named.contains(name))
                        .collect();
                    for name in named {
                        if !names.contains(&name) {
                            names.push(name);
                        }
                    }
                    let mut fields = Vec::new();
                    for json in names {
                        if json != tag {
                            let prop = props.get(json).unwrap_or(&Value::Null);
                            fields.push(self.field(
                                json,
                                definition(json, prop)?,
                                required.iter().any(|r| r == json),
                                false,
                            )?);
                        }
                    }
                    variants.push(TaggedVariant {
                        rust: rust.into(),
                        tag_value: tag_value.into(),
                        doc: get_str(alt, "description")
                            .unwrap_or_default()
                            .trim()
                            .into(),
                        fields,
                        open: false,
                    });
                }
                return Ok(Item::Tagged {
                    name: name.into(),
                    doc,
                    tag: tag.into(),
                    variants,
                });
            }
            let mut variants = Vec::new();
            for alt in alternatives {
                let rust =
                    get_str(alt, "x-buzzin-variant").ok_or("oneOf needs x-buzzin-variant")?;
                let required = strings(get(alt, "required"));
                let [key] = required.as_slice() else {
                    return Err("a choice alternative must require exactly one property".into());
                };
                let named = get(alt, "properties").and_then(|p| get(p, key));
                let prop = definition(key, named.unwrap_or(&Value::Null))?;
                variants.push(ChoiceVariant {
                    rust: rust.into(),
                    key: key.clone(),
                    ty: self.rust_type(prop)?,
                    doc: self.field_doc(prop)?,
                    non_empty: self.non_empty(prop),
                });
            }
            return Ok(Item::Choice {
                name: name.into(),
                doc,
                variants,
            });
        }
        let mut fields = Vec::new();
        let mut extra = true;
        // `allOf` members first (flattened `$ref`s, objects), then the object's own properties;
        // a member that only constrains (`anyOf`, `not`) adds no field.
        let mut members: Vec<&Value> = get(schema, "allOf")
            .and_then(Value::as_sequence)
            .map(|members| members.iter().collect())
            .unwrap_or_default();
        if members.is_empty() || get(schema, "properties").is_some() {
            members.push(schema);
        }
        for member in members {
            if let Some(target) = ref_name(member) {
                let rust =
                    get_str(member, "x-buzzin-field").ok_or("allOf $ref needs x-buzzin-field")?;
                let target_schema = self.schema(target)?;
                if alternatives(target_schema)
                    .is_some_and(|alts| tag_of(target_schema, alts).is_some())
                {
                    extra = false;
                }
                fields.push(Field {
                    constant: false,
                    json: String::new(),
                    rust: rust.into(),
                    ty: Ty::Named(target.into()),
                    doc: first_paragraph(get_str(target_schema, "description").unwrap_or_default()),
                    required: true,
                    flatten: true,
                    secret: false,
                    non_empty: None,
                });
                continue;
            }
            if get(member, "additionalProperties").and_then(Value::as_bool) == Some(false) {
                extra = false;
            }
            let required = strings(get(member, "required"));
            if let Some(props) = get(member, "properties").and_then(Value::as_mapping) {
                for (json, prop) in props {
                    let json = json.as_str().ok_or("property names are strings")?;
                    let is_required = !server_owned && required.iter().any(|r| r == json);
                    fields.push(self.field(json, prop, is_required, false)?);
                }
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

    fn field(&self, json: &str, prop: &Value, required: bool, flatten: bool) -> Result<Field> {
        let constant = ref_name(prop)
            .and_then(|target| self.schemas.get(target))
            .is_some_and(|target| {
                !flag(target, "x-buzzin-server-owned")
                    && get(target, "enum")
                        .and_then(Value::as_sequence)
                        .is_some_and(|e| e.len() == 1)
            });
        Ok(Field {
            constant,
            json: json.into(),
            rust: snake(json),
            ty: self.rust_type(prop)?,
            doc: self.field_doc(prop)?,
            required,
            flatten,
            secret: flag(prop, "x-buzzin-secret") || flag(prop, "x-buzzin-personal-data"),
            non_empty: self.non_empty(prop),
        })
    }

    /// What the spec marks as never empty in a property: a typed id, a string with a
    /// `minLength`, or the elements of a list of either.
    fn non_empty(&self, prop: &Value) -> Option<NonEmpty> {
        if let Some(target) = ref_name(prop) {
            let target = self.schemas.get(target)?;
            return flag(target, "x-buzzin-id").then_some(NonEmpty::Id);
        }
        match get_str(prop, "type") {
            Some("string") => get(prop, "minLength")
                .and_then(Value::as_u64)
                .is_some_and(|min| min >= 1)
                .then_some(NonEmpty::Text),
            Some("array") => self.non_empty(get(prop, "items")?),
            _ => None,
        }
    }

    fn field_doc(&self, prop: &Value) -> Result<String> {
        if let Some(doc) = get_str(prop, "description") {
            if flag(prop, "x-buzzin-assumed") && !doc.contains("Assumed:") {
                return Err(
                    "an x-buzzin-assumed property's description must say what is assumed".into(),
                );
            }
            return Ok(doc.trim().to_owned());
        }
        if let Some(target) = ref_name(prop) {
            return Ok(first_paragraph(
                get_str(self.schema(target)?, "description").unwrap_or_default(),
            ));
        }
        if let Some(items) = get(prop, "items") {
            return self.field_doc(items);
        }
        Err("a property needs a description (or a $ref to a described schema)".into())
    }

    fn rust_type(&self, prop: &Value) -> Result<Ty> {
        if let Some(target) = ref_name(prop) {
            self.schema(target)?;
            return Ok(Ty::Named(target.into()));
        }
        let ty = match (get_str(prop, "type"), get_str(prop, "format")) {
            (Some("string"), Some("date-time")) => Ty::Timestamp,
            (Some("string"), Some("date")) => Ty::Date,
            (Some("string"), _) => Ty::String,
            (Some("integer"), _) => {
                let unsigned = get(prop, "minimum")
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
                self.rust_type(get(prop, "items").ok_or("array without items")?)?,
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
fn value_names(schema: &Value, values: &[Value]) -> Result<Vec<ValueName>> {
    let documented = strings(get(schema, "x-buzzin-value-names"));
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
            name,
            assumed: false,
        });
    }
    if let Some(assumed) = get(schema, "x-buzzin-assumed-values").and_then(Value::as_mapping) {
        for (code, name) in assumed {
            let code = code
                .as_i64()
                .ok_or("x-buzzin-assumed-values: codes are integers")?;
            if values.iter().any(|v| v.as_i64() == Some(code)) {
                return Err(format!("x-buzzin-assumed-values: {code} is documented"));
            }
            names.push(ValueName {
                code,
                name: name
                    .as_str()
                    .ok_or("x-buzzin-assumed-values: names are strings")?
                    .to_owned(),
                assumed: true,
            });
        }
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
