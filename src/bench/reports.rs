//! `panelops bench reports`: a cache of 1,000,000 orders over 90 days, 200,000 users and payments,
//! 100,000 tickets and 400,000 messages, inserted directly; then each report (default profile, 24 h and
//! 72 h windows) is computed repeatedly through the same functions the pages call, next to the bare SQL
//! of that report measured in the same run, with the query plans of the orders queries checked for a
//! full scan. Run it on a release build: `cargo run --release -- bench reports`.

use std::time::Instant;

use shared::auth::PanelScope;
use shared::db::Conn;
use shared::AppResult;

use super::cache_data::{pct, BenchDb};
use super::report;

const TARGET_P50_MS: f64 = 50.0;
const TARGET_RATIO: f64 = 2.0;
const RUNS: usize = 15;

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
    let (state, now, panel) = (&bench.state, bench.now, bench.panel);
    let conn = state.db.connect().await?;
    let scope = PanelScope::All;
    let stuck =
        bare(&conn, &[format!("SELECT 1 FROM orders_cache WHERE {}", reports::service_health::STUCK_SQL)])
            .await?;
    let mut table = String::from(
        "| report | window | p50 ms | p95 ms | bare SQL p50 ms | ratio | SQL rows | target |\n|---|---|---|---|---|---|---|---|\n",
    );
    let mut full_scans = Vec::new();
    for hours in [24i64, 72] {
        let from = now - hours * 3600;
        let p = format!("panel_id IN ({panel})");
        // By staff and Staff statistics both read the replies of the window's tickets.
        let replies = format!("SELECT panel_id, ticket_id, sender_name, is_staff, message, created FROM ticket_messages WHERE {p} AND (panel_id, ticket_id) IN (SELECT DISTINCT panel_id, ticket_id FROM ticket_messages WHERE {p} AND is_staff = 1 AND created >= {from} AND created <= {now}) ORDER BY panel_id, ticket_id, created, seq");
        let cases: Vec<(&str, Vec<String>)> = vec![
            ("service tracking", vec![
                format!("SELECT panel_id, service_id, COALESCE(quantity, 0), created, last_update FROM orders_cache WHERE {p} AND {} AND last_update >= {from} AND last_update <= {now} AND service_id IS NOT NULL", reports::service_health::FINISHED_SQL),
                format!("SELECT panel_id, service_id, COUNT(*) FROM orders_cache INDEXED BY orders_cache_stuck WHERE {p} AND {} AND created < {} AND service_id IS NOT NULL GROUP BY panel_id, service_id", reports::service_health::STUCK_SQL, now - 12 * 3600),
            ]),
            ("user tracking", {
                let mut sqls = vec![
                    format!("SELECT panel_id, user, COALESCE(charge, 0) FROM orders_cache WHERE {p} AND created >= {from} AND created <= {now} AND user IS NOT NULL AND status NOT IN ('canceled', 'fail')"),
                    format!("SELECT panel_id, user, COALESCE(amount, 0) FROM payments_cache WHERE {p} AND created >= {from} AND created <= {now} AND user IS NOT NULL AND status = 'completed'"),
                ];
                sqls.extend(listed_user_lookups(&conn, &scope, hours, now).await?);
                sqls
            }),
            ("ticket tracking: by staff", vec![replies.clone()]),
            ("ticket tracking: by service", {
                let mut sqls = vec![
                    format!("SELECT t.panel_id, t.id, COALESCE(t.subject, ''), t.status, t.created, t.order_ids FROM tickets_cache t INDEXED BY tickets_cache_created WHERE t.{p} AND t.created >= {from} AND t.created <= {now} ORDER BY t.panel_id, t.id"),
                ];
                sqls.extend(order_lookups(&conn, &scope, hours, now).await?);
                sqls
            }),
            ("staff statistics", vec![replies]),
        ];
        // PANELOPS_BENCH_ONLY=<part of a report's name> measures only the matching reports.
        let only = std::env::var("PANELOPS_BENCH_ONLY").unwrap_or_default();
        for (name, sqls) in cases.into_iter().filter(|(n, _)| n.contains(only.as_str())) {
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
            let ok = p50 <= TARGET_P50_MS && ratio <= TARGET_RATIO;
            table.push_str(&format!(
                "| {name} | {hours}h | {p50:.1} | {p95:.1} | {b50:.1} | {ratio:.2}× | {rows} | {} |\n",
                if ok { "ok" } else { "MISSED" }
            ));
        }
    }
    table.push_str(&format!(
        "\nTargets: p50 ≤ {TARGET_P50_MS} ms and ≤ {TARGET_RATIO}× the bare SQL. Times are the report functions the pages call (no HTTP). The bare SQL is every statement the report runs (lookups of the listed users and of the order ids the tickets mention included), without the Rust around them; \"SQL rows\" = rows those statements return.\nFull scans of orders_cache in the plans: {}\nOpen orders with remains in the cache: {stuck} (orders older than 3 days are final except 3 in 100 stuck for good).\n",
        if full_scans.is_empty() { "none".to_string() } else { full_scans.join("; ") }
    ));
    drop(conn);
    report("reports", &table)
}

/// User tracking's second set of queries: the listed users' details and top services, as
/// `top_spenders` reads them (the list itself comes from the report).
async fn listed_user_lookups(
    conn: &Conn,
    scope: &PanelScope,
    hours: i64,
    now: i64,
) -> AppResult<Vec<String>> {
    use reports::top_spenders;
    let profile = top_spenders::profiles::chosen(conn, None).await?;
    let params = top_spenders::TopSpendersParams::from_profile(&profile, None, hours);
    let (rows, _) = top_spenders::top_spenders(conn, scope, &params, now).await?;
    let mut by_panel: std::collections::BTreeMap<i64, Vec<String>> = Default::default();
    for r in rows {
        by_panel.entry(r.panel_id).or_default().push(format!("'{}'", r.username.replace('\'', "''")));
    }
    let from = now - hours * 3600;
    let mut sqls = Vec::new();
    for (panel, names) in by_panel {
        for chunk in names.chunks(500) {
            let list = chunk.join(",");
            sqls.push(format!(
                "SELECT username, id, email, created, spent FROM users_cache WHERE panel_id = {panel} AND username IN ({list})"
            ));
            sqls.push(format!(
                "SELECT user, service_id, COUNT(*) FROM orders_cache WHERE panel_id = {panel} AND created >= {from} AND created <= {now} AND service_id IS NOT NULL AND user IN ({list}) GROUP BY user, service_id"
            ));
        }
    }
    Ok(sqls)
}

/// The report's second set of queries: the order ids its tickets mention, looked up in their panel
/// 500 at a time, as `tickets_with_ids` does. The ids are those the report itself reads.
async fn order_lookups(conn: &Conn, scope: &PanelScope, hours: i64, now: i64) -> AppResult<Vec<String>> {
    let params = reports::tickets::TicketParams { panel: None, window_hours: hours };
    let tickets = reports::tickets::tickets_with_ids(conn, scope, &params, now).await?;
    let mut by_panel: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    for t in tickets {
        by_panel.entry(t.panel_id).or_default().extend(t.order_ids);
    }
    let mut sqls = Vec::new();
    for (panel, mut ids) in by_panel {
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(500) {
            let list = chunk.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
            sqls.push(format!(
                "SELECT id, service_id FROM orders_cache WHERE panel_id = {panel} AND id IN ({list}) AND service_id IS NOT NULL"
            ));
        }
    }
    Ok(sqls)
}

async fn run_report(conn: &Conn, scope: &PanelScope, name: &str, hours: i64, now: i64) -> AppResult<()> {
    use reports::{service_health, tickets, top_spenders};
    match name {
        "service tracking" => {
            let profile = service_health::profiles::chosen(conn, None).await?;
            let p = service_health::ServiceHealthParams::from_profile(&profile, None, hours);
            service_health::service_health(conn, scope, &p, now).await?;
        }
        "user tracking" => {
            let profile = top_spenders::profiles::chosen(conn, None).await?;
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
