//! When a channel's digests are due: at the chosen hour on the channel's clock (its named zone, so a
//! daylight saving change moves nothing), daily for the local day before, weekly on the chosen weekday
//! for the seven local days before, each compared with the period before it.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::alerts::zone::{self, Tz};

/// A digest is still sent this long after its hour (a console that was down for a while); later, that
/// period is skipped rather than told stale.
pub const LATE_SECS: i64 = 6 * 3600;

/// A channel's digest settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigestSchedule {
    pub daily: bool,
    pub weekly: bool,
    /// The local hour it is sent at, 0–23.
    pub hour: i64,
    /// The weekly one's day: 1 = Monday … 7 = Sunday.
    pub weekday: u32,
}

impl Default for DigestSchedule {
    fn default() -> Self {
        DigestSchedule { daily: false, weekly: false, hour: 9, weekday: 1 }
    }
}

impl DigestSchedule {
    pub fn any(&self) -> bool {
        self.daily || self.weekly
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Daily,
    Weekly,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Daily => "daily",
            Period::Weekly => "weekly",
        }
    }

    pub fn parse(s: &str) -> Option<Period> {
        [Period::Daily, Period::Weekly].into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Daily => "Daily digest",
            Period::Weekly => "Weekly digest",
        }
    }

    fn days(self) -> u64 {
        match self {
            Period::Daily => 1,
            Period::Weekly => 7,
        }
    }
}

/// One digest's period: [start, end) and the period before it, [prev_start, start), as Unix seconds of
/// local midnights; `due_at` is the local hour it is sent at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub period: Period,
    pub prev_start: i64,
    pub start: i64,
    pub end: i64,
    pub due_at: i64,
    /// The local dates of the period's first and last day.
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl Window {
    /// The period's length in whole hours (23 or 25 across a daylight saving change).
    pub fn hours(&self) -> i64 {
        ((self.end - self.start) as f64 / 3600.0).round().max(1.0) as i64
    }
}

fn window(period: Period, zone: Tz, day: NaiveDate, hour: i64) -> Option<Window> {
    let n = period.days();
    let first_day = day.checked_sub_days(Days::new(n))?;
    let before = day.checked_sub_days(Days::new(2 * n))?;
    Some(Window {
        period,
        prev_start: zone::instant(zone, before, 0),
        start: zone::instant(zone, first_day, 0),
        end: zone::instant(zone, day, 0),
        due_at: zone::instant(zone, day, hour * 60),
        first_day,
        last_day: day.checked_sub_days(Days::new(1))?,
    })
}

/// The digests due at `now` (their hour has come and is less than `LATE_SECS` ago) for a channel made
/// at `since`; a period whose hour came before the channel existed is not due.
pub fn due(s: &DigestSchedule, zone: Tz, since: i64, now: i64) -> Vec<Window> {
    let (today, _) = zone::local(zone, now);
    // Today's and the one before (an hour late in the night may still be due after midnight).
    let mut candidates: Vec<(Period, Option<NaiveDate>)> = Vec::new();
    if s.daily {
        candidates.extend([Some(today), today.checked_sub_days(Days::new(1))].map(|d| (Period::Daily, d)));
    }
    if s.weekly {
        let back = (zone::weekday(today) + 7 - s.weekday.clamp(1, 7)) % 7;
        let day = today.checked_sub_days(Days::new(back as u64));
        let before = day.and_then(|d| d.checked_sub_days(Days::new(7)));
        candidates.extend([day, before].map(|d| (Period::Weekly, d)));
    }
    candidates
        .into_iter()
        .filter_map(|(p, d)| window(p, zone, d?, s.hour.clamp(0, 23)))
        .filter(|w| w.due_at <= now && now < w.due_at + LATE_SECS && w.due_at >= since)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-03-31 00:00 UTC, a Monday; Berlin moved its clocks the night before.
    const MONDAY: i64 = 1_743_379_200;

    #[test]
    fn a_daily_digest_is_due_from_its_hour_on_the_channels_clock() {
        let berlin = chrono_tz::Europe::Berlin;
        let s = DigestSchedule { daily: true, ..DigestSchedule::default() };
        // 09:00 in Berlin on Monday is 07:00 UTC (summer time since Sunday).
        assert!(due(&s, berlin, 0, MONDAY + 7 * 3600 - 60).is_empty());
        let w = due(&s, berlin, 0, MONDAY + 7 * 3600);
        assert_eq!(w.len(), 1);
        // Sunday in Berlin had 23 hours: from Saturday 23:00 UTC to Sunday 22:00 UTC.
        assert_eq!((w[0].start, w[0].end), (MONDAY - 25 * 3600, MONDAY - 2 * 3600));
        assert_eq!(w[0].hours(), 23);
        // Saturday (24 h) is the period before.
        assert_eq!(w[0].prev_start, MONDAY - 49 * 3600);
        assert_eq!(w[0].due_at, MONDAY + 7 * 3600);
        // Still due a while later, not after LATE_SECS, nor for a channel made after its hour.
        assert_eq!(due(&s, berlin, 0, MONDAY + 12 * 3600).len(), 1);
        assert!(due(&s, berlin, 0, MONDAY + 7 * 3600 + LATE_SECS).is_empty());
        assert!(due(&s, berlin, MONDAY + 8 * 3600, MONDAY + 9 * 3600).is_empty());
    }

    #[test]
    fn a_weekly_digest_is_due_on_its_weekday_for_the_seven_days_before() {
        let s = DigestSchedule { weekly: true, hour: 8, weekday: 1, ..DigestSchedule::default() };
        let w = due(&s, zone::UTC, 0, MONDAY + 8 * 3600);
        assert_eq!(w.len(), 1);
        assert_eq!(
            (w[0].start, w[0].end, w[0].prev_start),
            (MONDAY - 7 * 86_400, MONDAY, MONDAY - 14 * 86_400)
        );
        assert!(due(&s, zone::UTC, 0, MONDAY + 86_400 + 8 * 3600).is_empty(), "not on Tuesday");
    }
}
