//! One module per resource. Each `step` fetches one page (or batch), and writes its rows together with
//! the resource's new position in one transaction: a run killed at any instant loses nothing and, since
//! rows are upserted by (panel, id), duplicates nothing.

pub mod catch_up;
pub mod competitors;
pub mod messages;
pub mod orders;
pub mod paged;
pub mod services;

use std::sync::{Arc, Mutex};

use libsql::params;
use serde_json::Value;

use shared::db::{Rows, Stmt};
use shared::domain::sync::Resource;
use shared::pp::{AdminClient, ClientOptions, OrdersPage, PpError, PublicClient};
use shared::AppState;

use crate::error::SyncError;

pub struct Ctx<'a> {
    pub state: &'a AppState,
    /// The resource's connection for the whole run: its page cache stays warm from page to page.
    pub conn: &'a shared::db::Conn,
    pub panel_id: i64,
    pub admin: Option<Arc<AdminClient>>,
    pub public: Option<&'a PublicClient>,
    pub page_size: i64,
    /// Timeouts and retries for clients a resource makes itself (competitor panels).
    pub client: ClientOptions,
    /// The next pages, already on their way while this one is written (orders), oldest first.
    pub prefetch: Mutex<std::collections::VecDeque<Prefetch>>,
    /// The open orders' batches already read for the re-check pass under way (orders).
    pub known: Mutex<orders::KnownBatches>,
    /// Orders still to fetch from which a catch-up leaves the scattered-key indexes off.
    pub catch_up_rows: i64,
    /// Whether this run has considered a catch-up already (once: what is left only shrinks).
    pub catch_up_considered: std::sync::atomic::AtomicBool,
    /// The catch-up under way (orders).
    pub catch_up: Mutex<Option<catch_up::CatchUp>>,
}

/// A page requested ahead, with the query it answers.
pub struct Prefetch {
    pub query: Vec<(&'static str, String)>,
    pub page: tokio::task::JoinHandle<Result<OrdersPage, PpError>>,
}

/// A run that ends (its budget spent, an error) stops the pages it asked for ahead: they would still
/// spend the panel's requests.
impl Drop for Ctx<'_> {
    fn drop(&mut self) {
        if let Ok(queue) = self.prefetch.get_mut() {
            for ahead in queue.drain(..) {
                ahead.page.abort();
            }
        }
    }
}

impl Ctx<'_> {
    pub fn admin(&self) -> Result<&Arc<AdminClient>, SyncError> {
        self.admin
            .as_ref()
            .ok_or_else(|| SyncError::Setup("No Admin API key: set one in Panels to sync this panel.".into()))
    }
}

/// What one step did.
#[derive(Debug, Default)]
pub struct Step {
    pub position: Value,
    /// Rows received this step.
    pub received: i64,
    /// Progress of the current cycle: rows fetched so far of the total the panel reports.
    pub fetched: Option<i64>,
    pub total: Option<i64>,
    pub skipped: i64,
    /// The resource is caught up: the run may stop here.
    pub done: bool,
    /// The rows the cache holds now, where the step knows it (stored with its rows).
    pub cached: Option<i64>,
}

/// Parses every raw row, logging and counting the ones that do not parse.
pub fn parse_all<T>(
    panel_id: i64,
    resource: Resource,
    offset: i64,
    rows: &[Value],
    parse: impl Fn(&Value) -> Result<T, String>,
) -> (Vec<T>, i64) {
    let mut out = Vec::with_capacity(rows.len());
    let mut skipped = 0;
    for (k, row) in rows.iter().enumerate() {
        match parse(row) {
            Ok(r) => out.push(r),
            Err(reason) => {
                skipped += 1;
                tracing::warn!(panel_id, resource = resource.as_str(), position = offset + k as i64, %reason, "skipped a malformed row");
            }
        }
    }
    (out, skipped)
}

/// Keeps the rows that parsed, logging and counting the ones that did not (as `parse_all`).
pub fn keep_parsed<T>(
    panel_id: i64,
    resource: Resource,
    offset: i64,
    rows: Vec<Result<T, String>>,
) -> (Vec<T>, i64) {
    let mut out = Vec::with_capacity(rows.len());
    let mut skipped = 0;
    for (k, row) in rows.into_iter().enumerate() {
        match row {
            Ok(r) => out.push(r),
            Err(reason) => {
                skipped += 1;
                tracing::warn!(panel_id, resource = resource.as_str(), position = offset + k as i64, %reason, "skipped a malformed row");
            }
        }
    }
    (out, skipped)
}

/// How long a run's hold on a resource lasts past its last stored page: a run that was killed (a
/// stopped `panelops sync`, a Lambda timeout) blocks the next one for at most this long.
pub const LEASE_HEARTBEAT_SECS: i64 = 180;

/// The statement that stores the step's position and progress, in the same write batch as its rows,
/// and renews the run's hold on the resource.
pub fn position_stmt(panel_id: i64, resource: Resource, step: &Step) -> Stmt {
    Stmt::new(
        "UPDATE sync_state SET position = ?1, fetched = COALESCE(?2, fetched), total = COALESCE(?3, total),
                skipped = skipped + ?4, last_fetched_at = ?5, lease_until = MAX(lease_until, ?5 + ?8),
                cached = COALESCE(?9, cached)
         WHERE panel_id = ?6 AND resource = ?7",
        params![
            step.position.to_string(),
            step.fetched,
            step.total,
            step.skipped,
            shared::time::now(),
            panel_id,
            resource.as_str(),
            LEASE_HEARTBEAT_SECS,
            step.cached
        ],
    )
}

/// The statement, to run just before the rows' upsert in the same write batch, that adds the rows of
/// `ids` not cached yet to the resource's stored count and returns the new count: Settings → Sync's
/// "Currently cached" moves with every page, exactly, without counting a big table.
pub fn count_new_stmt(table: &str, panel_id: i64, resource: Resource, ids: &[i64]) -> Stmt {
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    Stmt::new(
        format!(
            "UPDATE sync_state SET cached = cached + (SELECT COUNT(*) FROM json_each(?1) AS j
                 WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE panel_id = ?2 AND id = j.value))
             WHERE panel_id = ?2 AND resource = ?3 RETURNING cached"
        ),
        params![list, panel_id, resource.as_str()],
    )
}

/// The ids (second column) of rows about to be upserted.
/// The statement that sets the resource's stored count to `count_sql` (a `SELECT COUNT(*)` taking the
/// panel as `?1`) and returns it: for small tables, recounted in the same write as the rows.
pub fn recount_stmt(count_sql: &str, panel_id: i64, resource: Resource) -> Stmt {
    Stmt::new(
        format!("UPDATE sync_state SET cached = ({count_sql}) WHERE panel_id = ?1 AND resource = ?2 RETURNING cached"),
        params![panel_id, resource.as_str()],
    )
}

/// The distinct ids (second column) of rows about to be upserted: a row read twice (rows shifting
/// while a list is paged) is still one row.
pub fn ids_of_rows(rows: &[Vec<libsql::Value>]) -> Vec<i64> {
    let mut ids: Vec<i64> = rows
        .iter()
        .filter_map(|r| match r.get(1) {
            Some(libsql::Value::Integer(id)) => Some(*id),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The count a `count_new_stmt` returned, from its place in a write batch's results.
pub async fn returned_count(results: &mut [Rows], at: usize) -> Result<Option<i64>, SyncError> {
    let Some(rows) = results.get_mut(at) else { return Ok(None) };
    Ok(match rows.next().await? {
        Some(r) => Some(r.get(0)?),
        None => None,
    })
}

/// Runs one step of `resource`.
pub async fn step(resource: Resource, ctx: &Ctx<'_>, position: &Value) -> Result<Step, SyncError> {
    match resource {
        Resource::Orders => orders::step(ctx, position).await,
        Resource::Users => paged::step(&paged::USERS, ctx, position).await,
        Resource::Payments => paged::step(&paged::PAYMENTS, ctx, position).await,
        Resource::Tickets => paged::step(&paged::TICKETS, ctx, position).await,
        Resource::TicketMessages => messages::step(ctx).await,
        Resource::Services => services::step(ctx).await,
        Resource::Competitors => competitors::step(ctx, position).await,
    }
}
