//! Ticket messages: every ticket whose conversation changed since we last read it (new, or its
//! `last_update` moved) is fetched with `GET /tickets/{id}` and its messages replaced in one transaction
//! (the fetching itself lives in `shared::domain::ticket_messages`, shared with the reports).

use serde_json::json;

use shared::domain::sync::Resource;
use shared::domain::ticket_messages::{self, FetchError};

use super::{save_position, Ctx, Step};
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
    let conn = ctx.state.db.connect().await?;
    let batch = ticket_messages::stale_tickets(&conn, ctx.panel_id, ctx.page_size).await?;
    let (stored, skipped) =
        ticket_messages::fetch_and_store(&ctx.state.db, admin, ctx.panel_id, &batch).await?;
    // Conversations read of all tickets: the first sync of a big panel's messages is one request per
    // ticket, the slowest resource, so it shows its progress like the others.
    let (current, tickets) = ticket_messages::conversations_current(&conn, ctx.panel_id).await?;
    let step = Step {
        position: json!({}),
        received: stored,
        fetched: Some(current),
        total: Some(tickets),
        skipped,
        done: (batch.len() as i64) < ctx.page_size,
        changed: None,
        cached: Some(super::cached_count(&conn, ctx.panel_id, Resource::TicketMessages).await?),
    };
    let tx = shared::db::write_tx(&conn).await?;
    save_position(&tx, ctx.panel_id, Resource::TicketMessages, &step).await?;
    tx.commit().await?;
    Ok(step)
}
