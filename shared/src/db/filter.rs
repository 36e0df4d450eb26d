//! A WHERE clause built from conditions with `?` placeholders, bound in the order they were added:
//! list pages and the admin API add filters one by one without counting parameters.

use libsql::Value as Sql;

/// Conditions joined by AND; `?` placeholders bound in order.
pub struct Where {
    conds: Vec<String>,
    pub args: Vec<Sql>,
}

impl Where {
    /// Starts with the caller's panel scope (integers from the database, safe to inline).
    pub fn new(scope_sql: String) -> Where {
        Where { conds: vec![scope_sql], args: Vec::new() }
    }
    pub fn cond(&mut self, c: impl Into<String>) {
        self.conds.push(c.into());
    }
    pub fn bind(&mut self, c: &str, v: impl Into<Sql>) {
        self.conds.push(c.to_string());
        self.args.push(v.into());
    }
    /// A condition with several `?`, bound in order.
    pub fn bind_all(&mut self, c: &str, vs: impl IntoIterator<Item = Sql>) {
        self.conds.push(c.to_string());
        self.args.extend(vs);
    }
    /// `column IN (…)` of parsed integers; an empty list matches nothing.
    pub fn ids(&mut self, column: &str, ids: &[i64]) {
        if ids.is_empty() {
            self.conds.push("0".into());
        } else {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            self.conds.push(format!("{column} IN ({})", list.join(",")));
        }
    }
    pub fn sql(&self) -> String {
        self.conds.iter().map(|c| format!("({c})")).collect::<Vec<_>>().join(" AND ")
    }
}
