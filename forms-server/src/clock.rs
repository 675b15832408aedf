//! Time as a parameter.
//!
//! Domain code never reads the wall clock: it is handed a [`Clock`], so that retention,
//! expiry and receipts can be tested with a fixed or stepped clock. Timestamps are
//! milliseconds since the Unix epoch, UTC, which both database backends store as a
//! 64-bit integer.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn plus_days(self, days: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(days.saturating_mul(86_400_000)))
    }

    /// The calendar year, month and day (UTC).
    pub fn date(self) -> (i64, u32, u32) {
        civil_from_days(self.0.div_euclid(86_400_000))
    }

    /// Hours, minutes and seconds of the day (UTC).
    fn time_of_day(self) -> (i64, i64, i64) {
        let secs = self.0.div_euclid(1000).rem_euclid(86_400);
        (secs / 3600, secs / 60 % 60, secs % 60)
    }

    /// RFC 3339 in UTC with seconds, e.g. `2026-11-23T13:05:09Z`.
    pub fn rfc3339(self) -> String {
        let (year, month, day) = self.date();
        let (hour, minute, second) = self.time_of_day();
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
    }

    /// A date and time for Norwegian readers, e.g. `23.11.2026 kl. 13:05 (UTC)`.
    pub fn display_nb(self) -> String {
        let (year, month, day) = self.date();
        let (hour, minute, _) = self.time_of_day();
        format!("{day:02}.{month:02}.{year} kl. {hour:02}:{minute:02} (UTC)")
    }
}

/// Days since the epoch to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(millis)
    }
}

/// A clock that stands still until moved; for tests.
#[derive(Debug, Default, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(t: Timestamp) -> Self {
        ManualClock(Arc::new(AtomicI64::new(t.0)))
    }

    pub fn advance_millis(&self, millis: i64) {
        self.0.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates_across_leap_years_and_the_epoch() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400_000, "2000-02-29T00:00:00Z"),
            (1_795_438_509_000, "2026-11-23T12:55:09Z"),
            (4_107_542_399_000, "2100-02-28T23:59:59Z"),
            (-1_000, "1969-12-31T23:59:59Z"),
        ];
        for (millis, expected) in cases {
            assert_eq!(Timestamp(millis).rfc3339(), expected);
        }
        assert_eq!(
            Timestamp(1_795_438_509_000).display_nb(),
            "23.11.2026 kl. 12:55 (UTC)"
        );
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::at(Timestamp(1_000));
        assert_eq!(clock.now(), Timestamp(1_000));
        clock.advance_millis(500);
        assert_eq!(clock.now(), Timestamp(1_500));
    }
}
