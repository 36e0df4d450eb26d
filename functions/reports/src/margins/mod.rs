//! Margins: per service (and per panel, provider and day) for orders created in the window, canceled and
//! failed left out: orders, revenue (their charges), cost (the provider's charges; orders without one
//! counted apart as "cost unknown"), margin and margin %. Money stays per currency. Summed in SQL from
//! `rollup_provider_hours` plus the window's partial hours at both ends read from the orders, so the
//! edges are exact and the cost does not grow with the orders. `margins` needs no HTTP.

pub mod chart;
pub mod pages;

use std::collections::BTreeMap;

use serde::Serialize;
use shared::auth::PanelScope;
use shared::db::{Conn, Read, Reads, Stmt};
use shared::AppResult;

use crate::common::{as_money, as_opt_money, collect, round2, Buckets};

/// The columns of [`window_source`], in order.
pub const SOURCE_COLUMNS: &str =
    "panel_id, hour, provider, service_id, status, currency, orders, charge, costed, costed_charge, provider_charge";

/// Every order created in `[from, to]` of the scope `sc`, as roll-up rows: the whole hours from
/// `rollup_provider_hours`, the partial hours at both ends from the orders themselves (one row each).
/// `to = None`: no end (orders stamped ahead of the clock count), so `from` on an hour is all buckets.
pub fn window_source(sc: &str, from: i64, to: Option<i64>) -> String {
    let order_row =
        "SELECT panel_id, created / 3600, COALESCE(provider, ''), COALESCE(service_id, -1), status,
        COALESCE(currency, ''), 1, COALESCE(charge, 0), provider_charge IS NOT NULL,
        CASE WHEN provider_charge IS NULL THEN 0 ELSE COALESCE(charge, 0) END, COALESCE(provider_charge, 0)
        FROM orders_cache INDEXED BY orders_cache_created";
    let rollup = format!("SELECT {SOURCE_COLUMNS} FROM rollup_provider_hours WHERE {sc}");
    match to {
        None => {
            let first = from.div_euclid(3600) + i64::from(from.rem_euclid(3600) != 0);
            format!(
                "{rollup} AND hour >= {first} UNION ALL {order_row} WHERE {sc} AND created >= {from} AND created < {}",
                first * 3600
            )
        }
        Some(to) => {
            let b = Buckets::cut(from, to, 3600);
            let [head, tail] = b.edges_sql("created");
            format!(
                "{rollup} AND hour >= {} AND hour < {} UNION ALL {order_row} WHERE {sc} AND {head}
                 UNION ALL {order_row} WHERE {sc} AND {tail}",
                b.first, b.end
            )
        }
    }
}

/// The orders margins count created in `[from, to]` (`to = None`: no end) of the scope, as
/// `currency, orders, charge, costed, costed_charge, provider_charge` rows: whole hours from
/// `rollup_money_hours` (a row per hour and currency), the partial hours at both ends from the orders.
pub fn money_source(sc: &str, from: i64, to: Option<i64>) -> String {
    let order_row = format!(
        "SELECT COALESCE(currency, ''), 1, COALESCE(charge, 0), provider_charge IS NOT NULL,
         CASE WHEN provider_charge IS NULL THEN 0 ELSE COALESCE(charge, 0) END, COALESCE(provider_charge, 0)
         FROM orders_cache INDEXED BY orders_cache_created WHERE {sc} AND {COUNTED}"
    );
    let rollup = format!(
        "SELECT currency, orders, charge, costed, costed_charge, provider_charge FROM rollup_money_hours WHERE {sc}"
    );
    match to {
        None => {
            let first = from.div_euclid(3600) + i64::from(from.rem_euclid(3600) != 0);
            format!(
                "{rollup} AND hour >= {first} UNION ALL {order_row} AND created >= {from} AND created < {}",
                first * 3600
            )
        }
        Some(to) if to.rem_euclid(3600) > 1800 => {
            // Most of the last hour: its whole hour from the roll-up less the orders after `to`, which
            // reads the smaller part of the hour's orders (they need the table for currency and cost).
            let b = Buckets::cut(from, to, 3600);
            let [head, _] = b.edges_sql("created");
            let minus = format!(
                "SELECT COALESCE(currency, ''), -1, -COALESCE(charge, 0), -(provider_charge IS NOT NULL),
                 -(CASE WHEN provider_charge IS NULL THEN 0 ELSE COALESCE(charge, 0) END), -COALESCE(provider_charge, 0)
                 FROM orders_cache INDEXED BY orders_cache_created WHERE {sc} AND {COUNTED}"
            );
            format!(
                "{rollup} AND hour >= {} AND hour <= {} UNION ALL {order_row} AND {head}
                 UNION ALL {minus} AND created > {to} AND created < {}",
                b.first,
                b.end,
                (b.end + 1) * 3600
            )
        }
        Some(to) => {
            let b = Buckets::cut(from, to, 3600);
            let [head, tail] = b.edges_sql("created");
            format!(
                "{rollup} AND hour >= {} AND hour < {} UNION ALL {order_row} AND {head} UNION ALL {order_row} AND {tail}",
                b.first, b.end
            )
        }
    }
}

/// What margins are summed from: orders neither canceled nor failed (nothing was charged for them).
pub const COUNTED: &str = "status NOT IN ('canceled', 'fail')";

/// Sums of one currency: the rule for margins lives here, once.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Sums {
    pub currency: String,
    pub orders: i64,
    #[serde(serialize_with = "as_money")]
    pub revenue: i64,
    #[serde(serialize_with = "as_money")]
    pub cost: i64,
    /// Orders without a provider charge: neither their cost nor their margin is known.
    pub cost_unknown: i64,
    /// Revenue of the orders whose cost is known, and the margin on them.
    #[serde(serialize_with = "as_money")]
    pub costed_revenue: i64,
    #[serde(serialize_with = "as_money")]
    pub margin: i64,
    /// margin ÷ revenue of the orders whose cost is known × 100 (none when there are none).
    pub margin_pct: Option<f64>,
}

impl Sums {
    /// From a row's `orders, charge, costed, costed_charge, provider_charge` starting at column `at`.
    pub fn read(currency: String, r: &shared::db::Row, at: i32) -> AppResult<Sums> {
        let mut s = Sums { currency, ..Sums::default() };
        s.add_raw(r.get(at)?, r.get(at + 1)?, r.get(at + 2)?, r.get(at + 3)?, r.get(at + 4)?);
        Ok(s)
    }
    fn add_raw(&mut self, orders: i64, charge: i64, costed: i64, costed_charge: i64, cost: i64) {
        self.orders += orders;
        self.revenue += charge;
        self.cost_unknown += orders - costed;
        self.costed_revenue += costed_charge;
        self.cost += cost;
        self.settle();
    }
    pub fn add(&mut self, o: &Sums) {
        self.orders += o.orders;
        self.revenue += o.revenue;
        self.cost_unknown += o.cost_unknown;
        self.costed_revenue += o.costed_revenue;
        self.cost += o.cost;
        self.settle();
    }
    fn settle(&mut self) {
        self.margin = self.costed_revenue - self.cost;
        self.margin_pct = (self.costed_revenue != 0)
            .then(|| round2(self.margin as f64 * 100.0 / self.costed_revenue as f64));
    }
    pub fn below_cost(&self) -> bool {
        self.margin < 0
    }
}

/// Sums per currency, kept in currency order.
pub type ByCurrency = BTreeMap<String, Sums>;

pub fn add_to(map: &mut ByCurrency, s: &Sums) {
    map.entry(s.currency.clone())
        .or_insert_with(|| Sums { currency: s.currency.clone(), ..Sums::default() })
        .add(s);
}

#[derive(Clone, Debug)]
pub struct MarginParams {
    pub panel: Option<i64>,
    pub window_hours: i64,
}

/// One service in one currency.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceMargin {
    pub panel_id: i64,
    pub service_id: i64,
    pub service_name: String,
    /// The providers its orders went to in the window ('' = none named).
    pub providers: Vec<String>,
    /// The catalogue's rate per 1000, when the catalogue has the service.
    #[serde(serialize_with = "as_opt_money")]
    pub rate: Option<i64>,
    #[serde(flatten)]
    pub sums: Sums,
    pub below_cost: bool,
}

/// A panel's or provider's sums in one currency.
#[derive(Clone, Debug, Serialize)]
pub struct GroupMargin {
    pub key: String,
    #[serde(flatten)]
    pub sums: Sums,
}

/// One day of the chart in one currency.
#[derive(Clone, Debug, Serialize)]
pub struct DayMargin {
    /// Unix time of the day's midnight (UTC).
    pub day: i64,
    #[serde(flatten)]
    pub sums: Sums,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Margins {
    /// Services sold below cost first, then by margin, smallest first.
    pub services: Vec<ServiceMargin>,
    pub panels: Vec<GroupMargin>,
    pub providers: Vec<GroupMargin>,
    pub totals: Vec<Sums>,
}

struct Cell {
    panel: i64,
    service: i64,
    provider: String,
    name: Option<String>,
    rate: Option<i64>,
    sums: Sums,
}

/// The window's sums per panel × service × provider × currency, with each service's name and rate.
fn cells_stmt(sc: &str, from: i64, to: i64) -> Stmt {
    Stmt::new(
        format!(
            "WITH w AS (SELECT panel_id, service_id, provider, currency, SUM(orders) AS orders, SUM(charge) AS charge,
                SUM(costed) AS costed, SUM(costed_charge) AS costed_charge, SUM(provider_charge) AS provider_charge
              FROM ({}) WHERE {COUNTED} GROUP BY panel_id, service_id, provider, currency HAVING SUM(orders) > 0)
             SELECT w.panel_id, w.service_id, w.provider, w.currency,
                COALESCE(s.name, (SELECT service_name FROM orders_cache o INDEXED BY orders_cache_service
                    WHERE o.service_id = w.service_id AND o.panel_id = w.panel_id AND o.service_name IS NOT NULL LIMIT 1)),
                s.rate, w.orders, w.charge, w.costed, w.costed_charge, w.provider_charge
             FROM w LEFT JOIN services_cache s ON s.panel_id = w.panel_id AND s.id = w.service_id",
            window_source(sc, from, Some(to))
        ),
        (),
    )
}

fn cell_of(r: &shared::db::Row) -> AppResult<Cell> {
    Ok(Cell {
        panel: r.get(0)?,
        service: r.get(1)?,
        provider: r.get(2)?,
        name: shared::db::opt_text(r, 4)?,
        rate: shared::db::opt_i64(r, 5)?,
        sums: Sums::read(r.get(3)?, r, 6)?,
    })
}

/// The scope as SQL, "all panels" spelled out (see `common::explicit`); None when nothing is in scope.
pub async fn scope_sql(conn: &Conn, scope: &PanelScope, panel: Option<i64>) -> AppResult<Option<String>> {
    let scope = crate::common::explicit(conn, scope).await?;
    let sc = scope.sql("panel_id", panel);
    Ok((sc != "0").then_some(sc))
}

/// The report: every service with orders in the window, grouped per panel, per provider and in total.
pub async fn margins(conn: &Conn, scope: &PanelScope, p: &MarginParams, now: i64) -> AppResult<Margins> {
    let Some(sc) = scope_sql(conn, scope, p.panel).await? else { return Ok(Margins::default()) };
    let mut reads = Reads::new();
    let cells = reads.add(cells_stmt(&sc, now - p.window_hours * 3600, now), cell_of);
    let cells = reads.run(conn).await?.all(cells).await?;
    Ok(assemble(cells))
}

fn assemble(cells: Vec<Cell>) -> Margins {
    let mut services: BTreeMap<(i64, i64, String), ServiceMargin> = BTreeMap::new();
    let mut panels: BTreeMap<(i64, String), Sums> = BTreeMap::new();
    let mut providers: BTreeMap<(String, String), Sums> = BTreeMap::new();
    let mut totals = ByCurrency::new();
    for c in cells {
        let cur = c.sums.currency.clone();
        let s = services.entry((c.panel, c.service, cur.clone())).or_insert_with(|| ServiceMargin {
            panel_id: c.panel,
            service_id: c.service,
            service_name: c.name.clone().unwrap_or_else(|| format!("Service {}", c.service)),
            providers: Vec::new(),
            rate: c.rate,
            sums: Sums { currency: cur.clone(), ..Sums::default() },
            below_cost: false,
        });
        s.sums.add(&c.sums);
        s.below_cost = s.sums.below_cost();
        if !s.providers.contains(&c.provider) {
            s.providers.push(c.provider.clone());
        }
        panels
            .entry((c.panel, cur.clone()))
            .or_insert_with(|| Sums { currency: cur.clone(), ..Sums::default() })
            .add(&c.sums);
        providers
            .entry((c.provider.clone(), cur.clone()))
            .or_insert_with(|| Sums { currency: cur.clone(), ..Sums::default() })
            .add(&c.sums);
        add_to(&mut totals, &c.sums);
    }
    let mut services: Vec<ServiceMargin> = services.into_values().collect();
    services.sort_by(|a, b| {
        b.below_cost.cmp(&a.below_cost).then(a.sums.margin.cmp(&b.sums.margin)).then(
            (a.panel_id, a.service_id, &a.sums.currency).cmp(&(b.panel_id, b.service_id, &b.sums.currency)),
        )
    });
    Margins {
        services,
        panels: panels.into_iter().map(|((p, _), sums)| GroupMargin { key: p.to_string(), sums }).collect(),
        providers: providers.into_iter().map(|((p, _), sums)| GroupMargin { key: p, sums }).collect(),
        totals: totals.into_values().collect(),
    }
}

/// An order behind a below-cost service: what we charged and what the provider charged.
#[derive(Clone, Debug, Serialize)]
pub struct CostedOrder {
    pub panel_id: i64,
    pub service_id: i64,
    pub id: i64,
    pub created: i64,
    pub quantity: Option<i64>,
    pub currency: String,
    #[serde(serialize_with = "as_money")]
    pub charge: i64,
    #[serde(serialize_with = "as_money")]
    pub provider_charge: i64,
    pub provider: String,
}

/// The last `per` orders with a provider charge of each of these services (at most 50 services), newest
/// first: one statement.
pub async fn last_costed(conn: &Conn, keys: &[(i64, i64)], per: usize) -> AppResult<Vec<CostedOrder>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<String> = keys
        .iter()
        .take(50)
        .map(|(panel, service)| {
            format!(
                "SELECT * FROM (SELECT panel_id, service_id, id, created, quantity, COALESCE(currency, ''),
                   COALESCE(charge, 0), provider_charge, COALESCE(provider, '')
                 FROM orders_cache INDEXED BY orders_cache_service
                 WHERE service_id = {service} AND panel_id = {panel} AND provider_charge IS NOT NULL
                   AND {COUNTED} ORDER BY created DESC LIMIT {per})"
            )
        })
        .collect();
    let rows = conn.query(&parts.join(" UNION ALL "), ()).await?;
    collect(rows, |r| {
        Ok(CostedOrder {
            panel_id: r.get(0)?,
            service_id: r.get(1)?,
            id: r.get(2)?,
            created: r.get(3)?,
            quantity: shared::db::opt_i64(r, 4)?,
            currency: r.get(5)?,
            charge: r.get(6)?,
            provider_charge: r.get(7)?,
            provider: r.get(8)?,
        })
    })
    .await
}

/// The last `days` days (today included) by day and currency, oldest first; added to a batch.
pub fn by_day_read(reads: &mut Reads, sc: &str, days: i64, now: i64) -> Read<DayMargin> {
    let start = now - now.rem_euclid(86_400) - (days - 1) * 86_400;
    reads.add(
        Stmt::new(
            format!(
                "SELECT hour / 24, currency, SUM(orders), SUM(charge), SUM(costed), SUM(costed_charge), SUM(provider_charge)
                 FROM rollup_money_hours WHERE {sc} AND hour >= {}
                 GROUP BY 1, 2 HAVING SUM(orders) > 0 ORDER BY 1, 2",
                start / 3600
            ),
            (),
        ),
        |r| Ok(DayMargin { day: r.get::<i64>(0)? * 86_400, sums: Sums::read(r.get(1)?, r, 2)? }),
    )
}

/// Today's and the same hours of earlier days, as the Overview compares them: per day back (0 = today,
/// from midnight with no end; d = midnight to the same second d days ago), per currency. One statement.
pub fn same_hours_read(reads: &mut Reads, sc: &str, days_back: i64, now: i64) -> Read<(i64, Sums)> {
    let midnight = now - now.rem_euclid(86_400);
    let parts: Vec<String> = (0..=days_back)
        .map(|d| {
            let to = (d > 0).then_some(now - d * 86_400);
            format!("SELECT {d} AS back, * FROM ({})", money_source(sc, midnight - d * 86_400, to))
        })
        .collect();
    reads.add(
        Stmt::new(
            format!(
                "SELECT back, currency, SUM(orders), SUM(charge), SUM(costed), SUM(costed_charge), SUM(provider_charge)
                 FROM ({}) GROUP BY 1, 2 HAVING SUM(orders) != 0 ORDER BY 1, 2",
                parts.join(" UNION ALL ")
            ),
            (),
        ),
        |r| Ok((r.get(0)?, Sums::read(r.get(1)?, r, 2)?)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::cache::orders::UNCHARGED_SQL;

    #[test]
    fn counted_is_the_uncharged_list_left_out() {
        assert_eq!(COUNTED, format!("status NOT IN {UNCHARGED_SQL}"));
    }

    #[test]
    fn margin_is_on_the_orders_whose_cost_is_known() {
        let mut s = Sums { currency: "USD".into(), ..Sums::default() };
        s.add_raw(3, 30, 2, 20, 25);
        assert_eq!((s.margin, s.cost_unknown, s.margin_pct), (-5, 1, Some(-25.0)));
        assert!(s.below_cost());
        let mut none = Sums::default();
        none.add_raw(1, 10, 0, 0, 0);
        assert_eq!((none.margin, none.margin_pct), (0, None));
    }
}
