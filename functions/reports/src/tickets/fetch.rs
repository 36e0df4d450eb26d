//! Live fetch for Ticket tracking → By service: tickets of the window whose messages are not in the
//! database are fetched from their panel (at most 80 per request) and stored in `ticket_messages`,
//! so the next request reads only the database.

use std::time::Duration;

use libsql::params;
use serde::Serialize;

use shared::auth::PanelScope;
use shared::cache::ticket_messages;
use shared::crypto::Secret;
use shared::db::{Read, Reads, Stmt};
use shared::domain::panels;
use shared::pp::{AdminClient, ClientOptions};
use shared::{AppResult, AppState};

use super::{services, ServiceReport, TicketParams};

/// A ticket without messages: (panel, id, last update).
type Missing = (i64, i64, i64);

/// At most this many tickets are fetched live per request.
pub const LIVE_FETCH_CAP: usize = 80;

#[derive(Clone, Debug, Default, Serialize)]
pub struct FetchOutcome {
    /// Tickets whose conversations were fetched and stored.
    pub fetched: usize,
    /// Missing tickets left for a later request (over the cap, no key, or the panel failed).
    pub still_missing: usize,
    pub errors: Vec<String>,
}

/// What a page request may spend on a panel: short timeouts, few retries, the panel's usual throttle.
pub fn live_options() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(8),
        attempts: 2,
        backoff: Duration::from_millis(300),
        max_backoff: Duration::from_secs(2),
        ..ClientOptions::default()
    }
}

/// Tickets created in the window with no stored message and never fetched: (panel, id, last_update).
pub async fn missing(
    conn: &shared::db::Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<Vec<(i64, i64, i64)>> {
    let scope = &crate::common::explicit(conn, scope).await?;
    let mut reads = Reads::new();
    let Some(read) = missing_read(&mut reads, scope, p, now) else { return Ok(Vec::new()) };
    reads.run(conn).await?.all(read).await
}

/// [`missing`] as a read of a batch (None: nothing is in scope).
fn missing_read(reads: &mut Reads, scope: &PanelScope, p: &TicketParams, now: i64) -> Option<Read<Missing>> {
    let sc = scope.sql("t.panel_id", p.panel);
    if sc == "0" {
        return None;
    }
    let sql = format!(
        "SELECT t.panel_id, t.id, COALESCE(t.last_update, t.created) FROM tickets_cache t INDEXED BY tickets_cache_created
         WHERE {sc} AND t.created >= ?1 AND t.created <= ?2 AND t.messages_synced IS NULL
         AND NOT EXISTS (SELECT 1 FROM ticket_messages m WHERE m.panel_id = t.panel_id AND m.ticket_id = t.id)
         ORDER BY t.created DESC, t.panel_id, t.id"
    );
    Some(reads.add(Stmt::new(sql, params![now - p.window_hours * 3600, now]), |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    }))
}

/// By service with its live fetch: the report and the missing tickets are read in one round trip;
/// only when some are missing are they fetched and the report read again.
pub async fn by_service_fetching(
    state: &AppState,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
    cap: usize,
    opts: &ClientOptions,
) -> AppResult<(ServiceReport, FetchOutcome)> {
    let conn = state.db.connect().await?;
    let scope = &crate::common::explicit(&conn, scope).await?;
    let mut reads = Reads::new();
    let missing = missing_read(&mut reads, scope, p, now);
    let service = services::add_reads(&mut reads, scope, p, now);
    let mut done = reads.run(&conn).await?;
    let missing = match missing {
        Some(read) => done.all(read).await?,
        None => Vec::new(),
    };
    if missing.is_empty() {
        return Ok((services::finish(&conn, &mut done, service).await?, FetchOutcome::default()));
    }
    drop((done, conn));
    let outcome = fetch_these(state, missing, cap, opts).await?;
    // A new connection: the panel calls may have outlasted a remote stream.
    let conn = state.db.connect().await?;
    Ok((services::by_service(&conn, scope, p, now).await?, outcome))
}

/// Fetches up to `cap` missing conversations, panel by panel; a panel without a key or that fails is
/// reported, not fatal.
pub async fn fetch_missing(
    state: &AppState,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
    cap: usize,
    opts: &ClientOptions,
) -> AppResult<FetchOutcome> {
    let conn = state.db.connect().await?;
    let all = missing(&conn, scope, p, now).await?;
    drop(conn);
    fetch_these(state, all, cap, opts).await
}

/// Fetches the first `cap` of these missing conversations.
async fn fetch_these(
    state: &AppState,
    all: Vec<Missing>,
    cap: usize,
    opts: &ClientOptions,
) -> AppResult<FetchOutcome> {
    let mut out = FetchOutcome { still_missing: all.len(), ..Default::default() };
    let take: Vec<(i64, i64, i64)> = all.into_iter().take(cap).collect();
    let mut panel_ids: Vec<i64> = take.iter().map(|t| t.0).collect();
    panel_ids.sort_unstable();
    panel_ids.dedup();
    for panel_id in panel_ids {
        let batch: Vec<(i64, i64)> = take.iter().filter(|t| t.0 == panel_id).map(|t| (t.1, t.2)).collect();
        let Some(panel) = panels::get(&state.db, panel_id).await? else { continue };
        let (admin_key, _) = panels::keys(&state.db, &state.config.secret_key, panel_id).await?;
        let Some(key) = admin_key.filter(|k| !k.is_empty()) else {
            out.errors
                .push(format!("{}: no Admin API key, so its ticket messages cannot be fetched.", panel.name));
            continue;
        };
        let admin = match AdminClient::new(&panel.base_url, Secret::new(key), &opts.clone().for_app(state)) {
            Ok(a) => a,
            Err(e) => {
                out.errors.push(format!("{}: {e}", panel.name));
                continue;
            }
        };
        match ticket_messages::fetch_and_store(&state.db, &admin, panel_id, &batch).await {
            Ok(_) => {
                out.fetched += batch.len();
                out.still_missing -= batch.len();
            }
            Err(e) => {
                tracing::warn!(panel_id, error = %e, "live fetch of ticket messages failed");
                out.errors.push(format!("{}: {e}", panel.name));
            }
        }
    }
    Ok(out)
}
