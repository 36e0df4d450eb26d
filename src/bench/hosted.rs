//! `panelops bench hosted`: the console over a real libSQL server (sqld, the server behind Turso) next
//! to the same cache on a local file. The server is reached through a small proxy of the bench's own
//! that counts the HTTP requests to the database (the round trips) and can hold each one for a fixed
//! delay, standing for the network between a Lambda and Turso. For every page, report and admin API
//! call: round trips, p50 on a local file, p50 over sqld, p50 over sqld with 10 ms per round trip;
//! then a sync's round trips per stored page and a function's cold start.
//! Run it on a release build: `cargo run --release -- bench hosted`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt;

use shared::auth::api_key::{self, NewKey};
use shared::auth::{session, Scope};
use shared::config::Config;
use shared::crypto::SecretKey;
use shared::{AppError, AppResult, AppState};

use super::cache_data::{pct, seed, BenchDb};
use super::report;

const RUNS: usize = 15;
const DELAY_MS: u64 = 10;
const PAGE_TRIPS: u64 = 3;
const REPORT_TRIPS: u64 = 6;
const SYNC_PAGE_TRIPS: f64 = 3.0;
const COLD_START_TRIPS: u64 = 3;
const PAGE_P50_MS: f64 = 50.0;
const REPORT_P50_MS: f64 = 100.0;

/// The proxy between the console and sqld: counts requests, delays each by `delay_ms`.
#[derive(Clone)]
struct Proxy {
    target: String,
    http: reqwest::Client,
    requests: Arc<AtomicU64>,
    delay_ms: Arc<AtomicU64>,
}

impl Proxy {
    async fn start(target: String) -> AppResult<(Proxy, SocketAddr)> {
        let http = reqwest::Client::builder().build().map_err(|e| AppError::internal(e.to_string()))?;
        let proxy = Proxy { target, http, requests: Default::default(), delay_ms: Default::default() };
        let app = Router::new().fallback(forward).with_state(proxy.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| AppError::internal(format!("bind: {e}")))?;
        let addr = listener.local_addr().map_err(|e| AppError::internal(e.to_string()))?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok((proxy, addr))
    }

    fn count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn delay(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::Relaxed);
    }
}

async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    p.requests.fetch_add(1, Ordering::Relaxed);
    let delay = p.delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(body) = to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut out = p.http.request(parts.method.clone(), format!("{}{path}", p.target)).body(body);
    for name in [header::AUTHORIZATION, header::CONTENT_TYPE] {
        if let Some(v) = parts.headers.get(&name) {
            out = out.header(name, v);
        }
    }
    match out.send().await {
        Ok(res) => {
            let status = res.status();
            let bytes = res.bytes().await.unwrap_or_default();
            (status, bytes).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// The console as a signed-in owner and an API key holder see it.
struct Console {
    router: Router,
    cookie: String,
    token: String,
}

impl Console {
    async fn new(state: &AppState) -> AppResult<Console> {
        let owner = super::bench_owner(state).await?;
        let s = session::create(&state.db, &state.config, owner, "127.0.0.1", "bench").await?;
        let key =
            NewKey { name: "bench", scopes: &Scope::ALL, all_panels: true, panels: &[], created_by: owner };
        let (_, token) = api_key::create(&state.db, &key).await?;
        Ok(Console { router: crate::server::router(state), cookie: format!("po_session={}", s.token), token })
    }

    /// One GET; the time in ms.
    async fn get(&self, path: &str) -> AppResult<f64> {
        let mut req = axum::http::Request::builder()
            .uri(path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::COOKIE, &self.cookie)
            .header("x-api-key", &self.token)
            .body(Body::empty())
            .map_err(|e| AppError::internal(e.to_string()))?;
        req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        let t = Instant::now();
        let res = self.router.clone().oneshot(req).await.map_err(|e| AppError::internal(e.to_string()))?;
        let status = res.status();
        let body =
            to_bytes(res.into_body(), usize::MAX).await.map_err(|e| AppError::internal(e.to_string()))?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if status != StatusCode::OK {
            let text = String::from_utf8_lossy(&body).chars().take(300).collect::<String>();
            return Err(AppError::internal(format!("{path} answered {status}: {text}")));
        }
        Ok(ms)
    }

    async fn p50(&self, path: &str) -> AppResult<f64> {
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            times.push(self.get(path).await?);
        }
        Ok(pct(times, 0.5))
    }
}

/// (what, path, round-trip budget, p50 budget with 10 ms per round trip).
fn cases(panel: i64) -> Vec<(&'static str, String, u64, f64)> {
    let page = |p: &str| ("page", p.to_string(), PAGE_TRIPS, PAGE_P50_MS);
    let report = |p: &str| ("report", p.to_string(), REPORT_TRIPS, REPORT_P50_MS);
    let api = |p: &str| ("admin API", p.to_string(), REPORT_TRIPS, REPORT_P50_MS);
    vec![
        page("/"),
        page("/orders"),
        page("/orders?status=pending"),
        page(&format!("/orders/{panel}/1000007")),
        page("/tickets"),
        page(&format!("/tickets/{panel}/7")),
        page("/payments"),
        page("/users"),
        page(&format!("/users/{panel}/7")),
        page("/services"),
        page("/settings/sync"),
        report("/reports/service-health?window_hours=24"),
        report("/reports/service-health?window_hours=72"),
        report("/reports/top-spenders?window_hours=24"),
        report("/reports/top-spenders?window_hours=72"),
        report("/reports/ticket-tracking/staff?window_hours=24"),
        report("/reports/ticket-tracking/services?window_hours=24"),
        report("/reports/staff-statistics?window_hours=72"),
        api("/adminapi/v2/orders?limit=1000"),
        api("/adminapi/v2/orders?limit=100&order_status=pending"),
        api("/adminapi/v2/reports/service-health?window_hours=24"),
    ]
}

pub async fn hosted(orders: u64) -> AppResult<()> {
    let bin = testkit::sqld::find().ok_or_else(|| {
        AppError::Config(
            "no sqld found: set PANELOPS_SQLD, put sqld on PATH, or place it at ../shared/tools/sqld".into(),
        )
    })?;
    let server = testkit::sqld::Sqld::start(&bin).map_err(AppError::internal)?;
    let (proxy, addr) = Proxy::start(server.url()).await?;
    let url = format!("http://{addr}");
    let key = SecretKey::generate();
    let remote = AppState::init(Config::remote(&url, &server.token, key.clone())).await?;
    println!("seeding sqld with {orders} orders, 200k users and payments, 100k tickets, 400k messages…");
    let t = Instant::now();
    let now = shared::time::now();
    let panel = seed(&remote, now, orders).await?;
    println!("seeded sqld in {:.1} s", t.elapsed().as_secs_f64());
    let local = BenchDb::open("hosted", orders).await?;
    let (remote_console, local_console) = (Console::new(&remote).await?, Console::new(&local.state).await?);

    let mut table = format!(
        "## panelops bench hosted --orders {orders}\n\n\
         | kind | request | round trips | p50 local file ms | p50 sqld ms | p50 sqld + {DELAY_MS} ms/round trip | targets |\n\
         |---|---|---:|---:|---:|---:|---|\n"
    );
    let mut missed = 0;
    for (kind, path, trip_budget, p50_budget) in cases(panel) {
        // Warm both (what a function keeps between requests), then count one request's round trips.
        remote_console.get(&path).await?;
        local_console.get(&path).await?;
        let before = proxy.count();
        remote_console.get(&path).await?;
        let trips = proxy.count() - before;
        let local_p50 = local_console.p50(&path).await?;
        let remote_p50 = remote_console.p50(&path).await?;
        proxy.delay(DELAY_MS);
        let delayed_p50 = remote_console.p50(&path).await;
        proxy.delay(0);
        let delayed_p50 = delayed_p50?;
        let ok = trips <= trip_budget && delayed_p50 <= p50_budget;
        missed += usize::from(!ok);
        table.push_str(&format!(
            "| {kind} | `{path}` | {trips} | {local_p50:.1} | {remote_p50:.1} | {delayed_p50:.1} | ≤ {trip_budget} trips, ≤ {p50_budget:.0} ms: {} |\n",
            if ok { "met" } else { "MISSED" }
        ));
    }

    // A function's cold start on a migrated database: its migrations check and nothing else.
    let before = proxy.count();
    let cold = AppState::init(Config::remote(&url, &server.token, key.clone())).await?;
    let cold_trips = proxy.count() - before;
    drop(cold);
    let cold_ok = cold_trips <= COLD_START_TRIPS;
    missed += usize::from(!cold_ok);

    // The sync of a simulated panel into the remote database: round trips per stored page, lease included.
    let sync_orders = 20_000;
    let sim = super::sync::start_sim(sync_orders)?;
    let input = shared::domain::panels::PanelInput {
        name: "bench sync".into(),
        base_url: sim.url.clone(),
        status: shared::domain::panels::PanelStatus::Active,
        admin_key: Some(sim.admin_key.clone()),
        services_key: None,
    };
    let sync_panel = shared::domain::panels::create(&remote.db, &remote.config.secret_key, &input).await?;
    shared::domain::sync::ensure_rows(&remote.db, sync_panel).await?;
    let opts = panelops_sync::RunOptions {
        panel: Some(sync_panel),
        force: true,
        until_idle: true,
        resources: Some(vec![shared::domain::sync::Resource::Orders]),
        client: shared::pp::ClientOptions::default(),
        ..Default::default()
    };
    proxy.delay(DELAY_MS);
    let before = proxy.count();
    let t = Instant::now();
    let run = panelops_sync::run_with(&remote, &opts).await;
    let sync_secs = t.elapsed().as_secs_f64();
    let sync_trips = proxy.count() - before;
    proxy.delay(0);
    let run = run?;
    let fetched: i64 = run.resources.iter().map(|r| r.fetched).sum();
    // Pages of 1000 new orders, then the re-check pass's batches of open orders.
    let pages = ((fetched as f64) / 1000.0).ceil().max(1.0);
    let per_page = sync_trips as f64 / pages;
    let sync_ok = per_page <= SYNC_PAGE_TRIPS && run.errors() == 0;
    missed += usize::from(!sync_ok);
    drop(sim);

    let mark = |ok: bool| if ok { "met" } else { "MISSED" };
    table.push_str(&format!(
        "\n| measure | round trips | targets |\n|---|---:|---|\n\
         | a function's cold start on a migrated database (migrations check included) | {cold_trips} | ≤ {COLD_START_TRIPS}: {} |\n\
         | sync of {sync_orders} orders: {fetched} rows in {pages:.0} stored pages, {sync_trips} round trips in {sync_secs:.1} s \
         with {DELAY_MS} ms each (leases, reads and the run's own bookkeeping included) | {per_page:.2} per page | ≤ {SYNC_PAGE_TRIPS}: {} |\n\n\
         Round trips: HTTP requests to the database for one request, counted by the bench's proxy in front of \
         sqld (0.24, JWT auth, loopback), after one warm-up request. p50 over {RUNS} requests through the real \
         router, as an owner (pages, reports) or an API key (admin API); the local file holds the same data. \
         {missed} target(s) missed.\n",
        mark(cold_ok),
        mark(sync_ok)
    ));
    drop(remote_console);
    drop(local_console);
    report("hosted", &table)
}
