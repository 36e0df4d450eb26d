//! Simulated panels wired to a `TestApp`, and the exact comparison of cache and panel.

use std::time::Duration;

use shared::domain::panels::{self, PanelInput, PanelStatus};
use shared::pp::ClientOptions;
use testkit::data::FIRST_SERVICE_ID;
use testkit::{SimConfig, SimHandle};

use crate::helpers::TestApp;

pub const NOW: i64 = 1_750_000_000;

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
        shared_through: None,
        // The simulators are on loopback.
        allow_private: true,
    }
}

/// A client of the simulated panel's admin API, as the console would make one.
pub fn admin_client(sim: &SimHandle, opts: &ClientOptions) -> shared::pp::AdminClient {
    shared::pp::AdminClient::new(&sim.base_url, shared::crypto::Secret::new(sim.admin_key.clone()), opts)
        .expect("client")
}

pub fn until_idle(panel: i64, per_second: u32) -> panelops_sync::RunOptions {
    panelops_sync::RunOptions {
        panel: Some(panel),
        force: true,
        until_idle: true,
        client: client(per_second),
        ..Default::default()
    }
}

pub async fn sync_idle(app: &TestApp, panel: i64) -> panelops_sync::RunReport {
    panelops_sync::run_with(&app.state, &until_idle(panel, 0)).await.expect("sync run")
}

/// Every row of `sql` (ordered; `?1` the panel) as text, read in slices: a remote server refuses an
/// answer of more than a few megabytes.
async fn column_rows(app: &TestApp, sql: &str, panel: i64) -> Vec<String> {
    const SLICE: i64 = 4_000;
    let conn = app.state.db.connect().await.unwrap();
    let mut out = Vec::new();
    loop {
        let before = out.len();
        let sliced = format!("{sql} LIMIT {SLICE} OFFSET {before}");
        read_rows(&conn, &sliced, panel, &mut out).await;
        if ((out.len() - before) as i64) < SLICE {
            return out;
        }
    }
}

async fn read_rows(conn: &shared::db::Conn, sql: &str, panel: i64, out: &mut Vec<String>) {
    let mut rows = conn.query(sql, libsql::params![panel]).await.unwrap();
    while let Some(r) = rows.next().await.unwrap() {
        let n = r.column_count();
        let parts: Vec<String> = (0..n).map(|i| cell(r.get_value(i).unwrap())).collect();
        out.push(parts.join("|"));
    }
}

/// One value as text for comparing rows (`-` for NULL).
pub fn cell(v: libsql::Value) -> String {
    match v {
        libsql::Value::Null => "-".to_string(),
        libsql::Value::Integer(x) => x.to_string(),
        libsql::Value::Text(t) => t,
        libsql::Value::Real(f) => f.to_string(),
        libsql::Value::Blob(b) => format!("blob:{b:?}"),
    }
}

/// A money value as the panel's API shows it: five decimals (the simulator keeps six).
fn shown(micros: i64) -> i64 {
    micros.signum() * (micros.abs() / 10 * 10)
}

/// Every resource of the panel as the simulator has it now, in the cache's shape, sorted by id.
pub fn expected(sim: &SimHandle) -> Snapshot {
    sim.with(|s| {
        let d = &s.data;
        let orders = (0..d.visible_count())
            .map(|i| {
                let o = d.order(i);
                let spec = d.service(o.service);
                [
                    o.id.to_string(),
                    o.external_id.clone().unwrap_or("-".into()),
                    d.users[o.user].username.clone(),
                    o.creation_type.to_string(),
                    shown(o.charge).to_string(),
                    "USD".into(),
                    shown(o.provider_charge).to_string(),
                    o.link.clone(),
                    o.start_count.to_string(),
                    o.quantity.to_string(),
                    o.remains.to_string(),
                    (FIRST_SERVICE_ID + o.service as i64).to_string(),
                    spec.kind.to_string(),
                    d.service_name(o.service).to_string(),
                    spec.provider.to_string(),
                    o.status.to_string(),
                    o.mode.to_string(),
                    "203.0.113.7".into(),
                    o.created.to_string(),
                    o.last_update.to_string(),
                ]
                .join("|")
            })
            .collect();
        let mut users: Vec<String> = d
            .users
            .iter()
            .map(|u| {
                let last_auth = u.last_auth.map(|t| t.to_string()).unwrap_or("-".into());
                format!(
                    "{}|{}|{}|{}|{}|{}|{}|{}",
                    u.id,
                    u.username,
                    u.email,
                    shown(u.balance),
                    shown(u.spent),
                    u.status,
                    u.created,
                    last_auth
                )
            })
            .collect();
        users.sort();
        let mut payments: Vec<(i64, String)> = d
            .payments
            .iter()
            .filter(|p| p.created <= d.now)
            .map(|p| {
                (
                    p.id,
                    format!(
                        "{}|{}|{}|{}|{}|{}|{}",
                        p.id,
                        d.users[p.user].username,
                        shown(p.amount),
                        p.method,
                        p.status,
                        if p.memo.is_empty() { "-" } else { p.memo.as_str() }, // an empty memo is stored as none
                        p.created
                    ),
                )
            })
            .collect();
        payments.sort();
        let tickets: Vec<&testkit::data::Ticket> = d.tickets.iter().filter(|t| t.created <= d.now).collect();
        let mut ticket_rows: Vec<(i64, String)> = tickets
            .iter()
            .map(|t| {
                let assignee = t.assignee.clone().unwrap_or("-".into());
                let row = format!(
                    "{}|{}|{}|{}|{}|{}",
                    t.id,
                    d.users[t.user].username,
                    t.subject,
                    t.status,
                    assignee,
                    t.last_update(d.now)
                );
                (t.id, row)
            })
            .collect();
        ticket_rows.sort();
        let mut messages: Vec<String> = tickets
            .iter()
            .flat_map(|t| {
                t.messages.iter().filter(|m| m.created <= d.now).map(|m| {
                    format!("{}|{}|{}|{}|{}", t.id, m.sender_name, m.is_staff as i64, m.message, m.created)
                })
            })
            .collect();
        messages.sort();
        let mut services: Vec<String> = (0..testkit::catalog::SERVICES.len())
            .map(|i| format!("{}|{}", FIRST_SERVICE_ID + i as i64, d.service_name(i)))
            .collect();
        services.sort();
        Snapshot {
            orders,
            users,
            payments: payments.into_iter().map(|p| p.1).collect(),
            tickets: ticket_rows.into_iter().map(|t| t.1).collect(),
            messages,
            services,
        }
    })
}

#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub orders: Vec<String>,
    pub users: Vec<String>,
    pub payments: Vec<String>,
    pub tickets: Vec<String>,
    pub messages: Vec<String>,
    pub services: Vec<String>,
}

pub async fn cached(app: &TestApp, panel: i64) -> Snapshot {
    let orders = column_rows(
        app,
        "SELECT id, external_id, user, creation_type, charge, currency, provider_charge, link, start_count,
                quantity, remains, service_id, service_type, service_name, provider, status, mode, ip_address,
                created, last_update
         FROM orders_cache WHERE panel_id = ?1 ORDER BY id",
        panel,
    )
    .await;
    let mut users = column_rows(
        app,
        "SELECT id, username, email, balance, spent, status, created, last_auth FROM users_cache WHERE panel_id = ?1 ORDER BY id",
        panel,
    )
    .await;
    users.sort();
    let payments = column_rows(
        app,
        "SELECT id, user, amount, method, status, memo, created FROM payments_cache WHERE panel_id = ?1 ORDER BY id",
        panel,
    )
    .await;
    let tickets = column_rows(
        app,
        "SELECT id, user, subject, status, assignee, last_update FROM tickets_cache WHERE panel_id = ?1 ORDER BY id",
        panel,
    )
    .await;
    let mut messages = column_rows(
        app,
        "SELECT ticket_id, sender_name, is_staff, message, created FROM ticket_messages WHERE panel_id = ?1 ORDER BY ticket_id, seq",
        panel,
    )
    .await;
    messages.sort();
    let mut services = column_rows(
        app,
        "SELECT id, name FROM services_cache WHERE panel_id = ?1 AND removed_at IS NULL",
        panel,
    )
    .await;
    services.sort();
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
        ("ticket messages", &want.messages, &got.messages),
        ("services", &want.services, &got.services),
    ] {
        assert_eq!(g.len(), w.len(), "{name}: cached {} rows, the panel has {}", g.len(), w.len());
        if let Some(k) = (0..w.len()).find(|k| w[*k] != g[*k]) {
            panic!("{name} differ at row {k}: panel {} / cache {}", w[k], g[k]);
        }
    }
}
