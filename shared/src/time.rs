//! Time helpers: the database stores Unix seconds (UTC).

use chrono::{DateTime, Datelike, Timelike, Utc};

pub fn now() -> i64 {
    Utc::now().timestamp()
}

/// Milliseconds since the epoch, where two events in one second must still be told apart.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Microseconds since the epoch: one clock for every process on a machine, to compare their events.
pub fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}

/// `2026-11-23 14:05:09 UTC` for a Unix timestamp.
pub fn full(ts: i64) -> String {
    write(ts, ' ', true, " UTC")
}

/// `2026-11-23 14:05` for a Unix timestamp.
pub fn short(ts: i64) -> String {
    write(ts, ' ', false, "")
}

/// `2026-11-23 14:05:09`, Perfect Panel's own format, for a Unix timestamp.
pub fn datetime(ts: i64) -> String {
    write(ts, ' ', true, "")
}

/// RFC 3339 in UTC (`2026-11-23T14:05:09+00:00`), for `<time datetime>`.
pub fn iso(ts: i64) -> String {
    write(ts, 'T', true, "+00:00")
}

/// ISO 8601 in UTC with a `Z` (`2026-11-23T14:05:09Z`), as CSV exports write times.
pub fn iso_utc(ts: i64) -> String {
    write(ts, 'T', true, "Z")
}

fn write(ts: i64, sep: char, seconds: bool, suffix: &str) -> String {
    match Stamp::of(ts) {
        Some(st) => st.write(sep, seconds, suffix),
        None => {
            // Years outside 0000–9999 (or no such time: empty), as chrono writes them.
            let Some(d) = DateTime::<Utc>::from_timestamp(ts, 0) else { return String::new() };
            let pattern = if seconds { "%Y-%m-%d %H:%M:%S" } else { "%Y-%m-%d %H:%M" };
            format!("{}{suffix}", d.format(pattern)).replacen(' ', &sep.to_string(), 1)
        }
    }
}

/// A timestamp's UTC calendar fields, worked out once for the several ways a page writes it, and
/// written digit by digit: chrono's `format` parses its pattern on every call, and a list page writes
/// a few hundred timestamps (it was a fifth of the page's time). Only for years 0000–9999.
pub struct Stamp {
    fields: [u32; 6],
}

impl Stamp {
    pub fn of(ts: i64) -> Option<Stamp> {
        let d = DateTime::<Utc>::from_timestamp(ts, 0)?;
        let year = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
        Some(Stamp { fields: [year, d.month(), d.day(), d.hour(), d.minute(), d.second()] })
    }

    pub fn full(&self) -> String {
        self.write(' ', true, " UTC")
    }

    pub fn short(&self) -> String {
        self.write(' ', false, "")
    }

    pub fn iso(&self) -> String {
        self.write('T', true, "+00:00")
    }

    fn write(&self, sep: char, seconds: bool, suffix: &str) -> String {
        fn two(out: &mut String, v: u32) {
            out.push(char::from(b'0' + (v / 10 % 10) as u8));
            out.push(char::from(b'0' + (v % 10) as u8));
        }
        let [year, month, day, hour, minute, second] = self.fields;
        let mut out = String::with_capacity(26);
        two(&mut out, year / 100);
        two(&mut out, year % 100);
        out.push('-');
        two(&mut out, month);
        out.push('-');
        two(&mut out, day);
        out.push(sep);
        two(&mut out, hour);
        out.push(':');
        two(&mut out, minute);
        if seconds {
            out.push(':');
            two(&mut out, second);
        }
        out.push_str(suffix);
        out
    }
}

/// "3 min ago", "2 h ago", "5 days ago".
pub fn ago(ts: i64, now: i64) -> String {
    let s = (now - ts).max(0);
    match s {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}

/// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (as sent by date inputs), in UTC.
pub fn parse_input(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
        return Some(d.and_utc().timestamp());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(full(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(ago(0, 125), "2 min ago");
        assert_eq!(parse_input("1970-01-02"), Some(86_400));
        assert_eq!(parse_input("nope"), None);
    }

    #[test]
    fn written_like_chrono_formats_them() {
        let mut ts = -62_135_596_800i64; // 0001-01-01
        while ts < 253_402_300_799 {
            let d = DateTime::<Utc>::from_timestamp(ts, 0).unwrap_or_default();
            assert_eq!(full(ts), d.format("%Y-%m-%d %H:%M:%S UTC").to_string());
            assert_eq!(short(ts), d.format("%Y-%m-%d %H:%M").to_string());
            assert_eq!(datetime(ts), d.format("%Y-%m-%d %H:%M:%S").to_string());
            assert_eq!(iso(ts), d.to_rfc3339());
            ts += 7_777_777 + ts.rem_euclid(86_399);
        }
        assert_eq!(iso(1_795_443_909), "2026-11-23T14:25:09+00:00");
        // Out of chrono's range: nothing rather than a panic.
        assert_eq!(full(i64::MAX), "");
    }
}
