//! Serde support for the generated models: one pass over a JSON object.
//!
//! Known keys go into their fields, every other key into `extra`.
//!
//! `#[serde(flatten)] extra` would make serde buffer the whole object into its internal
//! `Content` tree and deserialize it a second time. The generated models instead call
//! [`one_pass_deserialize!`], which implements [`Object`] (a `visit_map` over the keys) and a
//! `Deserialize` that hands it to [`deserialize`]. Behaviour is that of the derive with
//! `flatten`: a known key given twice is an error naming it, an unknown key given twice keeps
//! the last value, an explicit `null` of an optional field is `None`, a missing required field
//! is an error naming it.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// Implements `Deserialize` for a model struct in one pass over its JSON object.
///
/// `Name (extra) { field: "jsonName", other: "otherName" (required) }`: each field with its
/// JSON key, `(required)` for a field that must be present (any other is an `Option`), and
/// `(extra)` when the struct keeps the keys it does not describe in its `extra` map (without
/// it, they are skipped).
macro_rules! one_pass_deserialize {
    (
        $name:ident $(($extra:ident))? {
            $($field:ident: $json:literal $(($required:ident))?),* $(,)?
        }
    ) => {
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::models::object_de::deserialize(deserializer)
            }
        }

        impl<'de> $crate::models::object_de::Object<'de> for $name {
            const EXPECTING: &'static str = concat!("struct ", stringify!($name));

            fn visit<A: serde::de::MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
                $(let mut $field = None;)*
                $(let mut $extra = serde_json::Map::new();)?
                while let Some($crate::models::object_de::Key(key)) = map.next_key()? {
                    match &*key {
                        $($json => $crate::models::object_de::field(&mut map, &mut $field, $json)?,)*
                        _ => one_pass_deserialize!(@other map key $($extra)?),
                    }
                }
                Ok(Self {
                    $($field: one_pass_deserialize!(@value $field $json $($required)?),)*
                    $($extra,)?
                })
            }
        }
    };
    (@other $map:ident $key:ident $extra:ident) => {
        $crate::models::object_de::extra(&mut $map, &mut $extra, $key)?
    };
    (@other $map:ident $key:ident) => {{
        $map.next_value::<serde::de::IgnoredAny>()?;
    }};
    (@value $field:ident $json:literal required) => {
        $crate::models::object_de::required($field, $json)?
    };
    // `Some(None)` is an explicit `null`: `None` in the model, and still a duplicate if the key
    // comes again.
    (@value $field:ident $json:literal) => {
        $field.flatten()
    };
}

pub(crate) use one_pass_deserialize;

/// A model read from a JSON object in one pass.
pub(crate) trait Object<'de>: Sized {
    /// What the error for input that is not an object says was expected (`struct Name`, as
    /// serde's derive says).
    const EXPECTING: &'static str;

    /// Reads the object's entries into the model.
    fn visit<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// Deserializes a model from a map, in one pass.
pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Object<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    struct ObjectVisitor<T>(PhantomData<T>);

    impl<'de, T: Object<'de>> Visitor<'de> for ObjectVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(T::EXPECTING)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::visit(map)
        }
    }

    deserializer.deserialize_map(ObjectVisitor(PhantomData))
}

/// An object key, borrowed from the input unless it holds escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }

            fn visit_string<E: de::Error>(self, key: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key)))
            }
        }

        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// Reads the value of a known field into its slot; a second value for it is an error naming it.
pub(crate) fn field<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// Reads the value of a key the model does not describe into `extra`; the last of two values
/// for one key is kept.
pub(crate) fn extra<'de, A: MapAccess<'de>>(
    map: &mut A,
    extra: &mut Map<String, Value>,
    key: Cow<'de, str>,
) -> Result<(), A::Error> {
    let value = map.next_value()?;
    extra.insert(key.into_owned(), value);
    Ok(())
}

/// The value of a required field, or the error naming it.
pub(crate) fn required<T, E: de::Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| de::Error::missing_field(name))
}
