//! Service tracking (health): stuck, finished and slow orders per service, the score and its colour,
//! computed exactly as the spec defines them. `service_health` needs no HTTP: the admin API reuses it.

pub mod pages;
pub mod profiles;
pub mod snooze;

use std::collections::{BTreeMap, HashMap};

use libsql::params;
use serde::Serialize;
use shared::db::Conn;

use shared::auth::PanelScope;
use shared::domain::service_name;
use shared::AppResult;

use crate::common::{collect, ids_text, round2};
pub use profiles::ServiceProfile;

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

/// A finished order as the report reads it (every column is in `orders_cache_finished`, so the rows
/// come from the index alone).
struct Finished {
    key: (i64, i64),
    quantity: i64,
    created: i64,
    last_update: i64,
}

async fn finished_orders(
    conn: &Conn,
    scope: &PanelScope,
    p: &ServiceHealthParams,
    from: i64,
    to: i64,
) -> AppResult<Vec<Finished>> {
    let sql = format!(
        "SELECT panel_id, service_id, COALESCE(quantity, 0), created, last_update FROM orders_cache
         WHERE {} AND {FINISHED_SQL} AND last_update >= ?1 AND last_update <= ?2 AND service_id IS NOT NULL{}",
        scope.sql("panel_id", p.panel),
        p.service_sql()
    );
    let rows = conn.query(&sql, params![from, to]).await?;
    collect(rows, |r| {
        Ok(Finished {
            key: (r.get(0)?, r.get(1)?),
            quantity: r.get(2)?,
            created: r.get(3)?,
            last_update: r.get(4)?,
        })
    })
    .await
}

/// What `stuck` reads per (panel, service): each stuck order's creation time, or their count.
#[derive(Clone, Copy)]
enum Stuck {
    Created,
    Count,
}

/// Currently stuck orders — the whole cache, any window — as (panel, service) and the created time or
/// count, from the partial index alone (no row reads; the cache may hold a hundred thousand of them).
/// INDEXED BY: without statistics SQLite would pick the (panel, created) index and read every order
/// older than the threshold.
async fn stuck(
    conn: &Conn,
    scope: &PanelScope,
    p: &ServiceHealthParams,
    now: i64,
    what: Stuck,
) -> AppResult<Vec<((i64, i64), i64)>> {
    let sc = scope.sql("panel_id", p.panel);
    if sc == "0" {
        // INDEXED BY has no plan for a constant-false condition; nothing is in scope anyway.
        return Ok(Vec::new());
    }
    let (value, group) = match what {
        Stuck::Created => ("created", ""),
        Stuck::Count => ("COUNT(*)", " GROUP BY panel_id, service_id"),
    };
    let sql = format!(
        "SELECT panel_id, service_id, {value} FROM orders_cache INDEXED BY orders_cache_stuck
         WHERE {sc} AND {STUCK_SQL} AND created < ?1 AND service_id IS NOT NULL{}{group}",
        p.service_sql()
    );
    let rows = conn.query(&sql, params![now - p.stuck_after_hours * 3600]).await?;
    collect(rows, |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?))).await
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

#[derive(Default)]
struct Acc {
    finished: i64,
    slow: i64,
    stuck: i64,
}

/// The report: every listed service of the scope, worst first.
pub async fn service_health(
    conn: &Conn,
    scope: &PanelScope,
    p: &ServiceHealthParams,
    now: i64,
) -> AppResult<Vec<ServiceHealthRow>> {
    let scope = &crate::common::explicit(conn, scope).await?;
    let mut acc: BTreeMap<(i64, i64), Acc> = BTreeMap::new();
    for (key, n) in stuck(conn, scope, p, now, Stuck::Count).await? {
        acc.entry(key).or_default().stuck += n;
    }
    let from = now - p.window_hours * 3600;
    let finished = finished_orders(conn, scope, p, from, now).await?;
    let names = names_of(conn, acc.keys().copied().chain(finished.iter().map(|f| f.key))).await?;
    let mut speeds: HashMap<(i64, i64), Option<u64>> = HashMap::new();
    for f in finished {
        let a = acc.entry(f.key).or_default();
        let speed = *speeds.entry(f.key).or_insert_with(|| {
            service_name::parse(names.get(&f.key).map(String::as_str).unwrap_or("")).min_per_day
        });
        a.finished += 1;
        if is_slow(f.quantity, f.created, f.last_update, speed, p.slow_multiplier) {
            a.slow += 1;
        }
    }
    let snoozed: HashMap<(i64, i64), i64> =
        snooze::active(conn, scope, p.panel, now).await?.into_iter().map(|(pa, s, u)| ((pa, s), u)).collect();
    let mut out = Vec::new();
    for (key, a) in acc {
        if a.stuck == 0 && a.finished < p.min_orders {
            continue;
        }
        let snoozed_until = snoozed.get(&key).copied();
        if snoozed_until.is_some() && !p.include_snoozed {
            continue;
        }
        let name = names.get(&key).cloned().unwrap_or_else(|| format!("Service {}", key.1));
        let slow_pct = if a.finished == 0 { 0.0 } else { a.slow as f64 * 100.0 / a.finished as f64 };
        let sc = score(a.stuck, slow_pct);
        out.push(ServiceHealthRow {
            panel_id: key.0,
            service_id: key.1,
            min_per_day: service_name::parse(&name).min_per_day,
            service_name: name,
            finished: a.finished,
            stuck: a.stuck,
            slow: a.slow,
            slow_pct: round2(slow_pct),
            score: round2(sc),
            status: status(sc),
            snoozed_until,
        });
    }
    out.sort_by(|a, b| {
        a.score
            .total_cmp(&b.score)
            .then(b.stuck.cmp(&a.stuck))
            .then((a.panel_id, a.service_id).cmp(&(b.panel_id, b.service_id)))
    });
    Ok(out)
}

/// Which orders a drill-down shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Stuck,
    Slow,
    Finished,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "stuck" => Some(Kind::Stuck),
            "slow" => Some(Kind::Slow),
            "finished" => Some(Kind::Finished),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Stuck => "stuck",
            Kind::Slow => "slow",
            Kind::Finished => "finished",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct OrderLine {
    pub panel_id: i64,
    pub id: i64,
    pub service_id: i64,
    pub service_name: Option<String>,
    pub user: Option<String>,
    pub status: String,
    pub quantity: i64,
    pub remains: Option<i64>,
    pub created: i64,
    pub last_update: Option<i64>,
    pub link: Option<String>,
}

/// The orders behind a row's numbers (at most `limit`, oldest first).
pub async fn orders(
    conn: &Conn,
    scope: &PanelScope,
    p: &ServiceHealthParams,
    service: Option<(i64, i64)>,
    kind: Kind,
    now: i64,
    limit: usize,
) -> AppResult<Vec<OrderLine>> {
    let scope = &crate::common::explicit(conn, scope).await?;
    let mut p = p.clone();
    if let Some((panel, _)) = service {
        if !scope.allows(panel) || p.panel.is_some_and(|c| c != panel) {
            return Ok(Vec::new());
        }
        p.panel = Some(panel);
    }
    let svc = service.map(|(_, s)| format!(" AND service_id = {s}")).unwrap_or_default();
    let cond = match kind {
        Kind::Stuck => format!("{STUCK_SQL} AND created < {}", now - p.stuck_after_hours * 3600),
        Kind::Slow | Kind::Finished => {
            format!(
                "{FINISHED_SQL} AND last_update >= {} AND last_update <= {now}",
                now - p.window_hours * 3600
            )
        }
    };
    let sc = scope.sql("panel_id", p.panel);
    if sc == "0" {
        return Ok(Vec::new());
    }
    let hint = if kind == Kind::Stuck { " INDEXED BY orders_cache_stuck" } else { "" };
    // Slow orders are picked in Rust (the speed comes from the name), so only they read every candidate.
    let cap = if kind == Kind::Slow { String::new() } else { format!(" LIMIT {limit}") };
    let sql = format!(
        "SELECT panel_id, id, service_id, user, status, COALESCE(quantity, 0), remains, created, last_update, link,
         service_name FROM orders_cache{hint} WHERE {sc} AND {cond} AND service_id IS NOT NULL{}{svc} ORDER BY created, id{cap}",
        p.service_sql()
    );
    let rows = conn.query(&sql, ()).await?;
    let mut all = collect(rows, |r| {
        Ok(OrderLine {
            panel_id: r.get(0)?,
            id: r.get(1)?,
            service_id: r.get(2)?,
            user: shared::db::opt_text(r, 3)?,
            status: r.get(4)?,
            quantity: r.get(5)?,
            remains: shared::db::opt_i64(r, 6)?,
            created: r.get(7)?,
            last_update: shared::db::opt_i64(r, 8)?,
            link: shared::db::opt_text(r, 9)?,
            service_name: shared::db::opt_text(r, 10)?,
        })
    })
    .await?;
    if kind == Kind::Slow {
        let names = names_of(conn, all.iter().map(|o| (o.panel_id, o.service_id))).await?;
        let mut speeds: HashMap<(i64, i64), Option<u64>> = HashMap::new();
        all.retain(|o| {
            let key = (o.panel_id, o.service_id);
            let speed = *speeds.entry(key).or_insert_with(|| {
                service_name::parse(names.get(&key).map(String::as_str).unwrap_or("")).min_per_day
            });
            is_slow(o.quantity, o.created, o.last_update.unwrap_or(o.created), speed, p.slow_multiplier)
        });
    }
    all.truncate(limit);
    Ok(all)
}

/// One day of a service: finished, slow, stuck.
type DayCell = (i64, i64, i64);

/// Each listed service's score per day over the last `days` days (oldest first): that day's finished
/// and slow orders, and the orders stuck now that were already stuck at the day's end. None = no data.
pub async fn score_trend(
    conn: &Conn,
    scope: &PanelScope,
    p: &ServiceHealthParams,
    keys: &[(i64, i64)],
    days: i64,
    now: i64,
) -> AppResult<HashMap<(i64, i64), Vec<Option<f64>>>> {
    let scope = &crate::common::explicit(conn, scope).await?;
    let mut out: HashMap<(i64, i64), Vec<Option<f64>>> = HashMap::new();
    if keys.is_empty() {
        return Ok(out);
    }
    let start = now - days * 86_400;
    let names = names_of(conn, keys.iter().copied()).await?;
    let finished = finished_orders(conn, scope, p, start, now).await?;
    let stuck = stuck(conn, scope, p, now, Stuck::Created).await?;
    let wanted: std::collections::HashSet<(i64, i64)> = keys.iter().copied().collect();
    // [day] → (finished, slow, stuck)
    let mut grid: HashMap<(i64, i64), Vec<DayCell>> = HashMap::new();
    let mut speeds: HashMap<(i64, i64), Option<u64>> = HashMap::new();
    for f in finished.iter().filter(|f| wanted.contains(&f.key)) {
        let day = ((f.last_update - start) / 86_400).clamp(0, days - 1) as usize;
        let speed = *speeds.entry(f.key).or_insert_with(|| {
            service_name::parse(names.get(&f.key).map(String::as_str).unwrap_or("")).min_per_day
        });
        let cells = grid.entry(f.key).or_insert_with(|| vec![(0, 0, 0); days as usize]);
        cells[day].0 += 1;
        if is_slow(f.quantity, f.created, f.last_update, speed, p.slow_multiplier) {
            cells[day].1 += 1;
        }
    }
    for (key, created) in stuck.iter().filter(|s| wanted.contains(&s.0)) {
        let cells = grid.entry(*key).or_insert_with(|| vec![(0, 0, 0); days as usize]);
        for (d, cell) in cells.iter_mut().enumerate() {
            let day_end = start + (d as i64 + 1) * 86_400;
            if *created < day_end - p.stuck_after_hours * 3600 {
                cell.2 += 1;
            }
        }
    }
    for (key, cells) in grid {
        let series = cells
            .iter()
            .map(|(fin, slow, st)| {
                if *fin == 0 && *st == 0 {
                    None
                } else {
                    let pct = if *fin == 0 { 0.0 } else { *slow as f64 * 100.0 / *fin as f64 };
                    Some(score(*st, pct))
                }
            })
            .collect();
        out.insert(key, series);
    }
    Ok(out)
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
