//! [`Date`]: a calendar date as `YYYY-MM-DD` text.

use std::time::{Duration, SystemTime};

use super::civil::{civil_from_days, days_from_civil, parse_date};
use super::text::Text;
use super::timestamp::Timestamp;
use super::{text_value_impls, InvalidTimestamp, EXPECTED_DATE};

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
    pub(super) text: Text,
    pub(super) ymd: Option<(i32, u32, u32)>,
}

impl Date {
    /// A value as the server sent it: a day when it is `YYYY-MM-DD`, else the text as is (a
    /// text too long to keep is refused).
    fn from_server(raw: &str) -> Result<Self, InvalidTimestamp> {
        let ymd = if raw.len() == 10 {
            parse_date(raw.as_bytes())
        } else {
            None
        };
        match Text::new(raw) {
            Some(text) => Ok(Date { text, ymd }),
            None => Err(InvalidTimestamp::new(raw, EXPECTED_DATE)),
        }
    }

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

text_value_impls!(
    Date,
    key: ymd,
    step: whole_days,
    expecting: "a date string",
    order: " By day, earliest first; a value that did not parse comes before every day (and such values are ordered by their text).",
    add: " The duration's whole days later; a value that did not parse, or a result past year 9999, stays unchanged.",
    sub: " The duration's whole days earlier; a value that did not parse, or a result before year 0, stays unchanged.",
);

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
