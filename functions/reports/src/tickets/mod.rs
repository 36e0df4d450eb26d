//! Ticket tracking (support quality) and Staff statistics, exactly as the spec defines them:
//! replies, avg length, avg response, quick fire, repeated and score per staff member; order ids per
//! ticket mapped to services; unresolved tickets; the live fetch of missing messages. Everything here
//! needs no HTTP: the admin API reuses these functions.

pub mod fetch;
pub mod pages;

use std::collections::{BTreeMap, HashMap, HashSet};

use libsql::params;
use serde::Serialize;
use shared::db::Conn;

use shared::auth::PanelScope;
use shared::cache::ticket_messages;
use shared::domain::ai_verdicts::{self, Judged, VerdictCounts};
use shared::domain::text::{complaint, plain_text};
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

/// The AI reviewer's verdict counts per staff member (named as the report names them) for replies
/// created in the window.
pub async fn ai_verdict_counts(
    conn: &Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<HashMap<String, VerdictCounts>> {
    let from = now - p.window_hours * 3600;
    // The report's window includes `now`; the verdict query's end is exclusive.
    let raw = ai_verdicts::counts_on(conn, scope, p.panel, from, now + 1).await?;
    let mut out: HashMap<String, VerdictCounts> = HashMap::new();
    for (name, c) in raw {
        let e = out.entry(staff_name(Some(&name))).or_default();
        e.good += c.good;
        e.mediocre += c.mediocre;
        e.bad += c.bad;
    }
    Ok(out)
}

/// By staff: one row per staff member with replies in the window, most replies first.
pub async fn by_staff(
    conn: &Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<Vec<StaffRow>> {
    let all = replies(conn, scope, p, now).await?;
    let ai = ai_verdict_counts(conn, scope, p, now).await?;
    Ok(summarise(&all, &ai))
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

pub fn summarise(all: &[Reply], ai: &HashMap<String, VerdictCounts>) -> Vec<StaffRow> {
    let mut by: BTreeMap<&str, Vec<&Reply>> = BTreeMap::new();
    for r in all {
        by.entry(r.staff.as_str()).or_default().push(r);
    }
    let mut out: Vec<StaffRow> = by
        .into_iter()
        .map(|(staff, rs)| {
            let n = rs.len() as i64;
            let resp: Vec<i64> = rs.iter().filter_map(|r| r.response_seconds).collect();
            let quick_fires = rs.iter().filter(|r| r.quick_fire).count() as i64;
            let repeated = rs.iter().filter(|r| r.repeated).count() as i64;
            let v = ai.get(staff).copied().unwrap_or_default();
            StaffRow {
                staff: staff.to_string(),
                replies: n,
                avg_length: round2(rs.iter().map(|r| r.length as f64).sum::<f64>() / n as f64),
                avg_response_seconds: (!resp.is_empty())
                    .then(|| round2(resp.iter().sum::<i64>() as f64 / resp.len() as f64)),
                quick_fires,
                repeated,
                score: staff_score(n, quick_fires, repeated),
                ai_good: v.good,
                ai_mediocre: v.mediocre,
                ai_bad: v.bad,
            }
        })
        .collect();
    out.sort_by(|a, b| b.replies.cmp(&a.replies).then(a.staff.cmp(&b.staff)));
    out
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StaffStatRow {
    pub staff: String,
    /// Distinct tickets with at least one reply of theirs in the window.
    pub answered_tickets: i64,
    /// Avg response in minutes (2 decimals); null when no reply followed a customer message.
    pub avg_response_minutes: Option<f64>,
}

/// Staff statistics: Answered tickets and Average response time (min) per staff member.
pub async fn staff_statistics(
    conn: &Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<Vec<StaffStatRow>> {
    let all = replies(conn, scope, p, now).await?;
    // staff → (tickets answered, response times)
    type Acc = (HashSet<(i64, i64)>, Vec<i64>);
    let mut by: BTreeMap<&str, Acc> = BTreeMap::new();
    for r in &all {
        let e = by.entry(r.staff.as_str()).or_default();
        e.0.insert((r.panel_id, r.ticket_id));
        if let Some(s) = r.response_seconds {
            e.1.push(s);
        }
    }
    let mut out: Vec<StaffStatRow> = by
        .into_iter()
        .map(|(staff, (tickets, resp))| StaffStatRow {
            staff: staff.to_string(),
            answered_tickets: tickets.len() as i64,
            avg_response_minutes: (!resp.is_empty())
                .then(|| round2(resp.iter().sum::<i64>() as f64 / resp.len() as f64 / 60.0)),
        })
        .collect();
    out.sort_by(|a, b| b.answered_tickets.cmp(&a.answered_tickets).then(a.staff.cmp(&b.staff)));
    Ok(out)
}

// ---- By service ----

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ServiceTicketRow {
    pub panel_id: i64,
    pub service_id: i64,
    pub service_name: String,
    /// Tickets mentioning at least one order of this service.
    pub tickets: i64,
    /// Distinct order ids of this service mentioned.
    pub orders: i64,
    pub top_complaint: Option<String>,
}

/// A ticket created in the window with the order ids found in its messages.
#[derive(Clone, Debug, Serialize)]
pub struct TicketIds {
    pub panel_id: i64,
    pub ticket_id: i64,
    pub subject: String,
    pub status: Option<String>,
    pub created: i64,
    /// Every 6–10 digit number in its messages, in order of first appearance.
    pub order_ids: Vec<i64>,
    /// Those found in the panel's cached orders: (order id, service id).
    pub matched: Vec<(i64, i64)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServiceReport {
    pub rows: Vec<ServiceTicketRow>,
    /// Tickets in the window with no parsable id, or whose ids are in no cached order.
    pub unresolved: i64,
    pub tickets: Vec<TicketIds>,
}

/// Tickets created in the window, each with its order ids and the cached orders they match.
pub async fn tickets_with_ids(
    conn: &Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<Vec<TicketIds>> {
    let scope = &crate::common::explicit(conn, scope).await?;
    let from = now - p.window_hours * 3600;
    let sc = scope.sql("t.panel_id", p.panel);
    if sc == "0" {
        return Ok(Vec::new());
    }
    let rows = conn
        .query(
            &format!(
                "SELECT t.panel_id, t.id, COALESCE(t.subject, ''), t.status, t.created, t.order_ids
                 FROM tickets_cache t INDEXED BY tickets_cache_created
                 WHERE {sc} AND t.created >= ?1 AND t.created <= ?2
                 ORDER BY t.panel_id, t.id"
            ),
            params![from, now],
        )
        .await?;
    // Tickets whose ids were not worked out when their messages were stored: (panel → ticket ids).
    let mut unread: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut tickets: Vec<TicketIds> = collect(rows, |r| {
        let (panel_id, ticket_id) = (r.get::<i64>(0)?, r.get::<i64>(1)?);
        let order_ids = match shared::db::opt_text(r, 5)? {
            Some(ids) => ticket_messages::parse_order_ids(&ids),
            None => {
                unread.entry(panel_id).or_default().push(ticket_id);
                Vec::new()
            }
        };
        Ok(TicketIds {
            panel_id,
            ticket_id,
            subject: r.get::<String>(2)?,
            status: shared::db::opt_text(r, 3)?,
            created: r.get::<i64>(4)?,
            order_ids,
            matched: Vec::new(),
        })
    })
    .await?;
    for (panel, ids) in unread {
        let messages = crate::common::in_chunks(
            conn,
            &ids,
            |list| {
                format!(
                    "SELECT ticket_id, message FROM ticket_messages WHERE panel_id = {panel} AND ticket_id IN ({list})
                     ORDER BY ticket_id, created, seq"
                )
            },
            |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)),
        )
        .await?;
        let mut by = ticket_messages::ByConversation::default();
        messages.iter().for_each(|(ticket, body)| by.push(*ticket, body));
        let found: HashMap<i64, Vec<i64>> = by.finish().into_iter().collect();
        for t in tickets.iter_mut().filter(|t| t.panel_id == panel) {
            if let Some(ids) = found.get(&t.ticket_id) {
                t.order_ids = ids.clone();
            }
        }
    }
    // Look the ids up in each ticket's own panel.
    let mut wanted: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for t in &tickets {
        wanted.entry(t.panel_id).or_default().extend(&t.order_ids);
    }
    let mut found: HashMap<(i64, i64), i64> = HashMap::new();
    for (panel, mut ids) in wanted {
        ids.sort_unstable();
        ids.dedup();
        let services = crate::common::in_chunks(
            conn,
            &ids,
            |list| {
                format!(
                    "SELECT id, service_id FROM orders_cache WHERE panel_id = {panel} AND id IN ({list}) AND service_id IS NOT NULL"
                )
            },
            |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?)),
        )
        .await?;
        found.extend(services.into_iter().map(|(id, s)| ((panel, id), s)));
    }
    for t in &mut tickets {
        t.matched =
            t.order_ids.iter().filter_map(|o| found.get(&(t.panel_id, *o)).map(|s| (*o, *s))).collect();
    }
    Ok(tickets)
}

/// By service: tickets, distinct orders and top complaint per service; unresolved above the table.
pub async fn by_service(
    conn: &Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<ServiceReport> {
    let tickets = tickets_with_ids(conn, scope, p, now).await?;
    // (panel, service) → (tickets, order ids, complaint counts)
    type Acc = (HashSet<i64>, HashSet<i64>, HashMap<String, i64>);
    let mut acc: BTreeMap<(i64, i64), Acc> = BTreeMap::new();
    let mut unresolved = 0;
    for t in &tickets {
        if t.matched.is_empty() {
            unresolved += 1;
            continue;
        }
        let mut seen_here: HashSet<(i64, i64)> = HashSet::new();
        for (oid, sid) in &t.matched {
            let e = acc.entry((t.panel_id, *sid)).or_default();
            e.1.insert(*oid);
            if seen_here.insert((t.panel_id, *sid)) {
                e.0.insert(t.ticket_id);
                *e.2.entry(complaint(&t.subject).to_string()).or_default() += 1;
            }
        }
    }
    let names = crate::common::service_names(conn, &acc.keys().copied().collect::<Vec<_>>()).await?;
    let mut rows: Vec<ServiceTicketRow> = acc
        .into_iter()
        .map(|(key, (tk, orders, complaints))| {
            let top_complaint = complaints
                .into_iter()
                .filter(|(c, _)| !c.is_empty())
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|c| c.0);
            ServiceTicketRow {
                panel_id: key.0,
                service_id: key.1,
                service_name: names.get(&key).cloned().unwrap_or_else(|| format!("Service {}", key.1)),
                tickets: tk.len() as i64,
                orders: orders.len() as i64,
                top_complaint,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.tickets
            .cmp(&a.tickets)
            .then(b.orders.cmp(&a.orders))
            .then((a.panel_id, a.service_id).cmp(&(b.panel_id, b.service_id)))
    });
    Ok(ServiceReport { rows, unresolved, tickets })
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
