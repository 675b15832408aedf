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

    /// The same time of day, `months` calendar months later (UTC), on the last day of
    /// the month where it is shorter.
    pub fn plus_months(self, months: u32) -> Timestamp {
        const DAY: i64 = 86_400_000;
        let date = self.day().plus_months(i64::from(months));
        Timestamp(date.days() * DAY + self.0.rem_euclid(DAY))
    }

    /// The calendar year, month and day (UTC).
    pub fn date(self) -> (i64, u32, u32) {
        civil_from_days(self.0.div_euclid(86_400_000))
    }

    /// The calendar day (UTC).
    pub fn day(self) -> Date {
        Date::from_days(self.0.div_euclid(86_400_000))
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

    /// Reads what [`Timestamp::rfc3339`] writes, and nothing else.
    pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
        let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
        let day = Date::parse(date).filter(|_| date.contains('-'))?;
        let mut parts = time.split(':');
        let mut next = |max: i64| -> Option<i64> {
            let part = parts.next()?;
            let value = (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<i64>().ok())
                .flatten()?;
            (value <= max).then_some(value)
        };
        let seconds = next(23)? * 3600 + next(59)? * 60 + next(59)?;
        parts
            .next()
            .is_none()
            .then_some(Timestamp((day.days() * 86_400 + seconds) * 1000))
    }

    /// A time as [`Timestamp::rfc3339`] writes it, shown as [`Timestamp::display_nb`]
    /// does; any other text as it is.
    pub fn show_rfc3339_nb(text: &str) -> String {
        Timestamp::parse_rfc3339(text).map_or_else(|| text.to_string(), |t| t.display_nb())
    }

    /// The Norwegian day of a time as [`Timestamp::rfc3339`] writes it, e.g.
    /// `23.11.2026`; any other text as it is.
    pub fn show_rfc3339_day_nb(text: &str) -> String {
        Timestamp::parse_rfc3339(text)
            .map_or_else(|| text.to_string(), |t| t.norwegian_day().display_nb())
    }

    /// Norwegian civil time as if it were UTC, for showing and for "today": UTC+1, and
    /// UTC+2 from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday
    /// of October (the European rule Norway follows).
    pub fn norwegian(self) -> Timestamp {
        const HOUR: i64 = 3_600_000;
        let (year, _, _) = self.date();
        let summer_from = last_sunday(year, 3) * 86_400_000 + HOUR;
        let summer_until = last_sunday(year, 10) * 86_400_000 + HOUR;
        let offset = if (summer_from..summer_until).contains(&self.0) {
            2
        } else {
            1
        };
        Timestamp(self.0.saturating_add(offset * HOUR))
    }

    /// The day in Norway: what "today" means to a citizen and to a date bound.
    pub fn norwegian_day(self) -> Date {
        self.norwegian().day()
    }

    /// A date and time in Norwegian time, e.g. `23.11.2026 kl. 14:05`.
    pub fn display_nb(self) -> String {
        let local = self.norwegian();
        let (year, month, day) = local.date();
        let (hour, minute, _) = local.time_of_day();
        format!("{day:02}.{month:02}.{year} kl. {hour:02}:{minute:02}")
    }
}

/// A calendar date (proleptic Gregorian), for answers and schema bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// The moment this day begins in Norway (midnight, winter or summer time).
    pub fn norwegian_midnight(self) -> Timestamp {
        const HOUR: i64 = 3_600_000;
        let local_midnight = self.days() * 86_400_000;
        [2, 1]
            .into_iter()
            .map(|offset| Timestamp(local_midnight - offset * HOUR))
            .find(|t| t.norwegian().0 == local_midnight)
            .unwrap_or(Timestamp(local_midnight - HOUR))
    }

    /// A date if it exists on the calendar (years 1 to 9999).
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        ((1..=9999).contains(&year) && (1..=12).contains(&month))
            .then_some(())
            .filter(|_| day >= 1 && day <= days_in_month(year, month))
            .map(|_| Date { year, month, day })
    }

    /// Reads `2026-11-23` (what a date input sends) or `23.11.2026` (how Norwegians
    /// write it).
    pub fn parse(text: &str) -> Option<Date> {
        let text = text.trim();
        let number = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        if let Some((y, rest)) = text.split_once('-') {
            let (m, d) = rest.split_once('-')?;
            if y.len() != 4 {
                return None;
            }
            return Date::new(number(y)? as i32, number(m)?, number(d)?);
        }
        let mut parts = text.split('.');
        let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 {
            return None;
        }
        Date::new(number(y)? as i32, number(m)?, number(d)?)
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day)
    }

    pub fn from_days(days: i64) -> Date {
        let (year, month, day) = civil_from_days(days);
        Date {
            year: year as i32,
            month,
            day,
        }
    }

    pub fn plus_days(self, days: i64) -> Date {
        Date::from_days(self.days() + days)
    }

    /// The same day `months` later (or earlier), kept inside shorter months.
    pub fn plus_months(self, months: i64) -> Date {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + months;
        let year = index.div_euclid(12).clamp(1, 9999) as i32;
        let month = index.rem_euclid(12) as u32 + 1;
        Date {
            year,
            month,
            day: self.day.min(days_in_month(year, month)),
        }
    }

    /// `23.11.2026`.
    pub fn display_nb(self) -> String {
        format!("{:02}.{:02}.{:04}", self.day, self.month, self.year)
    }
}

impl std::fmt::Display for Date {
    /// ISO 8601, `2026-11-23`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A proleptic Gregorian date to days since the epoch (Howard Hinnant's algorithm).
/// The last Sunday of a month, as days since the epoch.
fn last_sunday(year: i64, month: u32) -> i64 {
    let last = days_from_civil(year, month, days_in_month(year as i32, month));
    // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on Sundays.
    last - (last + 4).rem_euclid(7)
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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

    pub fn set(&self, t: Timestamp) {
        self.0.store(t.0, Ordering::SeqCst);
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
    fn a_norwegian_day_begins_at_local_midnight() {
        // Winter: UTC+1; summer: UTC+2.
        let winter = Date::new(2026, 1, 15).unwrap().norwegian_midnight();
        assert_eq!(winter.rfc3339(), "2026-01-14T23:00:00Z");
        let summer = Date::new(2026, 7, 15).unwrap().norwegian_midnight();
        assert_eq!(summer.rfc3339(), "2026-07-14T22:00:00Z");
        assert_eq!(summer.norwegian_day(), Date::new(2026, 7, 15).unwrap());
    }

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
            assert_eq!(Timestamp::parse_rfc3339(expected), Some(Timestamp(millis)));
        }
        for wrong in [
            "",
            "2026-11-23",
            "2026-11-23T12:55:09",
            "2026-11-23T12:55Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23T12:60:00Z",
            "2026-11-23T12:55:09:00Z",
            "2026-11-23T12:55:9Z",
            "2026-11-23T+1:55:09Z",
            "2026-02-30T12:55:09Z",
            "23.11.2026T12:55:09Z",
            "2026-11-23T12:55:09.123Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(wrong), None, "{wrong}");
        }
        assert_eq!(
            Timestamp(1_795_438_509_000).display_nb(),
            "23.11.2026 kl. 13:55"
        );
    }

    #[test]
    fn norwegian_time_follows_summer_time() {
        let at = |s: &str| Timestamp::parse_rfc3339(&format!("{s}:00Z")).unwrap();
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        let cases = [
            ("2026-03-29T00:59", "29.03.2026 kl. 01:59"),
            ("2026-03-29T01:00", "29.03.2026 kl. 03:00"),
            ("2026-07-01T12:00", "01.07.2026 kl. 14:00"),
            ("2026-10-25T00:59", "25.10.2026 kl. 02:59"),
            ("2026-10-25T01:00", "25.10.2026 kl. 02:00"),
            ("2026-12-31T23:30", "01.01.2027 kl. 00:30"),
            ("2024-03-31T01:00", "31.03.2024 kl. 03:00"),
        ];
        for (utc, shown) in cases {
            assert_eq!(at(utc).display_nb(), shown, "{utc}");
        }
        // Half past midnight in Norway on New Year's Day is already the new year's day.
        assert_eq!(
            at("2026-12-31T23:30").norwegian_day(),
            Date::parse("2027-01-01").unwrap()
        );
    }

    #[test]
    fn dates_parse_both_ways_and_count_days() {
        let d = Date::parse("2024-02-29").unwrap();
        assert_eq!(Date::parse("29.02.2024"), Some(d));
        assert_eq!(d.to_string(), "2024-02-29");
        assert_eq!(Date::from_days(d.days()), d);
        assert_eq!(Date::parse("1970-01-01").unwrap().days(), 0);
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "24-01-01",
            "1.1.24",
            "",
            "x",
            "2024-1-1-1",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(Date::parse("1.1.2024"), Date::new(2024, 1, 1));
        assert_eq!(d.plus_months(12).to_string(), "2025-02-28");
        assert_eq!(d.plus_months(-2).to_string(), "2023-12-29");
        assert_eq!(d.plus_days(1).to_string(), "2024-03-01");
        assert_eq!(Timestamp(1_795_438_509_000).day().to_string(), "2026-11-23");
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::at(Timestamp(1_000));
        assert_eq!(clock.now(), Timestamp(1_000));
        clock.advance_millis(500);
        assert_eq!(clock.now(), Timestamp(1_500));
    }

    #[test]
    fn months_later_keeps_the_time_and_stays_inside_short_months() {
        let at = |text: &str| {
            let (date, time) = text.split_once('T').unwrap();
            let date = Date::parse(date).unwrap();
            let (h, m) = time.split_once(':').unwrap();
            Timestamp(
                date.days() * 86_400_000
                    + h.parse::<i64>().unwrap() * 3_600_000
                    + m.parse::<i64>().unwrap() * 60_000,
            )
        };
        let cases = [
            ("2026-11-23T13:05", 24, "2028-11-23T13:05:00Z"),
            ("2026-01-31T23:59", 1, "2026-02-28T23:59:00Z"),
            ("2028-01-31T00:00", 1, "2028-02-29T00:00:00Z"),
            ("2028-02-29T08:00", 12, "2029-02-28T08:00:00Z"),
            ("2026-12-15T10:00", 1, "2027-01-15T10:00:00Z"),
        ];
        for (from, months, expected) in cases {
            assert_eq!(
                at(from).plus_months(months).rfc3339(),
                expected,
                "{from} + {months}"
            );
        }
    }
}
