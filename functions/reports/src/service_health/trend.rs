//! Service tracking's trend: each listed service's score per calendar day (UTC) over the last days,
//! oldest first, today so far last: that day's finished and slow orders, and the orders stuck now that
//! were already stuck at the day's end. The report's own statement carries it (`columns`): finished and
//! slow from `rollup_service_days` (migration 24) — a week of a service is seven rows however many
//! orders it had — and stuck per day from the same pass over stuck orders that counts them for the
//! report. Where the roll-up cannot answer (a multiplier no saved profile holds, a service whose stored
//! speed is stale) the orders are counted instead (`score_trend`), one more round trip.

use std::collections::HashMap;

use shared::auth::PanelScope;
use shared::db::{Conn, Reads, Row, Stmt};
use shared::AppResult;

use super::{score, ServiceHealthParams, FINISHED_SQL, STUCK_SQL};

/// (panel, service) → the score per day, None where the day has no data.
pub type Trend = HashMap<(i64, i64), Vec<Option<f64>>>;

/// The calendar days (UTC) of a trend: the first day number and the day after the last (today's).
fn days_of(days: i64, now: i64) -> (i64, i64) {
    let today = now.div_euclid(86_400);
    (today - days + 1, today + 1)
}

/// For the pass over stuck orders (`o` or no alias, per `created`): one column per day, 1 when the
/// order was already stuck at that day's end (now, for today).
pub fn stuck_columns(created: &str, p: &ServiceHealthParams, days: i64, now: i64) -> Vec<String> {
    let (first, _) = days_of(days, now);
    (0..days)
        .map(|d| format!("{created} < {}", ((first + d + 1) * 86_400).min(now) - p.stuck_after_hours * 3600))
        .collect()
}

/// A CTE `tr(panel_id, service_id, f0, s0, f1, s1, …)`: finished and slow per day from the roll-up, at
/// the multiplier in placeholder `multiplier`, for the services of scope `sc`.
pub fn rollup_cte(sc: &str, multiplier: &str, days: i64, now: i64) -> String {
    let (first, end) = days_of(days, now);
    let mut names = Vec::new();
    let mut cols = Vec::new();
    for d in 0..days {
        names.push(format!("f{d}, s{d}"));
        cols.push(format!("SUM(CASE WHEN day = {} THEN finished ELSE 0 END)", first + d));
        cols.push(format!("SUM(CASE WHEN day = {} THEN slow ELSE 0 END)", first + d));
    }
    format!(
        "tr(panel_id, service_id, {}) AS (SELECT panel_id, service_id, {} FROM rollup_service_days
            WHERE {sc} AND multiplier = {multiplier} AND day >= {first} AND day < {end} GROUP BY panel_id, service_id)",
        names.join(", "),
        cols.join(", ")
    )
}

/// Reads `n` integers from column `at` on (NULL as 0).
pub fn ints(r: &Row, at: i32, n: i32) -> AppResult<Vec<i64>> {
    (0..n).map(|i| Ok(shared::db::opt_i64(r, at + i)?.unwrap_or(0))).collect()
}

/// A service's series from its finished/slow pairs per day and its stuck count per day.
pub fn series(finished_slow: &[i64], stuck: &[i64], days: i64) -> Vec<Option<f64>> {
    (0..days as usize)
        .map(|d| {
            let finished = finished_slow.get(2 * d).copied().unwrap_or(0);
            let slow = finished_slow.get(2 * d + 1).copied().unwrap_or(0);
            let stuck = stuck.get(d).copied().unwrap_or(0);
            if finished == 0 && stuck == 0 {
                None
            } else {
                let pct = if finished == 0 { 0.0 } else { slow as f64 * 100.0 / finished as f64 };
                Some(score(stuck, pct))
            }
        })
        .collect()
}

/// A service and its counts per day.
type Cells = ((i64, i64), Vec<i64>);

fn cells(r: &Row) -> AppResult<Cells> {
    Ok(((r.get(0)?, r.get(1)?), ints(r, 2, r.column_count() - 2)?))
}

/// The trend of the given services, each at the given speed (the one its name promises), counted from
/// the orders: one round trip.
pub async fn score_trend(
    conn: &Conn,
    scope: &PanelScope,
    p: &ServiceHealthParams,
    keys: &[((i64, i64), Option<u64>)],
    days: i64,
    now: i64,
) -> AppResult<Trend> {
    let keys: Vec<&((i64, i64), Option<u64>)> = keys.iter().filter(|(k, _)| scope.allows(k.0)).collect();
    if keys.is_empty() || days < 1 {
        return Ok(Trend::new());
    }
    let values: Vec<String> =
        keys.iter().map(|((pa, s), speed)| format!("({pa}, {s}, {})", speed.unwrap_or(0))).collect();
    let with = format!("WITH k(panel_id, service_id, speed) AS (VALUES {})", values.join(","));
    let (first, end) = days_of(days, now);
    let slow = "k.speed > 0 AND CAST(o.last_update - o.created AS REAL) * k.speed > MAX(COALESCE(o.quantity, 0), 0) * ?1 * 86400.0";
    let cols: Vec<String> = (0..days).map(|d| format!("SUM(d = {d}), SUM(d = {d} AND s)")).collect();
    // Each order's day and slowness once, in a subquery `LIMIT -1` keeps from being flattened into
    // every column (half the time at 100k orders). `CROSS JOIN` keeps `k` the outer loop, so the named
    // index always has a plan (sqld's planner put the orders first and refused the hint).
    let finished = format!(
        "{with} SELECT panel_id, service_id, {} FROM (
            SELECT k.panel_id, k.service_id, o.last_update / 86400 - {first} AS d, ({slow}) AS s
            FROM k CROSS JOIN orders_cache o INDEXED BY orders_cache_finished_service
            WHERE o.panel_id = k.panel_id AND o.service_id = k.service_id AND o.{FINISHED_SQL}
            AND o.last_update >= {} AND o.last_update < {} LIMIT -1)
         GROUP BY panel_id, service_id",
        cols.join(", "),
        first * 86_400,
        end * 86_400
    );
    let stuck = format!(
        "{with} SELECT k.panel_id, k.service_id, {} FROM k CROSS JOIN orders_cache o INDEXED BY orders_cache_stuck
         WHERE o.panel_id = k.panel_id AND o.service_id = k.service_id AND {} AND o.created < {} GROUP BY k.panel_id, k.service_id",
        stuck_columns("o.created", p, days, now).iter().map(|c| format!("SUM({c})")).collect::<Vec<_>>().join(", "),
        STUCK_SQL.replace("status", "o.status").replace("remains", "o.remains"),
        now - p.stuck_after_hours * 3600
    );
    let mut reads = Reads::new();
    let fin = reads.add(Stmt::new(finished, vec![libsql::Value::from(p.slow_multiplier)]), cells);
    let st = reads.add(Stmt::new(stuck, ()), cells);
    let mut done = reads.run(conn).await?;
    let fin: HashMap<(i64, i64), Vec<i64>> = done.all(fin).await?.into_iter().collect();
    let st: HashMap<(i64, i64), Vec<i64>> = done.all(st).await?.into_iter().collect();
    Ok(keys
        .iter()
        .filter_map(|(key, _)| {
            let (f, s) = (fin.get(key), st.get(key));
            (f.is_some() || s.is_some()).then(|| {
                (*key, series(f.map_or(&[][..], Vec::as_slice), s.map_or(&[][..], Vec::as_slice), days))
            })
        })
        .collect())
}
