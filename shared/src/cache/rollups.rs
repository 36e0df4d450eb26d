//! The reports' roll-ups (migrations 0017, 0019 and 0024): per hour or day sums of the cached orders, kept by triggers
//! on `orders_cache` in the same statement as each order's write. Here: how each roll-up is summed from
//! the orders from scratch, the check that the kept ones equal that (`panelops rollups verify`), the
//! rebuild (`panelops rollups rebuild`), and the promised speed stored beside each catalogue service.

use libsql::params;

use crate::db::{Conn, Stmt};
use crate::domain::service_name;
use crate::AppResult;

/// A roll-up: its table, how it is summed from `orders_cache` from scratch, and which of its rows are
/// the empty buckets a change leaves behind (they add nothing, so a check ignores them).
pub struct Rollup {
    pub table: &'static str,
    pub from_orders: &'static str,
    pub empty: &'static str,
}

pub const ROLLUPS: &[Rollup] = &[
    Rollup {
        table: "rollup_order_hours",
        from_orders:
            "SELECT panel_id, created / 3600, COALESCE(service_id, -1), status, COALESCE(currency, ''),
            COUNT(*), COUNT(charge), COALESCE(SUM(charge), 0), COALESCE(SUM(provider_charge), 0)
            FROM orders_cache GROUP BY 1, 2, 3, 4, 5",
        empty: "orders = 0 AND charged = 0 AND charge = 0 AND provider_charge = 0",
    },
    Rollup {
        table: "rollup_finished_hours",
        from_orders: "SELECT panel_id, last_update / 3600, service_id, COUNT(*) FROM orders_cache
            WHERE status IN ('completed', 'partial') AND last_update IS NOT NULL AND service_id IS NOT NULL
            GROUP BY 1, 2, 3",
        empty: "finished = 0",
    },
    Rollup {
        table: "rollup_user_days",
        from_orders:
            "SELECT panel_id, created / 86400, user, COUNT(*), COALESCE(SUM(charge), 0) FROM orders_cache
            WHERE user IS NOT NULL AND status NOT IN ('canceled', 'fail') GROUP BY 1, 2, 3",
        empty: "orders = 0 AND spend = 0",
    },
    Rollup {
        table: "rollup_provider_hours",
        from_orders: "SELECT panel_id, created / 3600, COALESCE(provider, ''), COALESCE(service_id, -1), status,
            COALESCE(currency, ''), COUNT(*), COALESCE(SUM(charge), 0), COUNT(provider_charge),
            COALESCE(SUM(CASE WHEN provider_charge IS NULL THEN 0 ELSE charge END), 0), COALESCE(SUM(provider_charge), 0)
            FROM orders_cache GROUP BY 1, 2, 3, 4, 5, 6",
        empty: "orders = 0 AND charge = 0 AND costed = 0 AND costed_charge = 0 AND provider_charge = 0",
    },
    Rollup {
        table: "rollup_money_hours",
        from_orders: "SELECT panel_id, created / 3600, COALESCE(currency, ''), COUNT(*), COALESCE(SUM(charge), 0),
            COUNT(provider_charge), COALESCE(SUM(CASE WHEN provider_charge IS NULL THEN 0 ELSE charge END), 0),
            COALESCE(SUM(provider_charge), 0) FROM orders_cache WHERE status NOT IN ('canceled', 'fail') GROUP BY 1, 2, 3",
        empty: "orders = 0 AND charge = 0 AND costed = 0 AND costed_charge = 0 AND provider_charge = 0",
    },
    Rollup {
        table: "rollup_service_days",
        from_orders: "SELECT o.panel_id, o.service_id, m.multiplier, o.last_update / 86400, COUNT(*),
            SUM(COALESCE(s.min_per_day > 0 AND CAST(o.last_update - o.created AS REAL) * s.min_per_day
                > MAX(COALESCE(o.quantity, 0), 0) * m.multiplier * 86400.0, 0))
            FROM slow_multipliers m CROSS JOIN orders_cache o
                LEFT JOIN services_cache s ON s.panel_id = o.panel_id AND s.id = o.service_id
            WHERE o.status IN ('completed', 'partial') AND o.last_update IS NOT NULL AND o.service_id IS NOT NULL
            GROUP BY o.panel_id, o.service_id, m.multiplier, o.last_update / 86400",
        empty: "finished = 0 AND slow = 0",
    },
];

/// A roll-up's buckets that differ from the orders: kept but wrong or missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub table: &'static str,
    pub buckets: i64,
}

/// Every roll-up compared with the orders, in one round trip; each roll-up with its differing buckets
/// (0 = exact).
pub async fn verify(conn: &Conn) -> AppResult<Vec<Drift>> {
    let stmts = ROLLUPS
        .iter()
        .map(|r| {
            let kept = format!("SELECT * FROM {} WHERE NOT ({})", r.table, r.empty);
            Stmt::new(
                format!(
                    "SELECT (SELECT COUNT(*) FROM ({kept} EXCEPT {fresh})) + (SELECT COUNT(*) FROM ({fresh} EXCEPT {kept}))",
                    fresh = r.from_orders
                ),
                (),
            )
        })
        .collect();
    let mut out = Vec::new();
    for (r, mut rows) in ROLLUPS.iter().zip(conn.batch(stmts).await?) {
        let buckets = match rows.next().await? {
            Some(row) => row.get::<i64>(0)?,
            None => 0,
        };
        out.push(Drift { table: r.table, buckets });
    }
    Ok(out)
}

/// The statements that sum every roll-up again from the orders: one write batch, so readers see the
/// old roll-ups or the new ones, never half.
pub fn rebuild_stmts() -> Vec<Stmt> {
    ROLLUPS
        .iter()
        .flat_map(|r| {
            [
                Stmt::new(format!("DELETE FROM {}", r.table), ()),
                Stmt::new(format!("INSERT INTO {} {}", r.table, r.from_orders), ()),
            ]
        })
        .collect()
}

/// What `min_per_day` stores for a catalogue name: the promised units per day, 0 when none.
pub fn min_per_day(name: &str) -> i64 {
    service_name::parse(name).min_per_day.map(|n| n.min(i64::MAX as u64) as i64).unwrap_or(0)
}

/// Sums every roll-up again and stores every catalogue service's promised speed; returns the services
/// whose speed was stored. The services are read first; the rest is one write batch.
pub async fn rebuild(conn: &Conn) -> AppResult<usize> {
    let mut rows = conn.query("SELECT panel_id, id, name FROM services_cache", ()).await?;
    let mut stmts = Vec::new();
    let mut services = 0;
    while let Some(r) = rows.next().await? {
        let (panel, id, name) = (r.get::<i64>(0)?, r.get::<i64>(1)?, r.get::<String>(2)?);
        stmts.push(Stmt::new(
            "UPDATE services_cache SET min_per_day = ?3 WHERE panel_id = ?1 AND id = ?2",
            params![panel, id, min_per_day(&name)],
        ));
        services += 1;
    }
    drop(rows);
    // The speeds first: the sums after them read the speeds they count slow orders at.
    stmts.extend(rebuild_stmts());
    conn.write_batch(stmts).await?;
    Ok(services)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rollups_use_the_status_words_of_the_orders_table() {
        use crate::cache::orders::{FINISHED_SQL, UNCHARGED_SQL};
        assert!(ROLLUPS[1].from_orders.contains(&format!("status IN {FINISHED_SQL}")));
        assert!(ROLLUPS[2].from_orders.contains(&format!("status NOT IN {UNCHARGED_SQL}")));
        let migration = crate::db::MIGRATIONS.iter().find(|m| m.1 == "rollups").map(|m| m.2).unwrap_or("");
        assert!(migration.contains(&format!("status IN {FINISHED_SQL}")));
        assert!(migration.contains(&format!("status NOT IN {UNCHARGED_SQL}")));
    }

    #[test]
    fn the_stored_speed_is_the_parsed_lower_end_or_zero() {
        assert_eq!(min_per_day("Likes [Speed: 5-10K/Day]"), 5_000);
        assert_eq!(min_per_day("Likes"), 0);
    }
}
