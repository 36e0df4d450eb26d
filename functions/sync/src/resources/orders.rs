//! Orders, in two phases per cycle.
//! 1. New orders: `created_from = <newest seen>`, `sort=date-asc`, offset paging from there. Orders
//!    created while we page land after the ones we read, so offsets stay valid; the newest second is
//!    re-read at the start of the next cycle (an upsert, never a duplicate). The next page is requested
//!    while the current one is written.
//! 2. Open orders: cached orders not final yet are re-checked by id, in batches of up to 1000 walked in
//!    id order, so status, remains and last update are current within one interval until the order is
//!    final: every order that moves on its own (pending, processing, in progress…) on every cycle,
//!    however old: a slow service delivers for weeks, and a stuck order is the one an owner chases.
//!    Failed and errored orders wait for staff to resend or cancel them: those of the last day (on the
//!    panel's clock) every cycle, older ones every 30 minutes. Unchanged rows are not rewritten.

use std::collections::{HashMap, VecDeque};

use libsql::{params, Value as Sql};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use shared::cache::orders::values;
use shared::domain::sync::Resource;
use shared::pp::OrdersPage;
use shared::time::now_ms;

use super::{
    catch_up, count_new_stmt, ids_of_rows, keep_parsed, position_stmt, returned_count, Ctx, Prefetch, Step,
};
use crate::error::SyncError;
use shared::cache::orders::FINAL_SQL;

use crate::upsert::{moved, upsert};

pub use shared::cache::orders::TABLE;

/// Failed and errored orders younger than this (than the newest order seen) are re-checked every cycle.
const FAILED_SECS: i64 = 86_400;
/// Older failed and errored orders are included in a re-check pass at most this often.
const OLD_RECHECK_MS: i64 = 30 * 60 * 1000;

#[derive(Serialize, Deserialize, Default, Debug)]
struct Position {
    #[serde(default)]
    from: i64,
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    max_ts: i64,
    /// "new" or "open".
    #[serde(default)]
    phase: String,
    /// Re-check pass: the last order id done, whether this pass includes old failed and errored
    /// orders, and when the last pass that did started (ms).
    #[serde(default)]
    open_after: i64,
    #[serde(default)]
    with_old: bool,
    #[serde(default)]
    old_pass_at: i64,
    /// Orders skipped with a readable id (a garbled creation time), asked for again by id at the start
    /// of each re-check pass until they read, or the panel no longer returns them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    unreadable: Vec<i64>,
    /// This pass asked for them already.
    #[serde(default)]
    unreadable_tried: bool,
}

/// Unreadable orders remembered at most (one request asks for all of them).
const MAX_UNREADABLE: usize = 1000;

fn remember_unreadable(p: &mut Position, ids: Vec<i64>) {
    p.unreadable.extend(ids);
    p.unreadable.sort_unstable();
    p.unreadable.dedup();
    p.unreadable.truncate(MAX_UNREADABLE);
}

fn new_orders_query(p: &Position, page_size: i64) -> Vec<(&'static str, String)> {
    vec![
        ("limit", page_size.to_string()),
        ("offset", p.offset.to_string()),
        ("created_from", p.from.to_string()),
        ("sort", "date-asc".into()),
        ("include", "last_update".into()),
    ]
}

/// Pages requested ahead at most: three keep the panel busy while a page is parsed and written.
const AHEAD: usize = 3;

/// The page for `query`: the one requested ahead if there is one, else a fresh request. Requests ahead
/// of it that no longer fit are dropped.
async fn fetch(ctx: &Ctx<'_>, query: &[(&'static str, String)]) -> Result<OrdersPage, SyncError> {
    let found = ctx.prefetch.lock().ok().and_then(|mut queue| {
        let at = queue.iter().position(|pre| pre.query == query)?;
        for stale in queue.drain(..at) {
            stale.page.abort();
        }
        queue.pop_front()
    });
    if let Some(pre) = found {
        return match pre.page.await {
            Ok(page) => Ok(page?),
            Err(e) => Err(SyncError::Setup(format!("a page request stopped: {e}"))),
        };
    }
    if let Ok(mut queue) = ctx.prefetch.lock() {
        for stale in queue.drain(..) {
            stale.page.abort();
        }
    }
    Ok(ctx.admin()?.list_orders(query).await?)
}

/// Asks for the page of `query` now, unless it is already on its way or enough are.
fn request_ahead(ctx: &Ctx<'_>, query: Vec<(&'static str, String)>) {
    let Ok(admin) = ctx.admin().cloned() else { return };
    let Ok(mut queue) = ctx.prefetch.lock() else { return };
    if queue.len() >= AHEAD || queue.iter().any(|pre| pre.query == query) {
        return;
    }
    let q = query.clone();
    let page = tokio::spawn(async move { admin.list_orders(&q).await });
    queue.push_back(Prefetch { query, page });
}

/// Lets the requests just asked for ahead go out before this task blocks its thread writing a page
/// (SQLite calls run on the calling thread). Tokio runs a task spawned from a worker next on that same
/// worker, and no other worker may take it from there: without this yield the next page was only
/// requested once this one was written, and a million-order sync spent a quarter of its time waiting.
async fn let_ahead_start() {
    tokio::task::yield_now().await;
}

pub async fn step(ctx: &Ctx<'_>, position: &Value) -> Result<Step, SyncError> {
    let mut p: Position = serde_json::from_value(position.clone()).unwrap_or_default();
    if p.phase == "open" {
        return recheck(ctx, p).await;
    }
    let mut page = fetch(ctx, &new_orders_query(&p, ctx.page_size)).await?;
    let received = page.rows.len() as i64;
    remember_unreadable(&mut p, std::mem::take(&mut page.unreadable));
    let (rows, skipped) = keep_parsed(ctx.panel_id, Resource::Orders, p.offset, page.rows);
    let t = now_ms();
    // A creation time in the future (a panel's clock, a garbled row) would move the next run's
    // `created_from` past every order still to come: such a row is stored, but does not move the position.
    let latest_believable = shared::time::now() + 86_400;
    p.max_ts =
        p.max_ts.max(rows.iter().map(|o| o.created).filter(|c| *c <= latest_believable).max().unwrap_or(0));
    let fetched = p.offset + received;
    let total = page.count.unwrap_or(fetched);
    let mut first_cycle_done = false;
    if page.has_next {
        p.offset += received;
        request_ahead(ctx, new_orders_query(&p, ctx.page_size));
        let_ahead_start().await;
    } else if p.from == 0 {
        // The first full cycle just read every order: nothing is stale enough to re-check yet.
        p = Position {
            from: p.max_ts,
            max_ts: p.max_ts,
            phase: "new".into(),
            old_pass_at: now_ms(),
            unreadable: std::mem::take(&mut p.unreadable),
            ..Position::default()
        };
        first_cycle_done = true;
    } else {
        let with_old = now_ms() - p.old_pass_at >= OLD_RECHECK_MS;
        p = Position {
            from: p.max_ts,
            offset: 0,
            max_ts: p.max_ts,
            phase: "open".into(),
            open_after: 0,
            with_old,
            old_pass_at: if with_old { now_ms() } else { p.old_pass_at },
            unreadable: std::mem::take(&mut p.unreadable),
            unreadable_tried: false,
        };
    }
    let mut step = Step {
        position: serde_json::to_value(&p).unwrap_or_default(),
        received,
        fetched: Some(fetched),
        total: Some(total),
        skipped,
        done: first_cycle_done,
        cached: None,
    };
    // A catch-up is considered once per run, on its first page with more to come: what is left only
    // shrinks from there.
    let begun = if page.has_next
        && !ctx.catch_up_considered.swap(true, std::sync::atomic::Ordering::Relaxed)
        && !ctx.catch_up.lock().map(|c| c.is_some()).unwrap_or(false)
        && catch_up::worth_it(ctx.conn, total - fetched, ctx.catch_up_rows).await?
    {
        Some(catch_up::begin(&ctx.state.db))
    } else {
        None
    };
    let sql_rows: Vec<Vec<Sql>> = rows.into_iter().map(|o| values(ctx.panel_id, t, o)).collect();
    // The page's rows, their count and its position in one write: the indexes go in the same one.
    let (begun, mut stmts) = match begun {
        Some((guard, drops)) => (Some(guard), drops),
        None => (None, Vec::new()),
    };
    let count_at = stmts.len();
    stmts.push(count_new_stmt(TABLE.name, ctx.panel_id, Resource::Orders, &ids_of_rows(&sql_rows)));
    stmts.extend(upsert(&TABLE, sql_rows));
    stmts.push(position_stmt(ctx.panel_id, Resource::Orders, &step));
    let mut results = ctx.conn.write_batch(stmts).await?;
    step.cached = returned_count(&mut results, count_at).await?;
    if let Some(begun) = begun {
        tracing::info!(
            panel = ctx.panel_id,
            remaining = total - fetched,
            "catching up without the scattered-key indexes"
        );
        if let Ok(mut c) = ctx.catch_up.lock() {
            *c = Some(begun);
        }
    }
    // The newest order is in: the indexes come back before the run goes on to anything else. The
    // page is stored either way; if they cannot be built now, the run's end tries again.
    if !page.has_next && ctx.catch_up.lock().ok().and_then(|mut c| c.take()).is_some() {
        if let Err(e) = catch_up::put_back(&ctx.state.db, ctx.conn, Some(ctx.panel_id)).await {
            tracing::warn!(panel = ctx.panel_id, error = %e, "could not rebuild the orders' search indexes yet");
        }
    }
    if step.done {
        measure_speeds(ctx).await;
    }
    Ok(step)
}

/// A cycle is done: the services' measured speeds are summed again if they are older than
/// `speeds::REFRESH_SECS`. The orders are stored whatever happens here, so a failure is only logged.
async fn measure_speeds(ctx: &Ctx<'_>) {
    if let Err(e) = shared::cache::speeds::refresh(ctx.conn, ctx.panel_id, shared::time::now(), false).await {
        tracing::warn!(panel = ctx.panel_id, error = %e, "could not measure the services' speeds");
    }
}

/// An open order as the cache holds it: its id and the fingerprint of its stored row.
type Held = (i64, Option<i64>);

/// The next batch of open orders to re-check after `after`, in id order (read from the open-orders
/// index alone).
async fn open_batch(
    conn: &shared::db::Conn,
    ctx: &Ctx<'_>,
    p: &Position,
    after: i64,
) -> Result<Vec<Held>, SyncError> {
    let mut rows = conn
        .query(
            &format!(
                "SELECT id, fingerprint FROM orders_cache WHERE panel_id = ?1 AND status NOT IN {FINAL_SQL}
                 AND id > ?2 AND (status NOT IN ('fail', 'error') OR ?3 OR created > ?4) ORDER BY id LIMIT ?5"
            ),
            params![ctx.panel_id, after, p.with_old as i64, p.max_ts - FAILED_SECS, ctx.page_size.min(1000)],
        )
        .await?;
    let mut batch = Vec::new();
    while let Some(r) = rows.next().await? {
        batch.push((r.get::<i64>(0)?, r.get::<Option<i64>>(1)?));
    }
    Ok(batch)
}

/// Batches of the re-check pass under way already read from the cache in this run, the first one
/// starting after `after`: each step then reads one batch, the farthest, not every batch it asks for
/// ahead. Nothing else writes open orders ahead of the pass, so what was read stays true.
#[derive(Default)]
pub struct KnownBatches {
    pass: (bool, i64),
    after: i64,
    batches: VecDeque<Vec<Held>>,
}

fn ids_of(batch: &[Held]) -> Vec<i64> {
    batch.iter().map(|h| h.0).collect()
}

fn ids_query(ids: &[i64]) -> Vec<(&'static str, String)> {
    let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    vec![("ids", list.join(",")), ("limit", ids.len().to_string()), ("include", "last_update".into())]
}

/// The orders skipped for an unreadable creation time, asked for again by id: the ones that read now
/// are stored; the ones still unreadable wait for the next pass; the ones the panel no longer returns
/// are forgotten.
async fn retry_unreadable(ctx: &Ctx<'_>, mut p: Position) -> Result<Step, SyncError> {
    let mut page = fetch(ctx, &ids_query(&p.unreadable)).await?;
    p.unreadable = std::mem::take(&mut page.unreadable);
    p.unreadable_tried = true;
    let received = page.rows.len() as i64;
    // Still unreadable ones are logged again but not counted again: they were counted when skipped.
    let (orders, _) = keep_parsed(ctx.panel_id, Resource::Orders, 0, page.rows);
    let t = now_ms();
    let rows: Vec<Vec<Sql>> = orders.into_iter().map(|o| values(ctx.panel_id, t, o)).collect();
    let mut step =
        Step { position: serde_json::to_value(&p).unwrap_or_default(), received, ..Step::default() };
    let mut stmts = vec![count_new_stmt(TABLE.name, ctx.panel_id, Resource::Orders, &ids_of_rows(&rows))];
    stmts.extend(upsert(&TABLE, rows));
    stmts.push(position_stmt(ctx.panel_id, Resource::Orders, &step));
    let mut results = ctx.conn.write_batch(stmts).await?;
    step.cached = returned_count(&mut results, 0).await?;
    Ok(step)
}

async fn recheck(ctx: &Ctx<'_>, mut p: Position) -> Result<Step, SyncError> {
    if p.open_after == 0 && !p.unreadable_tried && !p.unreadable.is_empty() {
        return retry_unreadable(ctx, p).await;
    }
    let conn = ctx.conn;
    let limit = ctx.page_size.min(1000);
    let pass = (p.with_old, p.max_ts);
    let mut known = ctx.known.lock().map(|mut k| std::mem::take(&mut *k)).unwrap_or_default();
    if known.pass != pass || known.after != p.open_after {
        known = KnownBatches { pass, after: p.open_after, batches: VecDeque::new() };
    }
    if known.batches.is_empty() {
        known.batches.push_back(open_batch(conn, ctx, &p, p.open_after).await?);
    }
    // This batch and the AHEAD after it, as far as the pass goes (a short batch is its last).
    while known.batches.len() <= AHEAD {
        let Some(after) = known.batches.back().filter(|b| b.len() as i64 >= limit).and_then(|b| b.last())
        else {
            break;
        };
        let batch = open_batch(conn, ctx, &p, after.0).await?;
        if batch.is_empty() {
            break;
        }
        known.batches.push_back(batch);
    }
    let batch = known.batches.pop_front().unwrap_or_default();
    let mut step = Step::default();
    let mut rows: Vec<Vec<Sql>> = Vec::new();
    if let Some(&(last, _)) = batch.last() {
        let page = fetch(ctx, &ids_query(&ids_of(&batch))).await?;
        // The batches after this one are already known: ask for them while this one is written.
        for ahead in known.batches.iter().take(AHEAD) {
            request_ahead(ctx, ids_query(&ids_of(ahead)));
        }
        let_ahead_start().await;
        step.received = page.rows.len() as i64;
        let (orders, skipped) = keep_parsed(ctx.panel_id, Resource::Orders, 0, page.rows);
        step.skipped = skipped;
        p.open_after = last;
        let fetched_rows = orders.into_iter().map(|o| values(ctx.panel_id, now_ms(), o)).collect();
        // Most open orders did not move since the last pass: write only those that did.
        let held: HashMap<i64, Option<i64>> = batch.iter().copied().collect();
        rows = moved(fetched_rows, &held);
        // An order the panel did not return is skipped for this pass, so one missing order cannot stall it.
        step.done = (batch.len() as i64) < limit || known.batches.is_empty();
    } else {
        step.done = true;
    }
    finish_pass(&mut p, step.done);
    if !step.done {
        known.after = p.open_after;
        if let Ok(mut k) = ctx.known.lock() {
            *k = known;
        }
    }
    step.position = serde_json::to_value(&p).unwrap_or_default();
    // Every id came from the cache: none is new to it, and the stored count stays.
    let mut stmts = upsert(&TABLE, rows);
    stmts.push(position_stmt(ctx.panel_id, Resource::Orders, &step));
    conn.write_batch(stmts).await?;
    if step.done {
        measure_speeds(ctx).await;
    }
    Ok(step)
}

fn finish_pass(p: &mut Position, done: bool) {
    if done {
        p.phase = "new".into();
        p.open_after = 0;
        p.unreadable_tried = false;
    }
}
