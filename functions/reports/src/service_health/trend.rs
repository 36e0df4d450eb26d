//! Service tracking's trend: each listed service's score per calendar day (UTC) over the last days,
//! oldest first, today so far last: that day's finished and slow orders, and the orders stuck now that
//! were already stuck at the day's end. Two statements, summed in SQL: one row per service each (a
//! column per day). Finished and slow come from `rollup_service_days` (migration 24) when the keys carry
//! the stored speeds and a saved profile uses the multiplier: a week of one service is seven rows
//! however many orders it had; otherwise from the orders. They key on a `k(panel_id, service_id, speed)` CTE: the report's own list, computed in
//! the report's round trip, or given services as VALUES. `CROSS JOIN` keeps `k` the outer loop, so the
//! named index always has a plan (sqld's planner put the orders first and refused the hint).

use std::collections::HashMap;

use shared::auth::PanelScope;
use shared::db::{Conn, Done, Read, Reads, Row, Stmt};
use shared::AppResult;

use super::{score, ServiceHealthParams, FINISHED_SQL, STUCK_SQL};

/// (panel, service) → the score per day, None where the day has no data.
pub type Trend = HashMap<(i64, i64), Vec<Option<f64>>>;

/// A service and its count per day (one column each).
type Cells = ((i64, i64), Vec<i64>);

/// The two reads of a trend in a batch.
pub struct TrendReads {
    finished: Read<Cells>,
    stuck: Read<Cells>,
}

fn cells(r: &Row) -> AppResult<Cells> {
    let n = r.column_count() - 2;
    let v = (0..n).map(|i| Ok(shared::db::opt_i64(r, i + 2)?.unwrap_or(0))).collect::<AppResult<_>>()?;
    Ok(((r.get(0)?, r.get(1)?), v))
}

/// Where a trend's finished and slow orders are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The keys carry each service's stored speed: read `rollup_service_days` when it holds the
    /// multiplier (a saved profile's), else the orders.
    StoredSpeed,
    /// The keys carry another speed: the orders, always.
    Orders,
}

/// The calendar days (UTC) of a trend: the first day number and the day after the last (today's).
fn days_of(days: i64, now: i64) -> (i64, i64) {
    let today = now.div_euclid(86_400);
    (today - days + 1, today + 1)
}

/// Adds the trend's two statements to `reads`: `keys` is `WITH … k(panel_id, service_id, speed)` and
/// `key_args` the parameters it uses; `multiplier` is the placeholder holding the multiplier, and
/// `args` the parameters of the statement that uses it (a remote server refuses unused ones).
#[allow(clippy::too_many_arguments)]
pub fn add_reads(
    reads: &mut Reads,
    keys: &str,
    key_args: Vec<libsql::Value>,
    args: Vec<libsql::Value>,
    multiplier: &str,
    source: Source,
    p: &ServiceHealthParams,
    days: i64,
    now: i64,
) -> TrendReads {
    let (first, end) = days_of(days, now);
    let slow = format!(
        "k.speed > 0 AND CAST(o.last_update - o.created AS REAL) * k.speed > MAX(COALESCE(o.quantity, 0), 0) * {multiplier} * 86400.0"
    );
    let mut cols = Vec::new();
    let mut rolled = Vec::new();
    for d in 0..days {
        cols.push(format!("SUM(d = {d})"));
        cols.push(format!("SUM(d = {d} AND s)"));
        rolled.push(format!("SUM(CASE WHEN r.day = {} THEN r.finished ELSE 0 END)", first + d));
        rolled.push(format!("SUM(CASE WHEN r.day = {} THEN r.slow ELSE 0 END)", first + d));
    }
    // Each order's day and slowness once, in a subquery `LIMIT -1` keeps from being flattened into
    // every column (half the time at 100k orders).
    let from_orders = |gate: &str, held: &str| {
        format!(
            "SELECT panel_id, service_id, {} FROM (
                SELECT k.panel_id, k.service_id, o.last_update / 86400 - {first} AS d, ({slow}) AS s
                FROM {gate}k CROSS JOIN orders_cache o INDEXED BY orders_cache_finished_service
                WHERE {held}o.panel_id = k.panel_id AND o.service_id = k.service_id AND o.{FINISHED_SQL}
                AND o.last_update >= {} AND o.last_update < {} LIMIT -1)
             GROUP BY panel_id, service_id",
            cols.join(", "),
            first * 86_400,
            end * 86_400
        )
    };
    let finished = match source {
        Source::Orders => format!("{keys} {}", from_orders("", "")),
        // One of the two halves answers: `g` is the outer loop of each, so the half whose condition is
        // false reads nothing.
        Source::StoredSpeed => format!(
            "{keys}, g(held) AS (SELECT EXISTS (SELECT 1 FROM slow_multipliers WHERE multiplier = {multiplier}))
             SELECT k.panel_id, k.service_id, {}
             FROM g CROSS JOIN k CROSS JOIN rollup_service_days r
             WHERE g.held AND r.panel_id = k.panel_id AND r.service_id = k.service_id AND r.multiplier = {multiplier}
                AND r.day >= {first} AND r.day < {end}
             GROUP BY k.panel_id, k.service_id
             UNION ALL {}",
            rolled.join(", "),
            from_orders("g CROSS JOIN ", "NOT g.held AND ")
        ),
    };
    // Stuck at a day's end: created before its end (now, for today) less the stuck rule's hours.
    let stuck_cols: Vec<String> = (0..days)
        .map(|d| {
            format!("SUM(o.created < {})", ((first + d + 1) * 86_400).min(now) - p.stuck_after_hours * 3600)
        })
        .collect();
    let stuck = format!(
        "{keys} SELECT k.panel_id, k.service_id, {} FROM k CROSS JOIN orders_cache o INDEXED BY orders_cache_stuck
         WHERE o.panel_id = k.panel_id AND o.service_id = k.service_id AND {} AND o.created < {} GROUP BY k.panel_id, k.service_id",
        stuck_cols.join(", "),
        STUCK_SQL.replace("status", "o.status").replace("remains", "o.remains"),
        now - p.stuck_after_hours * 3600
    );
    TrendReads {
        finished: reads.add(Stmt::new(finished, args), cells),
        stuck: reads.add(Stmt::new(stuck, key_args), cells),
    }
}

/// Each service's series from the batch's answers.
pub async fn collect_series(done: &mut Done, reads: TrendReads, days: i64) -> AppResult<Trend> {
    let fin: HashMap<(i64, i64), Vec<i64>> = done.all(reads.finished).await?.into_iter().collect();
    let st: HashMap<(i64, i64), Vec<i64>> = done.all(reads.stuck).await?.into_iter().collect();
    let mut keys: Vec<(i64, i64)> = fin.keys().chain(st.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out = Trend::new();
    for key in keys {
        let (f, s) = (fin.get(&key), st.get(&key));
        let series = (0..days as usize)
            .map(|d| {
                let (finished, slow) = f.map_or((0, 0), |v| (v[2 * d], v[2 * d + 1]));
                let stuck = s.map_or(0, |v| v[d]);
                if finished == 0 && stuck == 0 {
                    None
                } else {
                    let pct = if finished == 0 { 0.0 } else { slow as f64 * 100.0 / finished as f64 };
                    Some(score(stuck, pct))
                }
            })
            .collect();
        out.insert(key, series);
    }
    Ok(out)
}

/// The trend of the given services, each at the given speed (the one its name promises): one round
/// trip.
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
    let mut reads = Reads::new();
    let args = vec![p.slow_multiplier.into()];
    let trend = add_reads(&mut reads, &with, Vec::new(), args, "?1", Source::Orders, p, days, now);
    let mut done = reads.run(conn).await?;
    collect_series(&mut done, trend, days).await
}
