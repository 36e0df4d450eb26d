//! Service tracking (health): stuck, finished and slow orders per service, the score and its colour,
//! computed exactly as the spec defines them. `service_health` needs no HTTP: the admin API reuses it.

mod drill;
mod orders;
pub mod pages;
pub mod profiles;
pub mod snooze;
pub mod trend;

use std::collections::HashMap;

use libsql::params;
use serde::Serialize;
use shared::db::{Conn, Reads, Stmt};

use shared::auth::PanelScope;
use shared::cache::speeds::{self, Speed};
use shared::domain::service_name;
use shared::AppResult;

use crate::common::{collect, ids_text, round2, Buckets};
pub use orders::{orders, Kind, OrderLine};
pub use profiles::ServiceProfile;
pub use trend::{score_trend, Trend};

/// Stuck statuses; the same text as the partial index `orders_cache_stuck` so the query uses it.
pub const STUCK_SQL: &str =
    "(status IN ('pending', 'in_progress', 'processing') OR status LIKE 'awaiting%') AND remains > 0";
/// Finished statuses; the same text as the partial index `orders_cache_finished`.
pub const FINISHED_SQL: &str = "status IN ('completed', 'partial')";

#[derive(Clone, Debug)]
pub struct ServiceHealthParams {
    pub panel: Option<i64>,
    pub window_hours: i64,
    pub stuck_after_hours: i64,
    pub slow_multiplier: f64,
    pub min_orders: i64,
    /// Empty = every service.
    pub services: Vec<i64>,
    /// Also list snoozed services (with their `snoozed_until`).
    pub include_snoozed: bool,
}

impl ServiceHealthParams {
    pub fn from_profile(p: &ServiceProfile, panel: Option<i64>, window_hours: i64) -> Self {
        ServiceHealthParams {
            panel,
            window_hours,
            stuck_after_hours: p.stuck_after_hours,
            slow_multiplier: p.slow_multiplier,
            min_orders: p.min_orders,
            services: p.services.clone(),
            include_snoozed: false,
        }
    }
    fn service_sql(&self) -> String {
        if self.services.is_empty() {
            String::new()
        } else {
            format!(" AND service_id IN ({})", ids_text(&self.services))
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ServiceHealthRow {
    pub panel_id: i64,
    pub service_id: i64,
    pub service_name: String,
    pub min_per_day: Option<u64>,
    pub finished: i64,
    pub stuck: i64,
    pub slow: i64,
    /// Rounded to 2 decimals; the status is decided on the exact value.
    pub slow_pct: f64,
    pub score: f64,
    pub status: &'static str,
    pub snoozed_until: Option<i64>,
    /// Measured speed: the median units per day of the orders completed in the last 7 days, with how
    /// many of them kept the promised speed (`shared::cache::speeds`).
    pub measured: Option<Speed>,
    /// The share of those orders that kept the promise, in percent; `None` with no promise or no orders.
    pub kept_pct: Option<f64>,
}

/// `100 − min(60, stuck × 5) − slow%`, never below 0.
pub fn score(stuck: i64, slow_pct: f64) -> f64 {
    (100.0 - (stuck * 5).min(60) as f64 - slow_pct).max(0.0)
}

/// healthy above 70, warning from 40 to 70, critical below 40.
pub fn status(score: f64) -> &'static str {
    if score > 70.0 {
        "healthy"
    } else if score >= 40.0 {
        "warning"
    } else {
        "critical"
    }
}

/// Slow: completion took longer than `quantity ÷ min_per_day × multiplier` days. No speed, never slow.
pub fn is_slow(
    quantity: i64,
    created: i64,
    last_update: i64,
    min_per_day: Option<u64>,
    multiplier: f64,
) -> bool {
    match min_per_day {
        Some(speed) if speed > 0 => {
            let took = (last_update - created) as f64;
            // took > quantity / speed × multiplier × 86400, multiplied out to keep exact integers exact.
            took * speed as f64 > quantity.max(0) as f64 * multiplier * 86_400.0
        }
        _ => false,
    }
}

/// Names of these services: the catalogue's, else the one their orders carry, else "Service N".
async fn names_of(
    conn: &Conn,
    keys: impl Iterator<Item = (i64, i64)>,
) -> AppResult<HashMap<(i64, i64), String>> {
    let mut keys: Vec<(i64, i64)> = keys.collect();
    keys.sort_unstable();
    keys.dedup();
    let mut names = crate::common::service_names(conn, &keys).await?;
    for key in keys {
        names.entry(key).or_insert_with(|| format!("Service {}", key.1));
    }
    Ok(names)
}

/// `COUNT(*)` of the slow orders of service (`panel`, `service`) whose last update is in [?1, ?2], at
/// `speed` units per day and the multiplier ?3: read from `orders_cache_finished_service` alone. The
/// comparison is `is_slow`'s, term for term, so SQL and Rust agree to the last bit.
fn slow_count_sql(panel: &str, service: &str, speed: &str) -> String {
    format!(
        "(SELECT COUNT(*) FROM orders_cache INDEXED BY orders_cache_finished_service
          WHERE panel_id = {panel} AND service_id = {service} AND {FINISHED_SQL}
          AND last_update >= ?1 AND last_update <= ?2
          AND CAST(last_update - created AS REAL) * {speed} > MAX(COALESCE(quantity, 0), 0) * ?3 * 86400.0)"
    )
}

/// One listed service as the report's one query returns it.
struct Summed {
    key: (i64, i64),
    finished: i64,
    stuck: i64,
    /// The catalogue's name, else the one its orders carry.
    name: Option<String>,
    /// The speed stored with the catalogue name (-1 = none stored) and the slow orders counted at it.
    stored_speed: i64,
    slow: i64,
    /// The trend's stuck orders per day, its finished and slow per day from the roll-up, and whether
    /// the roll-up holds the multiplier.
    trend: Option<(Vec<i64>, Vec<i64>, bool)>,
}

/// Every service of the scope with stuck orders or at least `min_orders` finished ones, summed in SQL:
/// finished orders from the hourly roll-up plus the window's partial hours at both ends, slow ones
/// counted at the speed stored in the catalogue, stuck ones from their partial index — with, for a
/// trend of `days` days, the stuck orders at each day's end (`t0`…) from the same pass. One statement.
fn sums_cte(sc: &str, p: &ServiceHealthParams, now: i64, days: i64) -> String {
    let from = now - p.window_hours * 3600;
    let hours = Buckets::cut(from, now, 3600);
    let svc = p.service_sql();
    let stuck_before = now - p.stuck_after_hours * 3600;
    let stuck_days = trend::stuck_columns("created", p, days, now);
    let zeros: String = stuck_days.iter().map(|_| ", 0").collect();
    let stuck_cols: String = stuck_days.iter().map(|c| format!(", SUM({c})")).collect();
    let names: String = (0..days).map(|d| format!(", t{d}")).collect();
    let named_zeros: String = (0..days).map(|d| format!(", 0 AS t{d}")).collect();
    let sums: String = (0..days).map(|d| format!(", SUM(t{d})")).collect();
    let edges = hours.edges_sql("last_update").map(|edge| {
        format!(
            "SELECT panel_id, service_id, 1, 0{zeros} FROM orders_cache INDEXED BY orders_cache_finished
             WHERE {sc} AND {FINISHED_SQL} AND {edge} AND service_id IS NOT NULL{svc}"
        )
    });
    // One grouping of every source, so no join needs an index; the roll-up and the stuck orders are
    // summed per service first (the outer grouping then sorts about a row per service, not every
    // bucket and stuck order: a fifth of the statement at a million orders).
    format!(
        "sums(panel_id, service_id, finished, stuck{names}) AS (
            SELECT panel_id, service_id, SUM(f), SUM(st){sums} FROM (
                SELECT panel_id, service_id, SUM(finished) AS f, 0 AS st{named_zeros} FROM rollup_finished_hours
                WHERE {sc} AND hour >= {first} AND hour < {end}{svc} GROUP BY panel_id, service_id
                UNION ALL {head} UNION ALL {tail}
                UNION ALL
                SELECT panel_id, service_id, 0, COUNT(*){stuck_cols} FROM orders_cache INDEXED BY orders_cache_stuck
                WHERE {sc} AND {STUCK_SQL} AND created < {stuck_before} AND service_id IS NOT NULL{svc}
                GROUP BY panel_id, service_id)
            GROUP BY panel_id, service_id HAVING SUM(st) > 0 OR SUM(f) >= ?4)",
        first = hours.first,
        end = hours.end,
        head = edges[0],
        tail = edges[1],
    )
}

/// The statements' parameters: ?1 window start, ?2 now, ?3 slow multiplier, ?4 min orders.
fn report_params(p: &ServiceHealthParams, now: i64) -> Vec<libsql::Value> {
    let from = now - p.window_hours * 3600;
    vec![from.into(), now.into(), p.slow_multiplier.into(), p.min_orders.into()]
}

/// The report in one statement: a row per listed service, with its trend's columns when `days` > 0
/// (stuck per day `t0…`, finished and slow per day from the roll-up `f0, s0…`, and whether the roll-up
/// holds the multiplier at all).
fn summed_stmt(sc: &str, p: &ServiceHealthParams, now: i64, days: i64) -> Stmt {
    let slow = slow_count_sql("k.panel_id", "k.service_id", "s.min_per_day");
    let (with_trend, trend_cols, trend_join) = if days > 0 {
        let stuck: String = (0..days).map(|d| format!(", k.t{d}")).collect();
        let rolled: String = (0..days).map(|d| format!(", tr.f{d}, tr.s{d}")).collect();
        (
            format!(", {}", trend::rollup_cte(sc, "?3", days, now)),
            format!("{stuck}{rolled}, EXISTS (SELECT 1 FROM slow_multipliers WHERE multiplier = ?3)"),
            "LEFT JOIN tr ON tr.panel_id = k.panel_id AND tr.service_id = k.service_id",
        )
    } else {
        (String::new(), String::new(), "")
    };
    let sql = format!(
        "WITH {}{with_trend}
         SELECT k.panel_id, k.service_id, k.finished, k.stuck,
            COALESCE(s.name, (SELECT service_name FROM orders_cache o INDEXED BY orders_cache_service
                WHERE o.service_id = k.service_id AND o.panel_id = k.panel_id AND o.service_name IS NOT NULL LIMIT 1)),
            COALESCE(s.min_per_day, -1),
            CASE WHEN s.min_per_day > 0 AND k.finished > 0 THEN {slow} ELSE 0 END{trend_cols}
         FROM sums k LEFT JOIN services_cache s ON s.panel_id = k.panel_id AND s.id = k.service_id {trend_join}",
        sums_cte(sc, p, now, days)
    );
    Stmt::new(sql, report_params(p, now))
}

/// The slow orders of services whose speed the catalogue does not hold as their name says (not in the
/// catalogue, or stored before speeds were), at the speed read from the name here.
async fn slow_at(
    conn: &Conn,
    p: &ServiceHealthParams,
    now: i64,
    speeds: &[((i64, i64), u64)],
) -> AppResult<HashMap<(i64, i64), i64>> {
    if speeds.is_empty() {
        return Ok(HashMap::new());
    }
    let values: Vec<String> = speeds.iter().map(|((pa, s), v)| format!("({pa}, {s}, {v})")).collect();
    let sql = format!(
        "WITH sp(panel_id, service_id, speed) AS (VALUES {})
         SELECT sp.panel_id, sp.service_id, {} FROM sp",
        values.join(","),
        slow_count_sql("sp.panel_id", "sp.service_id", "sp.speed")
    );
    let from = now - p.window_hours * 3600;
    let rows = conn.query(&sql, params![from, now, p.slow_multiplier]).await?;
    Ok(collect(rows, |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?))).await?.into_iter().collect())
}

/// The report: every listed service of the scope, worst first. One batched read (plus one more only
/// for services whose stored speed is missing or stale).
pub async fn service_health(
    conn: &Conn,
    scope: &PanelScope,
    p: &ServiceHealthParams,
    now: i64,
) -> AppResult<Vec<ServiceHealthRow>> {
    Ok(with_trend(conn, scope, p, now, 0).await?.0)
}

/// The report and, over the last `trend_days` days, each listed service's score per day, read in the
/// same round trip (the trend keys on the report's own list, in SQL).
pub async fn with_trend(
    conn: &Conn,
    scope: &PanelScope,
    p: &ServiceHealthParams,
    now: i64,
    trend_days: i64,
) -> AppResult<(Vec<ServiceHealthRow>, Trend)> {
    let scope = &crate::common::explicit(conn, scope).await?;
    let sc = scope.sql("panel_id", p.panel);
    if sc == "0" {
        // INDEXED BY has no plan for a constant-false condition; nothing is in scope anyway.
        return Ok((Vec::new(), Trend::new()));
    }
    let days = trend_days.max(0);
    let mut reads = Reads::new();
    let summed = reads.add(summed_stmt(&sc, p, now, days), |r| {
        // With a trend: stuck per day, finished and slow per day, and the multiplier held (3 × days + 1).
        let days = (r.column_count() - 7) / 3;
        let trend = if days > 0 {
            let held = r.get::<i64>(7 + 3 * days)? != 0;
            Some((trend::ints(r, 7, days)?, trend::ints(r, 7 + days, 2 * days)?, held))
        } else {
            None
        };
        Ok(Summed {
            key: (r.get(0)?, r.get(1)?),
            finished: r.get(2)?,
            stuck: r.get(3)?,
            name: shared::db::opt_text(r, 4)?,
            stored_speed: r.get(5)?,
            slow: r.get(6)?,
            trend,
        })
    });
    let snoozes = snooze::active_read(&mut reads, &sc, now);
    let measured = reads.add(
        Stmt::new(
            format!("SELECT panel_id, service_id, {} FROM service_speeds WHERE {sc}", speeds::COLUMNS),
            (),
        ),
        |r| Ok(((r.get::<i64>(0)?, r.get::<i64>(1)?), speeds::speed_from(r, 2)?)),
    );
    let mut done = reads.run(conn).await?;
    let mut summed = done.all(summed).await?;
    let snoozed: HashMap<(i64, i64), i64> =
        done.all(snoozes).await?.into_iter().map(|(pa, s, u)| ((pa, s), u)).collect();
    let mut measured: HashMap<(i64, i64), Speed> =
        done.all(measured).await?.into_iter().filter_map(|(k, s)| Some((k, s?))).collect();
    summed.retain(|x| p.include_snoozed || !snoozed.contains_key(&x.key));
    // The speed the name promises; where the stored one is not it, count the slow orders again at it.
    let speeds: Vec<Option<u64>> =
        summed.iter().map(|x| x.name.as_deref().and_then(|n| service_name::parse(n).min_per_day)).collect();
    let stale = |x: &Summed, speed: &Option<u64>| x.stored_speed != speed.map_or(0, |v| v as i64);
    let recount: Vec<((i64, i64), u64)> = summed
        .iter()
        .zip(&speeds)
        .filter(|(x, speed)| x.finished > 0 && stale(x, speed))
        .filter_map(|(x, speed)| speed.filter(|v| *v > 0).map(|v| (x.key, v)))
        .collect();
    let recounted = slow_at(conn, p, now, &recount).await?;
    // The trend from the report's own row, except where the roll-up cannot say: then from the orders.
    let mut trend = Trend::new();
    let mut from_orders = Vec::new();
    for (x, speed) in summed.iter().zip(&speeds) {
        match &x.trend {
            Some((stuck, rolled, true)) if !stale(x, speed) => {
                let series = trend::series(rolled, stuck, days);
                if series.iter().any(Option::is_some) {
                    trend.insert(x.key, series);
                }
            }
            Some(_) => from_orders.push((x.key, *speed)),
            None => {}
        }
    }
    trend.extend(score_trend(conn, scope, p, &from_orders, days, now).await?);
    let mut out = Vec::new();
    for (x, speed) in summed.into_iter().zip(speeds) {
        let slow = if x.stored_speed == speed.map_or(0, |v| v as i64) {
            x.slow
        } else {
            recounted.get(&x.key).copied().unwrap_or(0)
        };
        let slow_pct = if x.finished == 0 { 0.0 } else { slow as f64 * 100.0 / x.finished as f64 };
        let sc = score(x.stuck, slow_pct);
        out.push(ServiceHealthRow {
            panel_id: x.key.0,
            service_id: x.key.1,
            min_per_day: speed,
            service_name: x.name.unwrap_or_else(|| format!("Service {}", x.key.1)),
            finished: x.finished,
            stuck: x.stuck,
            slow,
            slow_pct: round2(slow_pct),
            score: round2(sc),
            status: status(sc),
            snoozed_until: snoozed.get(&x.key).copied(),
            kept_pct: measured.get(&x.key).and_then(Speed::kept_pct),
            measured: measured.remove(&x.key),
        });
    }
    out.sort_by(|a, b| {
        a.score
            .total_cmp(&b.score)
            .then(b.stuck.cmp(&a.stuck))
            .then((a.panel_id, a.service_id).cmp(&(b.panel_id, b.service_id)))
    });
    Ok((out, trend))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_and_colour_edges() {
        assert_eq!(score(0, 0.0), 100.0);
        assert_eq!(score(13, 0.0), 40.0);
        assert_eq!(score(12, 50.0), 0.0);
        assert_eq!(status(70.0), "warning");
        assert_eq!(status(70.01), "healthy");
        assert_eq!(status(40.0), "warning");
        assert_eq!(status(39.99), "critical");
    }

    #[test]
    fn slow_is_strictly_longer_than_the_limit() {
        // 10,000 at 5,000/day × 2 = 4 days.
        assert!(!is_slow(10_000, 0, 4 * 86_400, Some(5_000), 2.0));
        assert!(is_slow(10_000, 0, 4 * 86_400 + 1, Some(5_000), 2.0));
        assert!(!is_slow(10_000, 0, 400 * 86_400, None, 2.0));
    }
}
