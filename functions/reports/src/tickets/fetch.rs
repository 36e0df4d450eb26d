//! Live fetch for Ticket tracking → By service: tickets of the window whose messages are not in the
//! database are fetched from their panel (at most 80 per request) and stored in `ticket_messages`,
//! so the next request reads only the database.

use std::time::Duration;

use libsql::params;
use serde::Serialize;

use shared::auth::PanelScope;
use shared::cache::ticket_messages;
use shared::crypto::Secret;
use shared::domain::panels;
use shared::pp::{AdminClient, ClientOptions};
use shared::{AppResult, AppState};

use super::TicketParams;
use crate::common::collect;

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
    let sc = scope.sql("t.panel_id", p.panel);
    if sc == "0" {
        return Ok(Vec::new());
    }
    let rows = conn
        .query(
            &format!(
                "SELECT t.panel_id, t.id, COALESCE(t.last_update, t.created) FROM tickets_cache t INDEXED BY tickets_cache_created
                 WHERE {sc} AND t.created >= ?1 AND t.created <= ?2 AND t.messages_synced IS NULL
                 AND NOT EXISTS (SELECT 1 FROM ticket_messages m WHERE m.panel_id = t.panel_id AND m.ticket_id = t.id)
                 ORDER BY t.created DESC, t.panel_id, t.id"
            ),
            params![now - p.window_hours * 3600, now],
        )
        .await?;
    collect(rows, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).await
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
