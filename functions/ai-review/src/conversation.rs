//! A ticket's conversation from the cache, as plain text the model reads (HTML stripped).

use libsql::params;
use shared::db::{opt_text, Db};
use shared::domain::text::plain_text;
use shared::AppResult;

#[derive(Clone, Debug)]
pub struct Message {
    pub seq: i64,
    pub sender: String,
    pub is_staff: bool,
    /// Plain text (panel HTML stripped).
    pub text: String,
    pub created: i64,
}

#[derive(Clone, Debug)]
pub struct Ticket {
    pub panel_id: i64,
    pub id: i64,
    pub subject: String,
    pub customer: String,
    pub status: String,
    pub messages: Vec<Message>,
}

/// The ticket and its messages (`before_seq`: only messages before that one). None when the cache has
/// neither the ticket nor any of its messages.
pub async fn load(
    db: &Db,
    panel_id: i64,
    ticket_id: i64,
    before_seq: Option<i64>,
) -> AppResult<Option<Ticket>> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query(
            "SELECT subject, user, status FROM tickets_cache WHERE panel_id = ?1 AND id = ?2",
            params![panel_id, ticket_id],
        )
        .await?;
    let head = match rows.next().await? {
        Some(r) => Some((opt_text(&r, 0)?, opt_text(&r, 1)?, opt_text(&r, 2)?)),
        None => None,
    };
    drop(rows);
    let mut rows = conn
        .query(
            "SELECT seq, sender_name, is_staff, message, created FROM ticket_messages
             WHERE panel_id = ?1 AND ticket_id = ?2 AND seq < ?3 ORDER BY seq",
            params![panel_id, ticket_id, before_seq.unwrap_or(i64::MAX)],
        )
        .await?;
    let mut messages = Vec::new();
    while let Some(r) = rows.next().await? {
        messages.push(Message {
            seq: r.get(0)?,
            sender: opt_text(&r, 1)?.unwrap_or_default(),
            is_staff: r.get::<i64>(2)? != 0,
            text: plain_text(&r.get::<String>(3)?),
            created: r.get(4)?,
        });
    }
    if head.is_none() && messages.is_empty() {
        return Ok(None);
    }
    let (subject, customer, status) = head.unwrap_or((None, None, None));
    let customer = customer
        .or_else(|| messages.iter().find(|m| !m.is_staff).map(|m| m.sender.clone()))
        .unwrap_or_default();
    Ok(Some(Ticket {
        panel_id,
        id: ticket_id,
        subject: subject.unwrap_or_else(|| "(no subject)".into()),
        customer,
        status: status.unwrap_or_else(|| "unknown".into()),
        messages,
    }))
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n).collect();
        out.push('…');
        out
    }
}

/// One line per message, `[Customer] …` or `[Staff Name] …`; the last `keep` messages, each cut short,
/// so a long ticket cannot blow the token budget.
pub fn transcript(messages: &[Message], keep: usize) -> String {
    let start = messages.len().saturating_sub(keep);
    messages[start..]
        .iter()
        .map(|m| {
            let who = if m.is_staff { format!("Staff {}", m.sender) } else { "Customer".to_string() };
            format!("[{who}] {}", cut(&m.text, 2000))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn word_count(text: &str) -> usize {
    text.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count()
}
