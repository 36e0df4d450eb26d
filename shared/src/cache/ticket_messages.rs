//! Fetching a ticket's conversation from its panel and storing it in `ticket_messages`. Shared by the
//! sync (stale conversations) and the reports (live fetch of missing messages), so the reports function
//! does not link the sync engine.

use libsql::{params, Value as Sql};

use crate::db::{Conn, Stmt};
use serde_json::Value;

use crate::db::Db;
use crate::domain::text::order_ids_in_html;
use crate::error::{AppError, AppResult};
use crate::pp::rows::MessageRow;
use crate::pp::{AdminClient, PpError};

/// Why a fetch stopped: the panel failed, or the database did.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Panel(#[from] PpError),
    #[error("{0}")]
    App(#[from] AppError),
}

impl From<crate::db::DbError> for FetchError {
    fn from(e: crate::db::DbError) -> Self {
        FetchError::App(AppError::from(e))
    }
}

/// When a ticket's stored conversation may be out of date: never read, or its `last_update` moved
/// since. A panel that sends no `last_update` gives no such sign, so those tickets are also read again
/// when their status changed, and open ones every `REREAD_OPEN_SECS` (`:reread`; `:now` in unix s).
pub const STALE: &str = "(messages_synced IS NULL OR messages_synced < COALESCE(last_update, created)
     OR (last_update IS NULL AND (messages_status IS NOT status
         OR (COALESCE(status, '') NOT IN ('closed', 'locked') AND COALESCE(messages_read_at, 0) < :now - :reread))))";

/// How often an open ticket is read again when its panel does not say when it last changed.
pub const REREAD_OPEN_SECS: i64 = 900;

/// Tickets of a panel whose messages are missing or stale, most recently active first; one the panel
/// failed to give in the last `REREAD_OPEN_SECS` waits, so it cannot hold up the others.
pub async fn stale_tickets(conn: &Conn, panel_id: i64, limit: i64) -> AppResult<Vec<(i64, i64)>> {
    let sql = format!(
        "SELECT id, COALESCE(last_update, created) FROM tickets_cache WHERE panel_id = :panel AND {STALE}
           AND COALESCE(messages_failed_at, 0) < :now - :reread
         ORDER BY COALESCE(last_update, created) DESC LIMIT :limit"
    );
    let args = libsql::named_params! {
        ":panel": panel_id, ":limit": limit, ":now": crate::time::now(), ":reread": REREAD_OPEN_SECS,
    };
    let mut rows = conn.query(&sql, args).await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push((r.get(0)?, r.get(1)?));
    }
    Ok(out)
}

/// What became of one ticket's read.
enum Read {
    Messages(Vec<MessageRow>),
    /// Gone upstream: stop asking for it.
    Gone,
    /// The panel would not give it (its stored conversation is kept, and it is set aside a while).
    Failed,
}

/// Fetches and stores the conversations of `tickets` ((id, last_update) pairs). Returns how many
/// messages were stored and how many malformed messages or unreadable tickets were skipped. A ticket the
/// panel refuses or answers without its messages is set aside and the rest go on; when the panel itself
/// fails (timeout, 429, 5xx, unreachable, cut-off JSON), what was fetched before is stored before the
/// error is returned.
pub async fn fetch_and_store(
    db: &Db,
    admin: &AdminClient,
    panel_id: i64,
    tickets: &[(i64, i64)],
) -> Result<(i64, i64), FetchError> {
    let mut fetched: Vec<(i64, i64, Read)> = Vec::with_capacity(tickets.len());
    let mut skipped = 0;
    let mut refused = None;
    for (id, last_update) in tickets {
        match admin.ticket(*id).await {
            Ok(detail) => {
                // No list is not an empty conversation: replacing the stored one with nothing loses it.
                let Some(Value::Array(raw)) = detail.get("messages") else {
                    skipped += 1;
                    tracing::warn!(
                        panel_id,
                        ticket = *id,
                        "the ticket came without its messages; kept what is stored"
                    );
                    fetched.push((*id, *last_update, Read::Failed));
                    continue;
                };
                let mut msgs = Vec::with_capacity(raw.len());
                for (k, row) in raw.iter().enumerate() {
                    match MessageRow::parse(row) {
                        Ok(m) => msgs.push(m),
                        Err(reason) => {
                            skipped += 1;
                            tracing::warn!(panel_id, ticket = *id, position = k, %reason, "skipped a malformed message");
                        }
                    }
                }
                fetched.push((*id, *last_update, Read::Messages(msgs)));
            }
            Err(PpError::Status(404)) | Err(PpError::Api { code: 404, .. }) => {
                fetched.push((*id, *last_update, Read::Gone))
            }
            // The panel's answer about this ticket alone (an error for it, a 4xx): set it aside.
            Err(e @ (PpError::Api { .. } | PpError::Status(400..=499))) => {
                skipped += 1;
                tracing::warn!(panel_id, ticket = *id, error = %e, "could not read the ticket's conversation; retried later");
                fetched.push((*id, *last_update, Read::Failed));
                refused = Some(e);
            }
            // The panel is failing (timeout, 429, 5xx, cut-off answers): stop here, try again next run.
            Err(e) => {
                store(db, panel_id, &fetched).await?;
                return Err(e.into());
            }
        }
    }
    let stored = store(db, panel_id, &fetched).await?;
    // Every ticket refused: the panel is refusing, not one ticket. Show it as the resource's error.
    match refused {
        Some(e) if fetched.iter().all(|(_, _, r)| matches!(r, Read::Failed)) => Err(e.into()),
        _ => Ok((stored, skipped)),
    }
}

/// Stores what was fetched in one write batch (one round trip over the network): each conversation
/// replaced, each ticket marked read, and the resource's stored count moved by the difference.
async fn store(db: &Db, panel_id: i64, fetched: &[(i64, i64, Read)]) -> AppResult<i64> {
    if fetched.is_empty() {
        return Ok(0);
    }
    let mut stmts = Vec::new();
    let mut n = 0;
    let now = crate::time::now();
    for (id, last_update, read) in fetched {
        if let Read::Failed = read {
            stmts.push(Stmt::new(
                "UPDATE tickets_cache SET messages_failed_at = ?1 WHERE panel_id = ?2 AND id = ?3",
                params![now, panel_id, *id],
            ));
            continue;
        }
        if let Read::Messages(msgs) = read {
            n += msgs.len() as i64;
            stmts.extend(replace_conversation(panel_id, *id, msgs));
        }
        stmts.push(Stmt::new(
            "UPDATE tickets_cache SET messages_synced = ?1, messages_read_at = ?4, messages_status = status,
                 messages_failed_at = NULL
             WHERE panel_id = ?2 AND id = ?3",
            params![*last_update, panel_id, *id, now],
        ));
    }
    db.connect().await?.write_batch(stmts).await?;
    Ok(n)
}

/// The statements that replace one ticket's stored conversation with `msgs`, numbered in time order
/// (`seq` from 0), keeping the sync's stored count of messages exact: for a write batch.
pub fn replace_conversation(panel_id: i64, ticket_id: i64, msgs: &[MessageRow]) -> Vec<Stmt> {
    let mut sorted: Vec<&MessageRow> = msgs.iter().collect();
    sorted.sort_by_key(|m| m.created);
    let mut out = vec![
        Stmt::new(
            "UPDATE sync_state SET cached = MAX(cached + ?3 - (SELECT COUNT(*) FROM ticket_messages
                 WHERE panel_id = ?1 AND ticket_id = ?2), 0)
             WHERE panel_id = ?1 AND resource = 'ticket_messages'",
            params![panel_id, ticket_id, sorted.len() as i64],
        ),
        Stmt::new(
            "DELETE FROM ticket_messages WHERE panel_id = ?1 AND ticket_id = ?2",
            params![panel_id, ticket_id],
        ),
        Stmt::new(
            "UPDATE tickets_cache SET order_ids = ?1 WHERE panel_id = ?2 AND id = ?3",
            params![order_ids_text(sorted.iter().map(|m| m.message.as_str())), panel_id, ticket_id],
        ),
    ];
    let stats = reply_stats(sorted.iter().map(|m| (m.is_staff, m.created)));
    // Many rows per statement, under SQLite's limit on bound parameters.
    const ROWS: usize = 1000;
    for (c, chunk) in sorted.chunks(ROWS).enumerate() {
        let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
        let first_seq = c * ROWS;
        let params = chunk.iter().enumerate().flat_map(|(k, m)| {
            let ReplyStats { response_secs, customer_after } = stats[first_seq + k];
            [
                Sql::Integer(panel_id),
                Sql::Integer(ticket_id),
                Sql::Integer((first_seq + k) as i64),
                m.sender_name.clone().map(Sql::Text).unwrap_or(Sql::Null),
                Sql::Integer(m.is_staff as i64),
                Sql::Text(m.message.clone()),
                Sql::Integer(m.created),
                Sql::Integer(plain_length(&m.message)),
                response_secs.map(Sql::Integer).unwrap_or(Sql::Null),
                customer_after.map(Sql::Integer).unwrap_or(Sql::Null),
            ]
        });
        out.push(Stmt::new(
            format!(
                "INSERT INTO ticket_messages (panel_id, ticket_id, seq, sender_name, is_staff, message, created, plain_length,
                     response_secs, customer_after)
                 VALUES {values}"
            ),
            libsql::params_from_iter(params),
        ));
    }
    out
}

/// What Ticket tracking needs of a message beside its length, stored with it (all None on a
/// customer's message).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ReplyStats {
    /// A staff message's seconds since the message right before it, when that one is the customer's.
    pub response_secs: Option<i64>,
    /// Customer messages after a staff message, before the next staff message.
    pub customer_after: Option<i64>,
}

/// [`ReplyStats`] of each message of a conversation given in time order as (is_staff, created).
pub fn reply_stats(msgs: impl IntoIterator<Item = (bool, i64)>) -> Vec<ReplyStats> {
    let msgs: Vec<(bool, i64)> = msgs.into_iter().collect();
    let mut out = vec![ReplyStats::default(); msgs.len()];
    // Customer messages since the last staff message, counted from the end.
    let mut after = 0;
    for (i, (staff, created)) in msgs.iter().enumerate().rev() {
        if !staff {
            after += 1;
            continue;
        }
        let response_secs = match i.checked_sub(1).map(|k| msgs[k]) {
            Some((false, prev)) => Some(created - prev),
            _ => None,
        };
        out[i] = ReplyStats { response_secs, customer_after: Some(after) };
        after = 0;
    }
    out
}

/// A message's length as Ticket tracking counts it: characters of its text with HTML stripped.
pub fn plain_length(body: &str) -> i64 {
    crate::domain::text::plain_text(body).chars().count() as i64
}

/// What `tickets_cache.order_ids` holds for a conversation (bodies in time order): every 6–10 digit
/// number of its messages ([`order_ids_in_html`]), in order of first appearance, space-separated.
pub fn order_ids_text<'a>(bodies: impl IntoIterator<Item = &'a str>) -> String {
    let mut by = ByConversation::default();
    bodies.into_iter().for_each(|b| by.push((), b));
    ids_text(&by.finish().pop().map(|(_, ids)| ids).unwrap_or_default())
}

fn ids_text(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")
}

/// The ids of an `order_ids` value; anything that is not a number is ignored.
pub fn parse_order_ids(text: &str) -> Vec<i64> {
    text.split_ascii_whitespace().filter_map(|w| w.parse().ok()).collect()
}

/// Each conversation's order ids, from messages pushed in conversation order (grouped by key, each
/// conversation's messages in time order), without holding the messages.
pub struct ByConversation<K> {
    current: Option<(K, Vec<i64>)>,
    done: Vec<(K, Vec<i64>)>,
}

impl<K> Default for ByConversation<K> {
    fn default() -> Self {
        ByConversation { current: None, done: Vec::new() }
    }
}

impl<K: PartialEq> ByConversation<K> {
    pub fn push(&mut self, key: K, body: &str) {
        if self.current.as_ref().is_some_and(|(k, _)| *k != key) {
            self.done.extend(self.current.take());
        }
        let (_, ids) = self.current.get_or_insert_with(|| (key, Vec::new()));
        for id in order_ids_in_html(body) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }

    pub fn finish(mut self) -> Vec<(K, Vec<i64>)> {
        self.done.extend(self.current.take());
        self.done
    }
}

/// Works out `order_ids` for every stored conversation (the migration that added the column), inside
/// the caller's transaction. Written 300 tickets per statement: on Turso every statement of a
/// transaction is a round trip, and a panel has tens of thousands of tickets.
pub async fn fill_order_ids(tx: &Conn) -> AppResult<()> {
    const BATCH: usize = 300;
    let mut rows = tx
        .query("SELECT panel_id, ticket_id, message FROM ticket_messages ORDER BY panel_id, ticket_id, created, seq", ())
        .await?;
    let mut by = ByConversation::default();
    while let Some(r) = rows.next().await? {
        by.push((r.get::<i64>(0)?, r.get::<i64>(1)?), &r.get::<String>(2)?);
    }
    drop(rows);
    for chunk in by.finish().chunks(BATCH) {
        let values = vec!["(?, ?, ?)"; chunk.len()].join(", ");
        let params = chunk.iter().flat_map(|((panel, ticket), ids)| {
            [Sql::Integer(*panel), Sql::Integer(*ticket), Sql::Text(ids_text(ids))]
        });
        tx.execute(
            &format!(
                "UPDATE tickets_cache SET order_ids = v.column3 FROM (VALUES {values}) AS v
                 WHERE tickets_cache.panel_id = v.column1 AND tickets_cache.id = v.column2"
            ),
            libsql::params_from_iter(params),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_text_keeps_first_appearance_and_reads_back() {
        let text =
            order_ids_text(["Order <b>1234567</b> and 123456", "again 1234567, new 9876543210 and 12345"]);
        assert_eq!(text, "1234567 123456 9876543210");
        assert_eq!(parse_order_ids(&text), vec![1234567, 123456, 9876543210]);
        assert_eq!(order_ids_text(["no ids here"]), "");
        assert!(parse_order_ids("").is_empty());
    }

    #[test]
    fn reply_stats_follow_the_conversation() {
        let s = reply_stats([
            (true, 0),
            (false, 10),
            (true, 40),
            (false, 50),
            (false, 60),
            (true, 65),
            (true, 70),
        ]);
        let got: Vec<_> = s.iter().map(|s| (s.response_secs, s.customer_after)).collect();
        assert_eq!(
            got,
            vec![
                (None, Some(1)),
                (None, None),
                (Some(30), Some(2)),
                (None, None),
                (None, None),
                (Some(5), Some(0)),
                (None, Some(0))
            ]
        );
    }

    #[test]
    fn conversations_are_grouped_by_key_in_order() {
        let mut by = ByConversation::default();
        by.push((1, 7), "order 1111111");
        by.push((1, 7), "and 2222222, again 1111111");
        by.push((1, 8), "nothing");
        by.push((2, 7), "<p>3333333</p>");
        assert_eq!(
            by.finish(),
            vec![((1, 7), vec![1111111, 2222222]), ((1, 8), vec![]), ((2, 7), vec![3333333])]
        );
    }
}
