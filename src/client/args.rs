//! Arguments of operations that would otherwise take several values of one type in a row
//! (three strings, two instants): named, so that they cannot be swapped by position.

use std::fmt;
use std::ops::RangeInclusive;

use crate::models::{FlatId, PropertyId, Timestamp};

/// A person's name, email and phone: a contractor's representative, a property manager.
///
/// ```
/// use buzzin::client::Contact;
///
/// let contact = Contact {
///     name: "Ahmed Contracting LLC Rep".into(),
///     email: "ops@ahmed-contracting.ae".into(),
///     phone: "+971500000000".into(),
/// };
/// # let _ = contact;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The person's name.
    pub name: String,
    /// The email address.
    pub email: String,
    /// The phone number, in international format (`+9715…`).
    pub phone: String,
}

/// A unit of a property, by Buzz-In ids.
///
/// ```
/// use buzzin::client::Unit;
///
/// let unit = Unit {
///     property_id: "66e0000000000000000000a1".into(),
///     flat_id: "66e0000000000000000000b1".into(),
/// };
/// # let _ = unit;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The property (`propertyId`).
    pub property_id: PropertyId,
    /// The unit within it (`flatId`).
    pub flat_id: FlatId,
}

/// A validity window, `valid_from..=valid_till`: a range cannot be written the wrong way round
/// by position, and a reversed one is refused before sending.
pub type Validity = RangeInclusive<Timestamp>;

/// The secret read from a gate's NFC tag. Built only with [`DeviceSecret::new`] (there is no
/// conversion from a string, so it cannot be swapped with the document id), and never shown by
/// `Debug`.
///
/// ```
/// use buzzin::client::DeviceSecret;
///
/// let secret = DeviceSecret::new("abc123xyz789");
/// assert_eq!(format!("{secret:?}"), "DeviceSecret([redacted])");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceSecret(pub(crate) String);

impl DeviceSecret {
    /// Wraps the secret read from the tag.
    pub fn new(secret: impl Into<String>) -> Self {
        DeviceSecret(secret.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DeviceSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceSecret([redacted])")
    }
}
