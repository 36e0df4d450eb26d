//! Small helpers for reading nullable columns.

use libsql::{Row, Value};

use crate::error::AppResult;

pub fn opt_text(row: &Row, idx: i32) -> AppResult<Option<String>> {
    Ok(match row.get_value(idx)? {
        Value::Text(s) => Some(s),
        Value::Null => None,
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(f) => Some(f.to_string()),
        Value::Blob(_) => None,
    })
}

pub fn opt_i64(row: &Row, idx: i32) -> AppResult<Option<i64>> {
    Ok(match row.get_value(idx)? {
        Value::Integer(i) => Some(i),
        Value::Text(s) => s.trim().parse().ok(),
        _ => None,
    })
}
