//! `panelops bench export`: `GET /orders.csv` of every order of a 1,000,000-order cache through the real
//! router as the owner, the body read chunk by chunk and dropped (as a client saving the file would),
//! with the peak RSS of the process during the export next to its RSS before it. The export streams
//! keyset pages of 1,000 rows, so the peak should not grow with the number of orders.
//! Run it on a release build: `cargo run --release -- bench export`.

use std::time::Instant;

use axum::body::Body;
use axum::http::{header, Request};
use futures_util::StreamExt;
use shared::auth::session;
use shared::{AppError, AppResult};
use tower::ServiceExt;

use super::cache_data::BenchDb;
use super::report;

/// What the export may add to the process's resident memory, whatever the number of orders.
const TARGET_GROWTH_MB: f64 = 64.0;

pub async fn export(orders: u64) -> AppResult<()> {
    let bench = BenchDb::open("export", orders).await?;
    let state = &bench.state;
    let owner = super::bench_owner(state).await?;
    let s = session::create(&state.db, &state.config, owner, "127.0.0.1", "bench").await?;
    let router = crate::server::router(state);
    let base_rss = super::sync::current_rss_mb();
    super::sync::reset_peak_rss();
    let req = Request::get("/orders.csv")
        .header(header::COOKIE, format!("po_session={}", s.token))
        .body(Body::empty())
        .map_err(|e| AppError::internal(e.to_string()))?;
    let t = Instant::now();
    let res = router.oneshot(req).await.map_err(|e| AppError::internal(e.to_string()))?;
    let status = res.status();
    let mut body = res.into_body().into_data_stream();
    let (mut bytes, mut lines, mut chunks, mut biggest) = (0usize, 0usize, 0usize, 0usize);
    let base_anon = super::sync::status_mb("RssAnon:");
    let mut peak_anon = base_anon;
    while let Some(data) = body.next().await {
        // The heap's share of the resident memory, sampled at every chunk: the file pages SQLite maps
        // (mmap_size 1 GB) count in the high-water mark too, but the kernel takes them back at will.
        peak_anon = peak_anon.max(super::sync::status_mb("RssAnon:"));
        let data = data.map_err(|e| AppError::internal(format!("the export stopped: {e}")))?;
        bytes += data.len();
        lines += data.iter().filter(|b| **b == b'\n').count();
        chunks += 1;
        biggest = biggest.max(data.len());
    }
    let secs = t.elapsed().as_secs_f64();
    let peak = super::sync::peak_rss_mb();
    if !status.is_success() || lines != orders as usize + 1 {
        return Err(AppError::internal(format!(
            "the export answered {status} with {lines} lines for {orders} orders"
        )));
    }
    let growth = peak_anon - base_anon;
    // What the sync adds after an orders cycle, at most every 10 minutes per panel: the services'
    // measured speeds summed again over the last 7 days of completed orders.
    let conn = state.db.connect().await?;
    let mut rows = conn.query("SELECT id FROM panels WHERE name = 'Bench'", ()).await?;
    let panel: i64 = match rows.next().await? {
        Some(r) => r.get(0)?,
        None => return Err(AppError::internal("the bench panel is missing")),
    };
    drop(rows);
    let t = Instant::now();
    shared::cache::speeds::refresh(&conn, panel, bench.now, true).await?;
    let refresh_ms = t.elapsed().as_secs_f64() * 1000.0;
    drop(conn);
    let table = format!(
        "| measure | value | target |\n|---|---|---|\n\
         | orders exported | {orders} | every one |\n\
         | time | {secs:.1} s ({:.0} rows/s) | |\n\
         | size | {:.1} MB in {chunks} chunks (largest {:.0} KB) | |\n\
         | RSS before the export | {base_rss:.0} MB | |\n\
         | peak RSS during the export (high-water mark, with the file pages SQLite maps) | {peak:.0} MB | |\n\
         | anonymous RSS (heap) before → peak during the export | {base_anon:.0} → {peak_anon:.0} MB | growth ≤ {TARGET_GROWTH_MB:.0} MB: {} |\n\
         | measured speeds summed again (the sync's refresh, 7 days of completed orders) | {refresh_ms:.0} ms | |\n\
         \nThe export streams keyset pages of 1,000 rows written while the next is read; the body was read \
         frame by frame and dropped. On AWS Lambda the response is buffered and capped at 6 MB: there an \
         export stops at 5.5 MB with a last line saying so.\n",
        orders as f64 / secs.max(0.001),
        bytes as f64 / 1e6,
        biggest as f64 / 1e3,
        if growth <= TARGET_GROWTH_MB { "ok" } else { "MISSED" }
    );
    drop(bench);
    report("export", &table)
}
