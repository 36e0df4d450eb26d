//! Keyset cursors for lists ordered newest first across panels: `created.panel.id` of the last row
//! shown. Stable while rows arrive (a new order never shifts the next page), cheap at any depth.

use libsql::Value;

use shared::db::Where;
use shared::{AppError, AppResult};

pub struct Cursor {
    pub at: i64,
    pub panel_id: i64,
    pub id: i64,
}

impl Cursor {
    pub fn parse(raw: Option<&str>) -> AppResult<Option<Cursor>> {
        let Some(raw) = raw else { return Ok(None) };
        let bad = || {
            AppError::bad_request("The page position in the address is malformed; start from the first page.")
        };
        let mut parts = raw.split('.').map(|p| p.parse::<i64>());
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(Ok(at)), Some(Ok(panel_id)), Some(Ok(id)), None) => Ok(Some(Cursor { at, panel_id, id })),
            _ => Err(bad()),
        }
    }

    pub fn of(at: i64, panel_id: i64, id: i64) -> String {
        format!("{at}.{panel_id}.{id}")
    }

    /// Rows strictly after this one in (`column` DESC, panel_id DESC, id DESC) order.
    pub fn push_condition(&self, column: &str, w: &mut Where) {
        w.bind_all(
            &format!("({column}, panel_id, id) < (?, ?, ?)"),
            [Value::Integer(self.at), Value::Integer(self.panel_id), Value::Integer(self.id)],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_junk() {
        let c = Cursor::parse(Some(&Cursor::of(1700000000, 2, 1000123))).ok().flatten();
        assert!(matches!(c, Some(Cursor { at: 1700000000, panel_id: 2, id: 1000123 })));
        for junk in ["x", "1.2", "1.2.3.4", "1.a.3", ""] {
            assert!(Cursor::parse(Some(junk)).is_err(), "{junk}");
        }
    }
}
