//! Buzz-In's two time formats: ISO-8601 UTC date-times and calendar dates.
//!
//! Both types are small `Copy` values that keep the exact text Buzz-In sent (inline, up to 47
//! bytes), so a value always serializes back unchanged; a value from the
//! server that does not parse is kept as is rather than failing the whole response. Values a
//! caller builds are checked when they are built.
//!
//! Conversions: [`SystemTime`] both ways (to it with `TryFrom`, as a server value that did not
//! parse has no instant), and, behind the features of the same names, `chrono`, `time` and
//! `jiff` (`convert.rs`).

mod civil;
#[cfg(any(feature = "chrono", feature = "time", feature = "jiff"))]
mod convert;
mod date;
mod text;
mod timestamp;

#[cfg(feature = "client")]
pub(crate) use civil::days_from_civil;
pub use date::Date;
pub use timestamp::Timestamp;

/// A date-time or date that is not in the form Buzz-In expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not {expected}")]
pub struct InvalidTimestamp {
    value: String,
    expected: &'static str,
}

const EXPECTED_DATE_TIME: &str = "an RFC 3339 date-time such as 2026-07-01T06:00:00.000Z";
const EXPECTED_DATE: &str = "a date such as 2027-03-31";

impl InvalidTimestamp {
    fn new(text: &str, expected: &'static str) -> Self {
        InvalidTimestamp {
            value: shorten(text),
            expected,
        }
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(64).collect()
}

/// The trait impls [`Timestamp`] and [`Date`] share. Each keeps its text beside a key parsed from
/// it (`millis`, `ymd`: `None` for a server value that did not parse): equality, hashing and
/// order go by the key, then the text; printing and serde by the text. Each moves by a
/// [`Duration`](std::time::Duration) through its own `shifted(step(duration))`, and reads a
/// server value with its own `from_server`.
macro_rules! text_value_impls {
    (
        $ty:ident,
        key: $key:ident,
        step: $step:path,
        expecting: $expecting:literal,
        order: $order:literal,
        add: $add:literal,
        sub: $sub:literal $(,)?
    ) => {
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                self.$key == other.$key && self.text == other.text
            }
        }

        impl Eq for $ty {}

        impl std::hash::Hash for $ty {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.$key.hash(state);
                self.as_str().hash(state);
            }
        }

        #[doc = $order]
        impl Ord for $ty {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.$key
                    .cmp(&other.$key)
                    .then_with(|| self.as_str().cmp(other.as_str()))
            }
        }

        impl PartialOrd for $ty {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        #[doc = $add]
        impl std::ops::Add<std::time::Duration> for $ty {
            type Output = $ty;

            fn add(self, duration: std::time::Duration) -> $ty {
                self.shifted($step(duration))
            }
        }

        #[doc = $sub]
        impl std::ops::Sub<std::time::Duration> for $ty {
            type Output = $ty;

            fn sub(self, duration: std::time::Duration) -> $ty {
                self.shifted(-$step(duration))
            }
        }

        impl std::ops::AddAssign<std::time::Duration> for $ty {
            fn add_assign(&mut self, duration: std::time::Duration) {
                *self = *self + duration;
            }
        }

        impl std::ops::SubAssign<std::time::Duration> for $ty {
            fn sub_assign(&mut self, duration: std::time::Duration) {
                *self = *self - duration;
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::models::InvalidTimestamp;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct TextVisitor;

                impl serde::de::Visitor<'_> for TextVisitor {
                    type Value = $ty;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_str<E: serde::de::Error>(self, raw: &str) -> Result<$ty, E> {
                        <$ty>::from_server(raw).map_err(E::custom)
                    }
                }

                deserializer.deserialize_str(TextVisitor)
            }
        }
    };
}

pub(super) use text_value_impls;

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::text::MAX_TEXT_LEN;
    use super::*;

    #[test]
    fn parses_buzzin_form_and_offsets() {
        let t = Timestamp::parse("2026-07-01T06:00:00.000Z").unwrap();
        assert_eq!(t.unix_millis(), Some(1_782_885_600_000));
        let shifted = Timestamp::parse("2026-07-01T10:00:00+04:00").unwrap();
        assert_eq!(shifted.unix_millis(), t.unix_millis());
        assert_eq!(shifted.as_str(), "2026-07-01T10:00:00+04:00");
        let fine = Timestamp::parse("2026-07-01T06:00:00.123456Z").unwrap();
        assert_eq!(fine.unix_millis(), Some(1_782_885_600_123));
    }

    #[test]
    fn writes_utc_with_millis_and_round_trips() {
        for ms in [
            0,
            1,
            999,
            1_782_885_600_123,
            -1,
            -86_400_001,
            253_402_300_799_999,
        ] {
            let t = Timestamp::from_unix_millis(ms);
            assert_eq!(
                Timestamp::parse(t.as_str()).unwrap().unix_millis(),
                Some(ms),
                "{t}"
            );
        }
        assert_eq!(
            Timestamp::from_unix_millis(0).as_str(),
            "1970-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "2026-07-01",
            "2026-07-01T06:00:00",
            "2026-13-01T06:00:00Z",
            "2026-02-30T06:00:00Z",
            "2026-07-01T24:00:00Z",
            "2026-07-01T06:00:00.Z",
            "2026-07-01T06:00:00+4:00",
            "tomorrow",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn server_values_that_do_not_parse_are_kept() {
        let t: Timestamp = serde_json::from_str("\"not a date\"").unwrap();
        assert_eq!(t.unix_millis(), None);
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"not a date\"");
        let d: Date = serde_json::from_str("\"31/03/2027\"").unwrap();
        assert_eq!(d.ymd(), None);
        assert_eq!(d.as_str(), "31/03/2027");
    }

    #[test]
    fn timestamps_compute_order_and_convert() {
        let from = Timestamp::parse("2026-07-01T06:00:00.000Z").unwrap();
        let mut till = from + Duration::from_secs(90);
        assert_eq!(till.as_str(), "2026-07-01T06:01:30.000Z");
        till -= Duration::from_millis(1);
        assert_eq!(till.as_str(), "2026-07-01T06:01:29.999Z");
        till += Duration::from_millis(1);
        assert_eq!(till - Duration::from_secs(90), from);
        assert!(from < till);
        assert_eq!(till.cmp(&from), Ordering::Greater);
        assert_eq!(till.duration_since(from), Some(Duration::from_secs(90)));
        assert_eq!(from.duration_since(till), None);
        // The same instant, written differently: equal instants, told apart by text.
        let shifted = Timestamp::parse("2026-07-01T10:00:00+04:00").unwrap();
        assert_ne!(shifted, from);
        assert_eq!(shifted.unix_millis(), from.unix_millis());
        assert!(shifted < till);
        let mut sorted = [till, from, Timestamp::from_unix_millis(-1)];
        sorted.sort();
        assert_eq!(sorted[0].as_str(), "1969-12-31T23:59:59.999Z");
        // SystemTime both ways, before and after the epoch.
        for t in [from, Timestamp::from_unix_millis(-86_400_001)] {
            let system = SystemTime::try_from(t).unwrap();
            assert_eq!(Timestamp::from(system), t);
        }
        // A value from the server that did not parse: kept, unchanged by arithmetic, not an
        // instant, first in order.
        let odd: Timestamp = serde_json::from_str("\"soon\"").unwrap();
        assert_eq!(odd + Duration::from_secs(1), odd);
        assert!(SystemTime::try_from(odd).is_err());
        assert!(odd < Timestamp::from_unix_millis(i64::MIN));
        // Saturates rather than overflowing.
        let end = Timestamp::from_unix_millis(i64::MAX) + Duration::from_secs(1);
        assert_eq!(end.unix_millis(), Some(i64::MAX));
    }

    #[test]
    fn long_texts_are_rewritten_or_refused() {
        let long = "2026-07-01T06:00:00.123456789012345678901234567Z";
        assert!(long.len() > MAX_TEXT_LEN);
        let t: Timestamp = serde_json::from_str(&format!("\"{long}\"")).unwrap();
        assert_eq!(t.as_str(), "2026-07-01T06:00:00.123Z");
        let garbage = format!("\"{}\"", "x".repeat(MAX_TEXT_LEN + 1));
        assert!(serde_json::from_str::<Timestamp>(&garbage).is_err());
        assert!(serde_json::from_str::<Date>(&garbage).is_err());
        let kept = format!("\"{}\"", "x".repeat(MAX_TEXT_LEN));
        let t: Timestamp = serde_json::from_str(&kept).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), kept);
    }

    #[test]
    fn dates_compute_order_and_convert() {
        let d = Date::parse("2028-02-28").unwrap();
        assert_eq!((d + Duration::from_secs(86_400)).as_str(), "2028-02-29");
        assert_eq!(
            (d + Duration::from_secs(2 * 86_400 - 1)).as_str(),
            "2028-02-29"
        );
        let mut e = d;
        e += Duration::from_secs(366 * 86_400);
        assert_eq!(e.as_str(), "2029-02-28");
        e -= Duration::from_secs(366 * 86_400);
        assert_eq!(e, d);
        assert!(d < Date::parse("2028-03-01").unwrap());
        let midnight = SystemTime::try_from(d).unwrap();
        assert_eq!(
            Timestamp::from(midnight).as_str(),
            "2028-02-28T00:00:00.000Z"
        );
        assert_eq!(Date::from(midnight + Duration::from_secs(86_399)), d);
        assert_eq!(
            Date::from(UNIX_EPOCH - Duration::from_secs(1)).as_str(),
            "1969-12-31"
        );
        let last = Date::parse("9999-12-31").unwrap();
        assert_eq!(last + Duration::from_secs(86_400), last);
        assert_eq!(Date::clamped(12_000, 1, 1), last);
        assert_eq!(Date::clamped(-5, 6, 1).as_str(), "0000-01-01");
        let odd: Date = serde_json::from_str("\"31/03/2027\"").unwrap();
        assert!(SystemTime::try_from(odd).is_err());
        assert_eq!(odd - Duration::from_secs(86_400), odd);
    }

    #[test]
    fn dates_are_checked() {
        assert_eq!(
            Date::parse("2028-02-29").unwrap().ymd(),
            Some((2028, 2, 29))
        );
        for bad in [
            "2027-02-29",
            "2027-3-31",
            "2027-03-31T00:00:00Z",
            "2027-00-10",
            "",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(Date::new(2027, 4, 31).is_err());
        let err = Date::parse("31/03/2027").unwrap_err().to_string();
        assert!(
            err.contains("31/03/2027") && err.contains("2027-03-31"),
            "{err}"
        );
    }
}
