//! Output kind: the one-pass `Deserialize` of a struct, a `visit_map` that reads each known key
//! into its field and every other key into `extra` (`crate::models::object_de` holds the shared parts).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::model::{Field, StructItem};
use super::Result;

/// Local names of the generated `visit`, which a field's variable must not shadow.
const RESERVED: [&str; 3] = ["map", "key", "extra"];

/// The `Deserialize` and `object_de::Object` impls of `item`.
pub(super) fn tokens(item: &StructItem) -> Result<[TokenStream; 2]> {
    let name = format_ident!("{}", item.name);
    let expecting = format!("struct {}", item.name);
    let mut slots = Vec::new();
    let mut arms = Vec::new();
    let mut inits = Vec::new();
    for field in &item.fields {
        let (slot, arm, init) = field_parts(field)?;
        slots.push(slot);
        arms.push(arm);
        inits.push(init);
    }
    let (extra_slot, other_arm, extra_init) = if item.extra {
        (
            quote! { let mut extra = serde_json::Map::new(); },
            quote! { _ => crate::models::object_de::extra(&mut map, &mut extra, key)?, },
            quote! { extra, },
        )
    } else {
        (
            quote! {},
            quote! { _ => { map.next_value::<serde::de::IgnoredAny>()?; } },
            quote! {},
        )
    };
    let deserialize = quote! {
        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::models::object_de::deserialize(deserializer)
            }
        }
    };
    let object = quote! {
        impl<'de> crate::models::object_de::Object<'de> for #name {
            const EXPECTING: &'static str = #expecting;

            fn visit<A: serde::de::MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
                #(#slots)*
                #extra_slot
                while let Some(crate::models::object_de::Key(key)) = map.next_key()? {
                    match &*key {
                        #(#arms)*
                        #other_arm
                    }
                }
                Ok(Self {
                    #(#inits)*
                    #extra_init
                })
            }
        }
    };
    Ok([deserialize, object])
}

/// A field's slot (`let mut name: Option<T> = None;`), its match arm and its initializer.
fn field_parts(field: &Field) -> Result<(TokenStream, TokenStream, TokenStream)> {
    let bare = field.rust.trim_start_matches("r#");
    if RESERVED.contains(&bare) {
        return Err(format!(
            "field {bare}: the name is taken by the generated visit_map"
        ));
    }
    let var: TokenStream = field
        .rust
        .parse()
        .map_err(|e| format!("field {}: {e}", field.rust))?;
    let ty: syn::Type =
        syn::parse_str(&field.ty.rust()).map_err(|e| format!("field {}: {e}", field.rust))?;
    let json = field.json.as_str();
    let arm = quote! { #json => crate::models::object_de::field(&mut map, &mut #var, #json)?, };
    Ok(if field.required {
        (
            quote! { let mut #var: Option<#ty> = None; },
            arm,
            quote! { #var: crate::models::object_de::required(#var, #json)?, },
        )
    } else {
        // `Some(None)` is an explicit `null`: `None` in the model, and still a duplicate if the
        // key comes again.
        (
            quote! { let mut #var: Option<Option<#ty>> = None; },
            arm,
            quote! { #var: #var.flatten(), },
        )
    })
}
