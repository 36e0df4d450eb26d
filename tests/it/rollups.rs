//! Roll-ups: every write keeps them exact (a sync's pages and re-checks, updates that move an order
//! between buckets, deletes), a rebuild from scratch equals what was kept, and the reports built on
//! them (Service tracking, User tracking, Margins) equal summing the window's orders one by one,
//! whatever the window's edges.

use std::collections::{BTreeMap, BTreeSet};

use panelops_reports::margins::{self, MarginParams};
use panelops_reports::service_health::{self, is_slow, ServiceHealthParams};
use panelops_reports::top_spenders::{self, TopSpendersParams};
use shared::auth::PanelScope;
use shared::cache::rollups;
use shared::domain::service_name;

use crate::helpers::TestApp;
use crate::reports_support::{service, D, H};
use crate::sync_support::{register, sim, sync_idle};

const STATUSES: &[&str] = &[
    "completed",
    "completed",
    "completed",
    "partial",
    "canceled",
    "fail",
    "pending",
    "in_progress",
    "awaiting",
];

#[derive(Clone, Debug)]
struct Order {
    panel: i64,
    id: i64,
    service: i64,
    user: String,
    status: String,
    quantity: i64,
    remains: i64,
    charge: Option<i64>,
    /// The provider's charge (None: the panel sent none) and who the provider was.
    cost: Option<i64>,
    provider: Option<String>,
    currency: &'static str,
    created: i64,
    last_update: i64,
}

struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Services 1–7 in the catalogue (6 without a speed), 8 known only by its orders' name.
fn name_of(service: i64) -> String {
    match service {
        6 => "Followers, no speed stated".into(),
        8 => "Off-catalogue Likes 2K/Day".into(),
        s => format!("Likes {s} [Speed: {}K/Day]", s),
    }
}

fn random_order(g: &mut Lcg, panel: i64, id: i64, t: i64) -> Order {
    let created = t - g.below(4 * D as u64) as i64;
    let status = STATUSES[g.below(STATUSES.len() as u64) as usize].to_string();
    Order {
        panel,
        id,
        service: 1 + g.below(8) as i64,
        user: format!("u{}", g.below(40)),
        remains: if g.below(4) == 0 { 0 } else { g.below(50) as i64 },
        status,
        quantity: 100 + g.below(5_000) as i64,
        charge: (g.below(10) != 0).then(|| g.below(5_000_000) as i64),
        cost: (g.below(3) != 0).then(|| g.below(5_000_000) as i64),
        provider: (g.below(8) != 0).then(|| format!("prov{}", g.below(3))),
        currency: if g.below(4) == 0 { "EUR" } else { "USD" },
        last_update: (created + g.below(3 * D as u64) as i64).min(t),
        created,
    }
}

async fn store(app: &TestApp, orders: &[Order]) {
    for chunk in orders.chunks(200) {
        let values: Vec<String> = chunk
            .iter()
            .map(|o| {
                format!(
                    "({}, {}, '{}', {}, '{}', {}, {}, {}, {}, {}, '{}', '{}', {}, {}, 0)",
                    o.panel,
                    o.id,
                    o.user,
                    o.charge.map_or("NULL".into(), |c| c.to_string()),
                    o.currency,
                    o.cost.map_or("NULL".into(), |c| c.to_string()),
                    o.provider.as_ref().map_or("NULL".into(), |p| format!("'{p}'")),
                    o.quantity,
                    o.remains,
                    o.service,
                    name_of(o.service),
                    o.status,
                    o.created,
                    o.last_update
                )
            })
            .collect();
        app.exec(&format!(
            "INSERT INTO orders_cache (panel_id, id, user, charge, currency, provider_charge, provider, quantity, remains,
             service_id, service_name, status, created, last_update, checked_at) VALUES {} ON CONFLICT (panel_id, id) DO UPDATE SET
             user = excluded.user, charge = excluded.charge, service_id = excluded.service_id, status = excluded.status,
             currency = excluded.currency, provider_charge = excluded.provider_charge, provider = excluded.provider,
             remains = excluded.remains, created = excluded.created, last_update = excluded.last_update",
            values.join(",")
        ))
        .await;
    }
}

async fn assert_exact(app: &TestApp, when: &str) {
    let conn = app.state.db.connect().await.unwrap();
    for d in rollups::verify(&conn).await.unwrap() {
        assert_eq!(d.buckets, 0, "{when}: {} drifted", d.table);
    }
}

/// Every roll-up row that holds something, as text.
async fn kept(app: &TestApp) -> Vec<String> {
    let conn = app.state.db.connect().await.unwrap();
    let mut out = Vec::new();
    for r in rollups::ROLLUPS {
        let mut rows = conn
            .query(&format!("SELECT * FROM {} WHERE NOT ({}) ORDER BY 1, 2, 3", r.table, r.empty), ())
            .await
            .unwrap();
        while let Some(row) = rows.next().await.unwrap() {
            let cells: Vec<String> =
                (0..row.column_count()).map(|i| format!("{:?}", row.get_value(i).unwrap())).collect();
            out.push(format!("{} {}", r.table, cells.join("|")));
        }
    }
    out
}

type Health = BTreeSet<((i64, i64), i64, i64, i64)>;

/// Service tracking summed order by order: (key, finished, stuck, slow) of every listed service.
fn health_by_hand(orders: &[Order], p: &ServiceHealthParams, now: i64) -> Health {
    let from = now - p.window_hours * 3600;
    let mut acc: BTreeMap<(i64, i64), (i64, i64, i64)> = BTreeMap::new();
    for o in orders {
        let a = acc.entry((o.panel, o.service)).or_default();
        let stuck_status = ["pending", "in_progress", "processing"].contains(&o.status.as_str())
            || o.status.starts_with("awaiting");
        if stuck_status && o.remains > 0 && o.created < now - p.stuck_after_hours * 3600 {
            a.1 += 1;
        }
        if ["completed", "partial"].contains(&o.status.as_str())
            && o.last_update >= from
            && o.last_update <= now
        {
            a.0 += 1;
            let speed = service_name::parse(&name_of(o.service)).min_per_day;
            if is_slow(o.quantity, o.created, o.last_update, speed, p.slow_multiplier) {
                a.2 += 1;
            }
        }
    }
    acc.into_iter()
        .filter(|(_, (f, st, _))| *st > 0 || *f >= p.min_orders)
        .map(|(k, (f, st, sl))| (k, f, st, sl))
        .collect()
}

/// User tracking's spend summed order by order: (panel, user, spend) of every user with an order in
/// the window, best first (no payments here: they are read as before).
fn spend_by_hand(orders: &[Order], from: i64, now: i64) -> Vec<(i64, String, i64)> {
    let mut acc: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for o in orders.iter().filter(|o| o.created >= from && o.created <= now) {
        if !["canceled", "fail"].contains(&o.status.as_str()) {
            *acc.entry((o.panel, o.user.clone())).or_default() += o.charge.unwrap_or(0);
        }
    }
    let mut v: Vec<(i64, String, i64)> =
        acc.into_iter().filter(|(_, s)| *s > 0).map(|((p, u), s)| (p, u, s)).collect();
    v.sort_by(|a, b| b.2.cmp(&a.2).then((a.0, &a.1).cmp(&(b.0, &b.1))));
    v
}

type MarginKey = (i64, i64, String);

/// Margins summed order by order: per panel × service × currency, (orders, revenue, cost, cost unknown,
/// revenue of the orders with a cost) of the orders created in the window, canceled and failed left out.
fn margins_by_hand(orders: &[Order], from: i64, now: i64) -> BTreeMap<MarginKey, [i64; 5]> {
    let mut acc: BTreeMap<MarginKey, [i64; 5]> = BTreeMap::new();
    for o in orders.iter().filter(|o| o.created >= from && o.created <= now) {
        if ["canceled", "fail"].contains(&o.status.as_str()) {
            continue;
        }
        let a = acc.entry((o.panel, o.service, o.currency.to_string())).or_default();
        let charge = o.charge.unwrap_or(0);
        a[0] += 1;
        a[1] += charge;
        a[2] += o.cost.unwrap_or(0);
        match o.cost {
            Some(_) => a[4] += charge,
            None => a[3] += 1,
        }
    }
    acc
}

async fn assert_reports_match(app: &TestApp, orders: &[Order], t: i64, when: &str) {
    let conn = app.state.db.connect().await.unwrap();
    // A clock anywhere in its hour, on an hour, on midnight, just before midnight.
    for now in [t, t - t % H, t - t % D, t - t % D - 1] {
        for window_hours in [1, 2, 5, 24, 49, 72] {
            let p = ServiceHealthParams {
                panel: None,
                window_hours,
                stuck_after_hours: 12,
                slow_multiplier: 1.5,
                min_orders: 2,
                services: Vec::new(),
                include_snoozed: false,
            };
            let got: Health = service_health::service_health(&conn, &PanelScope::All, &p, now)
                .await
                .unwrap()
                .into_iter()
                .map(|r| ((r.panel_id, r.service_id), r.finished, r.stuck, r.slow))
                .collect();
            assert_eq!(
                got,
                health_by_hand(orders, &p, now),
                "{when}: service tracking, {window_hours} h to {now}"
            );
            let p = MarginParams { panel: None, window_hours };
            let got: BTreeMap<MarginKey, [i64; 5]> = margins::margins(&conn, &PanelScope::All, &p, now)
                .await
                .unwrap()
                .services
                .into_iter()
                .map(|r| {
                    let s = r.sums;
                    (
                        (r.panel_id, r.service_id, s.currency),
                        [s.orders, s.revenue, s.cost, s.cost_unknown, s.costed_revenue],
                    )
                })
                .collect();
            let want = margins_by_hand(orders, now - window_hours * H, now);
            assert_eq!(got, want, "{when}: margins, {window_hours} h to {now}");
            let p = TopSpendersParams {
                panel: None,
                window_hours,
                min_payments: 0,
                min_spend: 1,
                user_ids: Vec::new(),
                limit: 1000,
            };
            let (rows, total) = top_spenders::top_spenders(&conn, &PanelScope::All, &p, now).await.unwrap();
            let got: Vec<(i64, String, i64)> =
                rows.into_iter().map(|r| (r.panel_id, r.username, r.spend_window)).collect();
            let want = spend_by_hand(orders, now - window_hours * H, now);
            assert_eq!(total, want.len(), "{when}: users qualified, {window_hours} h to {now}");
            assert_eq!(got, want, "{when}: user tracking, {window_hours} h to {now}");
        }
    }
}

#[tokio::test]
async fn orders_that_move_keep_the_rollups_and_the_reports_exact() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let panels = [
        app.add_panel("A", "https://a.example", None).await,
        app.add_panel("B", "https://b.example", None).await,
    ];
    for p in panels {
        for s in 1..=7 {
            service(&app, p, s, &name_of(s)).await;
        }
    }
    let mut g = Lcg(42);
    let mut orders: Vec<Order> =
        (0..1_500).map(|i| random_order(&mut g, panels[(i % 2) as usize], 10_000 + i, t)).collect();
    store(&app, &orders).await;
    assert_exact(&app, "after inserting").await;
    assert_reports_match(&app, &orders, t, "after inserting").await;

    // The re-check and late updates: statuses finish, last updates move hours, users and charges
    // change, an order changes service; some orders leave the cache.
    for k in 0..400 {
        let i = g.below(orders.len() as u64) as usize;
        let o = &mut orders[i];
        match k % 4 {
            0 => {
                o.status = "completed".into();
                o.remains = 0;
                o.last_update = (o.last_update + g.below(2 * D as u64) as i64).min(t);
            }
            1 => o.last_update = (o.created + g.below(3 * D as u64) as i64).min(t),
            2 => {
                o.user = format!("u{}", g.below(40));
                o.charge = Some(g.below(9_000_000) as i64);
                o.cost = (g.below(2) == 0).then(|| g.below(9_000_000) as i64);
                o.provider = Some(format!("prov{}", g.below(3)));
                o.currency = if g.below(2) == 0 { "EUR" } else { "USD" };
            }
            _ => {
                o.status = STATUSES[g.below(STATUSES.len() as u64) as usize].into();
                o.service = 1 + g.below(8) as i64;
            }
        }
    }
    store(&app, &orders).await;
    let gone: Vec<Order> = orders.iter().filter(|o| o.id % 17 == 0).cloned().collect();
    for o in &gone {
        app.exec(&format!("DELETE FROM orders_cache WHERE panel_id = {} AND id = {}", o.panel, o.id)).await;
    }
    orders.retain(|o| o.id % 17 != 0);
    assert_exact(&app, "after updates and deletes").await;
    assert_reports_match(&app, &orders, t, "after updates and deletes").await;

    // A rebuild from scratch equals what the writes kept; it also stores the catalogue's speeds, so
    // the reports now count slow orders at the stored speed: the same answers.
    // Storing each service's speed sums its days of slow orders again (a trigger): exact at once, so
    // the rebuild below has nothing left to change.
    for line in app.column("SELECT panel_id || '|' || id || '|' || name FROM services_cache").await {
        let mut cells = line.splitn(3, '|');
        let (panel, id, name) = (cells.next().unwrap(), cells.next().unwrap(), cells.next().unwrap_or(""));
        let speed = rollups::min_per_day(name);
        app.exec(&format!(
            "UPDATE services_cache SET min_per_day = {speed} WHERE panel_id = {panel} AND id = {id}"
        ))
        .await;
    }
    assert_exact(&app, "with the speeds stored").await;
    let before = kept(&app).await;
    let conn = app.state.db.connect().await.unwrap();
    assert_eq!(rollups::rebuild(&conn).await.unwrap(), 14);
    assert_eq!(kept(&app).await, before, "a rebuild changes nothing");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM services_cache WHERE min_per_day = -1").await, 0);
    assert_reports_match(&app, &orders, t, "with stored speeds").await;
}

#[tokio::test]
async fn a_sync_with_changes_keeps_the_rollups_equal_to_a_rebuild() {
    let app = TestApp::new().await;
    let sim = sim(5, 3_000, false).await;
    let panel = register(&app, &sim).await;
    assert_eq!(sync_idle(&app, panel).await.errors(), 0);
    assert_exact(&app, "after the first sync").await;
    let finished = "SELECT COUNT(*) FROM orders_cache WHERE status IN ('completed', 'partial')";
    let finished_before = app.scalar(finished).await;
    // Half a day upstream: new orders, open ones finish or move, re-checked by the next run.
    sim.advance(12 * 3600);
    assert_eq!(sync_idle(&app, panel).await.errors(), 0);
    assert!(app.scalar(finished).await > finished_before, "orders finished upstream and were re-checked");
    assert_exact(&app, "after a sync with changes").await;
    let maintained = kept(&app).await;
    rollups::rebuild(&app.state.db.connect().await.unwrap()).await.unwrap();
    assert_eq!(kept(&app).await, maintained);
    // The catalogue sync stored each service's promised speed beside its name.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM services_cache WHERE min_per_day = -1").await, 0);
}
