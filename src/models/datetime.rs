//! Buzz-In's two time formats: ISO-8601 UTC date-times and calendar dates.
//!
//! Both types are small `Copy` values that keep the exact text Buzz-In sent (inline, up to 47
//! bytes), so a value always serializes back unchanged; a value from the
//! server that does not parse is kept as is rather than failing the whole response. Values a
//! caller builds are checked when they are built.
//!
//! Conversions: [`SystemTime`] both ways (to it with `TryFrom`, as a server value that did not
//! parse has no instant), and, behind the features of the same names, `chrono`, `time` and
//! `jiff` (`src/datetime/convert.rs`).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[cfg(any(feature = "chrono", feature = "time", feature = "jiff"))]
mod convert;

/// The longest text a `Timestamp` or a `Date` keeps, in bytes. Every RFC 3339 date-time
/// with up to nine fractional digits fits (35 bytes at most). A longer value from the server
/// is rewritten in Buzz-In's own form when it parses (`2026-07-01T06:00:00.000Z`) and refused
/// as not a date-time when it does not.
const MAX_TEXT_LEN: usize = 47;

/// Text kept inline, so that the types holding it are `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Text {
    len: u8,
    bytes: [u8; MAX_TEXT_LEN],
}

impl Text {
    const EMPTY: Text = Text {
        len: 0,
        bytes: [0; MAX_TEXT_LEN],
    };

    /// `0000-01-01`, then zeros.
    const fn first_date_bytes() -> [u8; MAX_TEXT_LEN] {
        let mut bytes = [0; MAX_TEXT_LEN];
        let date = b"0000-01-01";
        let mut i = 0;
        while i < date.len() {
            bytes[i] = date[i];
            i += 1;
        }
        bytes
    }

    fn new(text: &str) -> Option<Self> {
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

    fn as_str(&self) -> &str {
        // Always whole UTF-8: `new` copies a whole `&str`.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

/// An instant, written as ISO-8601 / RFC 3339 (`2026-07-01T06:00:00.000Z`).
///
/// Buzz-In sends UTC with milliseconds; [`Timestamp::from_unix_millis`] and
/// [`Timestamp::now`] write that form. [`Timestamp::parse`] also accepts other offsets and
/// precisions, and keeps the text as given (up to 47 bytes; a longer one is rewritten in
/// Buzz-In's form).
///
/// A `Timestamp` is `Copy`; it adds and subtracts [`Duration`]s (the result is written in
/// Buzz-In's form), is ordered by instant, and converts from and to [`SystemTime`] (and, with
/// the features of the same names, `chrono`, `time` and `jiff`).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use buzzin::models::Timestamp;
///
/// let from = Timestamp::parse("2026-07-01T06:00:00.000Z")?;
/// let till = from + Duration::from_secs(3600);
/// assert_eq!(till.as_str(), "2026-07-01T07:00:00.000Z");
/// assert!(till > from);
/// assert_eq!(till - Duration::from_secs(3600), from);
/// assert_eq!(till.duration_since(from), Some(Duration::from_secs(3600)));
///
/// let system = SystemTime::try_from(till)?;
/// assert_eq!(Timestamp::from(system), till);
/// # Ok::<(), buzzin::models::InvalidTimestamp>(())
/// ```
#[derive(Clone, Copy)]
pub struct Timestamp {
    text: Text,
    millis: Option<i64>,
}

/// A calendar date, written `YYYY-MM-DD` (a trade licence's or a NOC's expiry date).
///
/// `Copy`, ordered by day; adding or subtracting a [`Duration`] moves it by the duration's
/// whole days (`Duration::from_secs(86_400 * n)`).
///
/// ```
/// use std::time::Duration;
/// use buzzin::models::Date;
///
/// let expiry = Date::parse("2027-03-31")?;
/// assert_eq!(expiry, Date::new(2027, 3, 31)?);
/// assert_eq!(expiry.to_string(), "2027-03-31");
/// let renewed = expiry + Duration::from_secs(365 * 86_400);
/// assert_eq!(renewed.as_str(), "2028-03-30");
/// assert!(renewed > expiry);
/// # Ok::<(), buzzin::models::InvalidTimestamp>(())
/// ```
#[derive(Clone, Copy)]
pub struct Date {
    text: Text,
    ymd: Option<(i32, u32, u32)>,
}

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

impl Timestamp {
    /// Parses an RFC 3339 date-time (`2026-07-01T06:00:00.000Z`, `2026-07-01T10:00:00+04:00`).
    pub fn parse(text: &str) -> Result<Self, InvalidTimestamp> {
        match parse_rfc3339_millis(text) {
            Some(millis) => Ok(Self::from_text(text, millis)),
            None => Err(InvalidTimestamp::new(text, EXPECTED_DATE_TIME)),
        }
    }

    /// `text` that parsed as `millis`; rewritten in Buzz-In's form when too long to keep.
    fn from_text(text: &str, millis: i64) -> Self {
        match Text::new(text) {
            Some(text) => Self {
                text,
                millis: Some(millis),
            },
            None => Self::from_unix_millis(millis),
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
            // At most 30 bytes, even for the extreme years of an i64 of milliseconds.
            text: Text::new(&raw).unwrap_or(Text::EMPTY),
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
        self.text.as_str()
    }

    /// The time from `earlier` to `self`, or `None` when `earlier` is later or either did not
    /// parse.
    pub fn duration_since(&self, earlier: Timestamp) -> Option<Duration> {
        let (now, then) = (self.millis?, earlier.millis?);
        let millis = now.checked_sub(then)?;
        u64::try_from(millis).ok().map(Duration::from_millis)
    }

    /// `self` moved by `delta` milliseconds (saturating); a value that did not parse stays.
    fn shifted(self, delta: i128) -> Self {
        match self.millis {
            Some(ms) => {
                let moved =
                    (i128::from(ms) + delta).clamp(i128::from(i64::MIN), i128::from(i64::MAX));
                Timestamp::from_unix_millis(moved as i64)
            }
            None => self,
        }
    }
}

fn duration_millis(duration: Duration) -> i128 {
    i128::try_from(duration.as_millis()).unwrap_or(i128::MAX)
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.millis == other.millis && self.text == other.text
    }
}

impl Eq for Timestamp {}

impl Hash for Timestamp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.millis.hash(state);
        self.as_str().hash(state);
    }
}

/// By instant, earliest first; a value that did not parse comes before every instant. Two
/// texts of the same instant (`…T10:00:00+04:00`, `…T06:00:00Z`) are told apart by their text,
/// so that the order agrees with `==`.
impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.millis
            .cmp(&other.millis)
            .then_with(|| self.as_str().cmp(other.as_str()))
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
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

/// The instant; fails for a value from the server that did not parse.
impl TryFrom<Timestamp> for SystemTime {
    type Error = InvalidTimestamp;

    fn try_from(time: Timestamp) -> Result<SystemTime, InvalidTimestamp> {
        let millis = time
            .millis
            .ok_or_else(|| InvalidTimestamp::new(time.as_str(), EXPECTED_DATE_TIME))?;
        let offset = Duration::from_millis(millis.unsigned_abs());
        let moved = if millis >= 0 {
            UNIX_EPOCH.checked_add(offset)
        } else {
            UNIX_EPOCH.checked_sub(offset)
        };
        moved.ok_or_else(|| InvalidTimestamp::new(time.as_str(), "an instant this system can hold"))
    }
}

/// Later by `duration`, written in Buzz-In's form; a value that did not parse stays unchanged.
impl Add<Duration> for Timestamp {
    type Output = Timestamp;

    fn add(self, duration: Duration) -> Timestamp {
        self.shifted(duration_millis(duration))
    }
}

/// Earlier by `duration`, written in Buzz-In's form; a value that did not parse stays unchanged.
impl Sub<Duration> for Timestamp {
    type Output = Timestamp;

    fn sub(self, duration: Duration) -> Timestamp {
        self.shifted(-duration_millis(duration))
    }
}

impl AddAssign<Duration> for Timestamp {
    fn add_assign(&mut self, duration: Duration) {
        *self = *self + duration;
    }
}

impl SubAssign<Duration> for Timestamp {
    fn sub_assign(&mut self, duration: Duration) {
        *self = *self - duration;
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
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;

        impl Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date-time string")
            }

            fn visit_str<E: de::Error>(self, raw: &str) -> Result<Timestamp, E> {
                // The text is copied once: by `from_text` for an instant, or here as it came.
                if let Some(millis) = parse_rfc3339_millis(raw) {
                    return Ok(Timestamp::from_text(raw, millis));
                }
                match Text::new(raw) {
                    Some(text) => Ok(Timestamp { text, millis: None }),
                    None => Err(E::custom(InvalidTimestamp::new(raw, EXPECTED_DATE_TIME))),
                }
            }
        }

        deserializer.deserialize_str(TimestampVisitor)
    }
}

impl Date {
    /// Parses a `YYYY-MM-DD` calendar date.
    pub fn parse(text: &str) -> Result<Self, InvalidTimestamp> {
        match parse_date(text.as_bytes()) {
            Some(ymd) if text.len() == 10 => Ok(Self {
                text: Text::new(text).ok_or_else(|| InvalidTimestamp::new(text, EXPECTED_DATE))?,
                ymd: Some(ymd),
            }),
            _ => Err(InvalidTimestamp::new(text, EXPECTED_DATE)),
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
        self.text.as_str()
    }

    /// 0000-01-01, the first date `YYYY-MM-DD` writes.
    const FIRST: Date = Date {
        text: Text {
            len: 10,
            bytes: Text::first_date_bytes(),
        },
        ymd: Some((0, 1, 1)),
    };

    /// The valid calendar day `year`-`month`-`day` of another crate, clamped to years
    /// 0000–9999.
    #[allow(dead_code)]
    pub(crate) fn clamped(year: i64, month: u32, day: u32) -> Self {
        let (y, m, d) = match year {
            ..=-1 => (0, 1, 1),
            10_000.. => (9999, 12, 31),
            _ => (year as i32, month, day),
        };
        Self::new(y, m, d).unwrap_or(Date::FIRST)
    }

    /// Days since 1970-01-01, or `None` for a value from the server that did not parse.
    fn days(&self) -> Option<i64> {
        let (y, m, d) = self.ymd?;
        Some(days_from_civil(i64::from(y), m, d))
    }

    /// The date `days` after 1970-01-01 (before it when negative); `None` outside years
    /// 0000–9999, which `YYYY-MM-DD` cannot write.
    fn from_days(days: i64) -> Option<Self> {
        let (y, m, d) = civil_from_days(days);
        if !(0..=9999).contains(&y) {
            return None;
        }
        Self::new(y as i32, m as u32, d as u32).ok()
    }

    /// `self` moved by `delta` whole days; unchanged when it did not parse or would leave
    /// years 0000–9999.
    fn shifted(self, delta: i64) -> Self {
        self.days()
            .and_then(|days| days.checked_add(delta))
            .and_then(Self::from_days)
            .unwrap_or(self)
    }
}

fn whole_days(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs() / 86_400).unwrap_or(i64::MAX)
}

impl PartialEq for Date {
    fn eq(&self, other: &Self) -> bool {
        self.ymd == other.ymd && self.text == other.text
    }
}

impl Eq for Date {}

impl Hash for Date {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.ymd.hash(state);
        self.as_str().hash(state);
    }
}

/// By day, earliest first; a value that did not parse comes before every day (and such values
/// are ordered by their text).
impl Ord for Date {
    fn cmp(&self, other: &Self) -> Ordering {
        self.ymd
            .cmp(&other.ymd)
            .then_with(|| self.as_str().cmp(other.as_str()))
    }
}

impl PartialOrd for Date {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The duration's whole days later; a value that did not parse, or a result past year 9999,
/// stays unchanged.
impl Add<Duration> for Date {
    type Output = Date;

    fn add(self, duration: Duration) -> Date {
        self.shifted(whole_days(duration))
    }
}

/// The duration's whole days earlier; a value that did not parse, or a result before year 0,
/// stays unchanged.
impl Sub<Duration> for Date {
    type Output = Date;

    fn sub(self, duration: Duration) -> Date {
        self.shifted(-whole_days(duration))
    }
}

impl AddAssign<Duration> for Date {
    fn add_assign(&mut self, duration: Duration) {
        *self = *self + duration;
    }
}

impl SubAssign<Duration> for Date {
    fn sub_assign(&mut self, duration: Duration) {
        *self = *self - duration;
    }
}

/// The UTC calendar day of the instant (the instant is clamped to years 0000–9999).
impl From<SystemTime> for Date {
    fn from(time: SystemTime) -> Self {
        let millis = Timestamp::from(time).millis.unwrap_or(0);
        let days = millis.div_euclid(86_400_000);
        let (min, max) = (days_from_civil(0, 1, 1), days_from_civil(9999, 12, 31));
        Date::from_days(days.clamp(min, max)).unwrap_or(Date::FIRST)
    }
}

/// Midnight UTC at the start of the day; fails for a value from the server that did not parse.
impl TryFrom<Date> for SystemTime {
    type Error = InvalidTimestamp;

    fn try_from(date: Date) -> Result<SystemTime, InvalidTimestamp> {
        let days = date
            .days()
            .ok_or_else(|| InvalidTimestamp::new(date.as_str(), EXPECTED_DATE))?;
        SystemTime::try_from(Timestamp::from_unix_millis(days * 86_400_000))
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
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;

        impl Visitor<'_> for DateVisitor {
            type Value = Date;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date string")
            }

            fn visit_str<E: de::Error>(self, raw: &str) -> Result<Date, E> {
                let ymd = if raw.len() == 10 {
                    parse_date(raw.as_bytes())
                } else {
                    None
                };
                match Text::new(raw) {
                    Some(text) => Ok(Date { text, ymd }),
                    None => Err(E::custom(InvalidTimestamp::new(raw, EXPECTED_DATE))),
                }
            }
        }

        deserializer.deserialize_str(DateVisitor)
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
