//! Ticket tracking (support quality) and Staff statistics, exactly as the spec defines them:
//! replies, avg length, avg response, quick fire, repeated and score per staff member; order ids per
//! ticket mapped to services; unresolved tickets; the live fetch of missing messages. Everything here
//! needs no HTTP: the admin API reuses these functions.

pub mod by_staff;
pub mod fetch;
pub mod pages;
pub mod services;

pub use services::{by_service, ServiceReport, ServiceTicketRow, TicketIds};

use std::collections::{BTreeMap, HashMap};

use libsql::params;
use serde::Serialize;
use shared::db::{Conn, Reads, Stmt};

use shared::auth::PanelScope;

use shared::domain::ai_verdicts::{self, Judged, VerdictCounts};
use shared::domain::text::plain_text;
use shared::AppResult;

use crate::common::{collect, round2};

/// A reply shorter than this (characters, HTML stripped) is a quick fire.
pub const QUICK_FIRE_CHARS: usize = 25;
/// A reply sent sooner than this after the customer's last message is a quick fire.
pub const QUICK_FIRE_SECS: i64 = 30;
/// This many customer messages after a reply, before the next staff reply, mark it repeated.
pub const REPEATED_AFTER: usize = 2;

#[derive(Clone, Debug)]
pub struct TicketParams {
    pub panel: Option<i64>,
    pub window_hours: i64,
}

/// One message as the report reads it.
#[derive(Clone, Debug)]
struct Msg {
    panel_id: i64,
    ticket_id: i64,
    seq: i64,
    sender: Option<String>,
    is_staff: bool,
    body: String,
    created: i64,
}

/// A staff reply inside the window, with what the rules found.
#[derive(Clone, Debug, Serialize)]
pub struct Reply {
    pub panel_id: i64,
    pub ticket_id: i64,
    /// Position in the conversation (`ticket_messages.seq`): the AI reviewer's key for the reply.
    pub seq: i64,
    pub staff: String,
    pub created: i64,
    /// Characters of the reply with HTML stripped and whitespace collapsed.
    pub length: usize,
    /// Seconds since the customer's message right before it, when the previous message is the customer's.
    pub response_seconds: Option<i64>,
    pub quick_fire: bool,
    pub repeated: bool,
    /// The reply's text (stripped), cut to 300 characters.
    pub text: String,
}

pub fn staff_name(sender: Option<&str>) -> String {
    match sender.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.to_string(),
        None => "(unnamed staff)".to_string(),
    }
}

/// Walks one ticket's messages (in time order) and returns its staff replies created in [from, to].
fn replies_of(msgs: &[Msg], from: i64, to: i64) -> Vec<Reply> {
    let mut out = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        if !m.is_staff || m.created < from || m.created > to {
            continue;
        }
        let text = plain_text(&m.body);
        let length = text.chars().count();
        let response_seconds = match i.checked_sub(1).map(|k| &msgs[k]) {
            Some(prev) if !prev.is_staff => Some(m.created - prev.created),
            _ => None,
        };
        let customer_after = msgs[i + 1..].iter().take_while(|n| !n.is_staff).count();
        out.push(Reply {
            panel_id: m.panel_id,
            ticket_id: m.ticket_id,
            seq: m.seq,
            staff: staff_name(m.sender.as_deref()),
            created: m.created,
            length,
            response_seconds,
            quick_fire: length < QUICK_FIRE_CHARS || response_seconds.is_some_and(|s| s < QUICK_FIRE_SECS),
            repeated: customer_after >= REPEATED_AFTER,
            text: text.chars().take(300).collect(),
        });
    }
    out
}

/// Every staff reply created inside the window, with its flags.
pub async fn replies(conn: &Conn, scope: &PanelScope, p: &TicketParams, now: i64) -> AppResult<Vec<Reply>> {
    let scope = &crate::common::explicit(conn, scope).await?;
    let from = now - p.window_hours * 3600;
    let sc = scope.sql("panel_id", p.panel);
    // Whole conversations of the tickets with a staff reply in the window: a reply's flags need the
    // messages before and after it.
    let sql = format!(
        "SELECT panel_id, ticket_id, sender_name, is_staff, message, created, seq FROM ticket_messages
         WHERE {sc} AND (panel_id, ticket_id) IN (
             SELECT DISTINCT panel_id, ticket_id FROM ticket_messages
             WHERE {sc} AND is_staff = 1 AND created >= ?1 AND created <= ?2)
         ORDER BY panel_id, ticket_id, created, seq"
    );
    let rows = conn.query(&sql, params![from, now]).await?;
    let msgs = collect(rows, |r| {
        Ok(Msg {
            panel_id: r.get(0)?,
            ticket_id: r.get(1)?,
            sender: shared::db::opt_text(r, 2)?,
            is_staff: r.get::<i64>(3)? != 0,
            body: r.get(4)?,
            created: r.get(5)?,
            seq: r.get(6)?,
        })
    })
    .await?;
    let mut out = Vec::new();
    for conv in msgs.chunk_by(|a, b| (a.panel_id, a.ticket_id) == (b.panel_id, b.ticket_id)) {
        out.extend(replies_of(conv, from, now));
    }
    Ok(out)
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StaffRow {
    pub staff: String,
    pub replies: i64,
    /// Mean characters per reply, 2 decimals.
    pub avg_length: f64,
    /// Mean seconds from the customer's last message to the reply, over replies that follow one;
    /// null when none does.
    pub avg_response_seconds: Option<f64>,
    pub quick_fires: i64,
    pub repeated: i64,
    pub score: i64,
    /// The AI reviewer's verdicts on their replies in the window (0 when it has not judged any).
    pub ai_good: i64,
    pub ai_mediocre: i64,
    pub ai_bad: i64,
}

/// `round(100 − 50 × quick_fires/replies − 50 × repeated/replies)`, between 0 and 100.
pub fn staff_score(replies: i64, quick_fires: i64, repeated: i64) -> i64 {
    if replies == 0 {
        return 100;
    }
    let r = replies as f64;
    (100.0 - 50.0 * quick_fires as f64 / r - 50.0 * repeated as f64 / r).round().clamp(0.0, 100.0) as i64
}

/// Verdict counts keyed by staff as the report names them.
pub fn by_report_name(raw: HashMap<String, VerdictCounts>) -> HashMap<String, VerdictCounts> {
    let mut out: HashMap<String, VerdictCounts> = HashMap::new();
    for (name, c) in raw {
        let e = out.entry(staff_name(Some(&name))).or_default();
        e.good += c.good;
        e.mediocre += c.mediocre;
        e.bad += c.bad;
    }
    out
}

/// By staff: one row per staff member with replies in the window, most replies first.
pub async fn by_staff(
    conn: &Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<Vec<StaffRow>> {
    let scope = &crate::common::explicit(conn, scope).await?;
    by_staff::by_staff_sums(conn, scope, p, now).await
}

/// The mediocre and bad AI verdicts of replies in the window, by (panel, ticket, seq).
pub async fn ai_judged(
    conn: &Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<HashMap<(i64, i64, i64), Judged>> {
    let from = now - p.window_hours * 3600;
    let list = ai_verdicts::judged(conn, scope, p.panel, from, now + 1).await?;
    Ok(list.into_iter().map(|j| ((j.panel_id, j.ticket_id, j.seq), j)).collect())
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StaffStatRow {
    pub staff: String,
    /// Distinct tickets with at least one reply of theirs in the window.
    pub answered_tickets: i64,
    /// Avg response in minutes (2 decimals); null when no reply followed a customer message.
    pub avg_response_minutes: Option<f64>,
}

/// Staff statistics: Answered tickets and Average response time (min) per staff member, summed in SQL
/// from what each reply stores (see [`by_staff`]); tickets with a reply that stores less are worked out
/// by window functions over their conversations. The two sets of tickets are apart, so their counts
/// add up. One round trip, one row per staff member and set.
pub async fn staff_statistics(
    conn: &Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<Vec<StaffStatRow>> {
    let scope = &crate::common::explicit(conn, scope).await?;
    let sc = scope.sql("panel_id", p.panel);
    let staff = by_staff::STAFF_SQL;
    let stored = format!(
        "SELECT {staff} AS staff, COUNT(DISTINCT panel_id || ':' || ticket_id), COALESCE(SUM(response_secs), 0),
             COUNT(response_secs)
         FROM ticket_messages m WHERE {} GROUP BY staff",
        by_staff::worked(&sc)
    );
    let unworked = format!(
        "{} SELECT staff, COUNT(DISTINCT panel_id || ':' || ticket_id), COALESCE(SUM(resp), 0), COUNT(resp)
         FROM r GROUP BY staff",
        by_staff::unworked_cte(&sc)
    );
    let window: Vec<libsql::Value> = vec![(now - p.window_hours * 3600).into(), now.into()];
    fn row(r: &shared::db::Row) -> AppResult<(String, [i64; 3])> {
        Ok((r.get::<String>(0)?, [r.get::<i64>(1)?, r.get(2)?, r.get(3)?]))
    }
    let mut reads = Reads::new();
    let stored = reads.add(Stmt::new(stored, window.clone()), row);
    let unworked = reads.add(Stmt::new(unworked, window), row);
    let mut done = reads.run(conn).await?;
    // staff → [answered tickets, response seconds, responses]
    let mut by: BTreeMap<String, [i64; 3]> = BTreeMap::new();
    for (name, n) in done.all(stored).await?.into_iter().chain(done.all(unworked).await?) {
        let e = by.entry(name).or_default();
        (0..3).for_each(|k| e[k] += n[k]);
    }
    let mut out: Vec<StaffStatRow> = by
        .into_iter()
        .map(|(staff, [answered, total, n])| StaffStatRow {
            staff,
            answered_tickets: answered,
            avg_response_minutes: (n > 0).then(|| round2(total as f64 / n as f64 / 60.0)),
        })
        .collect();
    out.sort_by(|a, b| b.answered_tickets.cmp(&a.answered_tickets).then(a.staff.cmp(&b.staff)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(staff: bool, body: &str, t: i64) -> Msg {
        Msg {
            panel_id: 1,
            ticket_id: 1,
            seq: t,
            sender: staff.then(|| "ann".into()),
            is_staff: staff,
            body: body.into(),
            created: t,
        }
    }

    #[test]
    fn quick_fire_and_repeated_edges() {
        let long = "This is a long enough reply text";
        let msgs = vec![
            m(false, "help", 0),
            m(true, long, 30), // 30 s: not quick
            m(false, "still broken", 100),
            m(true, long, 129), // 29 s: quick
            m(false, "a", 200),
            m(false, "b", 210), // 2 customer messages: repeated
            m(true, "<b>1234567890123456789012345</b>", 400), // 25 chars: not quick
            m(false, "c", 500),
            m(true, "123456789012345678901234", 900), // 24 chars: quick
        ];
        let r = replies_of(&msgs, 0, 1000);
        assert_eq!(r.iter().map(|r| r.quick_fire).collect::<Vec<_>>(), vec![false, true, false, true]);
        assert_eq!(r.iter().map(|r| r.repeated).collect::<Vec<_>>(), vec![false, true, false, false]);
        assert_eq!(r[0].response_seconds, Some(30));
        assert_eq!(staff_score(4, 2, 1), 63);
        assert_eq!(staff_score(1, 1, 1), 0);
    }
}
