//! Ticket messages: every ticket whose conversation changed since we last read it (new, or its
//! `last_update` moved) is fetched with `GET /tickets/{id}` and its messages replaced in one transaction.

use libsql::{params, Connection, Value as Sql};
use serde_json::{json, Value};

use shared::db::Db;
use shared::domain::sync::Resource;
use shared::pp::rows::MessageRow;
use shared::pp::{AdminClient, PpError};
use shared::AppResult;

use super::{parse_all, save_position, Ctx, Step};
use crate::error::SyncError;

/// Tickets of a panel whose messages are missing or stale, most recently active first.
pub async fn stale_tickets(conn: &Connection, panel_id: i64, limit: i64) -> AppResult<Vec<(i64, i64)>> {
    let mut rows = conn
        .query(
            "SELECT id, COALESCE(last_update, created) FROM tickets_cache
             WHERE panel_id = ?1 AND (messages_synced IS NULL OR messages_synced < COALESCE(last_update, created))
             ORDER BY COALESCE(last_update, created) DESC LIMIT ?2",
            params![panel_id, limit],
        )
        .await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push((r.get(0)?, r.get(1)?));
    }
    Ok(out)
}

/// Fetches and stores the conversations of `tickets` ((id, last_update) pairs). Returns how many
/// messages were stored and how many malformed ones were skipped. Used by the sync and by reports'
/// live fetch of missing messages.
pub async fn fetch_and_store(
    db: &Db,
    admin: &AdminClient,
    panel_id: i64,
    tickets: &[(i64, i64)],
) -> Result<(i64, i64), SyncError> {
    let mut fetched: Vec<(i64, i64, Option<Vec<MessageRow>>)> = Vec::with_capacity(tickets.len());
    let mut skipped = 0;
    for (id, last_update) in tickets {
        match admin.ticket(*id).await {
            Ok(detail) => {
                let raw = match detail.get("messages") {
                    Some(Value::Array(a)) => a.clone(),
                    _ => Vec::new(),
                };
                let (msgs, bad) = parse_all(panel_id, Resource::TicketMessages, 0, &raw, MessageRow::parse);
                skipped += bad;
                fetched.push((*id, *last_update, Some(msgs)));
            }
            // Gone upstream: stop asking for it.
            Err(PpError::Status(404)) | Err(PpError::Api { code: 404, .. }) => {
                fetched.push((*id, *last_update, None))
            }
            Err(e) => {
                store(db, panel_id, &fetched).await?;
                return Err(e.into());
            }
        }
    }
    let stored = store(db, panel_id, &fetched).await?;
    Ok((stored, skipped))
}

async fn store(db: &Db, panel_id: i64, fetched: &[(i64, i64, Option<Vec<MessageRow>>)]) -> AppResult<i64> {
    if fetched.is_empty() {
        return Ok(0);
    }
    let conn = db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    let mut n = 0;
    for (id, last_update, msgs) in fetched {
        if let Some(msgs) = msgs {
            tx.execute(
                "DELETE FROM ticket_messages WHERE panel_id = ?1 AND ticket_id = ?2",
                params![panel_id, *id],
            )
            .await?;
            let mut sorted: Vec<&MessageRow> = msgs.iter().collect();
            sorted.sort_by_key(|m| m.created);
            for (seq, m) in sorted.iter().enumerate() {
                tx.execute(
                    "INSERT INTO ticket_messages (panel_id, ticket_id, seq, sender_name, is_staff, message, created)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        panel_id,
                        *id,
                        seq as i64,
                        m.sender_name.clone().map(Sql::Text).unwrap_or(Sql::Null),
                        m.is_staff as i64,
                        m.message.as_str(),
                        m.created
                    ],
                )
                .await?;
                n += 1;
            }
        }
        tx.execute(
            "UPDATE tickets_cache SET messages_synced = ?1 WHERE panel_id = ?2 AND id = ?3",
            params![*last_update, panel_id, *id],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(n)
}

pub async fn step(ctx: &Ctx<'_>) -> Result<Step, SyncError> {
    let admin = ctx.admin()?;
    let conn = ctx.state.db.connect().await?;
    let batch = stale_tickets(&conn, ctx.panel_id, ctx.page_size).await?;
    let (stored, skipped) = fetch_and_store(&ctx.state.db, admin, ctx.panel_id, &batch).await?;
    let step = Step {
        position: json!({}),
        received: stored,
        fetched: None,
        total: None,
        skipped,
        done: (batch.len() as i64) < ctx.page_size,
    };
    let tx = shared::db::write_tx(&conn).await?;
    save_position(&tx, ctx.panel_id, Resource::TicketMessages, &step).await?;
    tx.commit().await?;
    Ok(step)
}
