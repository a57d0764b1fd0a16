//! Text kept inline, so that [`Timestamp`](super::Timestamp) and [`Date`](super::Date) are `Copy`.
//!
//! They serialize back exactly what they were given.

/// The longest text a `Timestamp` or a `Date` keeps, in bytes. Every RFC 3339 date-time
/// with up to nine fractional digits fits (35 bytes at most). A longer value from the server
/// is rewritten in Buzz-In's own form when it parses (`2026-07-01T06:00:00.000Z`) and refused
/// as not a date-time when it does not.
pub(super) const MAX_TEXT_LEN: usize = 47;

/// Text kept inline, so that the types holding it are `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Text {
    pub(super) len: u8,
    pub(super) bytes: [u8; MAX_TEXT_LEN],
}

impl Text {
    pub(super) const EMPTY: Text = Text {
        len: 0,
        bytes: [0; MAX_TEXT_LEN],
    };

    /// `0000-01-01`, then zeros.
    pub(super) const fn first_date_bytes() -> [u8; MAX_TEXT_LEN] {
        let mut bytes = [0; MAX_TEXT_LEN];
        let date = b"0000-01-01";
        let mut i = 0;
        while i < date.len() {
            bytes[i] = date[i];
            i += 1;
        }
        bytes
    }

    pub(super) fn new(text: &str) -> Option<Self> {
        if text.len() > MAX_TEXT_LEN {
            return None;
        }
        let mut bytes = [0; MAX_TEXT_LEN];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Some(Text {
            len: text.len() as u8,
            bytes,
        })
    }

    pub(super) fn as_str(&self) -> &str {
        // Always whole UTF-8: `new` copies a whole `&str`.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}
