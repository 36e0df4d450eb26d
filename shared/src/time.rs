//! Time helpers: the database stores Unix seconds (UTC).

use chrono::{DateTime, Utc};

pub fn now() -> i64 {
    Utc::now().timestamp()
}

/// Milliseconds since the epoch, where two events in one second must still be told apart.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// `2026-11-23 14:05:09 UTC` for a Unix timestamp.
pub fn full(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// `2026-11-23 14:05` for a Unix timestamp.
pub fn short(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0).map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
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
}
