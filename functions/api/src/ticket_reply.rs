//! Replying to a ticket: the panel's API does the sending; the console then has the ticket's
//! messages fetched again so the reply shows in the cached conversation.

use shared::crypto::Secret;
use shared::domain::{panels, sync};
use shared::pp::{AdminClient, ClientOptions};
use shared::{AppError, AppResult, AppState};

pub async fn send(
    state: &AppState,
    panel_id: i64,
    ticket_id: i64,
    text: &str,
    staff_name: &str,
) -> AppResult<()> {
    let panel = panels::get(&state.db, panel_id).await?.ok_or_else(|| AppError::not_found("That panel"))?;
    let (admin_key, _) = panels::keys(&state.db, &state.config.secret_key, panel_id).await?;
    let Some(key) = admin_key.filter(|k| !k.is_empty()) else {
        return Err(AppError::bad_request(
            "This panel has no Admin API key; set one in Panels to reply from here.",
        ));
    };
    // One try only: a reply is not idempotent, and a retry after a lost answer would post it twice.
    let opts = ClientOptions {
        attempts: 1,
        timeout: std::time::Duration::from_secs(15),
        ..ClientOptions::default()
    };
    let client = AdminClient::new(&panel.base_url, Secret::new(key), &opts)
        .map_err(|e| AppError::bad_request(format!("The panel's address is not usable: {e}")))?;
    client
        .reply(ticket_id, text, staff_name)
        .await
        .map_err(|e| AppError::Upstream(format!("The panel did not accept the reply: {e}")))?;
    // Mark the conversation stale and ask the sync for it now.
    let conn = state.db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    tx.execute(
        "UPDATE tickets_cache SET messages_synced = NULL WHERE panel_id = ?1 AND id = ?2",
        (panel_id, ticket_id),
    )
    .await?;
    tx.commit().await?;
    sync::request_run(&state.db, panel_id, Some(sync::Resource::TicketMessages)).await?;
    state.sync_kick.notify_one();
    Ok(())
}
