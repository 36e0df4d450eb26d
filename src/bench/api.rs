//! `panelops bench api`: `GET /adminapi/v2/orders?limit=1000` pages over a 1,000,000-order cache through
//! the real router (key check, rate limit, JSON), next to the bare SQL of each page measured in the same
//! run (the bare SQL of a page is its count and its rows). Run it on a release build:
//! `cargo run --release -- bench api`.

use std::time::Instant;

use axum::body::{to_bytes, Body};
use axum::http::Request;
use shared::auth::api_key::{self, NewKey, Scope};
use shared::{AppError, AppResult};
use tower::ServiceExt;

use super::cache_data::{pct, BenchDb};
use super::report;

const TARGET_RATIO: f64 = 2.0;
const RUNS: usize = 9;

pub async fn api(orders: u64) -> AppResult<()> {
    // The key sees every panel, so the API's queries carry no panel condition; the bare SQL neither.
    let bench = BenchDb::open("api", orders).await?;
    let state = &bench.state;
    let owner = super::bench_owner(state).await?;
    let (_, token) = api_key::create(
        &state.db,
        &NewKey {
            name: "bench",
            scopes: &[Scope::OrdersRead],
            all_panels: true,
            panels: &[],
            created_by: owner,
        },
    )
    .await?;
    // The per-key limit guards real deployments; the benchmark measures the page, not the limiter.
    let conn = state.db.connect().await?;
    conn.execute("UPDATE api_keys SET rate_per_minute = 100000000", ()).await?;
    let router = crate::server::router(state);
    let total = orders as i64;
    let mut table = String::from(
        "| page | p50 ms | p95 ms | bare SQL p50 ms | ratio | target |\n|---|---|---|---|---|---|\n",
    );
    let mut all_times = Vec::new();
    for offset in [0, total / 10, total / 2, total - 1000] {
        let (mut times, mut bare) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let t = Instant::now();
            let sql = format!(
                "SELECT panel_id, id, external_id, user, creation_type, charge, currency, provider_charge, link,
                 start_count, quantity, remains, service_id, service_type, service_name, provider, status, mode,
                 ip_address, created, last_update FROM orders_cache WHERE (panel_id, id) IN (
                   SELECT panel_id, id FROM orders_cache WHERE 1 ORDER BY created DESC, panel_id DESC, id DESC
                   LIMIT 1000 OFFSET {offset})
                 ORDER BY created DESC, panel_id DESC, id DESC"
            );
            // The page needs the total too: Perfect Panel's `data.count` is the count of all matches.
            let mut rows = conn.query("SELECT COUNT(*) FROM orders_cache WHERE 1", ()).await?;
            while rows.next().await?.is_some() {}
            let mut rows = conn.query(&sql, ()).await?;
            while rows.next().await?.is_some() {}
            bare.push(t.elapsed().as_secs_f64() * 1000.0);

            let req = Request::get(format!("/adminapi/v2/orders?limit=1000&offset={offset}"))
                .header("x-api-key", &token)
                .body(Body::empty())
                .map_err(|e| AppError::internal(e.to_string()))?;
            let t = Instant::now();
            let res = router.clone().oneshot(req).await.map_err(|e| AppError::internal(e.to_string()))?;
            let status = res.status();
            let body =
                to_bytes(res.into_body(), usize::MAX).await.map_err(|e| AppError::internal(e.to_string()))?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if !status.is_success() || body.len() < 1000 {
                return Err(AppError::internal(format!("page at offset {offset} answered {status}")));
            }
        }
        all_times.extend(times.iter().copied());
        let (p50, p95, b50) = (pct(times.clone(), 0.5), pct(times, 0.95), pct(bare, 0.5));
        let ratio = p50 / b50.max(0.001);
        table.push_str(&format!(
            "| offset {offset} | {p50:.1} | {p95:.1} | {b50:.1} | {ratio:.2}× | {} |\n",
            if ratio <= TARGET_RATIO { "ok" } else { "MISSED" }
        ));
    }
    let mean = all_times.iter().sum::<f64>() / all_times.len().max(1) as f64;
    table.push_str(&format!(
        "\n{:.0} requests/s one at a time ({} pages of 1000 orders, p95 {:.1} ms). Target: each page ≤ {TARGET_RATIO}× its bare SQL.\n",
        1000.0 / mean.max(0.001),
        all_times.len(),
        pct(all_times, 0.95)
    ));
    drop(conn);
    drop(router);
    report("api", &table)
}
