//! Which panels a staff member may see, and the SQL that keeps every query inside them.

use crate::error::{AppError, AppResult};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PanelScope {
    All,
    Only(Vec<i64>),
}

impl PanelScope {
    pub fn allows(&self, panel_id: i64) -> bool {
        match self {
            PanelScope::All => true,
            PanelScope::Only(ids) => ids.contains(&panel_id),
        }
    }

    /// `Err(403)` unless the panel is in scope.
    pub fn check(&self, panel_id: i64) -> AppResult<()> {
        if self.allows(panel_id) {
            Ok(())
        } else {
            Err(AppError::Forbidden("That panel is not in your allowed panels.".into()))
        }
    }

    /// A SQL condition limiting `column` to the scope, optionally narrowed to one chosen panel.
    /// Ids are integers from the database, so inlining them is safe.
    pub fn sql(&self, column: &str, chosen: Option<i64>) -> String {
        match (self, chosen) {
            (_, Some(p)) if self.allows(p) => format!("{column} = {p}"),
            (_, Some(_)) => "0".into(),
            (PanelScope::All, None) => "1".into(),
            (PanelScope::Only(ids), None) if ids.is_empty() => "0".into(),
            (PanelScope::Only(ids), None) => {
                let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
                format!("{column} IN ({})", list.join(","))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_rules() {
        let only = PanelScope::Only(vec![2, 5]);
        assert!(only.allows(2) && !only.allows(3));
        assert!(only.check(3).is_err());
        assert_eq!(only.sql("p", None), "p IN (2,5)");
        assert_eq!(only.sql("p", Some(5)), "p = 5");
        assert_eq!(only.sql("p", Some(3)), "0");
        assert_eq!(PanelScope::Only(vec![]).sql("p", None), "0");
        assert_eq!(PanelScope::All.sql("p", None), "1");
        assert_eq!(PanelScope::All.sql("p", Some(9)), "p = 9");
    }
}
