//! Daily and weekly digests per channel, at the channel's chosen local hour: which are due, the claim
//! (one `alert_digests` row per channel, period and start, inserted in the same write transaction as
//! the run's other claims, so overlapping runs, restarts and retries send each digest once), and the
//! message. Digests ignore quiet hours: their hour is chosen.

pub mod numbers;
pub mod schedule;
pub mod text;

use libsql::params;
use shared::db::{Conn, Read, Reads, Row, Stmt};
use shared::AppResult;

use super::channels::Channel;
use super::message::{self, Message};
use schedule::{Period, Window};

/// Rows older than the latest a digest can still be due are never looked at again.
const MEMORY_SECS: i64 = schedule::LATE_SECS + 3600;

#[derive(Clone, Debug)]
pub struct DigestRow {
    pub id: i64,
    pub channel_id: i64,
    pub period: Period,
    pub period_start: i64,
    pub status: String,
    pub attempts: i64,
    pub claimed_until: i64,
}

/// The digests claimed recently.
pub fn recent_read(reads: &mut Reads, now: i64) -> Read<Option<DigestRow>> {
    reads.add(
        Stmt::new(
            "SELECT id, channel_id, period, period_start, status, attempts, claimed_until FROM alert_digests
             WHERE created_at >= ?1",
            params![now - MEMORY_SECS],
        ),
        |r: &Row| {
            let period: String = r.get(2)?;
            let Some(period) = Period::parse(&period) else { return Ok(None) };
            Ok(Some(DigestRow {
                id: r.get(0)?,
                channel_id: r.get(1)?,
                period,
                period_start: r.get(3)?,
                status: r.get(4)?,
                attempts: r.get(5)?,
                claimed_until: r.get(6)?,
            }))
        },
    )
}

/// A digest to claim: a new row, or a failed one whose wait is over.
#[derive(Clone, Copy, Debug)]
pub enum DueDigest {
    New { channel: usize, window: Window },
    Retry { id: i64, channel: usize, window: Window },
}

impl DueDigest {
    pub fn channel(&self) -> usize {
        match self {
            DueDigest::New { channel, .. } | DueDigest::Retry { channel, .. } => *channel,
        }
    }
    pub fn window(&self) -> Window {
        match self {
            DueDigest::New { window, .. } | DueDigest::Retry { window, .. } => *window,
        }
    }
}

/// Every digest due now: each enabled channel's periods whose hour has come, not claimed yet or failed
/// and waiting no longer.
pub fn due_list(channels: &[Channel], rows: &[DigestRow], max_attempts: i64, now: i64) -> Vec<DueDigest> {
    let mut out = Vec::new();
    for (ci, c) in channels.iter().enumerate() {
        if !c.enabled || !c.digest.any() {
            continue;
        }
        for window in schedule::due(&c.digest, c.time_zone, c.created_at, now) {
            let row = rows.iter().find(|r| {
                r.channel_id == c.id && r.period == window.period && r.period_start == window.start
            });
            match row {
                None => out.push(DueDigest::New { channel: ci, window }),
                Some(r) if r.status != "sent" && r.claimed_until <= now && r.attempts < max_attempts => {
                    out.push(DueDigest::Retry { id: r.id, channel: ci, window })
                }
                Some(_) => {}
            }
        }
    }
    out
}

/// The claim's statement: whoever's statement returns the row sends the digest.
pub fn claim(d: &DueDigest, channels: &[Channel], lease: i64, max_attempts: i64, now: i64) -> Stmt {
    match d {
        DueDigest::New { channel, window } => Stmt::new(
            "INSERT INTO alert_digests (channel_id, period, period_start, period_end, status, attempts, claimed_until, created_at)
             VALUES (?1, ?2, ?3, ?4, 'sending', 0, ?5, ?6) ON CONFLICT DO NOTHING RETURNING id",
            params![channels[*channel].id, window.period.as_str(), window.start, window.end, lease, now],
        ),
        DueDigest::Retry { id, .. } => Stmt::new(
            "UPDATE alert_digests SET status = 'sending', claimed_until = ?1
             WHERE id = ?2 AND status != 'sent' AND claimed_until <= ?3 AND attempts < ?4 RETURNING id",
            params![lease, *id, now, max_attempts],
        ),
    }
}

/// The claimed digest `id` of `channel` for `window`, computed now, as a message.
pub async fn message(
    conn: &Conn,
    channel: &Channel,
    window: &Window,
    id: i64,
    public_url: Option<&str>,
) -> AppResult<Message> {
    let numbers = numbers::compute(conn, channel, window).await?;
    let link = message::absolute(public_url, "/");
    let title = text::title(window, channel.time_zone);
    let body = text::text(window, channel.time_zone, &numbers, &link);
    let data = serde_json::json!({
        "period": window.period,
        "from": window.start,
        "to": window.end,
        "previous_from": window.prev_start,
        "time_zone": channel.time_zone.name(),
        "panels": numbers.panels,
        "worst_services": numbers.worst_services,
        "open_incidents": numbers.open_incidents,
        "staff": numbers.staff,
    });
    Ok(message::digest(id, title, body, link, data))
}
