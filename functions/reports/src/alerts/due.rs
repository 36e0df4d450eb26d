//! Which incident messages are due: a new incident, a reminder after the rule's cooldown, the one
//! "resolved", a failed one whose wait is over, for every channel that covers the incident and is not
//! in quiet hours (urgent rules break through); and the statements that claim them.

use std::collections::HashMap;

use libsql::params;
use shared::db::{Read, Reads, Row, Stmt};
use shared::AppResult;

use super::channels::Channel;
use super::message::{Event, Incident};
use super::rules::RuleBook;

/// An event's message is still sent this long after it opened (quiet hours, a channel that was down).
const EVENT_WINDOW_SECS: i64 = 86_400;

#[derive(Clone, Debug)]
pub struct DeliveryRow {
    id: i64,
    incident_id: i64,
    channel_id: i64,
    event: Event,
    seq: i64,
    status: String,
    attempts: i64,
    claimed_until: i64,
    created_at: i64,
}

fn delivery_from(r: &Row) -> AppResult<Option<DeliveryRow>> {
    let kind: String = r.get(3)?;
    let Some(event) = Event::parse(&kind) else { return Ok(None) };
    Ok(Some(DeliveryRow {
        id: r.get(0)?,
        incident_id: r.get(1)?,
        channel_id: r.get(2)?,
        event,
        seq: r.get(4)?,
        status: r.get(5)?,
        attempts: r.get(6)?,
        claimed_until: r.get(7)?,
        created_at: r.get(8)?,
    }))
}

/// A message due: a new row to insert, or a failed row to take again.
pub enum Due {
    New { incident: usize, channel: usize, event: Event, seq: i64 },
    Retry { id: i64, incident: usize, channel: usize, event: Event },
}

/// The deliveries of the incidents `recent_read` reads (open, or resolved since `since`).
pub fn recent_read(reads: &mut Reads, since: i64) -> Read<Option<DeliveryRow>> {
    reads.add(
        Stmt::new(
            "SELECT id, incident_id, channel_id, kind, seq, status, attempts, claimed_until, created_at
             FROM alert_deliveries WHERE incident_id IN
               (SELECT id FROM alert_incidents WHERE resolved_at IS NULL OR resolved_at >= ?1)",
            params![since],
        ),
        delivery_from,
    )
}

impl Due {
    /// (incident, channel, event) indexes.
    pub fn parts(&self) -> (usize, usize, Event) {
        match self {
            Due::New { incident, channel, event, .. } | Due::Retry { incident, channel, event, .. } => {
                (*incident, *channel, *event)
            }
        }
    }

    /// The claim: whoever's statement returns the row sends it.
    pub fn claim(
        &self,
        incidents: &[Incident],
        channels: &[Channel],
        lease: i64,
        max_attempts: i64,
        now: i64,
    ) -> Stmt {
        match self {
            Due::New { incident, channel, event, seq } => Stmt::new(
                "INSERT INTO alert_deliveries (incident_id, channel_id, kind, seq, status, attempts, claimed_until, created_at)
                 VALUES (?1, ?2, ?3, ?4, 'sending', 0, ?5, ?6) ON CONFLICT DO NOTHING RETURNING id",
                params![incidents[*incident].id, channels[*channel].id, event.as_str(), *seq, lease, now],
            ),
            Due::Retry { id, .. } => Stmt::new(
                "UPDATE alert_deliveries SET status = 'sending', claimed_until = ?1
                 WHERE id = ?2 AND status != 'sent' AND claimed_until <= ?3 AND attempts < ?4 RETURNING id",
                params![lease, *id, now, max_attempts],
            ),
        }
    }
}

pub fn due_list(
    book: &RuleBook,
    channels: &[Channel],
    incidents: &[Incident],
    deliveries: &[DeliveryRow],
    max_attempts: i64,
    now: i64,
) -> Vec<Due> {
    let mut by_pair: HashMap<(i64, i64), Vec<&DeliveryRow>> = HashMap::new();
    for d in deliveries {
        by_pair.entry((d.incident_id, d.channel_id)).or_default().push(d);
    }
    let mut out = Vec::new();
    for (ci, c) in channels.iter().enumerate() {
        if !c.enabled {
            continue;
        }
        let quiet = c.quiet.is_some_and(|q| q.holds(now));
        for (ii, i) in incidents.iter().enumerate() {
            if !c.covers(i.rule, i.panel_id) {
                continue;
            }
            let settings = book.get(i.rule);
            if quiet && !settings.urgent {
                continue;
            }
            let rows = by_pair.get(&(i.id, c.id)).map(Vec::as_slice).unwrap_or(&[]);
            let open = i.resolved_at.is_none();
            for d in rows {
                let stale = open != (d.event != Event::Resolved) && i.rule.resolves();
                if d.status != "sent" && d.claimed_until <= now && d.attempts < max_attempts && !stale {
                    out.push(Due::Retry { id: d.id, incident: ii, channel: ci, event: d.event });
                }
            }
            let opened = rows.iter().find(|d| d.event == Event::Opened);
            if !i.rule.resolves() {
                if opened.is_none() && i.opened_at >= now - EVENT_WINDOW_SECS {
                    out.push(Due::New { incident: ii, channel: ci, event: Event::Opened, seq: 0 });
                }
                continue;
            }
            if open {
                match opened {
                    None => out.push(Due::New { incident: ii, channel: ci, event: Event::Opened, seq: 0 }),
                    Some(_) => {
                        let last = rows
                            .iter()
                            .filter(|d| matches!(d.event, Event::Opened | Event::Reminder))
                            .map(|d| d.created_at)
                            .max()
                            .unwrap_or(i.opened_at);
                        if last <= now - settings.cooldown_minutes * 60 {
                            let seq = rows.iter().filter(|d| d.event == Event::Reminder).map(|d| d.seq).max();
                            let seq = seq.unwrap_or(0) + 1;
                            out.push(Due::New { incident: ii, channel: ci, event: Event::Reminder, seq });
                        }
                    }
                }
            } else if opened.is_some_and(|d| d.status == "sent")
                && !rows.iter().any(|d| d.event == Event::Resolved)
            {
                out.push(Due::New { incident: ii, channel: ci, event: Event::Resolved, seq: 0 });
            }
        }
    }
    out
}
