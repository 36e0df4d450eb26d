//! Multi-row upserts that write only rows that changed: `INSERT … ON CONFLICT DO UPDATE … WHERE` some
//! column differs (`IS NOT` treats NULLs as values).

use libsql::{Transaction, Value};

use shared::AppResult;

pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub key: &'static [&'static str],
    /// Set on insert only (e.g. `checked_at`), so an unchanged row is not rewritten.
    pub insert_only: &'static [&'static str],
}

/// SQLite's default limit on bound parameters is 32766; stay well below it.
const MAX_PARAMS: usize = 30_000;

fn statement(t: &Table, rows: usize) -> String {
    let one = format!("({})", vec!["?"; t.columns.len()].join(","));
    let values = vec![one; rows].join(",");
    let updatable: Vec<&str> =
        t.columns.iter().copied().filter(|c| !t.key.contains(c) && !t.insert_only.contains(c)).collect();
    let set: Vec<String> = updatable.iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let differs: Vec<String> =
        updatable.iter().map(|c| format!("{0}.{c} IS NOT excluded.{c}", t.name)).collect();
    format!(
        "INSERT INTO {} ({}) VALUES {values} ON CONFLICT ({}) DO UPDATE SET {} WHERE {}",
        t.name,
        t.columns.join(", "),
        t.key.join(", "),
        set.join(", "),
        differs.join(" OR ")
    )
}

/// Upserts `rows` (each in `t.columns` order); returns how many rows were inserted or changed.
pub async fn upsert(tx: &Transaction, t: &Table, rows: Vec<Vec<Value>>) -> AppResult<u64> {
    let per_chunk = (MAX_PARAMS / t.columns.len()).max(1);
    let mut changed = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_chunk).collect();
        let sql = statement(t, chunk.len());
        let params: Vec<Value> = chunk.into_iter().flatten().collect();
        changed += tx.execute(&sql, libsql::params_from_iter(params)).await?;
    }
    Ok(changed)
}

/// The rows of `rows` that differ from what the table holds for their (panel_id, id) in any column an
/// upsert would write. Re-reading tens of thousands of open orders that mostly did not move is then one
/// narrow read per batch instead of an upsert binding every column of every row.
pub async fn changed_only(
    conn: &libsql::Connection,
    t: &Table,
    rows: Vec<Vec<Value>>,
) -> AppResult<Vec<Vec<Value>>> {
    let (Some(Value::Integer(panel)), true) =
        (rows.first().and_then(|r| r.first()).cloned(), t.key == ["panel_id", "id"])
    else {
        return Ok(rows);
    };
    let compared: Vec<usize> = (0..t.columns.len())
        .filter(|i| !t.key.contains(&t.columns[*i]) && !t.insert_only.contains(&t.columns[*i]))
        .collect();
    let fingerprint: Vec<String> = compared.iter().map(|i| format!("quote({})", t.columns[*i])).collect();
    let ids: Vec<i64> = rows
        .iter()
        .filter_map(|r| match r.get(1) {
            Some(Value::Integer(id)) => Some(*id),
            _ => None,
        })
        .collect();
    let sql = format!(
        "SELECT id, {} FROM {} WHERE panel_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
        fingerprint.join(" || char(31) || "),
        t.name
    );
    let list = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
    let mut found = conn.query(&sql, libsql::params![panel, list]).await?;
    let mut held = std::collections::HashMap::with_capacity(ids.len());
    while let Some(r) = found.next().await? {
        held.insert(r.get::<i64>(0)?, r.get::<String>(1)?);
    }
    let mut buf = String::new();
    Ok(rows
        .into_iter()
        .filter(|r| {
            let (Some(Value::Integer(p)), Some(Value::Integer(id))) = (r.first(), r.get(1)) else {
                return true;
            };
            let Some(old) = held.get(id).filter(|_| *p == panel) else { return true };
            buf.clear();
            for (n, i) in compared.iter().enumerate() {
                if n > 0 {
                    buf.push('\u{1f}');
                }
                if !quote_into(&mut buf, r.get(*i)) {
                    return true;
                }
            }
            buf != *old
        })
        .collect())
}

/// `v` as SQLite's `quote()` writes it; false for a value this does not reproduce (then the row is
/// simply written).
fn quote_into(out: &mut String, v: Option<&Value>) -> bool {
    use std::fmt::Write;
    match v {
        Some(Value::Null) => out.push_str("NULL"),
        Some(Value::Integer(i)) => {
            let _ = write!(out, "{i}");
        }
        Some(Value::Text(t)) => {
            out.push('\'');
            for c in t.chars() {
                if c == '\'' {
                    out.push('\'');
                }
                out.push(c);
            }
            out.push('\'');
        }
        _ => return false,
    }
    true
}

pub fn opt_i(v: Option<i64>) -> Value {
    v.map(Value::Integer).unwrap_or(Value::Null)
}

pub fn opt_s(v: Option<String>) -> Value {
    v.map(Value::Text).unwrap_or(Value::Null)
}

pub fn opt_b(v: Option<bool>) -> Value {
    v.map(|b| Value::Integer(b as i64)).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn quotes_values_as_sqlite_does() {
        let db = libsql::Builder::new_local(":memory:").build().await.unwrap();
        let conn = db.connect().unwrap();
        for v in [
            Value::Null,
            Value::Integer(-42),
            Value::Integer(i64::MAX),
            Value::Text("It's ♻️ [Refill: 30D] \"x\" ''".into()),
            Value::Text(String::new()),
        ] {
            let mut rows = conn.query("SELECT quote(?1)", libsql::params![v.clone()]).await.unwrap();
            let want: String = rows.next().await.unwrap().unwrap().get(0).unwrap();
            let mut got = String::new();
            assert!(quote_into(&mut got, Some(&v)));
            assert_eq!(got, want);
        }
    }

    #[test]
    fn builds_a_change_only_upsert() {
        let t = Table {
            name: "t",
            columns: &["panel_id", "id", "a", "seen"],
            key: &["panel_id", "id"],
            insert_only: &["seen"],
        };
        let sql = statement(&t, 2);
        assert!(sql.contains("VALUES (?,?,?,?),(?,?,?,?)"));
        assert!(sql.ends_with("DO UPDATE SET a = excluded.a WHERE t.a IS NOT excluded.a"), "{sql}");
    }
}
