//! `panelops bench reports`: a cache of 1,000,000 orders over 90 days, 200,000 users and payments,
//! 100,000 tickets and 400,000 messages, inserted directly; then each report (default profile, 24 h and
//! 72 h windows) is computed repeatedly through the same functions the pages call, next to the bare SQL
//! of that report measured in the same run, with the query plans of the orders queries checked for a
//! full scan, and the rows each report's statements return. `--orders 3000000` is the second size (a
//! busy panel's 33,000 orders a day). Run it on a release build: `cargo run --release -- bench reports`.

use std::time::Instant;

use shared::auth::PanelScope;
use shared::config::Config;
use shared::crypto::SecretKey;
use shared::db::Conn;
use shared::{AppResult, AppState};

use super::cache_data::{pct, BenchDb};
use super::report;

const TARGET_P50_MS: f64 = 50.0;
const TARGET_RATIO: f64 = 2.0;
const RUNS: usize = 15;
const TARGET_ROWS: u64 = 2_000;

/// Runs the bare SQL and returns the rows it yields.
async fn bare(conn: &Conn, sqls: &[String]) -> AppResult<u64> {
    let mut n = 0;
    for sql in sqls {
        let mut rows = conn.query(sql, ()).await?;
        while rows.next().await?.is_some() {
            n += 1;
        }
    }
    Ok(n)
}

async fn plan_scans_orders(conn: &Conn, sql: &str) -> AppResult<Option<String>> {
    let mut rows = conn.query(&format!("EXPLAIN QUERY PLAN {sql}"), ()).await?;
    let mut plan = Vec::new();
    while let Some(r) = rows.next().await? {
        plan.push(r.get::<String>(3)?);
    }
    Ok(plan.iter().find(|l| l.starts_with("SCAN orders_cache")).cloned())
}

pub async fn reports(orders: u64) -> AppResult<()> {
    let bench = BenchDb::open("reports", orders).await?;
    // The report's SQL is whatever SQLite sees it run: the trace goes on once libsql has configured
    // SQLite, and covers a second handle on the file, whose connections are opened from then on.
    super::sql_trace::install();
    let state = &AppState::init(Config::local(&bench.path, SecretKey::generate())).await?;
    let now = bench.now;
    let conn = state.db.connect().await?;
    let scope = PanelScope::All;
    let stuck = bare(
        &conn,
        &[format!("SELECT 1 FROM orders_cache WHERE {}", panelops_reports::service_health::STUCK_SQL)],
    )
    .await?;
    let mut table = format!(
        "{orders} orders.\n\n| report | window | p50 ms | p95 ms | bare SQL p50 ms | ratio | rows returned | statements | target |\n|---|---|---|---|---|---|---|---|---|\n"
    );
    let mut full_scans = Vec::new();
    let names = [
        "service tracking",
        "user tracking",
        "margins",
        "providers",
        "ticket tracking: by staff",
        "ticket tracking: by service",
        "staff statistics",
    ];
    // PANELOPS_BENCH_ONLY=<part of a report's name> measures only the matching reports.
    let only = std::env::var("PANELOPS_BENCH_ONLY").unwrap_or_default();
    for hours in [24i64, 72] {
        for name in names.into_iter().filter(|n| n.contains(only.as_str())) {
            // The bare SQL is every query the report runs, as SQLite ran them (values written in).
            let (ran, sqls) = super::sql_trace::capture(run_report(&conn, &scope, name, hours, now)).await;
            ran?;
            for sql in &sqls {
                if let Some(scan) = plan_scans_orders(&conn, sql).await? {
                    full_scans.push(format!("{name} {hours}h: {scan}"));
                }
            }
            let (mut times, mut bare_times, mut rows) = (Vec::new(), Vec::new(), 0);
            for _ in 0..RUNS {
                let t = Instant::now();
                rows = bare(&conn, &sqls).await?;
                bare_times.push(t.elapsed().as_secs_f64() * 1000.0);
                let t = Instant::now();
                run_report(&conn, &scope, name, hours, now).await?;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            let (p50, p95, b50) = (pct(times.clone(), 0.5), pct(times, 0.95), pct(bare_times, 0.5));
            let ratio = p50 / b50.max(0.001);
            let ok = p50 <= TARGET_P50_MS && ratio <= TARGET_RATIO && rows <= TARGET_ROWS;
            table.push_str(&format!(
                "| {name} | {hours}h | {p50:.1} | {p95:.1} | {b50:.1} | {ratio:.2}× | {rows} | {} | {} |\n",
                sqls.len(),
                if ok { "ok" } else { "MISSED" }
            ));
        }
    }
    table.push_str(&format!(
        "\nTargets: p50 ≤ {TARGET_P50_MS} ms, ≤ {TARGET_RATIO}× the bare SQL, ≤ {TARGET_ROWS} rows returned. Times are the report functions the pages call (no HTTP). The bare SQL is every statement the report runs, captured from SQLite's trace of one run (lookups of the listed users and of the order ids the tickets mention included), without the Rust around them; \"rows returned\" = rows those statements return to the function.\nFull scans of orders_cache in the plans: {}\nOpen orders with remains in the cache: {stuck} (orders older than 3 days are final except 3 in 100 stuck for good).\n",
        if full_scans.is_empty() { "none".to_string() } else { full_scans.join("; ") }
    ));
    drop(conn);
    report("reports", &table)
}

async fn run_report(conn: &Conn, scope: &PanelScope, name: &str, hours: i64, now: i64) -> AppResult<()> {
    use panelops_reports::{service_health, tickets, top_spenders};
    match name {
        "service tracking" => {
            let (profile, _) =
                panelops_reports::profiles::chosen::<service_health::ServiceProfile>(conn, None).await?;
            let p = service_health::ServiceHealthParams::from_profile(&profile, None, hours);
            // With the 7-day trend, as the page reads it.
            service_health::with_trend(conn, scope, &p, now, service_health::pages::TREND_DAYS).await?;
        }
        "margins" => {
            let p = panelops_reports::margins::MarginParams { panel: None, window_hours: hours };
            panelops_reports::margins::margins(conn, scope, &p, now).await?;
        }
        "providers" => {
            let (profile, _) =
                panelops_reports::profiles::chosen::<service_health::ServiceProfile>(conn, None).await?;
            let p = service_health::ServiceHealthParams::from_profile(&profile, None, hours);
            panelops_reports::providers::providers(
                conn,
                scope,
                &panelops_reports::providers::ProviderParams::new(p),
                now,
            )
            .await?;
        }
        "user tracking" => {
            let (profile, _) =
                panelops_reports::profiles::chosen::<top_spenders::UserProfile>(conn, None).await?;
            let p = top_spenders::TopSpendersParams::from_profile(&profile, None, hours);
            top_spenders::top_spenders(conn, scope, &p, now).await?;
        }
        "ticket tracking: by staff" => {
            tickets::by_staff(conn, scope, &tickets::TicketParams { panel: None, window_hours: hours }, now)
                .await?;
        }
        "ticket tracking: by service" => {
            tickets::by_service(
                conn,
                scope,
                &tickets::TicketParams { panel: None, window_hours: hours },
                now,
            )
            .await?;
        }
        _ => {
            tickets::staff_statistics(
                conn,
                scope,
                &tickets::TicketParams { panel: None, window_hours: hours },
                now,
            )
            .await?;
        }
    }
    Ok(())
}
