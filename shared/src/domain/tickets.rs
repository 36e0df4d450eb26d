//! Writing a ticket fetched from its panel (`GET /tickets/{id}`) into the cache: the ticket row's
//! status and last update, and its whole conversation, in one transaction.

use libsql::{params, Value as Sql};

use crate::db::Db;
use crate::error::AppResult;
use crate::pp::rows::{MessageRow, TicketRow};

/// Replaces the cached conversation of one ticket and marks it read up to `ticket.last_update`.
/// Returns how many messages are stored.
pub async fn store_detail(
    db: &Db,
    panel_id: i64,
    ticket: &TicketRow,
    messages: &[MessageRow],
) -> AppResult<i64> {
    let mut sorted: Vec<&MessageRow> = messages.iter().collect();
    sorted.sort_by_key(|m| m.created);
    let last_update =
        ticket.last_update.or(sorted.last().map(|m| m.created)).unwrap_or(ticket.created).max(ticket.created);
    let conn = db.connect().await?;
    let tx = crate::db::write_tx(&conn).await?;
    tx.execute(
        "UPDATE tickets_cache SET status = COALESCE(?1, status), last_update = ?2, messages_synced = ?2
         WHERE panel_id = ?3 AND id = ?4",
        params![ticket.status.clone().map(Sql::Text).unwrap_or(Sql::Null), last_update, panel_id, ticket.id],
    )
    .await?;
    tx.execute(
        "DELETE FROM ticket_messages WHERE panel_id = ?1 AND ticket_id = ?2",
        params![panel_id, ticket.id],
    )
    .await?;
    for (seq, m) in sorted.iter().enumerate() {
        tx.execute(
            "INSERT INTO ticket_messages (panel_id, ticket_id, seq, sender_name, is_staff, message, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                panel_id,
                ticket.id,
                seq as i64,
                m.sender_name.clone().map(Sql::Text).unwrap_or(Sql::Null),
                m.is_staff as i64,
                m.message.as_str(),
                m.created
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(sorted.len() as i64)
}
