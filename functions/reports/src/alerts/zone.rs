//! Time as a channel's people live it: a named zone (IANA, e.g. `Europe/Berlin`) with its daylight
//! saving rules, for quiet hours and the hour digests are sent at. A fixed offset would be an hour
//! wrong for half of every year wherever clocks change.

use chrono::{Datelike, Duration, LocalResult, NaiveDate, TimeZone, Timelike};
pub use chrono_tz::Tz;

pub const UTC: Tz = chrono_tz::UTC;

/// A zone by its IANA name ("Europe/Berlin", "America/New_York", "UTC"); None when unknown.
pub fn parse_zone(s: &str) -> Option<Tz> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    s.parse::<Tz>().ok().or_else(|| {
        // People type zones in any case: find the one whose name matches but for case.
        chrono_tz::TZ_VARIANTS.iter().copied().find(|z| z.name().eq_ignore_ascii_case(s))
    })
}

/// Every zone's name, for the form's suggestions.
pub fn names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())
}

/// The local date and minute of the day at `now` (Unix seconds).
pub fn local(zone: Tz, now: i64) -> (NaiveDate, i64) {
    let t = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default().with_timezone(&zone);
    (t.date_naive(), t.hour() as i64 * 60 + t.minute() as i64)
}

/// The instant the local clock first shows `minute` (of the day) on `date`. When the clock skips it
/// (spring forward) the first instant after the gap; when it shows it twice (fall back) the first.
pub fn instant(zone: Tz, date: NaiveDate, minute: i64) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    let naive = midnight + Duration::minutes(minute.clamp(0, 1439));
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.timestamp(),
        LocalResult::Ambiguous(first, _) => first.timestamp(),
        LocalResult::None => {
            // Gaps are at most a few hours: walk forward minute by minute to the first real time.
            (1..=240)
                .find_map(|m| zone.from_local_datetime(&(naive + Duration::minutes(m))).earliest())
                .map(|t| t.timestamp())
                .unwrap_or_else(|| naive.and_utc().timestamp())
        }
    }
}

/// Monday = 1 … Sunday = 7.
pub fn weekday(date: NaiveDate) -> u32 {
    date.weekday().number_from_monday()
}

pub const WEEKDAYS: [&str; 7] =
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// Quiet hours: from `start` to `end`, minutes of the day on the clock of `zone`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quiet {
    pub start: i64,
    pub end: i64,
    pub zone: Tz,
}

impl Quiet {
    pub fn holds(&self, now: i64) -> bool {
        let (_, m) = local(self.zone, now);
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Less => m >= self.start && m < self.end,
            std::cmp::Ordering::Greater => m >= self.start || m < self.end,
            std::cmp::Ordering::Equal => false,
        }
    }
}

/// "22:00" → 1320.
pub fn parse_clock(s: &str) -> Option<i64> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

pub fn clock(minute: i64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-03-30 00:00 UTC: Europe/Berlin moves from UTC+1 to UTC+2 at 01:00 UTC that night.
    const SPRING: i64 = 1_743_292_800;

    #[test]
    fn zones_parse_by_name_in_any_case() {
        assert_eq!(parse_zone("Europe/Berlin"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(parse_zone("europe/berlin"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(parse_zone("UTC"), Some(UTC));
        assert_eq!(parse_zone("Mars/Olympus"), None);
        assert_eq!(parse_zone(""), None);
    }

    #[test]
    fn quiet_hours_follow_daylight_saving() {
        let berlin = chrono_tz::Europe::Berlin;
        let q = Quiet { start: 22 * 60, end: 7 * 60, zone: berlin };
        // 05:30 UTC on the Saturday before is 06:30 in Berlin (UTC+1): quiet.
        assert!(q.holds(SPRING - 86_400 + 5 * 3600 + 1800));
        // 05:30 UTC on the Sunday after the change is 07:30 (UTC+2): not quiet any more.
        assert!(!q.holds(SPRING + 5 * 3600 + 1800));
        // 21:30 UTC that Sunday is 23:30 local: quiet.
        assert!(q.holds(SPRING + 21 * 3600 + 1800));
        assert!(!Quiet { start: 60, end: 60, zone: UTC }.holds(3600));
    }

    #[test]
    fn local_instants_skip_the_gap_and_take_the_first_of_a_repeat() {
        let berlin = chrono_tz::Europe::Berlin;
        let day = NaiveDate::from_ymd_opt(2025, 3, 30).unwrap();
        // 02:30 does not exist that night: 03:00 CEST = 01:00 UTC.
        assert_eq!(instant(berlin, day, 150), SPRING + 3600);
        assert_eq!(instant(berlin, day, 9 * 60), SPRING + 7 * 3600);
        // 2025-10-26: 02:30 happens twice; the first is 00:30 UTC.
        let autumn = NaiveDate::from_ymd_opt(2025, 10, 26).unwrap();
        assert_eq!(instant(berlin, autumn, 150), 1_761_436_800 + 1800);
        assert_eq!(local(berlin, SPRING + 7 * 3600), (day, 9 * 60));
        assert_eq!(weekday(day), 7);
    }

    #[test]
    fn clocks_parse() {
        assert_eq!(parse_clock("22:00"), Some(1320));
        assert_eq!(parse_clock("24:00"), None);
        assert_eq!(clock(75), "01:15");
    }
}
