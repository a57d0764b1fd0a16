//! Output kind: the `validate()` of a request model.
//!
//! It checks every value the spec marks as never empty (a typed id, a string with a
//! `minLength`), in nested request models too, and names the first at fault by its JSON path.

use std::collections::{BTreeSet, HashMap};

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::codegen::model::{Item, NonEmpty, StructItem, Ty};
use crate::codegen::names::{field_name, ident};

/// Every model item by name (a request's fields refer to models of other modules), and the
/// names of the models operations send.
pub(super) struct Index<'m> {
    pub(super) items: HashMap<&'m str, &'m Item>,
    pub(super) requests: &'m BTreeSet<String>,
}

/// What a module's `validate()`s call, so that it imports them.
#[derive(Default)]
pub(super) struct Needs {
    pub(super) id: bool,
    pub(super) text: bool,
}

/// Where a value is: a place reached from `self` (`self.visitor.name`), or a reference bound
/// by an `if let`, a `for` or a `match`.
#[derive(Clone)]
enum Place {
    Owned(TokenStream),
    Ref(Ident),
}

/// The `validate()` of a model an operation sends, when the spec marks any of its values
/// (the models it holds are checked in it, named by their path).
pub(super) fn method(item: &StructItem, index: &Index, needs: &mut Needs) -> Option<TokenStream> {
    if item.server_owned || !index.requests.contains(&item.name) {
        return None;
    }
    let checks = struct_checks(item, &quote!(self), "", index, needs);
    if checks.is_empty() {
        return None;
    }
    let name = ident(&item.name);
    Some(quote! {
        #[cfg(feature = "client")]
        #[cfg_attr(docsrs, doc(cfg(feature = "client")))]
        impl #name {
            /// Checks the values the spec marks as never empty (ids, and strings with a minimum
            /// length), in the models it holds too: fails with
            /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) naming the first at fault.
            pub fn validate(&self) -> Result<(), crate::Error> {
                #(#checks)*
                Ok(())
            }
        }
    })
}

fn struct_checks(
    item: &StructItem,
    at: &TokenStream,
    prefix: &str,
    index: &Index,
    needs: &mut Needs,
) -> Vec<TokenStream> {
    let mut out = Vec::new();
    for field in &item.fields {
        let rust = ident(&field_name(field));
        let place = quote!(#at.#rust);
        let path = match (prefix, field.flatten) {
            (_, true) => prefix.to_owned(),
            ("", false) => field.json.clone(),
            (_, false) => format!("{prefix}.{}", field.json),
        };
        let list = matches!(field.ty, Ty::Vec(_));
        let inner = |place: Place, needs: &mut Needs| -> Vec<TokenStream> {
            match (field.non_empty, &field.ty) {
                (Some(kind), _) => vec![check(kind, &path, place, needs)],
                (None, Ty::Named(name)) => named_checks(name, place, &path, index, needs),
                _ => Vec::new(),
            }
        };
        // A marked value is `value`; a model is named after its field.
        let var = match field.non_empty {
            Some(_) => format_ident!("value"),
            None => format_ident!("{}", field_name(field).trim_start_matches("r#")),
        };
        let checks = match (field.required, list) {
            (true, false) => inner(Place::Owned(place.clone()), needs),
            _ => inner(Place::Ref(var.clone()), needs),
        };
        if checks.is_empty() {
            continue;
        }
        out.push(match (field.required, list) {
            (true, false) => quote! { #(#checks)* },
            (true, true) => quote! { for #var in &#place { #(#checks)* } },
            (false, true) => quote! { for #var in #place.iter().flatten() { #(#checks)* } },
            (false, false) => match chained(&checks) {
                // An optional model whose one check is itself on an optional field: one `if`
                // with a let chain, as clippy's `collapsible_if` asks.
                Some(rest) => quote! { if let Some(#var) = &#place && #rest },
                None => quote! { if let Some(#var) = &#place { #(#checks)* } },
            },
        });
    }
    out
}

/// When `checks` is one `if …`, what follows its `if` (to chain it onto an outer `if let`).
fn chained(checks: &[TokenStream]) -> Option<TokenStream> {
    let [only] = checks else {
        return None;
    };
    let mut tokens = only.clone().into_iter();
    match tokens.next() {
        Some(proc_macro2::TokenTree::Ident(first)) if first == "if" => Some(tokens.collect()),
        _ => None,
    }
}

/// The checks inside a model a field holds: a request struct's, or a choice's variant's.
fn named_checks(
    name: &str,
    place: Place,
    path: &str,
    index: &Index,
    needs: &mut Needs,
) -> Vec<TokenStream> {
    match index.items.get(name) {
        Some(Item::Struct(item)) if !item.server_owned => {
            let at = match place {
                Place::Owned(at) => at,
                Place::Ref(var) => quote!(#var),
            };
            struct_checks(item, &at, path, index, needs)
        }
        Some(Item::Choice { name, variants, .. }) => {
            let marked: Vec<_> = variants
                .iter()
                .filter_map(|v| Some((v, v.non_empty?)))
                .collect();
            if marked.is_empty() {
                return Vec::new();
            }
            let name = ident(name);
            let value = format_ident!("value");
            let arms = marked.iter().map(|(variant, kind)| {
                let rust = ident(&variant.name);
                let path = match path {
                    "" => variant.key.clone(),
                    _ => format!("{path}.{}", variant.key),
                };
                let check = check(*kind, &path, Place::Ref(value.clone()), needs);
                quote! { #name::#rust(#value) => { #check } }
            });
            let rest = (marked.len() < variants.len()).then(|| quote! { _ => {} });
            let at = match place {
                Place::Owned(at) => quote!(&#at),
                Place::Ref(var) => quote!(#var),
            };
            vec![quote! { match #at { #(#arms)* #rest } }]
        }
        _ => Vec::new(),
    }
}

fn check(kind: NonEmpty, path: &str, place: Place, needs: &mut Needs) -> TokenStream {
    match (kind, place) {
        (NonEmpty::Id, Place::Owned(at)) => {
            needs.id = true;
            quote! { require_id(#path, #at.as_str())?; }
        }
        (NonEmpty::Id, Place::Ref(var)) => {
            needs.id = true;
            quote! { require_id(#path, #var.as_str())?; }
        }
        (NonEmpty::Text, Place::Owned(at)) => {
            needs.text = true;
            quote! { require_text(#path, &#at)?; }
        }
        (NonEmpty::Text, Place::Ref(var)) => {
            needs.text = true;
            quote! { require_text(#path, #var)?; }
        }
    }
}
