//! [`Timestamp`]: an instant as ISO-8601 / RFC 3339 text, and the parsing of that text.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::civil::{civil_from_days, days_from_civil, digits, parse_date};
use super::text::Text;
use super::{text_value_impls, InvalidTimestamp, EXPECTED_DATE_TIME};

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
    pub(super) text: Text,
    pub(super) millis: Option<i64>,
}

impl Timestamp {
    /// A value as the server sent it: an instant when it parses, else the text as is (a text
    /// too long to keep is refused).
    fn from_server(raw: &str) -> Result<Self, InvalidTimestamp> {
        // The text is copied once: by `from_text` for an instant, or here as it came.
        if let Some(millis) = parse_rfc3339_millis(raw) {
            return Ok(Timestamp::from_text(raw, millis));
        }
        match Text::new(raw) {
            Some(text) => Ok(Timestamp { text, millis: None }),
            None => Err(InvalidTimestamp::new(raw, EXPECTED_DATE_TIME)),
        }
    }

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

text_value_impls!(
    Timestamp,
    key: millis,
    step: duration_millis,
    expecting: "a date-time string",
    order: " By instant, earliest first; a value that did not parse comes before every instant. Two texts of the same instant (`…T10:00:00+04:00`, `…T06:00:00Z`) are told apart by their text, so that the order agrees with `==`.",
    add: " Later by `duration`, written in Buzz-In's form; a value that did not parse stays unchanged.",
    sub: " Earlier by `duration`, written in Buzz-In's form; a value that did not parse stays unchanged.",
);

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

pub(super) fn parse_rfc3339_millis(text: &str) -> Option<i64> {
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
