//! A digest's numbers, for one channel and one period, limited to the channel's panels: per panel the
//! orders, revenue, new users and deposits against the period before; the worst services (Service
//! tracking's default profile over the period); the open incidents the channel receives; and the staff
//! table of Ticket tracking. Orders and revenue come from the hourly roll-up, so the cost does not grow
//! with the number of orders.

use std::collections::BTreeMap;

use libsql::params;
use serde::Serialize;
use shared::auth::PanelScope;
use shared::cache::orders::UNCHARGED_SQL;
use shared::db::{Conn, Reads, Stmt};
use shared::AppResult;

use super::schedule::Window;
use crate::alerts::channels::Channel;
use crate::alerts::incidents;
use crate::alerts::message::Incident;
use crate::service_health::{self, ServiceHealthParams, ServiceProfile};
use crate::tickets::{self, StaffRow, TicketParams};

/// The digest lists at most this many services, incidents and staff.
pub const LIST_LIMIT: usize = 5;

/// A count in this period and the one before.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Pair {
    pub now: i64,
    pub before: i64,
}

/// An amount of one currency (micro-units) in this period and the one before.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Money {
    pub currency: String,
    pub now: i64,
    pub before: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PanelNumbers {
    pub panel_id: i64,
    pub panel: String,
    pub orders: Pair,
    /// Charges of the orders created in the period, not canceled or failed, per currency.
    pub revenue: Vec<Money>,
    pub new_users: Pair,
    /// Completed payments created in the period: their count, and their amounts per currency.
    pub deposits: Pair,
    pub deposited: Vec<Money>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorstService {
    pub panel_id: i64,
    pub panel: String,
    pub service_id: i64,
    pub name: String,
    pub score: f64,
    pub status: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct OpenIncident {
    pub rule: &'static str,
    pub panel: String,
    pub title: String,
    pub opened_at: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Numbers {
    pub panels: Vec<PanelNumbers>,
    pub worst_services: Vec<WorstService>,
    /// Every open incident the channel receives (the text lists the first few).
    pub open_incidents: Vec<OpenIncident>,
    pub staff: Vec<StaffRow>,
}

fn money(list: &mut Vec<Money>, currency: String, now: i64, before: i64) {
    if now != 0 || before != 0 {
        list.push(Money { currency, now, before });
    }
}

/// Panel, currency, and two pairs of this period's and the period before's sums.
type Sums = (i64, String, i64, i64, i64, i64);

fn sums_of(r: &shared::db::Row) -> AppResult<Sums> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

/// The channel's panels as a scope.
pub fn scope_of(channel: &Channel) -> PanelScope {
    if channel.all_panels {
        PanelScope::All
    } else {
        PanelScope::Only(channel.panels.clone())
    }
}

pub async fn compute(conn: &Conn, channel: &Channel, w: &Window) -> AppResult<Numbers> {
    let scope = crate::common::explicit(conn, &scope_of(channel)).await?;
    let sc = scope.sql("panel_id", None);
    let (prev, start, end) = (w.prev_start, w.start, w.end);
    let mut reads = Reads::new();
    let panels = reads.add(
        Stmt::new(
            format!("SELECT id, name FROM panels WHERE {} ORDER BY name, id", scope.sql("id", None)),
            (),
        ),
        |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)),
    );
    // Whole hours: the roll-up's buckets are hours (a zone half an hour off UTC counts from the hour).
    let orders = reads.add(
        Stmt::new(
            format!(
                "SELECT panel_id, currency,
                   SUM(CASE WHEN hour >= ?2 / 3600 THEN orders ELSE 0 END),
                   SUM(CASE WHEN hour < ?2 / 3600 THEN orders ELSE 0 END),
                   SUM(CASE WHEN hour >= ?2 / 3600 AND status NOT IN {UNCHARGED_SQL} THEN charge ELSE 0 END),
                   SUM(CASE WHEN hour < ?2 / 3600 AND status NOT IN {UNCHARGED_SQL} THEN charge ELSE 0 END)
                 FROM rollup_order_hours WHERE {sc} AND hour >= ?1 / 3600 AND hour < ?3 / 3600
                 GROUP BY panel_id, currency ORDER BY panel_id, currency"
            ),
            params![prev, start, end],
        ),
        sums_of,
    );
    let users = reads.add(
        Stmt::new(
            format!(
                "SELECT panel_id, SUM(created >= ?2), SUM(created < ?2) FROM users_cache INDEXED BY users_cache_created
                 WHERE created >= ?1 AND created < ?3 AND {sc} GROUP BY panel_id"
            ),
            params![prev, start, end],
        ),
        |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?, r.get::<i64>(2)?)),
    );
    let deposits = reads.add(
        Stmt::new(
            format!(
                "SELECT panel_id, COALESCE(currency, ''), SUM(created >= ?2), SUM(created < ?2),
                   SUM(CASE WHEN created >= ?2 THEN amount ELSE 0 END), SUM(CASE WHEN created < ?2 THEN amount ELSE 0 END)
                 FROM payments_cache INDEXED BY payments_cache_created_all
                 WHERE created >= ?1 AND created < ?3 AND {sc} AND status = 'completed' AND amount IS NOT NULL
                 GROUP BY 1, 2 ORDER BY 1, 2"
            ),
            params![prev, start, end],
        ),
        sums_of,
    );
    // Open incidents only (nothing is resolved at or after the end of time).
    let open = incidents::recent_read(&mut reads, i64::MAX);
    let mut done = reads.run(conn).await?;
    let names: BTreeMap<i64, String> = done.all(panels).await?.into_iter().collect();
    let mut by_panel: BTreeMap<i64, PanelNumbers> = names
        .iter()
        .map(|(id, name)| {
            (*id, PanelNumbers { panel_id: *id, panel: name.clone(), ..PanelNumbers::default() })
        })
        .collect();
    for (panel, currency, n, b, charge_now, charge_before) in done.all(orders).await? {
        if let Some(p) = by_panel.get_mut(&panel) {
            p.orders.now += n;
            p.orders.before += b;
            money(&mut p.revenue, currency, charge_now, charge_before);
        }
    }
    for (panel, n, b) in done.all(users).await? {
        if let Some(p) = by_panel.get_mut(&panel) {
            p.new_users = Pair { now: n, before: b };
        }
    }
    for (panel, currency, n, b, amount_now, amount_before) in done.all(deposits).await? {
        if let Some(p) = by_panel.get_mut(&panel) {
            p.deposits.now += n;
            p.deposits.before += b;
            money(&mut p.deposited, currency, amount_now, amount_before);
        }
    }
    let name = |id: i64| names.get(&id).cloned().unwrap_or_else(|| format!("panel {id}"));
    let mut open: Vec<Incident> = done
        .all(open)
        .await?
        .into_iter()
        .flatten()
        .filter(|i| i.resolved_at.is_none() && channel.covers(i.rule, i.panel_id))
        .collect();
    open.sort_by_key(|i| (i.opened_at, i.id));

    let (profile, _) = crate::profiles::chosen::<ServiceProfile>(conn, None).await?;
    let params = ServiceHealthParams::from_profile(&profile, None, w.hours());
    let mut worst: Vec<WorstService> = service_health::service_health(conn, &scope, &params, end)
        .await?
        .into_iter()
        .filter(|r| r.status != "healthy")
        .map(|r| WorstService {
            panel: name(r.panel_id),
            panel_id: r.panel_id,
            service_id: r.service_id,
            name: r.service_name,
            score: r.score,
            status: r.status,
        })
        .collect();
    worst.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.panel_id.cmp(&b.panel_id)));
    worst.truncate(LIST_LIMIT);
    let staff =
        tickets::by_staff(conn, &scope, &TicketParams { panel: None, window_hours: w.hours() }, end).await?;
    Ok(Numbers {
        panels: by_panel.into_values().collect(),
        worst_services: worst,
        open_incidents: open
            .into_iter()
            .map(|i| OpenIncident {
                rule: i.rule.label(),
                panel: name(i.panel_id),
                title: i.title,
                opened_at: i.opened_at,
            })
            .collect(),
        staff,
    })
}
