//! Output kind: an open enum of a module of models, of integer codes or of strings.
//!
//! The enum with its `Unknown` variant that keeps a value this version does not know, its
//! conversions from and to the raw value, `Display`, serde as the raw value, and, where the
//! spec names the codes, their names.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;
use serde_norway::Value;

use crate::codegen::format::doc_attrs;
use crate::codegen::model::ValueName;
use crate::codegen::names::{ident, variant_name};
use crate::codegen::Result;

/// The variants of an open enum and its `Unknown`, holding `raw`.
fn open_enum(
    name: &str,
    doc: &str,
    derives: TokenStream,
    variants: &[(String, Value, String)],
    raw: TokenStream,
) -> TokenStream {
    let docs = doc_attrs(doc, 0);
    let name = ident(name);
    let rust = variants.iter().map(|(name, _, _)| variant_name(name));
    let raw_docs = variants.iter().map(|(_, _, raw)| format!(" `{raw}`."));
    quote! {
        #docs
        ///
        /// Open: a value this version of the SDK does not know parses into `Unknown` and is kept.
        #[derive(#derives)]
        #[non_exhaustive]
        pub enum #name {
            #(
                #[doc = #raw_docs]
                #rust,
            )*
            /// A value this version of the SDK does not know, kept as sent.
            Unknown(#raw),
        }
    }
}

/// An open enum of integer codes: the enum, `code`, `From<i64>`, `Display` and serde as the
/// code.
pub(in crate::codegen) fn integer(
    name: &str,
    doc: &str,
    variants: &[(String, Value, String)],
    names: &[ValueName],
) -> Result<Vec<TokenStream>> {
    let definition = open_enum(
        name,
        doc,
        quote! { Debug, Clone, Copy, PartialEq, Eq, Hash },
        variants,
        quote! { i64 },
    );
    let rust: Vec<Ident> = variants
        .iter()
        .map(|(name, _, _)| variant_name(name))
        .collect();
    let codes = variants
        .iter()
        .map(|(_, _, raw)| {
            let code: i64 = raw.parse().map_err(|e| format!("{name} code {raw}: {e}"))?;
            Ok(Literal::i64_unsuffixed(code))
        })
        .collect::<Result<Vec<_>>>()?;
    let name = ident(name);
    let methods = quote! {
        impl #name {
            /// The value as Buzz-In sends it.
            pub fn code(&self) -> i64 {
                match self {
                    #(Self::#rust => #codes,)*
                    Self::Unknown(code) => *code,
                }
            }
        }
    };
    let from = quote! {
        impl From<i64> for #name {
            fn from(code: i64) -> Self {
                match code {
                    #(#codes => Self::#rust,)*
                    other => Self::Unknown(other),
                }
            }
        }
    };
    let display = quote! {
        impl fmt::Display for #name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.code())
            }
        }
    };
    let serialize = quote! {
        impl Serialize for #name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.code())
            }
        }
    };
    let deserialize = quote! {
        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                i64::deserialize(deserializer).map(Self::from)
            }
        }
    };
    let mut out = vec![definition, methods, from, display, serialize, deserialize];
    out.extend(value_names(&name, names));
    Ok(out)
}

/// The names of the codes, when the spec gives them: `NAMES` and `ASSUMED`.
fn value_names(name: &Ident, names: &[ValueName]) -> Option<TokenStream> {
    if names.is_empty() {
        return None;
    }
    let code = |v: &ValueName| Literal::i64_unsuffixed(v.code);
    let pairs = names.iter().map(|v| {
        let (code, name) = (code(v), &v.name);
        quote!((#code, #name))
    });
    let assumed: Vec<&ValueName> = names.iter().filter(|v| v.assumed).collect();
    let assumed_codes = assumed.iter().map(|v| code(v));
    let list = assumed
        .iter()
        .map(|v| format!("`{}` {}", v.code, v.name))
        .collect::<Vec<_>>()
        .join(", ");
    let assumed_doc = doc_attrs(
        &format!(
            "The codes the spec assumes for states the documentation names without a number \
             ({list}): a server sends them as `Unknown`. Assumed: the documentation does not \
             state these numbers."
        ),
        4,
    );
    Some(quote! {
        impl #name {
            /// The name each code goes with, as Buzz-In sends it beside the code: the documented
            /// codes first, then the [assumed](Self::ASSUMED) ones.
            pub const NAMES: &'static [(i64, &'static str)] = &[#(#pairs),*];

            #assumed_doc
            pub const ASSUMED: &'static [i64] = &[#(#assumed_codes),*];

            /// The name `code` goes with, from [`NAMES`](Self::NAMES).
            pub fn name_of(code: i64) -> Option<&'static str> {
                Self::NAMES.iter().find(|(known, _)| *known == code).map(|(_, name)| *name)
            }
        }
    })
}

/// An open enum of strings: the enum, `as_str`, `From<&str>`, `Display` and serde as the
/// string.
pub(in crate::codegen) fn string(
    name: &str,
    doc: &str,
    variants: &[(String, Value, String)],
) -> Vec<TokenStream> {
    let definition = open_enum(
        name,
        doc,
        quote! { Debug, Clone, PartialEq, Eq, Hash },
        variants,
        quote! { String },
    );
    let rust: Vec<Ident> = variants
        .iter()
        .map(|(name, _, _)| variant_name(name))
        .collect();
    let raw: Vec<&str> = variants.iter().map(|(_, _, raw)| raw.as_str()).collect();
    let name = ident(name);
    let methods = quote! {
        impl #name {
            /// The value as Buzz-In spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#rust => #raw,)*
                    Self::Unknown(other) => other,
                }
            }
        }
    };
    let from = quote! {
        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#raw => Self::#rust,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }
    };
    let display = quote! {
        impl fmt::Display for #name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    let serialize = quote! {
        impl Serialize for #name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
    let deserialize = quote! {
        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::models::open_enum::deserialize_str(deserializer)
            }
        }
    };
    vec![definition, methods, from, display, serialize, deserialize]
}
