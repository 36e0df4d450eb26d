//! `tickets_cache`: a panel's tickets, and writing a ticket fetched from its panel (`GET /tickets/{id}`) into the cache: the ticket row's
//! status and last update, and its whole conversation (stored as the sync stores it,
//! [`super::ticket_messages::replace_conversation`]), in one write batch.

use libsql::{params, Value as Sql};

use super::upsert::Table;

use crate::db::{Db, Stmt};
use crate::error::AppResult;
use crate::pp::rows::{MessageRow, TicketRow};

/// How the sync writes a ticket (its conversation is `super::ticket_messages`).
pub const TABLE: Table = Table {
    name: "tickets_cache",
    columns: &[
        "panel_id",
        "id",
        "user",
        "subject",
        "status",
        "assignee",
        "created",
        "last_update",
        "is_read",
        "checked_at",
    ],
    key: &["panel_id", "id"],
    insert_only: &["checked_at"],
    fingerprint: None,
};

/// Replaces the cached conversation of one ticket and marks it read up to `ticket.last_update`.
/// Returns how many messages are stored.
pub async fn store_detail(
    db: &Db,
    panel_id: i64,
    ticket: &TicketRow,
    messages: &[MessageRow],
) -> AppResult<i64> {
    let newest = messages.iter().map(|m| m.created).max();
    let last_update = ticket.last_update.or(newest).unwrap_or(ticket.created).max(ticket.created);
    let mut stmts = vec![Stmt::new(
        "UPDATE tickets_cache SET status = COALESCE(?1, status), last_update = ?2, messages_synced = ?2
         WHERE panel_id = ?3 AND id = ?4",
        params![ticket.status.clone().map(Sql::Text).unwrap_or(Sql::Null), last_update, panel_id, ticket.id],
    )];
    stmts.extend(super::ticket_messages::replace_conversation(panel_id, ticket.id, messages));
    db.connect().await?.write_batch(stmts).await?;
    Ok(messages.len() as i64)
}
