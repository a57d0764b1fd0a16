//! Conversions of [`Timestamp`] and [`Date`] with the `chrono`, `time` and `jiff` crates, each
//! behind the feature of the same name. Into the SDK's types they cannot fail (a value outside
//! years 0000–9999 is clamped for a [`Date`]); out of them they fail with [`InvalidTimestamp`]
//! for a value from the server that did not parse, or one the other crate cannot hold.

#[allow(unused_imports)]
use super::{Date, InvalidTimestamp, Timestamp};

/// The error of a conversion out of `text`.
#[allow(dead_code)]
fn unconvertible(text: &str, target: &'static str) -> InvalidTimestamp {
    InvalidTimestamp::new(text, target)
}

#[cfg(feature = "chrono")]
mod chrono_impls {
    use super::{unconvertible, Date, InvalidTimestamp, Timestamp};

    /// The instant, to the millisecond (feature `chrono`).
    impl<Tz: chrono::TimeZone> From<chrono::DateTime<Tz>> for Timestamp {
        fn from(time: chrono::DateTime<Tz>) -> Self {
            Timestamp::from_unix_millis(time.timestamp_millis())
        }
    }

    /// The instant in UTC (feature `chrono`); fails for a value that did not parse.
    impl TryFrom<Timestamp> for chrono::DateTime<chrono::Utc> {
        type Error = InvalidTimestamp;

        fn try_from(time: Timestamp) -> Result<Self, InvalidTimestamp> {
            time.unix_millis()
                .and_then(chrono::DateTime::from_timestamp_millis)
                .ok_or_else(|| unconvertible(time.as_str(), "a date-time chrono can hold"))
        }
    }

    /// The same calendar day (feature `chrono`), clamped to years 0000–9999.
    impl From<chrono::NaiveDate> for Date {
        fn from(date: chrono::NaiveDate) -> Self {
            use chrono::Datelike;
            Date::clamped(i64::from(date.year()), date.month(), date.day())
        }
    }

    /// The same calendar day (feature `chrono`); fails for a value that did not parse.
    impl TryFrom<Date> for chrono::NaiveDate {
        type Error = InvalidTimestamp;

        fn try_from(date: Date) -> Result<Self, InvalidTimestamp> {
            date.ymd()
                .and_then(|(y, m, d)| chrono::NaiveDate::from_ymd_opt(y, m, d))
                .ok_or_else(|| unconvertible(date.as_str(), "a date chrono can hold"))
        }
    }
}

#[cfg(feature = "time")]
mod time_impls {
    use super::{unconvertible, Date, InvalidTimestamp, Timestamp};

    /// The instant, to the millisecond (feature `time`).
    impl From<time::OffsetDateTime> for Timestamp {
        fn from(time: time::OffsetDateTime) -> Self {
            let millis = time.unix_timestamp_nanos().div_euclid(1_000_000);
            Timestamp::from_unix_millis(millis as i64)
        }
    }

    /// The instant in UTC (feature `time`); fails for a value that did not parse.
    impl TryFrom<Timestamp> for time::OffsetDateTime {
        type Error = InvalidTimestamp;

        fn try_from(stamp: Timestamp) -> Result<Self, InvalidTimestamp> {
            stamp
                .unix_millis()
                .and_then(|ms| {
                    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
                })
                .ok_or_else(|| unconvertible(stamp.as_str(), "a date-time `time` can hold"))
        }
    }

    /// The same calendar day (feature `time`), clamped to years 0000–9999.
    impl From<time::Date> for Date {
        fn from(date: time::Date) -> Self {
            Date::clamped(
                i64::from(date.year()),
                u32::from(u8::from(date.month())),
                u32::from(date.day()),
            )
        }
    }

    /// The same calendar day (feature `time`); fails for a value that did not parse.
    impl TryFrom<Date> for time::Date {
        type Error = InvalidTimestamp;

        fn try_from(date: Date) -> Result<Self, InvalidTimestamp> {
            date.ymd()
                .and_then(|(y, m, d)| {
                    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
                    time::Date::from_calendar_date(y, month, u8::try_from(d).ok()?).ok()
                })
                .ok_or_else(|| unconvertible(date.as_str(), "a date `time` can hold"))
        }
    }
}

#[cfg(feature = "jiff")]
mod jiff_impls {
    use super::{unconvertible, Date, InvalidTimestamp, Timestamp};

    /// The instant, to the millisecond (feature `jiff`).
    impl From<jiff::Timestamp> for Timestamp {
        fn from(time: jiff::Timestamp) -> Self {
            Timestamp::from_unix_millis(time.as_millisecond())
        }
    }

    /// The instant (feature `jiff`); fails for a value that did not parse.
    impl TryFrom<Timestamp> for jiff::Timestamp {
        type Error = InvalidTimestamp;

        fn try_from(time: Timestamp) -> Result<Self, InvalidTimestamp> {
            time.unix_millis()
                .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                .ok_or_else(|| unconvertible(time.as_str(), "a date-time jiff can hold"))
        }
    }

    /// The same calendar day (feature `jiff`), clamped to years 0000–9999.
    impl From<jiff::civil::Date> for Date {
        fn from(date: jiff::civil::Date) -> Self {
            Date::clamped(
                i64::from(date.year()),
                date.month() as u32,
                date.day() as u32,
            )
        }
    }

    /// The same calendar day (feature `jiff`); fails for a value that did not parse.
    impl TryFrom<Date> for jiff::civil::Date {
        type Error = InvalidTimestamp;

        fn try_from(date: Date) -> Result<Self, InvalidTimestamp> {
            date.ymd()
                .and_then(|(y, m, d)| {
                    jiff::civil::Date::new(
                        i16::try_from(y).ok()?,
                        i8::try_from(m).ok()?,
                        i8::try_from(d).ok()?,
                    )
                    .ok()
                })
                .ok_or_else(|| unconvertible(date.as_str(), "a date jiff can hold"))
        }
    }
}

#[cfg(test)]
mod tests {
    #[allow(unused_imports)]
    use super::{Date, Timestamp};

    #[cfg(feature = "chrono")]
    #[test]
    fn chrono_round_trips() {
        let t = Timestamp::parse("2026-07-01T10:00:00.250+04:00").unwrap();
        let c = chrono::DateTime::<chrono::Utc>::try_from(t).unwrap();
        assert_eq!(c.timestamp_millis(), 1_782_885_600_250);
        assert_eq!(Timestamp::from(c).as_str(), "2026-07-01T06:00:00.250Z");
        let d = Date::parse("2028-02-29").unwrap();
        let n = chrono::NaiveDate::try_from(d).unwrap();
        assert_eq!(n, chrono::NaiveDate::from_ymd_opt(2028, 2, 29).unwrap());
        assert_eq!(Date::from(n), d);
        let odd: Timestamp = serde_json::from_str("\"soon\"").unwrap();
        assert!(chrono::DateTime::<chrono::Utc>::try_from(odd).is_err());
    }

    #[cfg(feature = "time")]
    #[test]
    fn time_round_trips() {
        let t = Timestamp::parse("1969-12-31T23:59:59.999Z").unwrap();
        let o = time::OffsetDateTime::try_from(t).unwrap();
        assert_eq!(o.unix_timestamp_nanos(), -1_000_000);
        assert_eq!(Timestamp::from(o), t);
        let d = Date::parse("2027-03-31").unwrap();
        let td = time::Date::try_from(d).unwrap();
        assert_eq!((td.year(), u8::from(td.month()), td.day()), (2027, 3, 31));
        assert_eq!(Date::from(td), d);
    }

    #[cfg(feature = "jiff")]
    #[test]
    fn jiff_round_trips() {
        let t = Timestamp::parse("2026-07-01T06:00:00.123Z").unwrap();
        let j = jiff::Timestamp::try_from(t).unwrap();
        assert_eq!(j.as_millisecond(), 1_782_885_600_123);
        assert_eq!(Timestamp::from(j), t);
        let d = Date::parse("2027-03-31").unwrap();
        let jd = jiff::civil::Date::try_from(d).unwrap();
        assert_eq!(jd, jiff::civil::date(2027, 3, 31));
        assert_eq!(Date::from(jd), d);
    }
}
