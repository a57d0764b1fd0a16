//! Buzz-In's two time formats: ISO-8601 UTC date-times and calendar dates.
//!
//! Both types keep the exact text Buzz-In sent, so a value always serializes back unchanged; a
//! value from the server that does not parse is kept as is rather than failing the whole
//! response. Values a caller builds are checked when they are built.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, written as ISO-8601 / RFC 3339 (`2026-07-01T06:00:00.000Z`).
///
/// Buzz-In sends UTC with milliseconds; [`Timestamp::from_unix_millis`] and
/// [`Timestamp::now`] write that form. [`Timestamp::parse`] also accepts other offsets and
/// precisions, and keeps the text as given.
///
/// ```
/// use buzzin::models::Timestamp;
///
/// let from = Timestamp::parse("2026-07-01T06:00:00.000Z")?;
/// let till = Timestamp::from_unix_millis(from.unix_millis().unwrap() + 3_600_000);
/// assert_eq!(till.as_str(), "2026-07-01T07:00:00.000Z");
/// assert!(till.unix_millis() > from.unix_millis());
/// # Ok::<(), buzzin::models::InvalidTimestamp>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    raw: String,
    millis: Option<i64>,
}

/// A calendar date, written `YYYY-MM-DD` (a trade licence's or a NOC's expiry date).
///
/// ```
/// use buzzin::models::Date;
///
/// let expiry = Date::parse("2027-03-31")?;
/// assert_eq!(expiry, Date::new(2027, 3, 31)?);
/// assert_eq!(expiry.to_string(), "2027-03-31");
/// # Ok::<(), buzzin::models::InvalidTimestamp>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Date {
    raw: String,
    ymd: Option<(i32, u32, u32)>,
}

/// A date-time or date that is not in the form Buzz-In expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not {expected}")]
pub struct InvalidTimestamp {
    value: String,
    expected: &'static str,
}

impl Timestamp {
    /// Parses an RFC 3339 date-time (`2026-07-01T06:00:00.000Z`, `2026-07-01T10:00:00+04:00`).
    pub fn parse(text: &str) -> Result<Self, InvalidTimestamp> {
        match parse_rfc3339_millis(text) {
            Some(millis) => Ok(Self {
                raw: text.to_owned(),
                millis: Some(millis),
            }),
            None => Err(InvalidTimestamp {
                value: shorten(text),
                expected: "an RFC 3339 date-time such as 2026-07-01T06:00:00.000Z",
            }),
        }
    }

    /// The instant `millis` milliseconds after the Unix epoch, written in UTC with milliseconds.
    pub fn from_unix_millis(millis: i64) -> Self {
        let days = millis.div_euclid(86_400_000);
        let rest = millis.rem_euclid(86_400_000);
        let (y, m, d) = civil_from_days(days);
        let raw = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            rest / 3_600_000,
            rest / 60_000 % 60,
            rest / 1000 % 60,
            rest % 1000
        );
        Self {
            raw,
            millis: Some(millis),
        }
    }

    /// The current time, from the system clock.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// Milliseconds since the Unix epoch, or `None` for a value from the server that did not
    /// parse (its text is still kept, see [`Timestamp::as_str`]).
    pub fn unix_millis(&self) -> Option<i64> {
        self.millis
    }

    /// The text as sent or given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl From<SystemTime> for Timestamp {
    fn from(time: SystemTime) -> Self {
        let millis = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
        };
        Self::from_unix_millis(millis)
    }
}

impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;

    /// Adds a duration; a timestamp that did not parse is returned unchanged.
    fn add(self, rhs: Duration) -> Timestamp {
        match self.millis {
            Some(ms) => Timestamp::from_unix_millis(
                ms.saturating_add(i64::try_from(rhs.as_millis()).unwrap_or(i64::MAX)),
            ),
            None => self,
        }
    }
}

impl std::str::FromStr for Timestamp {
    type Err = InvalidTimestamp;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.raw, f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        let millis = parse_rfc3339_millis(&raw);
        Ok(Self { raw, millis })
    }
}

impl Date {
    /// Parses a `YYYY-MM-DD` calendar date.
    pub fn parse(text: &str) -> Result<Self, InvalidTimestamp> {
        match parse_date(text.as_bytes()) {
            Some(ymd) if text.len() == 10 => Ok(Self {
                raw: text.to_owned(),
                ymd: Some(ymd),
            }),
            _ => Err(InvalidTimestamp {
                value: shorten(text),
                expected: "a date such as 2027-03-31",
            }),
        }
    }

    /// The date `year`-`month`-`day`, checked (month 1–12, a day that month has).
    pub fn new(year: i32, month: u32, day: u32) -> Result<Self, InvalidTimestamp> {
        Self::parse(&format!("{year:04}-{month:02}-{day:02}"))
    }

    /// Year, month (1–12) and day, or `None` for a value from the server that did not parse.
    pub fn ymd(&self) -> Option<(i32, u32, u32)> {
        self.ymd
    }

    /// The text as sent or given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl std::str::FromStr for Date {
    type Err = InvalidTimestamp;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.raw, f)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        let ymd = if raw.len() == 10 {
            parse_date(raw.as_bytes())
        } else {
            None
        };
        Ok(Self { raw, ymd })
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(64).collect()
}

fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0, |n, b| n * 10 + u32::from(b - b'0')))
}

/// `YYYY-MM-DD` at the start of `b`.
fn parse_date(b: &[u8]) -> Option<(i32, u32, u32)> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days_in_month).contains(&d).then_some((y as i32, m, d))
}

fn parse_rfc3339_millis(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let (y, mo, d) = parse_date(b)?;
    if b.len() < 19 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, mi, s) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0i64;
    if let Some(frac) = rest.strip_prefix(b".") {
        let len = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        for (i, c) in frac[..len].iter().take(3).enumerate() {
            millis += i64::from(c - b'0') * [100, 10, 1][i];
        }
        rest = &frac[len..];
    }
    let offset_minutes: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] => {
            let oh = i64::from(digits(&[*oh1, *oh2])?);
            let om = i64::from(digits(&[*om1, *om2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            if *sign == b'+' {
                oh * 60 + om
            } else {
                -(oh * 60 + om)
            }
        }
        _ => return None,
    };
    let days = days_from_civil(i64::from(y), mo, d);
    let seconds = days * 86_400 + i64::from(h * 3600 + mi * 60 + s) - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = y - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
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
