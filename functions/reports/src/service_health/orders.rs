//! The orders behind a number of Service tracking (stuck, slow, finished), for its drill-down and the
//! order actions started from it.

use std::collections::HashMap;

use serde::Serialize;
use shared::auth::PanelScope;
use shared::db::Conn;
use shared::domain::service_name;
use shared::AppResult;

use super::{is_slow, names_of, ServiceHealthParams, FINISHED_SQL, STUCK_SQL};
use crate::common::collect;

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
