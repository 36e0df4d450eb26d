//! `panelops bench sync --orders 1000000`: end-to-end orders per second from a simulated panel (its own
//! process, throttle off) into a fresh database, next to the floor measured in the same run (the same
//! rows inserted directly with libsql in batched transactions); peak RSS of the syncing process; and
//! the time of an incremental run when nothing changed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shared::config::Config;
use shared::crypto::SecretKey;
use shared::domain::panels::{self, PanelInput, PanelStatus};
use shared::domain::sync::Resource;
use shared::pp::ClientOptions;
use shared::{AppError, AppResult, AppState};
use testkit::data::{PanelData, FIRST_SERVICE_ID};
use testkit::SimConfig;

use super::report;

const TARGET_ORDERS_PER_SEC: f64 = 50_000.0;
const TARGET_FLOOR_SHARE: f64 = 1.0 / 3.0;
const TARGET_RSS_MB: f64 = 150.0;
const TARGET_IDLE_SECS: f64 = 1.0;

pub(super) struct Sim {
    child: std::process::Child,
    pub url: String,
    pub admin_key: String,
    services_key: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn start_sim(orders: u64) -> AppResult<Sim> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("building the simulator (release)…");
    let ok = Command::new(cargo)
        .args(["build", "--release", "--locked", "-p", "panelops-testkit", "--bin", "panel-sim"])
        .status()
        .map_err(|e| AppError::internal(format!("cannot run cargo: {e}")))?
        .success();
    if !ok {
        return Err(AppError::internal("building panel-sim failed"));
    }
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| AppError::internal(e.to_string()))?
        .port();
    let mut child = Command::new(format!("{target}/release/panel-sim"))
        .args(["--orders", &orders.to_string(), "--seed", "7", "--rate-limit", "false"])
        // A still panel: the idle run then measures a run when nothing changed upstream.
        .args(["--live-clock", "false"])
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| AppError::internal(format!("cannot start panel-sim: {e}")))?;
    let stdout = child.stdout.take().ok_or_else(|| AppError::internal("no simulator output"))?;
    let mut sim = Sim { child, url: String::new(), admin_key: String::new(), services_key: String::new() };
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if let Some(u) = line.strip_prefix("simulated panel at ") {
            sim.url = u.trim().to_string();
        } else if let Some(k) = line.strip_prefix("admin API key:") {
            sim.admin_key = k.trim().to_string();
        } else if let Some(k) = line.strip_prefix("services API key:") {
            sim.services_key = k.trim().to_string();
            break;
        }
    }
    if sim.url.is_empty() || sim.admin_key.is_empty() {
        return Err(AppError::internal("the simulator did not start"));
    }
    Ok(sim)
}

/// Peak resident memory of this process (MB), from the kernel's high-water mark.
pub(super) fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// Resident memory of this process now (MB).
pub(super) fn current_rss_mb() -> f64 {
    status_mb("VmRSS:")
}

/// A memory line of `/proc/self/status` (`VmRSS:`, `RssAnon:`…) in MB.
pub(super) fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Starts a new high-water mark (Linux: writing 5 to clear_refs resets VmHWM).
pub(super) fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

async fn fresh_state(dir: &std::path::Path, name: &str) -> AppResult<AppState> {
    AppState::init(Config::local(&dir.join(name), SecretKey::generate())).await
}

fn client() -> ClientOptions {
    ClientOptions {
        per_second: 0,
        timeout: Duration::from_secs(120),
        // The simulator is on loopback.
        allow_private: true,
        ..ClientOptions::default()
    }
}

/// The floor: the same order rows, built in memory, inserted the fastest plain way libsql offers: one
/// connection with the sync's page cache, one prepared 1000-row `INSERT` reused, one transaction per
/// 1000 rows (what a page is), and the same indexes as the sync: the scattered-key ones left off while
/// loading and built at the end (timed), every other one in place (the console needs them); no roll-ups.
async fn floor(dir: &std::path::Path, orders: u64) -> AppResult<f64> {
    let state = fresh_state(dir, "floor.db").await?;
    let input = PanelInput {
        name: "floor".into(),
        base_url: "http://127.0.0.1:1".into(),
        status: PanelStatus::Paused,
        admin_key: None,
        services_key: None,
    };
    let panel = panels::create(&state.db, &state.config.secret_key, &input).await?;
    // Plain rows: the floor keeps no roll-ups, so the sync's share of it includes what keeping them costs.
    let c = state.db.connect().await?;
    let mut rows = c
        .query("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'orders_cache'", ())
        .await?;
    let mut triggers = Vec::new();
    while let Some(r) = rows.next().await? {
        triggers.push(r.get::<String>(0)?);
    }
    drop(rows);
    for t in triggers {
        c.execute(&format!("DROP TRIGGER {t}"), ()).await?;
    }
    drop(c);
    let data = PanelData::generate(SimConfig::new(7, orders, chrono::Utc::now().timestamp()));
    let visible = data.visible_count();
    let mut spent = Duration::ZERO;
    let mut i = 0u64;
    let mut catching_up = None;
    let conn = state.db.connect_bulk().await?;
    let table = &panelops_sync::resources::orders::TABLE;
    let insert = |rows: usize| {
        let one = format!("({})", vec!["?"; table.columns.len()].join(","));
        format!(
            "INSERT INTO {} ({}) VALUES {}",
            table.name,
            table.columns.join(", "),
            vec![one; rows].join(",")
        )
    };
    let full_page = conn.prepare(&insert(1000)).await?;
    while i < visible {
        let batch: Vec<Vec<libsql::Value>> = (i..(i + 1000).min(visible))
            .map(|k| {
                let o = data.order(k);
                let spec = data.service(o.service);
                use libsql::Value::{Integer as I, Null, Text as T};
                let row = vec![
                    I(panel),
                    I(o.id),
                    o.external_id.clone().map(T).unwrap_or(Null),
                    T(data.users[o.user].username.clone()),
                    T(o.creation_type.into()),
                    I(o.charge),
                    T("USD".into()),
                    I(o.provider_charge),
                    T(o.link.clone()),
                    I(o.start_count),
                    I(o.quantity),
                    I(o.remains),
                    I(FIRST_SERVICE_ID + o.service as i64),
                    T(spec.kind.into()),
                    T(spec.name.into()),
                    T(spec.provider.into()),
                    T(o.status.into()),
                    T(o.mode.into()),
                    T("203.0.113.7".into()),
                    I(o.created),
                    I(o.last_update),
                    I(0),
                ];
                panelops_sync::upsert::fingerprinted(table, row)
            })
            .collect();
        let n = batch.len() as u64;
        let t = Instant::now();
        let tx = shared::db::write_tx(&conn).await?;
        if i == 0 {
            let (guard, drops) = panelops_sync::resources::catch_up::begin(&state.db);
            tx.batch(drops).await?;
            catching_up = Some(guard);
        }
        let params = libsql::params_from_iter(batch.into_iter().flatten());
        if n == 1000 {
            full_page.execute(params).await?;
            full_page.reset();
        } else {
            tx.execute(&insert(n as usize), params).await?;
        }
        tx.commit().await?;
        spent += t.elapsed();
        i += n;
    }
    drop(catching_up);
    let t = Instant::now();
    panelops_sync::resources::catch_up::put_back(&state.db, &conn, None).await?;
    spent += t.elapsed();
    Ok(visible as f64 / spent.as_secs_f64())
}

/// Orders per second for `pages` pages fetched and parsed (no database, one request at a time).
async fn fetch_only(sim: &Sim, pages: i64) -> AppResult<f64> {
    let client =
        shared::pp::AdminClient::new(&sim.url, shared::crypto::Secret::new(sim.admin_key.clone()), &client())
            .map_err(|e| AppError::internal(e.to_string()))?;
    let t = Instant::now();
    let mut n = 0usize;
    for k in 0..pages {
        let q = [
            ("limit", "1000".to_string()),
            ("offset", (k * 1000).to_string()),
            ("sort", "date-asc".into()),
            ("include", "last_update".into()),
        ];
        let page = client.list_orders(&q).await.map_err(|e| AppError::internal(e.to_string()))?;
        n += page.rows.iter().filter(|r| r.is_ok()).count();
    }
    Ok(n as f64 / t.elapsed().as_secs_f64())
}

pub async fn sync(orders: u64) -> AppResult<()> {
    let sim = start_sim(orders)?;
    let dir = std::env::temp_dir().join(format!("panelops-bench-sync-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| AppError::internal(e.to_string()))?;
    let state = fresh_state(&dir, "sync.db").await?;
    let input = PanelInput {
        name: "bench".into(),
        base_url: sim.url.clone(),
        status: PanelStatus::Active,
        admin_key: Some(sim.admin_key.clone()),
        services_key: Some(sim.services_key.clone()),
    };
    let panel = panels::create(&state.db, &state.config.secret_key, &input).await?;
    shared::domain::sync::ensure_rows(&state.db, panel).await?;
    let only_orders = Some(vec![Resource::Orders]);
    println!("syncing {orders} orders…");
    reset_peak_rss();
    let opts = panelops_sync::RunOptions {
        panel: Some(panel),
        force: true,
        until_idle: true,
        resources: only_orders.clone(),
        client: client(),
        ..Default::default()
    };
    let t = Instant::now();
    let full = panelops_sync::run_with(&state, &opts).await?;
    let full_secs = t.elapsed().as_secs_f64();
    let rss = peak_rss_mb();
    if full.errors() > 0 {
        return Err(AppError::internal(format!("the sync ended in error: {:?}", full.resources)));
    }
    let conn = state.db.connect().await?;
    let mut rows = conn.query("SELECT COUNT(*) FROM orders_cache", ()).await?;
    let cached: i64 = match rows.next().await? {
        Some(r) => r.get(0)?,
        None => 0,
    };
    let rate = cached as f64 / full_secs;
    // Nothing changed upstream: one scheduled-style run (new orders + due re-checks).
    let t = Instant::now();
    let idle = panelops_sync::run_with(
        &state,
        &panelops_sync::RunOptions {
            panel: Some(panel),
            force: true,
            resources: only_orders,
            client: client(),
            ..Default::default()
        },
    )
    .await?;
    let idle_secs = t.elapsed().as_secs_f64();
    let idle_rows: i64 = idle.resources.iter().map(|r| r.fetched).sum();
    // Where the time goes: the same pages fetched and parsed, with no database.
    let fetch_rate = fetch_only(&sim, 100).await?;
    println!("measuring the floor…");
    let floor_rate = floor(&dir, orders).await?;
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
    let share = rate / floor_rate;
    let mark = |ok: bool| if ok { "met" } else { "MISSED" };
    let table = format!(
        "## panelops bench sync --orders {orders}\n\n\
         | measure | value | floor | share of floor | target |\n|---|---:|---:|---:|---|\n\
         | full sync, orders/s end to end ({cached} orders in {full_secs:.1} s) | {rate:.0} | {floor_rate:.0} | {share:.2} | ≥ {TARGET_ORDERS_PER_SEC:.0}/s: {} · ≥ 1/3 floor: {} |\n\
         | fetch and parse only, orders/s (no database; where the time goes) | {fetch_rate:.0} | | | |\n\
         | peak RSS of the syncing process | {rss:.0} MB | | | ≤ {TARGET_RSS_MB:.0} MB: {} |\n\
         | incremental run, nothing new ({idle_rows} open orders re-checked) | {idle_secs:.2} s | | | ≤ {TARGET_IDLE_SECS:.0} s: {} |\n\n\
         Floor: the same rows inserted straight into libsql in this run (one connection, a prepared \
         1000-row INSERT, 1000 rows per transaction, the same indexes as the sync: the three on scattered keys \
         built after the load, timed, the others in place). \
         Simulator in its own process, throttle off, its clock still (nothing changes upstream between the runs); {} cores.\n",
        mark(rate >= TARGET_ORDERS_PER_SEC),
        mark(share >= TARGET_FLOOR_SHARE),
        mark(rss <= TARGET_RSS_MB),
        mark(idle_secs <= TARGET_IDLE_SECS),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    report("sync", &table)
}
