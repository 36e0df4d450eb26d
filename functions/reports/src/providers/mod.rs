//! Providers: per provider across the viewer's panels over the window — orders created, failed (the
//! Provider failing alert's statuses), stuck (Service tracking's rule, live), finished and slow (Service
//! tracking's numbers of the services the provider now serves), the median of those services' measured
//! speeds (`service_speeds`, last 7 days) against the speed each promises, revenue, cost and margin per currency (the Margins rule), and a score and status
//! as Service tracking computes them. `providers` needs no HTTP.

pub mod pages;

use std::collections::{BTreeMap, HashMap};

use libsql::params;
use serde::{Serialize, Serializer};
use shared::auth::PanelScope;
use shared::cache::orders::FAILED_SQL;
use shared::db::{Conn, Reads, Stmt};
use shared::AppResult;

use crate::common::round2;
use crate::margins::{window_source, ByCurrency, Sums, COUNTED};
use crate::service_health::{self, ServiceHealthParams, ServiceHealthRow, STUCK_SQL};

/// The name a provider is shown by when the panel named none.
pub const NO_PROVIDER: &str = "(no provider)";

#[derive(Clone, Debug)]
pub struct ProviderParams {
    /// Service tracking's parameters: the window, Stuck after and the slow multiplier (min orders and
    /// the service list are not used: every service counts).
    pub health: ServiceHealthParams,
}

impl ProviderParams {
    pub fn new(mut health: ServiceHealthParams) -> ProviderParams {
        health.min_orders = 0;
        health.services.clear();
        health.include_snoozed = true;
        ProviderParams { health }
    }
}

/// Money per currency in JSON: `{"USD": "12.50"}`.
fn per_currency<S: Serializer>(v: &[Sums], s: S, f: fn(&Sums) -> i64) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(v.len()))?;
    for x in v {
        m.serialize_entry(&x.currency, &shared::pp::money::format(f(x)))?;
    }
    m.end()
}

/// A service of a provider, as its row opens.
#[derive(Clone, Debug, Serialize)]
pub struct ProviderService {
    pub panel_id: i64,
    pub service_id: i64,
    pub service_name: String,
    pub orders: i64,
    pub failed: i64,
    pub stuck: i64,
    /// Service tracking's finished and slow orders (last update in the window), for the service the
    /// provider serves now.
    pub finished: i64,
    pub slow: i64,
    pub money: Vec<Sums>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProviderRow {
    /// '' when the panel named none (shown as "(no provider)").
    pub provider: String,
    pub panels: Vec<i64>,
    pub services: usize,
    pub orders: i64,
    pub failed: i64,
    pub failed_pct: f64,
    pub stuck: i64,
    pub finished: i64,
    pub slow: i64,
    pub slow_pct: f64,
    /// Median of each finished order's real speed (quantity per day) as % of its service's promised
    /// speed; none when no finished order has a promised speed.
    pub median_speed_pct: Option<f64>,
    /// Per currency (`{"USD": "12.50"}`): revenue, cost and margin as the Margins report counts them.
    #[serde(serialize_with = "revenue")]
    pub revenue: Vec<Sums>,
    #[serde(serialize_with = "cost")]
    pub cost: Vec<Sums>,
    #[serde(serialize_with = "margin")]
    pub margin: Vec<Sums>,
    pub score: f64,
    pub status: &'static str,
    /// The money per currency with every part (orders, cost unknown, margin %).
    pub money: Vec<Sums>,
    #[serde(skip)]
    pub detail: Vec<ProviderService>,
}

fn revenue<S: Serializer>(v: &[Sums], s: S) -> Result<S::Ok, S::Error> {
    per_currency(v, s, |x| x.revenue)
}

fn cost<S: Serializer>(v: &[Sums], s: S) -> Result<S::Ok, S::Error> {
    per_currency(v, s, |x| x.cost)
}

fn margin<S: Serializer>(v: &[Sums], s: S) -> Result<S::Ok, S::Error> {
    per_currency(v, s, |x| x.margin)
}

type Key = (i64, i64);

struct Created {
    provider: String,
    key: Key,
    orders: i64,
    failed: i64,
    stuck: i64,
    /// The provider serves the service now (its newest order's): Service tracking's finished and slow
    /// orders of the service are this provider's.
    current: bool,
    money: Option<Sums>,
}

/// `VALUES` of the services Service tracking lists with the provider of each one's newest order,
/// materialised so the lookup runs once per service.
fn current_provider_cte(keys: &[Key]) -> String {
    let values: Vec<String> = keys.iter().map(|(p, s)| format!("({p}, {s})")).collect();
    format!(
        "k0(panel_id, service_id) AS (VALUES {}),
         k(panel_id, service_id, provider) AS MATERIALIZED (SELECT panel_id, service_id, (SELECT COALESCE(o.provider, '')
             FROM orders_cache o INDEXED BY orders_cache_service WHERE o.service_id = k0.service_id
             AND o.panel_id = k0.panel_id ORDER BY o.created DESC LIMIT 1) FROM k0)",
        values.join(",")
    )
}

/// One row per provider × service × currency, summed in SQL: the window's orders and failed ones of
/// every status, money of those the margins count (roll-up plus partial edge hours), stuck orders now
/// (their partial index alone, so without a currency), and a zero row per listed service with its
/// current provider (`cur`). A service's stuck count and current mark ride on its first currency's row,
/// so a provider's service is one row, not one more for its stuck orders.
fn created_stmt(sc: &str, keys: &[Key], from: i64, to: i64, stuck_before: i64) -> Stmt {
    let (with, current) = if keys.is_empty() {
        ("WITH ".to_string(), String::new())
    } else {
        (
            format!("WITH {}, ", current_provider_cte(keys)),
            "UNION ALL SELECT provider, panel_id, service_id, '', NULL, 0, 0, 0, 0, 0, 0, 1 FROM k
             WHERE provider IS NOT NULL"
                .to_string(),
        )
    };
    Stmt::new(
        format!(
            "{with}g AS (SELECT provider, panel_id, service_id, currency, SUM(orders) AS orders,
                SUM(CASE WHEN status IN {FAILED_SQL} THEN orders ELSE 0 END) AS failed,
                SUM(CASE WHEN {COUNTED} THEN orders ELSE 0 END) AS counted, SUM(CASE WHEN {COUNTED} THEN charge ELSE 0 END) AS charge,
                SUM(CASE WHEN {COUNTED} THEN costed ELSE 0 END) AS costed,
                SUM(CASE WHEN {COUNTED} THEN costed_charge ELSE 0 END) AS costed_charge,
                SUM(CASE WHEN {COUNTED} THEN provider_charge ELSE 0 END) AS provider_charge, SUM(stuck) AS stuck, MAX(cur) AS cur
             FROM (SELECT provider, panel_id, service_id, currency, status, orders, charge, costed, costed_charge,
                    provider_charge, 0 AS stuck, 0 AS cur FROM ({})
                UNION ALL SELECT COALESCE(provider, ''), panel_id, COALESCE(service_id, -1), '', NULL, 0, 0, 0, 0, 0, 1, 0
                FROM orders_cache INDEXED BY orders_cache_stuck_provider
                WHERE {sc} AND {STUCK_SQL} AND created < {stuck_before}
                {current})
             GROUP BY 1, 2, 3, 4 HAVING SUM(orders) > 0 OR SUM(stuck) > 0 OR MAX(cur) = 1),
             h AS (SELECT *, SUM(stuck) OVER w AS all_stuck, MAX(cur) OVER w AS any_cur,
                 ROW_NUMBER() OVER (w ORDER BY orders > 0 DESC, currency) AS rn FROM g
                 WINDOW w AS (PARTITION BY provider, panel_id, service_id))
             SELECT provider, panel_id, service_id, currency, orders, failed, counted, charge, costed, costed_charge,
                provider_charge, CASE WHEN rn = 1 THEN all_stuck ELSE 0 END, CASE WHEN rn = 1 THEN any_cur ELSE 0 END
             FROM h WHERE rn = 1 OR orders > 0",
            window_source(sc, from, Some(to))
        ),
        (),
    )
}

/// Per provider, the median over the services it serves now of each one's measured speed (the median
/// units per day of its orders completed in the last 7 days, `service_speeds`, as Service tracking and
/// the Services page show it) as a share of the speed it promised; services without a promise or a
/// completed order left out. One row per provider, whatever the order volume.
fn median_stmt(keys: &[Key]) -> Stmt {
    Stmt::new(
        format!(
            "WITH {}, r AS (SELECT k.provider, CAST(v.median_per_day AS REAL) / v.promised_per_day AS ratio
               FROM k JOIN service_speeds v ON v.panel_id = k.panel_id AND v.service_id = k.service_id
               WHERE v.promised_per_day > 0 AND v.orders > 0 AND k.provider IS NOT NULL),
             n AS (SELECT provider, ratio, ROW_NUMBER() OVER (PARTITION BY provider ORDER BY ratio) AS i,
                 COUNT(*) OVER (PARTITION BY provider) AS c FROM r)
             SELECT provider, AVG(ratio) FROM n WHERE i IN ((c + 1) / 2, (c + 2) / 2) GROUP BY provider",
            current_provider_cte(keys)
        ),
        (),
    )
}

/// The report: every provider with orders in the window or stuck orders now, worst score first.
pub async fn providers(
    conn: &Conn,
    scope: &PanelScope,
    p: &ProviderParams,
    now: i64,
) -> AppResult<Vec<ProviderRow>> {
    let scope = &crate::common::explicit(conn, scope).await?;
    let h = &p.health;
    let sc = scope.sql("panel_id", h.panel);
    if sc == "0" {
        return Ok(Vec::new());
    }
    let health = service_health::service_health(conn, scope, h, now).await?;
    let keys: Vec<Key> = health.iter().map(|r| (r.panel_id, r.service_id)).collect();
    let from = now - h.window_hours * 3600;
    let mut reads = Reads::new();
    let created = reads.add(created_stmt(&sc, &keys, from, now, now - h.stuck_after_hours * 3600), |r| {
        let money: Sums = Sums::read(r.get(3)?, r, 6)?;
        Ok(Created {
            provider: r.get(0)?,
            key: (r.get(1)?, r.get(2)?),
            orders: r.get(4)?,
            failed: r.get(5)?,
            stuck: r.get(11)?,
            current: r.get::<i64>(12)? == 1,
            money: (money.orders > 0).then_some(money),
        })
    });
    let median = (!keys.is_empty())
        .then(|| reads.add(median_stmt(&keys), |r| Ok((r.get::<String>(0)?, r.get::<f64>(1)?))));
    let mut done = reads.run(conn).await?;
    let created = done.all(created).await?;
    let median: HashMap<String, f64> = match median {
        Some(m) => done.all(m).await?.into_iter().collect(),
        None => HashMap::new(),
    };
    Ok(assemble(created, &health, &median))
}

fn new_service(names: &HashMap<Key, &str>, key: Key) -> ProviderService {
    ProviderService {
        panel_id: key.0,
        service_id: key.1,
        service_name: names.get(&key).map(|n| n.to_string()).unwrap_or_else(|| format!("Service {}", key.1)),
        orders: 0,
        failed: 0,
        stuck: 0,
        finished: 0,
        slow: 0,
        money: Vec::new(),
    }
}

fn assemble(
    created: Vec<Created>,
    health: &[ServiceHealthRow],
    median: &HashMap<String, f64>,
) -> Vec<ProviderRow> {
    let names: HashMap<Key, &str> =
        health.iter().map(|r| ((r.panel_id, r.service_id), r.service_name.as_str())).collect();
    let mut by: BTreeMap<String, BTreeMap<Key, (ProviderService, ByCurrency)>> = BTreeMap::new();
    type Slot = (ProviderService, ByCurrency);
    fn entry<'a>(
        by: &'a mut BTreeMap<String, BTreeMap<Key, Slot>>,
        names: &HashMap<Key, &str>,
        provider: &str,
        key: Key,
    ) -> &'a mut Slot {
        by.entry(provider.to_string())
            .or_default()
            .entry(key)
            .or_insert_with(|| (new_service(names, key), ByCurrency::new()))
    }
    let health: HashMap<Key, &ServiceHealthRow> =
        health.iter().map(|r| ((r.panel_id, r.service_id), r)).collect();
    for c in created {
        let e = entry(&mut by, &names, &c.provider, c.key);
        e.0.orders += c.orders;
        e.0.failed += c.failed;
        e.0.stuck += c.stuck;
        if let Some(m) = &c.money {
            crate::margins::add_to(&mut e.1, m);
        }
        if let Some(r) = health.get(&c.key).filter(|_| c.current) {
            e.0.finished += r.finished;
            e.0.slow += r.slow;
        }
    }
    let mut out: Vec<ProviderRow> = by
        .into_iter()
        .map(|(provider, services)| {
            let mut money = ByCurrency::new();
            let mut detail = Vec::new();
            let mut panels = Vec::new();
            for (_, (mut s, m)) in services {
                for x in m.values() {
                    crate::margins::add_to(&mut money, x);
                }
                s.money = m.into_values().collect();
                if !panels.contains(&s.panel_id) {
                    panels.push(s.panel_id);
                }
                detail.push(s);
            }
            let sum = |f: fn(&ProviderService) -> i64| detail.iter().map(f).sum::<i64>();
            let (orders, failed, stuck, finished, slow) = (
                sum(|s| s.orders),
                sum(|s| s.failed),
                sum(|s| s.stuck),
                sum(|s| s.finished),
                sum(|s| s.slow),
            );
            let slow_pct = if finished == 0 { 0.0 } else { slow as f64 * 100.0 / finished as f64 };
            let score = service_health::score(stuck, slow_pct);
            let money: Vec<Sums> = money.into_values().collect();
            ProviderRow {
                median_speed_pct: median.get(&provider).map(|m| round2(m * 100.0)),
                provider,
                panels,
                services: detail.len(),
                orders,
                failed,
                failed_pct: if orders == 0 { 0.0 } else { round2(failed as f64 * 100.0 / orders as f64) },
                stuck,
                finished,
                slow,
                slow_pct: round2(slow_pct),
                revenue: money.clone(),
                cost: money.clone(),
                margin: money.clone(),
                score: round2(score),
                status: service_health::status(score),
                money,
                detail,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.score.total_cmp(&b.score).then(b.failed.cmp(&a.failed)).then(a.provider.cmp(&b.provider))
    });
    out
}

/// An order behind a provider's numbers.
#[derive(Clone, Debug, Serialize)]
pub struct ProviderOrder {
    pub panel_id: i64,
    pub id: i64,
    pub service_id: Option<i64>,
    pub status: String,
    pub quantity: Option<i64>,
    pub remains: Option<i64>,
    pub created: i64,
    pub last_update: Option<i64>,
    pub user: Option<String>,
}

const ORDER_COLS: &str = "panel_id, id, service_id, status, quantity, remains, created, last_update, user";

fn order_of(r: &shared::db::Row) -> AppResult<ProviderOrder> {
    Ok(ProviderOrder {
        panel_id: r.get(0)?,
        id: r.get(1)?,
        service_id: shared::db::opt_i64(r, 2)?,
        status: r.get(3)?,
        quantity: shared::db::opt_i64(r, 4)?,
        remains: shared::db::opt_i64(r, 5)?,
        created: r.get(6)?,
        last_update: shared::db::opt_i64(r, 7)?,
        user: shared::db::opt_text(r, 8)?,
    })
}

/// The stuck orders (oldest first) and the window's failed orders (newest first) of one provider, at
/// most `limit` each: one batch.
pub async fn orders(
    conn: &Conn,
    scope: &PanelScope,
    p: &ProviderParams,
    provider: &str,
    now: i64,
    limit: usize,
) -> AppResult<(Vec<ProviderOrder>, Vec<ProviderOrder>)> {
    let scope = &crate::common::explicit(conn, scope).await?;
    let h = &p.health;
    let sc = scope.sql("panel_id", h.panel);
    if sc == "0" {
        return Ok((Vec::new(), Vec::new()));
    }
    // A provider named '' stands for orders naming none (NULL or empty), read without its index.
    let (is, stuck_index, failed_index) = if provider.is_empty() {
        ("COALESCE(provider, '') = ?1", "", "INDEXED BY orders_cache_created")
    } else {
        ("provider = ?1", "INDEXED BY orders_cache_stuck_provider", "INDEXED BY orders_cache_provider")
    };
    let mut reads = Reads::new();
    let stuck = reads.add(
        Stmt::new(
            format!(
                "SELECT {ORDER_COLS} FROM orders_cache {stuck_index} WHERE {sc} AND {is} AND {STUCK_SQL} AND created < ?2
                 ORDER BY created LIMIT {limit}"
            ),
            params![provider, now - h.stuck_after_hours * 3600],
        ),
        order_of,
    );
    let failed = reads.add(
        Stmt::new(
            format!(
                "SELECT {ORDER_COLS} FROM orders_cache {failed_index} WHERE {is} AND created >= ?2 AND created <= ?3 AND {sc}
                 AND status IN {FAILED_SQL} ORDER BY created DESC LIMIT {limit}"
            ),
            params![provider, now - h.window_hours * 3600, now],
        ),
        order_of,
    );
    let mut done = reads.run(conn).await?;
    let stuck = done.all(stuck).await?;
    let failed = done.all(failed).await?;
    Ok((stuck, failed))
}
