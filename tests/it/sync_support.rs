//! Simulated panels wired to a `TestApp`, and the exact comparison of cache and panel.

use std::time::Duration;

use shared::domain::panels::{self, PanelInput, PanelStatus};
use shared::pp::ClientOptions;
use testkit::data::FIRST_SERVICE_ID;
use testkit::{SimConfig, SimHandle};

use crate::helpers::TestApp;

pub const NOW: i64 = 1_800_000_000;

pub async fn sim(seed: u64, orders: u64, rate_limit: bool) -> SimHandle {
    // Its own thread, like a real panel: the test's blocking database writes cannot delay it.
    let sim = SimHandle::start_in_thread(SimConfig::new(seed, orders, NOW), false).expect("simulator");
    sim.faults(|f| f.rate_limit = rate_limit);
    sim
}

pub async fn register(app: &TestApp, sim: &SimHandle) -> i64 {
    let input = PanelInput {
        name: format!("Sim {}", sim.addr.port()),
        base_url: sim.base_url.clone(),
        status: PanelStatus::Active,
        admin_key: Some(sim.admin_key.clone()),
        services_key: Some(sim.services_key.clone()),
    };
    panels::create(&app.state.db, &app.state.config.secret_key, &input).await.expect("panel")
}

/// Quick retries so fault tests do not wait; `per_second` 0 = no client throttle.
pub fn client(per_second: u32) -> ClientOptions {
    ClientOptions {
        // Generous for a debug-build simulator on a busy 2-core machine; fault tests hang longer.
        timeout: Duration::from_millis(1_500),
        attempts: 3,
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        per_second,
    }
}

pub fn until_idle(panel: i64, per_second: u32) -> sync::RunOptions {
    sync::RunOptions {
        panel: Some(panel),
        force: true,
        until_idle: true,
        client: client(per_second),
        ..Default::default()
    }
}

pub async fn sync_idle(app: &TestApp, panel: i64) -> sync::RunReport {
    sync::run_with(&app.state, &until_idle(panel, 0)).await.expect("sync run")
}

async fn column_rows(app: &TestApp, sql: &str, panel: i64) -> Vec<String> {
    let conn = app.state.db.connect().await.unwrap();
    let mut rows = conn.query(sql, libsql::params![panel]).await.unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().await.unwrap() {
        let n = r.column_count();
        let parts: Vec<String> = (0..n)
            .map(|i| match r.get_value(i).unwrap() {
                libsql::Value::Null => "-".to_string(),
                libsql::Value::Integer(x) => x.to_string(),
                libsql::Value::Text(t) => t,
                libsql::Value::Real(f) => f.to_string(),
                libsql::Value::Blob(_) => "blob".to_string(),
            })
            .collect();
        out.push(parts.join("|"));
    }
    out
}

/// Every resource of the panel as the simulator has it now, in the cache's shape, sorted by id.
pub fn expected(sim: &SimHandle) -> Snapshot {
    sim.with(|s| {
        let d = &s.data;
        let orders = (0..d.visible_count())
            .map(|i| {
                let o = d.order(i);
                format!(
                    "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
                    o.id,
                    o.status,
                    o.remains,
                    o.charge,
                    o.quantity,
                    FIRST_SERVICE_ID + o.service as i64,
                    o.created,
                    o.last_update,
                    d.users[o.user].username,
                    o.external_id.clone().unwrap_or("-".into())
                )
            })
            .collect();
        let mut users: Vec<String> = d
            .users
            .iter()
            .map(|u| format!("{}|{}|{}|{}|{}", u.id, u.username, u.balance, u.spent, u.status))
            .collect();
        users.sort();
        let mut payments: Vec<(i64, String)> = d
            .payments
            .iter()
            .filter(|p| p.created <= d.now)
            .map(|p| {
                (
                    p.id,
                    format!("{}|{}|{}|{}|{}", p.id, d.users[p.user].username, p.amount, p.status, p.created),
                )
            })
            .collect();
        payments.sort();
        let tickets: Vec<&testkit::data::Ticket> = d.tickets.iter().filter(|t| t.created <= d.now).collect();
        let mut ticket_rows: Vec<(i64, String)> = tickets
            .iter()
            .map(|t| (t.id, format!("{}|{}|{}|{}", t.id, t.subject, t.status, t.last_update(d.now))))
            .collect();
        ticket_rows.sort();
        let messages = tickets.iter().map(|t| t.messages.iter().filter(|m| m.created <= d.now).count()).sum();
        Snapshot {
            orders,
            users,
            payments: payments.into_iter().map(|p| p.1).collect(),
            tickets: ticket_rows.into_iter().map(|t| t.1).collect(),
            messages,
            services: testkit::catalog::SERVICES.len(),
        }
    })
}

#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub orders: Vec<String>,
    pub users: Vec<String>,
    pub payments: Vec<String>,
    pub tickets: Vec<String>,
    pub messages: usize,
    pub services: usize,
}

pub async fn cached(app: &TestApp, panel: i64) -> Snapshot {
    let orders = column_rows(
        app,
        "SELECT id, status, remains, charge, quantity, service_id, created, last_update, user, external_id
         FROM orders_cache WHERE panel_id = ?1 ORDER BY id",
        panel,
    )
    .await;
    let mut users = column_rows(
        app,
        "SELECT id, username, balance, spent, status FROM users_cache WHERE panel_id = ?1",
        panel,
    )
    .await;
    users.sort();
    let payments = column_rows(
        app,
        "SELECT id, user, amount, status, created FROM payments_cache WHERE panel_id = ?1 ORDER BY id",
        panel,
    )
    .await;
    let tickets = column_rows(
        app,
        "SELECT id, subject, status, last_update FROM tickets_cache WHERE panel_id = ?1 ORDER BY id",
        panel,
    )
    .await;
    let messages =
        app.scalar(&format!("SELECT COUNT(*) FROM ticket_messages WHERE panel_id = {panel}")).await as usize;
    let services = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM services_cache WHERE panel_id = {panel} AND removed_at IS NULL"
        ))
        .await as usize;
    Snapshot { orders, users, payments, tickets, messages, services }
}

/// Asserts the cache equals the panel, naming the first difference.
pub async fn assert_mirrors(app: &TestApp, panel: i64, sim: &SimHandle) {
    let want = expected(sim);
    let got = cached(app, panel).await;
    for (name, w, g) in [
        ("orders", &want.orders, &got.orders),
        ("users", &want.users, &got.users),
        ("payments", &want.payments, &got.payments),
        ("tickets", &want.tickets, &got.tickets),
    ] {
        assert_eq!(g.len(), w.len(), "{name}: cached {} rows, the panel has {}", g.len(), w.len());
        if let Some(k) = (0..w.len()).find(|k| w[*k] != g[*k]) {
            panic!("{name} differ at row {k}: panel {} / cache {}", w[k], g[k]);
        }
    }
    assert_eq!(got.messages, want.messages, "ticket messages");
    assert_eq!(got.services, want.services, "services");
}
