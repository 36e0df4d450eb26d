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
