//! The simulated clock: real time plus whatever was added, or frozen, up to the last instant
//! Buzz-In's timestamps can show.

use std::time::Duration;

use buzzin::models::Timestamp;

/// The last instant the simulated clock shows, 9999-12-31T23:59:59.999Z: Buzz-In's timestamps
/// have four-digit years, so the clock stops there rather than overflow.
pub(crate) const MAX_CLOCK_MS: i64 = 253_402_300_799_999;

/// The simulated clock: real time plus whatever [`advance`](Clock::advance) added, or frozen.
pub(crate) struct Clock {
    pub(super) start_ms: i64,
    pub(super) started: std::time::Instant,
    pub(super) frozen: bool,
    pub(super) offset_ms: i64,
}

impl Clock {
    pub fn new(start: Option<Timestamp>, frozen: bool) -> Self {
        let start_ms = start
            .and_then(|t| t.unix_millis())
            .unwrap_or_else(|| Timestamp::now().unix_millis().unwrap_or(0));
        Clock {
            start_ms,
            started: std::time::Instant::now(),
            frozen,
            offset_ms: 0,
        }
    }

    pub fn now_ms(&self) -> i64 {
        let elapsed = if self.frozen {
            0
        } else {
            i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
        };
        self.start_ms
            .saturating_add(elapsed)
            .saturating_add(self.offset_ms)
            .min(MAX_CLOCK_MS)
    }

    /// Moves the clock forward by `by`, stopping at [`MAX_CLOCK_MS`]; `false` when it stopped
    /// there short of `by`.
    pub fn advance(&mut self, by: Duration) -> bool {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let fits = self
            .now_ms()
            .checked_add(by)
            .is_some_and(|t| t <= MAX_CLOCK_MS);
        self.offset_ms = self.offset_ms.saturating_add(by).min(MAX_CLOCK_MS);
        fits
    }
}
