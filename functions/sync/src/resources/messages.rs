//! Ticket messages: every ticket whose conversation changed since we last read it (new, or its
//! `last_update` moved) is fetched with `GET /tickets/{id}` and its messages replaced in one transaction
//! (the fetching itself lives in `shared::cache::ticket_messages`, shared with the reports).

use serde_json::json;

use shared::cache::ticket_messages::{self, FetchError};

use shared::db::Stmt;

use super::{Ctx, Step, LEASE_HEARTBEAT_SECS};
use crate::error::SyncError;

impl From<FetchError> for SyncError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Panel(p) => SyncError::Panel(p),
            FetchError::App(a) => SyncError::App(a),
        }
    }
}

pub async fn step(ctx: &Ctx<'_>) -> Result<Step, SyncError> {
    let admin = ctx.admin()?;
    let batch = ticket_messages::stale_tickets(ctx.conn, ctx.panel_id, ctx.page_size).await?;
    let (stored, skipped) =
        ticket_messages::fetch_and_store(&ctx.state.db, admin, ctx.panel_id, &batch).await?;
    let mut results = ctx.conn.write_batch(vec![position_with_progress(ctx.panel_id, skipped)]).await?;
    let (current, tickets, cached) = match results.first_mut() {
        Some(rows) => match rows.next().await? {
            Some(r) => (r.get(0)?, r.get(1)?, r.get(2)?),
            None => (0, 0, 0),
        },
        None => (0, 0, 0),
    };
    Ok(Step {
        position: json!({}),
        received: stored,
        fetched: Some(current),
        total: Some(tickets),
        skipped,
        done: (batch.len() as i64) < ctx.page_size,
        cached: Some(cached),
    })
}

/// The step's position statement, with its progress worked out where the data is: conversations read
/// of all tickets (the first sync of a big panel's messages is one request per ticket, the slowest
/// resource, so it shows its progress like the others). The stored count moves with every stored
/// conversation (`ticket_messages::store`); it comes back with the progress.
fn position_with_progress(panel_id: i64, skipped: i64) -> Stmt {
    let stale = ticket_messages::STALE;
    Stmt::new(
        format!(
            "UPDATE sync_state SET position = '{{}}', fetched = p.current, total = p.tickets,
                    skipped = skipped + :skipped, last_fetched_at = :now, lease_until = MAX(lease_until, :now + :hold)
             FROM (SELECT COALESCE(SUM(NOT {stale}), 0) AS current, COUNT(*) AS tickets
                   FROM tickets_cache WHERE panel_id = :panel) AS p
             WHERE panel_id = :panel AND resource = 'ticket_messages'
             RETURNING fetched, total, cached"
        ),
        libsql::named_params! {
            ":panel": panel_id,
            ":skipped": skipped,
            ":now": shared::time::now(),
            ":hold": LEASE_HEARTBEAT_SECS,
            ":reread": ticket_messages::REREAD_OPEN_SECS,
        },
    )
}
