//! `service_speeds` (migration 0020): each service's measured speed — the median delivered units per
//! day of its orders completed in the last 7 days (created → last update) — and how many of them kept
//! the promised speed. Summed in SQL by the sync after its orders cycle, at most every
//! `REFRESH_SECS`, so the Services page and Service tracking read one row per service whatever the
//! order volume.

use libsql::params;

use super::rollups::min_per_day;
use crate::db::{Conn, Reads, Stmt};
use crate::AppResult;

/// The measured window: orders completed in the last 7 days.
pub const WINDOW_SECS: i64 = 7 * 86_400;
/// A panel's speeds are summed again at most this often (a median over a week moves slowly).
pub const REFRESH_SECS: i64 = 600;

/// One service's measured speed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Speed {
    /// Orders completed in the window.
    pub orders: i64,
    pub median_per_day: i64,
    /// Orders delivered at the promised speed or faster; `None` when the name promises no speed.
    pub kept: Option<i64>,
}

impl Speed {
    /// The share of the orders that kept the promise, in percent (2 decimals).
    pub fn kept_pct(&self) -> Option<f64> {
        self.kept
            .filter(|_| self.orders > 0)
            .map(|k| (k as f64 * 10_000.0 / self.orders as f64).round() / 100.0)
    }
}

/// The columns a read of `service_speeds` selects, in `speed_from`'s order.
pub const COLUMNS: &str = "orders, median_per_day, promised_per_day, kept";

/// `COLUMNS` of the table under `alias`.
pub fn prefixed(alias: &str) -> String {
    COLUMNS.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

/// A `Speed` from the four `COLUMNS` starting at `at`; `None` where the LEFT JOIN found no row.
pub fn speed_from(r: &crate::db::Row, at: i32) -> AppResult<Option<Speed>> {
    let Some(orders) = crate::db::rows::opt_i64(r, at)? else { return Ok(None) };
    let promised: i64 = r.get(at + 2)?;
    Ok(Some(Speed {
        orders,
        median_per_day: r.get(at + 1)?,
        kept: (promised > 0).then(|| r.get(at + 3)).transpose()?,
    }))
}

/// The statements that sum `panel`'s speeds again as of `now`: one write batch, so a reader sees the
/// old speeds or the new ones. A completion in the same second as the order counts as one second.
pub fn refresh_stmts(panel: i64, now: i64) -> Vec<Stmt> {
    vec![
        Stmt::new("DELETE FROM service_speeds WHERE panel_id = ?1", params![panel]),
        Stmt::new(
            "WITH o AS (
                SELECT o.service_id, MAX(o.last_update - o.created, 1) AS secs, o.quantity,
                    o.quantity * 86400.0 / MAX(o.last_update - o.created, 1) AS v
                FROM orders_cache o INDEXED BY orders_cache_finished
                WHERE o.panel_id = ?1 AND o.status IN ('completed', 'partial') AND o.status = 'completed'
                    AND o.last_update > ?2 - ?3 AND o.last_update <= ?2
                    AND o.service_id IS NOT NULL AND o.quantity > 0),
            r AS (SELECT o.*, MAX(COALESCE(s.min_per_day, 0), 0) AS promised,
                    ROW_NUMBER() OVER (PARTITION BY o.service_id ORDER BY o.v) AS rn,
                    COUNT(*) OVER (PARTITION BY o.service_id) AS n
                FROM o LEFT JOIN services_cache s ON s.panel_id = ?1 AND s.id = o.service_id)
            INSERT INTO service_speeds
                (panel_id, service_id, orders, median_per_day, promised_per_day, kept, refreshed_at)
            SELECT ?1, service_id, MAX(n),
                CAST(ROUND(AVG(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN v END)) AS INTEGER),
                MAX(promised), SUM(promised > 0 AND quantity * 86400 >= promised * secs), ?2
            FROM r GROUP BY service_id",
            params![panel, now, WINDOW_SECS],
        ),
        Stmt::new(
            "INSERT INTO service_speed_runs (panel_id, refreshed_at) VALUES (?1, ?2)
             ON CONFLICT (panel_id) DO UPDATE SET refreshed_at = excluded.refreshed_at",
            params![panel, now],
        ),
    ]
}

/// Sums `panel`'s speeds again unless they were summed in the last `REFRESH_SECS` (or `force`).
/// One read (the last run and the catalogue services without a stored promised speed), then one write
/// batch that stores those speeds and the sums. Returns whether it summed.
pub async fn refresh(conn: &Conn, panel: i64, now: i64, force: bool) -> AppResult<bool> {
    let mut reads = Reads::new();
    let last = reads.add(
        Stmt::new("SELECT refreshed_at FROM service_speed_runs WHERE panel_id = ?1", params![panel]),
        |r| Ok(r.get::<i64>(0)?),
    );
    let unstored = reads.add(
        Stmt::new(
            "SELECT id, name FROM services_cache WHERE panel_id = ?1 AND min_per_day < 0",
            params![panel],
        ),
        |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)),
    );
    let mut done = reads.run(conn).await?;
    let last = done.all(last).await?.first().copied();
    let unstored = done.all(unstored).await?;
    if !force && last.is_some_and(|at| at > now - REFRESH_SECS && at <= now) {
        return Ok(false);
    }
    // Services stored before the catalogue kept its promised speed: store it now, as the sync would.
    let mut stmts: Vec<Stmt> = unstored
        .iter()
        .map(|(id, name)| {
            Stmt::new(
                "UPDATE services_cache SET min_per_day = ?3 WHERE panel_id = ?1 AND id = ?2",
                params![panel, *id, min_per_day(name)],
            )
        })
        .collect();
    stmts.extend(refresh_stmts(panel, now));
    conn.write_batch(stmts).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_share_is_a_percentage_of_the_orders() {
        let s = Speed { orders: 3, median_per_day: 10, kept: Some(2) };
        assert_eq!(s.kept_pct(), Some(66.67));
        assert_eq!(Speed { kept: None, ..s }.kept_pct(), None);
    }
}
