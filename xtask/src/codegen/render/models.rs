//! Output kind: one Rust module of models per `x-buzzin-module`.
//!
//! Its items are built as token streams (`quote!`) and printed by prettyplease.

use std::collections::BTreeSet;

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::validate::{self, Index, Needs};
use super::{deserialize, open_enums};
use crate::codegen::format::{doc_attrs, unparse};
use crate::codegen::model::{ChoiceVariant, Field, Item, Module, StructItem, TaggedVariant, Ty};
use crate::codegen::names::{camel, field_name, ident, variant_name};
use crate::codegen::{Result, HEADER};

/// Renders one module of models: its title, its imports (from what its items use) and its
/// items.
pub(in crate::codegen) fn render_module(module: &Module, index: &Index) -> Result<String> {
    let mut items = Vec::new();
    let mut needs = Needs::default();
    for item in &module.items {
        items.push(unparse(item_tokens(item)?)?);
        if let Item::Struct(item) = item {
            if item.one_pass() {
                items.push(deserialize::call(item));
            }
            if let Some(method) = validate::method(item, index, &mut needs) {
                items.push(unparse([method])?);
            }
        }
    }
    let mut uses = Uses {
        validate: needs,
        ..Uses::default()
    };
    module.items.iter().for_each(|item| uses.item(item));
    let own: BTreeSet<&str> = module.items.iter().map(Item::name).collect();
    Ok(format!(
        "{HEADER}//! {}\n\n{}\n{}",
        module.title,
        uses.render(&own)?,
        items.join("\n")
    ))
}

/// The Rust items of one model item (less its one-pass `Deserialize`), each printed with a
/// blank line before the next.
fn item_tokens(item: &Item) -> Result<Vec<TokenStream>> {
    Ok(match item {
        Item::Id { name, doc } => vec![render_id(name, doc)],
        Item::OpenEnum {
            name,
            doc,
            integer: true,
            variants,
            names,
        } => open_enums::integer(name, doc, variants, names)?,
        Item::OpenEnum {
            name,
            doc,
            integer: false,
            variants,
            ..
        } => open_enums::string(name, doc, variants),
        Item::ClosedEnum {
            name,
            doc,
            variants,
        } => render_closed_enum(name, doc, variants),
        Item::Tagged {
            name,
            doc,
            tag,
            variants,
        } => render_tagged(name, doc, tag, variants)?,
        Item::Choice {
            name,
            doc,
            variants,
        } => vec![render_choice(name, doc, variants)?],
        Item::Struct(item) => render_struct(item)?,
    })
}

/// What a module's items refer to by a short name, and so import.
#[derive(Default)]
struct Uses {
    fmt: bool,
    /// The serde traits used by name.
    serde: BTreeSet<&'static str>,
    /// `Date` and `Timestamp`.
    datetime: BTreeSet<&'static str>,
    /// Types generated from schemas (imported from `super` unless the module has them).
    schemas: BTreeSet<String>,
    typed_id: bool,
    one_pass: bool,
    /// The checks the module's `validate()`s call.
    validate: Needs,
}

impl Uses {
    fn item(&mut self, item: &Item) {
        match item {
            Item::Id { .. } => self.typed_id = true,
            Item::OpenEnum { .. } => {
                self.fmt = true;
                self.serde
                    .extend(["Deserialize", "Deserializer", "Serialize", "Serializer"]);
            }
            Item::ClosedEnum { .. } => self.serde.extend(["Deserialize", "Serialize"]),
            Item::Tagged { variants, .. } => {
                self.serde.extend(["Deserialize", "Serialize"]);
                for field in variants.iter().flat_map(|v| &v.fields) {
                    self.ty(&field.ty);
                }
            }
            Item::Choice { variants, .. } => {
                self.serde.extend(["Deserialize", "Serialize"]);
                variants.iter().for_each(|v| self.ty(&v.ty));
            }
            Item::Struct(item) => {
                self.serde.insert("Serialize");
                if item.one_pass() {
                    self.one_pass = true;
                } else {
                    self.serde.insert("Deserialize");
                }
                self.fmt |= item.redacted();
                item.fields.iter().for_each(|f| self.ty(&f.ty));
            }
        }
    }

    fn ty(&mut self, ty: &Ty) {
        match ty {
            Ty::Named(name) => {
                self.schemas.insert(name.clone());
            }
            Ty::Timestamp => {
                self.datetime.insert("Timestamp");
            }
            Ty::Date => {
                self.datetime.insert("Date");
            }
            Ty::Vec(inner) => self.ty(inner),
            _ => {}
        }
    }

    /// The `use` lines, less the module's own items.
    fn render(&self, own: &BTreeSet<&str>) -> Result<String> {
        let names = |names: Vec<&str>| -> Vec<Ident> { names.into_iter().map(ident).collect() };
        let mut groups = Vec::new();
        if self.fmt {
            groups.push(quote! { use std::fmt; });
        }
        let mut local = Vec::new();
        let foreign = names(
            self.schemas
                .iter()
                .map(String::as_str)
                .filter(|s| !own.contains(s))
                .collect(),
        );
        if !foreign.is_empty() {
            local.push(quote! { use super::{#(#foreign),*}; });
        }
        let datetime = names(self.datetime.iter().copied().collect());
        if !datetime.is_empty() {
            local.push(quote! { use crate::models::datetime::{#(#datetime),*}; });
        }
        if self.typed_id {
            local.push(quote! { use crate::models::id::typed_id; });
        }
        if self.one_pass {
            local.push(quote! { use crate::models::object_de::one_pass_deserialize; });
        }
        let serde = names(self.serde.iter().copied().collect());
        if !serde.is_empty() {
            local.push(quote! { use serde::{#(#serde),*}; });
        }
        let checks: Vec<Ident> = [
            ("require_id", self.validate.id),
            ("require_text", self.validate.text),
        ]
        .into_iter()
        .filter(|&(_, used)| used)
        .map(|(name, _)| ident(name))
        .collect();
        if !checks.is_empty() {
            local.push(quote! {
                #[cfg(feature = "client")]
                use crate::models::validate::{#(#checks),*};
            });
        }
        if !local.is_empty() {
            groups.push(quote! { #(#local)* });
        }
        unparse(groups)
    }
}

/// A type as Rust spells it.
pub(in crate::codegen) fn rust_type(ty: &Ty) -> TokenStream {
    match ty {
        Ty::Named(name) => {
            let name = ident(name);
            quote!(#name)
        }
        Ty::Timestamp => quote!(Timestamp),
        Ty::Date => quote!(Date),
        Ty::String => quote!(String),
        Ty::U64 => quote!(u64),
        Ty::I64 => quote!(i64),
        Ty::Bool => quote!(bool),
        Ty::F64 => quote!(f64),
        Ty::Vec(inner) => {
            let inner = rust_type(inner);
            quote!(Vec<#inner>)
        }
        Ty::Json => quote!(serde_json::Value),
    }
}

fn render_id(name: &str, doc: &str) -> TokenStream {
    let docs = doc_attrs(doc, 4);
    let name = ident(name);
    quote! {
        typed_id! {
            #docs
            #name
        }
    }
}

/// A closed enum of strings: the enum (serde by the strings) and `as_str`; a single value is
/// the default.
fn render_closed_enum(name: &str, doc: &str, variants: &[(String, String)]) -> Vec<TokenStream> {
    let docs = doc_attrs(doc, 0);
    let name = ident(name);
    let single = variants.len() == 1;
    let default = single.then(|| quote! { Default, });
    let mark = single.then(|| quote! { #[default] });
    let rust: Vec<Ident> = variants
        .iter()
        .map(|(name, _)| variant_name(name))
        .collect();
    let raw: Vec<&str> = variants.iter().map(|(_, raw)| raw.as_str()).collect();
    let raw_docs = raw.iter().map(|raw| format!(" `{raw}`."));
    let definition = quote! {
        #docs
        #[derive(Debug, Clone, Copy, #default PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum #name {
            #(
                #mark
                #[doc = #raw_docs]
                #[serde(rename = #raw)]
                #rust,
            )*
        }
    };
    let methods = quote! {
        impl #name {
            /// The value as Buzz-In spells it.
            pub fn as_str(&self) -> &'static str {
                match self {
                    #(Self::#rust => #raw,)*
                }
            }
        }
    };
    vec![definition, methods]
}

/// An internally tagged enum: `tag` names the variant, the other fields are the variant's.
fn render_tagged(
    name: &str,
    doc: &str,
    tag: &str,
    variants: &[TaggedVariant],
) -> Result<Vec<TokenStream>> {
    let docs = doc_attrs(doc, 0);
    let name = ident(name);
    // Without an open variant every tag is known: `as_str` answers it, as a plain enum's does.
    let methods = (!variants.iter().any(|v| v.open)).then(|| {
        let pattern = variants.iter().map(|v| {
            let rust = ident(&v.name);
            if v.fields.is_empty() {
                quote! { Self::#rust }
            } else {
                quote! { Self::#rust { .. } }
            }
        });
        let raw = variants.iter().map(|v| v.tag_value.as_str());
        let doc = format!(" The `{tag}` as Buzz-In spells it.");
        quote! {
            impl #name {
                #[doc = #doc]
                pub fn as_str(&self) -> &'static str {
                    match self {
                        #(#pattern => #raw,)*
                    }
                }
            }
        }
    });
    let variants = variants
        .iter()
        .map(tagged_variant)
        .collect::<Result<Vec<_>>>()?;
    let definition = quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = #tag)]
        pub enum #name {
            #(#variants)*
        }
    };
    Ok([Some(definition), methods].into_iter().flatten().collect())
}

fn tagged_variant(variant: &TaggedVariant) -> Result<TokenStream> {
    let docs = doc_attrs(&variant.doc, 4);
    let tag = &variant.tag_value;
    let rust = ident(&variant.name);
    if variant.open {
        // Tried when no tag above matches: the whole object, its tag included, as sent.
        return Ok(quote! {
            #docs
            #[serde(untagged)]
            #rust(serde_json::Map<String, serde_json::Value>),
        });
    }
    let body = if variant.fields.is_empty() {
        quote! {}
    } else {
        let fields = variant
            .fields
            .iter()
            .map(|f| render_field(f, FieldIn::Variant))
            .collect::<Result<Vec<_>>>()?;
        quote! { { #(#fields)* } }
    };
    Ok(quote! {
        #docs
        #[serde(rename = #tag)]
        #rust #body,
    })
}

/// An enum serialized as exactly one of its variants' fields (externally tagged by the key).
fn render_choice(name: &str, doc: &str, variants: &[ChoiceVariant]) -> Result<TokenStream> {
    let docs = doc_attrs(doc, 0);
    let name = ident(name);
    let mut arms = Vec::new();
    for v in variants {
        let docs = doc_attrs(&format!("By `{}`: {}", v.key, v.doc), 4);
        let key = &v.key;
        let rust = ident(&v.name);
        let ty = rust_type(&v.ty);
        arms.push(quote! {
            #docs
            #[serde(rename = #key)]
            #rust(#ty),
        });
    }
    Ok(quote! {
        #docs
        ///
        /// Serialized as exactly one of its variants' fields.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum #name {
            #(#arms)*
        }
    })
}

/// Where a field is rendered: in a struct (public, `rename_all = "camelCase"` applies) or in a
/// tagged enum's variant (neither).
#[derive(Clone, Copy, PartialEq)]
enum FieldIn {
    Struct,
    Variant,
}

fn render_field(field: &Field, place: FieldIn) -> Result<TokenStream> {
    let docs = doc_attrs(&field.doc, if place == FieldIn::Struct { 4 } else { 8 });
    let attrs = serde_attrs(field, place);
    let serde = (!attrs.is_empty()).then(|| quote! { #[serde(#(#attrs),*)] });
    let ty = rust_type(&field.ty);
    let ty = if field.required {
        quote! { #ty }
    } else {
        quote! { Option<#ty> }
    };
    let public = (place == FieldIn::Struct).then(|| quote! { pub });
    let name = ident(&field_name(field));
    Ok(quote! {
        #docs
        #serde
        #public #name: #ty,
    })
}

/// The arguments of a field's `#[serde(...)]`: `flatten`, or a rename where the name in Rust does
/// not give the JSON one and the defaults of an optional field.
fn serde_attrs(field: &Field, place: FieldIn) -> Vec<TokenStream> {
    if field.flatten {
        return vec![quote! { flatten }];
    }
    let mut attrs = Vec::new();
    let serde_name = match place {
        FieldIn::Struct => camel(&field_name(field)),
        FieldIn::Variant => field_name(field).trim_start_matches("r#").to_owned(),
    };
    if serde_name != field.json {
        let json = &field.json;
        attrs.push(quote! { rename = #json });
    }
    if !field.required {
        attrs.push(quote! { default });
        attrs.push(quote! { skip_serializing_if = "Option::is_none" });
    }
    attrs
}

/// A struct, its `new` (a struct the caller builds with required fields) and its redacting
/// `Debug` (a struct with a secret field).
fn render_struct(item: &StructItem) -> Result<Vec<TokenStream>> {
    let mut out = vec![struct_definition(item)?];
    let has_required = item.fields.iter().any(|f| f.required && !f.constant);
    if !item.server_owned && has_required {
        out.push(struct_new(item)?);
    }
    if item.redacted() {
        out.push(redacted_debug(item));
    }
    Ok(out)
}

fn struct_definition(item: &StructItem) -> Result<TokenStream> {
    let docs = doc_attrs(&item.doc, 0);
    let name = ident(&item.name);
    let debug = (!item.redacted()).then(|| quote! { Debug, });
    let all_optional = item.fields.iter().all(|f| !f.required || f.constant);
    let default = (item.server_owned || all_optional).then(|| quote! { Default, });
    // A one-pass struct's `Deserialize` comes from `one_pass_deserialize!` below the struct.
    let deserialize = (!item.one_pass()).then(|| quote! { , Deserialize });
    let server_owned = item.server_owned.then(|| {
        quote! {
            ///
            /// Fields Buzz-In adds later are kept in `extra`.
        }
    });
    let non_exhaustive = item.server_owned.then(|| quote! { #[non_exhaustive] });
    let fields = item
        .fields
        .iter()
        .map(|f| render_field(f, FieldIn::Struct))
        .collect::<Result<Vec<_>>>()?;
    let extra = item.extra.then(|| {
        quote! {
            /// Fields not described above, kept as sent (and sent as given).
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }
    });
    Ok(quote! {
        #docs
        #server_owned
        #[derive(#debug Clone, #default PartialEq, Serialize #deserialize)]
        #[serde(rename_all = "camelCase")]
        #non_exhaustive
        pub struct #name {
            #(#fields)*
            #extra
        }
    })
}

/// `new`, taking the required fields (`impl Into`) and leaving the rest empty.
fn struct_new(item: &StructItem) -> Result<TokenStream> {
    let optional = item.fields.iter().any(|f| !f.required);
    let what = match (optional || item.extra, item.extra) {
        (false, _) => "from its fields",
        (true, false) => "from its required fields; the optional ones start empty",
        (true, true) => {
            "from its required fields; the optional ones start empty and `extra` starts empty"
        }
    };
    let docs = doc_attrs(&format!("Builds the value {what}."), 4);
    let name = ident(&item.name);
    let mut params = Vec::new();
    let mut inits = Vec::new();
    for field in &item.fields {
        let rust = ident(&field_name(field));
        inits.push(if field.constant {
            quote! { #rust: Default::default(), }
        } else if field.required {
            let ty = rust_type(&field.ty);
            params.push(quote! { #rust: impl Into<#ty> });
            quote! { #rust: #rust.into(), }
        } else {
            quote! { #rust: None, }
        });
    }
    let extra = item
        .extra
        .then(|| quote! { extra: serde_json::Map::new(), });
    Ok(quote! {
        impl #name {
            #docs
            pub fn new(#(#params),*) -> Self {
                Self {
                    #(#inits)*
                    #extra
                }
            }
        }
    })
}

/// A `Debug` that prints a secret field as `[redacted]`.
fn redacted_debug(item: &StructItem) -> TokenStream {
    let name = ident(&item.name);
    let title = item.name.as_str();
    let fields = item.fields.iter().map(|field| {
        let label = field_name(field);
        if field.secret {
            quote! { .field(#label, &"[redacted]") }
        } else {
            let rust = ident(&field_name(field));
            quote! { .field(#label, &self.#rust) }
        }
    });
    let extra = item.extra.then(|| quote! { .field("extra", &self.extra) });
    quote! {
        impl fmt::Debug for #name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(#title)
                    #(#fields)*
                    #extra
                    .finish()
            }
        }
    }
}
