//! Reading fields the way panels send them: numbers as strings, `user` as a string or an object,
//! missing optional fields.

use serde_json::Value;

pub fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(*b as i64),
        _ => None,
    }
}

pub fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub fn boolean(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|x| x != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => Some(true),
            "0" | "false" | "no" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `"alice"` or `{"username": "alice", …}`.
pub fn username(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Object(o) => text(o.get("username").or_else(|| o.get("login")).or_else(|| o.get("name"))),
        other => text(Some(other)),
    }
}

/// A Unix timestamp from `<field>_timestamp`, or the `"YYYY-MM-DD HH:MM:SS"` text of `<field>` (UTC).
pub fn timestamp(row: &Value, field: &str) -> Option<i64> {
    if let Some(t) = int(row.get(format!("{field}_timestamp").as_str())) {
        return Some(unix_seconds(t));
    }
    match row.get(field)? {
        Value::Number(n) => n.as_i64().map(unix_seconds),
        Value::String(s) => timestamp_text(s),
        _ => None,
    }
}

/// Seconds from a Unix time that may be in milliseconds: no panel dates its rows past the year 5000.
pub fn unix_seconds(t: i64) -> i64 {
    if t.abs() >= 100_000_000_000 {
        t / 1000
    } else {
        t
    }
}

/// A time sent as text: `"YYYY-MM-DD HH:MM:SS"` (UTC), RFC 3339, or Unix seconds.
pub fn timestamp_text(s: &str) -> Option<i64> {
    let s = s.trim();
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .map(|d| d.and_utc().timestamp())
        .ok()
        .or_else(|| chrono::DateTime::parse_from_rfc3339(s).map(|d| d.timestamp()).ok())
        .or_else(|| s.parse().ok().map(unix_seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_loose_shapes() {
        assert_eq!(int(Some(&json!("42"))), Some(42));
        assert_eq!(int(Some(&json!(42.0))), Some(42));
        assert_eq!(int(Some(&json!({"x": 1}))), None);
        assert_eq!(username(Some(&json!({"username": "bob"}))).as_deref(), Some("bob"));
        assert_eq!(username(Some(&json!("bob"))).as_deref(), Some("bob"));
        assert_eq!(timestamp(&json!({"created": "2025-06-19 10:45:57"}), "created"), Some(1_750_329_957));
        assert_eq!(timestamp(&json!({"created_timestamp": "1750329957"}), "created"), Some(1_750_329_957));
        assert_eq!(timestamp(&json!({"created": "soon"}), "created"), None);
        // Milliseconds, as some scripts send them, are read as the seconds they mean.
        assert_eq!(
            timestamp(&json!({"created_timestamp": 1_750_329_957_000i64}), "created"),
            Some(1_750_329_957)
        );
        assert_eq!(timestamp(&json!({"created": "1750329957000"}), "created"), Some(1_750_329_957));
        assert_eq!(boolean(Some(&json!("1"))), Some(true));
    }
}
