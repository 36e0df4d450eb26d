//! Replying to a ticket: forwarded to its panel through the admin API client, written to the activity
//! log, then the conversation re-read from the panel into `ticket_messages`. Used by the admin API's
//! `POST /tickets/{id}/reply` and by the console's ticket page.

use std::time::Duration;

use serde_json::Value;

use shared::audit::{self, Actor};
use shared::crypto::Secret;
use shared::domain::panels;
use shared::pp::rows::{MessageRow, TicketRow};
use shared::pp::{AdminClient, ClientOptions, PpError};
use shared::{AppError, AppResult, AppState};

#[derive(Debug)]
pub struct Sent {
    /// Messages cached for the ticket after the re-read (0 when the re-read failed).
    pub messages: i64,
    /// False when the panel took the reply but the re-read failed; the next sync brings it.
    pub refreshed: bool,
}

/// Sends `text` as a reply signed `staff_name` to ticket `ticket_id` of panel `panel_id`.
pub async fn send(
    state: &AppState,
    panel_id: i64,
    ticket_id: i64,
    text: &str,
    staff_name: &str,
    actor: &Actor<'_>,
) -> AppResult<Sent> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::bad_request("The reply is empty; write a message first."));
    }
    if text.chars().count() > 10_000 {
        return Err(AppError::bad_request("The reply is longer than 10,000 characters."));
    }
    let panel = panels::get(&state.db, panel_id).await?.ok_or_else(|| AppError::not_found("That panel"))?;
    let (admin_key, _) = panels::keys(&state.db, &state.config.secret_key, panel_id).await?;
    let Some(admin_key) = admin_key else {
        return Err(AppError::bad_request(format!(
            "Panel {} has no Admin API key: set it in Panels settings.",
            panel.name
        )));
    };
    // One try only: a reply that timed out may still have been posted, and a retry would post it twice.
    let once = ClientOptions { attempts: 1, ..ClientOptions::default() }.for_app(state);
    let client = AdminClient::new(&panel.base_url, Secret::new(admin_key.clone()), &once)
        .map_err(|e| AppError::Upstream(format!("Panel {}: {e}", panel.name)))?;
    client.reply(ticket_id, text, staff_name).await.map_err(|e| match e {
        PpError::Status(404) | PpError::Api { code: 404, .. } => {
            AppError::NotFound(format!("Ticket {ticket_id} was not found on panel {}.", panel.name))
        }
        PpError::Status(400) => AppError::bad_request(format!("Panel {} refused the reply.", panel.name)),
        PpError::Api { code: 400, message } => {
            AppError::bad_request(format!("Panel {} refused the reply: {message}", panel.name))
        }
        other => AppError::Upstream(format!("Panel {} did not take the reply: {other}", panel.name)),
    })?;
    let details = format!(
        "Ticket #{ticket_id} on {}: replied as {staff_name} ({} characters)",
        panel.name,
        text.chars().count()
    );
    audit::record(&state.db, actor, "ticket.replied", &details, Some(panel_id)).await?;
    let retry = ClientOptions { timeout: Duration::from_secs(10), attempts: 2, ..ClientOptions::default() }
        .for_app(state);
    match refresh(state, &panel.base_url, admin_key, panel_id, ticket_id, &retry).await {
        Ok(n) => Ok(Sent { messages: n, refreshed: true }),
        Err(e) => {
            tracing::warn!(panel = panel_id, ticket = ticket_id, error = %e, "ticket not re-read after reply");
            Ok(Sent { messages: 0, refreshed: false })
        }
    }
}

async fn refresh(
    state: &AppState,
    base_url: &str,
    key: String,
    panel_id: i64,
    ticket_id: i64,
    opts: &ClientOptions,
) -> AppResult<i64> {
    let client =
        AdminClient::new(base_url, Secret::new(key), opts).map_err(|e| AppError::Upstream(e.to_string()))?;
    let detail = client.ticket(ticket_id).await.map_err(|e| AppError::Upstream(e.to_string()))?;
    let ticket = TicketRow::parse(&detail).map_err(AppError::Upstream)?;
    let messages: Vec<MessageRow> = match detail.get("messages") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|m| match MessageRow::parse(m) {
                Ok(m) => Some(m),
                Err(why) => {
                    tracing::warn!(panel = panel_id, ticket = ticket_id, why, "message skipped");
                    None
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    shared::cache::tickets::store_detail(&state.db, panel_id, &ticket, &messages).await
}
