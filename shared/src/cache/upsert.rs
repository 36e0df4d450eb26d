//! Multi-row upserts that write only rows that changed: `INSERT … ON CONFLICT DO UPDATE … WHERE` some
//! column differs (`IS NOT` treats NULLs as values), or, for a table with a fingerprint column, where
//! the fingerprint differs.

use std::collections::HashMap;

use crate::db::Stmt;
use libsql::Value;

pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub key: &'static [&'static str],
    /// Set on insert only (e.g. `checked_at`), so an unchanged row is not rewritten.
    pub insert_only: &'static [&'static str],
    /// The last column, if it holds a hash of the row's other written columns (see `fingerprinted`):
    /// a re-check then compares one number per row with what is stored.
    pub fingerprint: Option<&'static str>,
}

impl Table {
    /// Whether an upsert rewrites this column of a row already stored.
    fn rewrites(&self, column: &str) -> bool {
        !self.key.contains(&column) && !self.insert_only.contains(&column)
    }

    /// Indexes of the columns an upsert rewrites, the fingerprint aside: what the fingerprint covers.
    fn compared(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.columns.len()).filter(|i| {
            let c = self.columns[*i];
            self.rewrites(c) && self.fingerprint != Some(c)
        })
    }
}

/// SQLite's default limit on bound parameters is 32766; stay well below it.
const MAX_PARAMS: usize = 30_000;

fn statement(t: &Table, rows: usize) -> String {
    let one = format!("({})", vec!["?"; t.columns.len()].join(","));
    let values = vec![one; rows].join(",");
    let updatable: Vec<&str> = t.columns.iter().copied().filter(|c| t.rewrites(c)).collect();
    let set: Vec<String> = updatable.iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let differs: Vec<String> = match t.fingerprint {
        Some(f) => vec![format!("{0}.{f} IS NOT excluded.{f}", t.name)],
        None => updatable.iter().map(|c| format!("{0}.{c} IS NOT excluded.{c}", t.name)).collect(),
    };
    format!(
        "INSERT INTO {} ({}) VALUES {values} ON CONFLICT ({}) DO UPDATE SET {} WHERE {}",
        t.name,
        t.columns.join(", "),
        t.key.join(", "),
        set.join(", "),
        differs.join(" OR ")
    )
}

/// The statements that upsert `rows` (each in `t.columns` order), to run in the page's write batch.
/// A page of up to 1,000 rows is one statement (`MAX_PARAMS`), so the statement after it can read
/// how many rows it inserted or changed with `changes()`. Locally the statement stays prepared on the
/// sync's connection: SQLite parses and plans a 1,000-row upsert in about as long as it takes to write
/// a tenth of its rows.
pub fn upsert(t: &Table, rows: Vec<Vec<Value>>) -> Vec<Stmt> {
    let per_chunk = (MAX_PARAMS / t.columns.len()).max(1);
    let mut out = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_chunk).collect();
        let sql = statement(t, chunk.len());
        out.push(Stmt::new(sql, libsql::params_from_iter(chunk.into_iter().flatten())));
    }
    out
}

/// `row` (every column of `t` but the fingerprint, in order) with its fingerprint appended, when `t`
/// has one.
pub fn fingerprinted(t: &Table, mut row: Vec<Value>) -> Vec<Value> {
    if t.fingerprint.is_some() {
        let fp = fingerprint(t.compared().map(|i| row.get(i)));
        row.push(Value::Integer(fp));
    }
    row
}

/// FNV-1a (64 bits) over the values, each tagged with its type and text length-prefixed, so `NULL`,
/// `''` and `'0'` differ and no two columns run together. Written here rather than taken from std's
/// hasher, whose output may change between Rust releases (every open order would be rewritten once).
fn fingerprint<'a>(values: impl Iterator<Item = Option<&'a Value>>) -> i64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(PRIME);
        }
    };
    for v in values {
        match v {
            None | Some(Value::Null) => eat(&[0]),
            Some(Value::Integer(i)) => {
                eat(&[1]);
                eat(&i.to_le_bytes());
            }
            Some(Value::Real(r)) => {
                eat(&[2]);
                eat(&r.to_le_bytes());
            }
            Some(Value::Text(t)) => {
                eat(&[3]);
                eat(&(t.len() as u64).to_le_bytes());
                eat(t.as_bytes());
            }
            Some(Value::Blob(b)) => {
                eat(&[4]);
                eat(&(b.len() as u64).to_le_bytes());
                eat(b);
            }
        }
    }
    h as i64
}

/// The rows of `rows` (of a table with a fingerprint) whose fingerprint differs from `held`, the one
/// stored for their id, or that have none stored.
pub fn moved(rows: Vec<Vec<Value>>, held: &HashMap<i64, Option<i64>>) -> Vec<Vec<Value>> {
    rows.into_iter()
        .filter(|r| match (r.get(1), r.last()) {
            (Some(Value::Integer(id)), Some(Value::Integer(fp))) => held.get(id) != Some(&Some(*fp)),
            _ => true,
        })
        .collect()
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

    const FP: Table = Table {
        name: "t",
        columns: &["panel_id", "id", "a", "b", "seen", "fp"],
        key: &["panel_id", "id"],
        insert_only: &["seen"],
        fingerprint: Some("fp"),
    };

    fn row(a: Value, b: Value, seen: i64) -> Vec<Value> {
        fingerprinted(&FP, vec![Value::Integer(1), Value::Integer(7), a, b, Value::Integer(seen)])
    }

    #[test]
    fn a_fingerprint_follows_every_written_column_and_nothing_else() {
        let base = row(Value::Text("x".into()), Value::Null, 1);
        assert_eq!(base.len(), 6);
        // The time first seen is written once, so it does not count.
        assert_eq!(base, {
            let mut r = row(Value::Text("x".into()), Value::Null, 99);
            r[4] = Value::Integer(1);
            r
        });
        for other in [
            row(Value::Text("y".into()), Value::Null, 1),
            row(Value::Text("x".into()), Value::Text(String::new()), 1),
            row(Value::Text("x".into()), Value::Integer(0), 1),
            row(Value::Text(String::new()), Value::Text("x".into()), 1),
            row(Value::Null, Value::Text("x".into()), 1),
        ] {
            assert_ne!(base[5], other[5], "{other:?}");
        }
        // Pinned (worked out apart from this code, in Python): a change here rewrites every stored order
        // once, so make it on purpose.
        assert_eq!(
            row(Value::Text("x".into()), Value::Integer(5), 0)[5],
            Value::Integer(2_144_583_785_605_106_485)
        );
    }

    #[test]
    fn only_rows_whose_fingerprint_moved_come_back() {
        let stored = row(Value::Text("x".into()), Value::Null, 1);
        let same = row(Value::Text("x".into()), Value::Null, 2);
        let changed = row(Value::Text("z".into()), Value::Null, 2);
        let mut new = row(Value::Text("x".into()), Value::Null, 2);
        new[1] = Value::Integer(8);
        let mut never_hashed = row(Value::Text("x".into()), Value::Null, 2);
        never_hashed[1] = Value::Integer(9);
        let held = HashMap::from([(7, stored.last().and_then(|v| v.as_integer().copied())), (9, None)]);
        let back = moved(vec![same, changed.clone(), new.clone(), never_hashed.clone()], &held);
        assert_eq!(back, vec![changed, new, never_hashed]);
    }

    #[test]
    fn builds_a_change_only_upsert() {
        let t = Table {
            name: "t",
            columns: &["panel_id", "id", "a", "seen"],
            key: &["panel_id", "id"],
            insert_only: &["seen"],
            fingerprint: None,
        };
        let sql = statement(&t, 2);
        assert!(sql.contains("VALUES (?,?,?,?),(?,?,?,?)"));
        assert!(sql.ends_with("DO UPDATE SET a = excluded.a WHERE t.a IS NOT excluded.a"), "{sql}");
        let sql = statement(&FP, 1);
        assert!(sql.ends_with("DO UPDATE SET a = excluded.a, b = excluded.b, fp = excluded.fp WHERE t.fp IS NOT excluded.fp"), "{sql}");
    }
}
