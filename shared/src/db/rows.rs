//! Rows as every caller reads them, whichever backend produced them: a local file's rows are read in
//! place (a row is valid until the next one is read), a remote answer's rows arrive whole.

use std::collections::VecDeque;

use libsql::Value;

use super::error::{DbError, DbResult};

/// A value read out of a column. Unlike libsql's own conversion (which panics on a type it does not
/// expect), a mismatch is an error naming the column.
pub trait FromSql: Sized {
    fn from_sql(v: Value) -> Result<Self, String>;
}

fn mismatch(want: &str, got: &Value) -> String {
    let kind = match got {
        Value::Null => "NULL",
        Value::Integer(_) => "an integer",
        Value::Real(_) => "a real",
        Value::Text(_) => "text",
        Value::Blob(_) => "a blob",
    };
    format!("expected {want}, found {kind}")
}

impl FromSql for Value {
    fn from_sql(v: Value) -> Result<Self, String> {
        Ok(v)
    }
}

impl FromSql for i64 {
    fn from_sql(v: Value) -> Result<Self, String> {
        match v {
            Value::Integer(i) => Ok(i),
            other => Err(mismatch("an integer", &other)),
        }
    }
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl FromSql for $t {
            fn from_sql(v: Value) -> Result<Self, String> {
                let i = i64::from_sql(v)?;
                <$t>::try_from(i).map_err(|_| format!("{i} does not fit {}", stringify!($t)))
            }
        }
    )*};
}
from_integer!(i32, u32, u64, usize);

impl FromSql for f64 {
    fn from_sql(v: Value) -> Result<Self, String> {
        match v {
            Value::Real(f) => Ok(f),
            // SQLite hands back an integral REAL expression (a SUM of whole numbers) as an integer.
            Value::Integer(i) => Ok(i as f64),
            other => Err(mismatch("a number", &other)),
        }
    }
}

impl FromSql for bool {
    fn from_sql(v: Value) -> Result<Self, String> {
        Ok(i64::from_sql(v)? != 0)
    }
}

impl FromSql for String {
    fn from_sql(v: Value) -> Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s),
            other => Err(mismatch("text", &other)),
        }
    }
}

impl FromSql for Vec<u8> {
    fn from_sql(v: Value) -> Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b),
            other => Err(mismatch("a blob", &other)),
        }
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(v: Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_sql(v).map(Some),
        }
    }
}

/// One row of a result.
pub struct Row {
    inner: RowInner,
}

enum RowInner {
    /// A row of a local statement, read in place.
    Local(libsql::Row),
    /// A row that arrived whole (remote) or was copied out of a local statement (a batch).
    Values(Vec<Value>),
}

impl Row {
    pub(super) fn local(row: libsql::Row) -> Row {
        Row { inner: RowInner::Local(row) }
    }

    pub(super) fn values(values: Vec<Value>) -> Row {
        Row { inner: RowInner::Values(values) }
    }

    pub fn get_value(&self, idx: i32) -> DbResult<Value> {
        match &self.inner {
            RowInner::Local(r) => Ok(r.get_value(idx)?),
            RowInner::Values(v) => usize::try_from(idx)
                .ok()
                .and_then(|i| v.get(i))
                .cloned()
                .ok_or_else(|| DbError::Column { index: idx, message: "no such column".into() }),
        }
    }

    pub fn get<T: FromSql>(&self, idx: i32) -> DbResult<T> {
        T::from_sql(self.get_value(idx)?).map_err(|message| DbError::Column { index: idx, message })
    }

    /// A text column borrowed in place, without a copy (hot loops over many rows).
    pub fn get_str(&self, idx: i32) -> DbResult<&str> {
        match &self.inner {
            RowInner::Local(r) => Ok(r.get_str(idx)?),
            RowInner::Values(v) => match usize::try_from(idx).ok().and_then(|i| v.get(i)) {
                Some(Value::Text(s)) => Ok(s),
                Some(other) => Err(DbError::Column { index: idx, message: mismatch("text", other) }),
                None => Err(DbError::Column { index: idx, message: "no such column".into() }),
            },
        }
    }

    pub fn column_count(&self) -> i32 {
        match &self.inner {
            RowInner::Local(r) => r.column_count(),
            RowInner::Values(v) => i32::try_from(v.len()).unwrap_or(i32::MAX),
        }
    }

    /// Every column's value, copied out (a local row is valid only until the next is read).
    pub(super) fn into_values(self) -> DbResult<Vec<Value>> {
        match self.inner {
            RowInner::Values(v) => Ok(v),
            RowInner::Local(r) => (0..r.column_count()).map(|i| Ok(r.get_value(i)?)).collect(),
        }
    }
}

/// The rows of one statement.
pub struct Rows {
    inner: RowsInner,
}

enum RowsInner {
    Local(libsql::Rows),
    /// A statement kept prepared on a local connection: reset when the rows are dropped, so a
    /// half-read result never keeps a read open.
    Kept(Option<libsql::Rows>, std::sync::Arc<libsql::Statement>),
    Values(VecDeque<Vec<Value>>),
}

impl Rows {
    pub(super) fn local(rows: libsql::Rows) -> Rows {
        Rows { inner: RowsInner::Local(rows) }
    }

    pub(super) fn kept(rows: libsql::Rows, statement: std::sync::Arc<libsql::Statement>) -> Rows {
        Rows { inner: RowsInner::Kept(Some(rows), statement) }
    }

    pub(super) fn values(rows: Vec<Vec<Value>>) -> Rows {
        Rows { inner: RowsInner::Values(rows.into()) }
    }

    pub fn empty() -> Rows {
        Rows::values(Vec::new())
    }

    pub async fn next(&mut self) -> DbResult<Option<Row>> {
        match &mut self.inner {
            RowsInner::Local(r) | RowsInner::Kept(Some(r), _) => Ok(r.next().await?.map(Row::local)),
            RowsInner::Kept(None, _) => Ok(None),
            RowsInner::Values(v) => Ok(v.pop_front().map(Row::values)),
        }
    }

    /// The first row, if any (the rest are dropped unread).
    pub async fn first(mut self) -> DbResult<Option<Row>> {
        self.next().await
    }

    /// Every row, copied out: for results that are read after others (a batch).
    pub(super) async fn collect(mut self) -> DbResult<Vec<Vec<Value>>> {
        let mut out = Vec::new();
        while let Some(r) = self.next().await? {
            out.push(r.into_values()?);
        }
        Ok(out)
    }
}

impl Drop for Rows {
    fn drop(&mut self) {
        if let RowsInner::Kept(rows, statement) = &mut self.inner {
            // The rows first: they step the statement that is reset for its next use.
            drop(rows.take());
            statement.reset();
        }
    }
}

pub fn opt_text(row: &Row, idx: i32) -> DbResult<Option<String>> {
    Ok(match row.get_value(idx)? {
        Value::Text(s) => Some(s),
        Value::Null => None,
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(f) => Some(f.to_string()),
        Value::Blob(_) => None,
    })
}

pub fn opt_i64(row: &Row, idx: i32) -> DbResult<Option<i64>> {
    Ok(match row.get_value(idx)? {
        Value::Integer(i) => Some(i),
        Value::Text(s) => s.trim().parse().ok(),
        _ => None,
    })
}
