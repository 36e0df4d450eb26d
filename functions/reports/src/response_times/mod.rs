//! Ticket tracking → Response times: per staff member and per panel, over the tickets created in the
//! window — median and P90 first response (ticket created → first staff reply), median resolution
//! (created → closed: a closed ticket's last update), reopen rate, replies per ticket, and tickets that
//! waited longer than their panel's target (`panels.response_target_minutes`, default 60). Staff are
//! who By staff counts: senders of `is_staff` messages, named by `tickets::staff_name`. A ticket belongs
//! to the staff member who answered it first. Needs no HTTP: the admin API can serve the same numbers.

pub mod pages;

use std::collections::{BTreeMap, HashMap};

use libsql::params;
use serde::Serialize;
use shared::auth::PanelScope;
use shared::db::{Conn, Reads, Stmt};
use shared::AppResult;

use crate::common::round2;
use crate::tickets::{staff_name, TicketParams};

/// A customer message this long after the last staff reply (with nothing between) reopens a ticket
/// that was answered and left quiet.
pub const QUIET_SECS: i64 = 24 * 3600;
/// The target when a panel has none stored.
pub const DEFAULT_TARGET_MINUTES: i64 = 60;

/// One ticket as the report reads it.
#[derive(Clone, Debug, Default)]
struct Ticket {
    panel_id: i64,
    created: i64,
    closed_at: Option<i64>,
    /// (staff name, seconds after creation) of the first staff reply.
    first: Option<(String, i64)>,
    staff_replies: i64,
    reopened: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ResponseRow {
    /// The staff member (rows by staff); absent on rows by panel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
    /// The panel (rows by panel); absent on rows by staff, which may span panels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panel_id: Option<i64>,
    /// Tickets created in the window (by staff: those they answered first).
    pub tickets: i64,
    pub answered: i64,
    pub median_first_response_seconds: Option<f64>,
    pub p90_first_response_seconds: Option<f64>,
    pub resolved: i64,
    pub median_resolution_seconds: Option<f64>,
    pub reopened: i64,
    /// Reopened ÷ tickets × 100, 2 decimals.
    pub reopen_rate: f64,
    /// Staff replies in those tickets ÷ tickets, 2 decimals.
    pub replies_per_ticket: f64,
    /// Answered later than the panel's target, or (by panel) still unanswered past it.
    pub over_target: i64,
}

/// The median: the middle value, or the mean of the two middle values.
pub fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

/// The 90th percentile by nearest rank: the smallest value at or above 90 % of the values.
pub fn p90(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    (n > 0).then(|| sorted[(n * 9).div_ceil(10).max(1) - 1] as f64)
}

/// Reads the window's tickets, their messages and the panels' targets in one round trip.
async fn read(
    conn: &Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<(Vec<Ticket>, HashMap<i64, i64>)> {
    let scope = &crate::common::explicit(conn, scope).await?;
    let sc = scope.sql("panel_id", p.panel);
    let from = now - p.window_hours * 3600;
    let in_window = format!("{sc} AND created >= ?1 AND created <= ?2");
    let mut reads = Reads::new();
    let tickets = reads.add(
        Stmt::new(
            format!("SELECT panel_id, id, status, created, last_update FROM tickets_cache WHERE {in_window}"),
            params![from, now],
        ),
        |r| {
            let status: Option<String> = shared::db::opt_text(r, 2)?;
            let closed = status.as_deref() == Some("closed");
            Ok((
                (r.get::<i64>(0)?, r.get::<i64>(1)?),
                r.get::<i64>(3)?,
                shared::db::opt_i64(r, 4)?.filter(|_| closed),
            ))
        },
    );
    let messages = reads.add(
        Stmt::new(
            format!(
                "SELECT panel_id, ticket_id, sender_name, is_staff, created FROM ticket_messages
                 WHERE {sc} AND (panel_id, ticket_id) IN (SELECT panel_id, id FROM tickets_cache WHERE {in_window})
                 ORDER BY panel_id, ticket_id, created, seq"
            ),
            params![from, now],
        ),
        |r| {
            Ok((
                (r.get::<i64>(0)?, r.get::<i64>(1)?),
                shared::db::opt_text(r, 2)?,
                r.get::<i64>(3)? != 0,
                r.get::<i64>(4)?,
            ))
        },
    );
    let targets = reads.add(
        Stmt::new(
            format!("SELECT id, response_target_minutes FROM panels WHERE {}", scope.sql("id", p.panel)),
            (),
        ),
        |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?)),
    );
    let mut done = reads.run(conn).await?;
    let mut by_key: BTreeMap<(i64, i64), Ticket> = done
        .all(tickets)
        .await?
        .into_iter()
        .map(|(k, created, closed_at)| (k, Ticket { panel_id: k.0, created, closed_at, ..Ticket::default() }))
        .collect();
    // Per ticket, in time order: the first staff reply, the replies, and a reopening customer message.
    let mut last_staff: Option<((i64, i64), i64, bool)> = None;
    for (key, sender, is_staff, created) in done.all(messages).await? {
        let Some(t) = by_key.get_mut(&key) else { continue };
        let prev = last_staff.filter(|l| l.0 == key);
        if is_staff {
            t.staff_replies += 1;
            if t.first.is_none() {
                t.first = Some((staff_name(sender.as_deref()), (created - t.created).max(0)));
            }
            last_staff = Some((key, created, true));
        } else {
            // A customer's message after a closed ticket's close, or after a reply left quiet for 24 h.
            let after_close = t.closed_at.is_some_and(|c| created > c);
            let after_quiet =
                prev.is_some_and(|(_, at, staff_last)| staff_last && created - at >= QUIET_SECS);
            t.reopened |= after_close || after_quiet;
            last_staff = Some((key, created, false));
        }
    }
    let targets = done.all(targets).await?.into_iter().collect();
    Ok((by_key.into_values().collect(), targets))
}

fn row(
    staff: Option<String>,
    panel_id: Option<i64>,
    tickets: &[&Ticket],
    targets: &HashMap<i64, i64>,
    now: i64,
) -> ResponseRow {
    let target = |t: &Ticket| targets.get(&t.panel_id).copied().unwrap_or(DEFAULT_TARGET_MINUTES) * 60;
    let mut first: Vec<i64> = tickets.iter().filter_map(|t| t.first.as_ref().map(|f| f.1)).collect();
    first.sort_unstable();
    let mut resolution: Vec<i64> =
        tickets.iter().filter_map(|t| t.closed_at.map(|c| (c - t.created).max(0))).collect();
    resolution.sort_unstable();
    let n = tickets.len() as i64;
    let reopened = tickets.iter().filter(|t| t.reopened).count() as i64;
    let replies: i64 = tickets.iter().map(|t| t.staff_replies).sum();
    let over_target = tickets
        .iter()
        .filter(|t| match &t.first {
            Some((_, secs)) => *secs > target(t),
            None => now - t.created > target(t),
        })
        .count() as i64;
    let share = |x: i64| if n == 0 { 0.0 } else { round2(x as f64 / n as f64) };
    ResponseRow {
        staff,
        panel_id,
        tickets: n,
        answered: first.len() as i64,
        median_first_response_seconds: median(&first),
        p90_first_response_seconds: p90(&first),
        resolved: resolution.len() as i64,
        median_resolution_seconds: median(&resolution),
        reopened,
        reopen_rate: share(reopened * 100),
        replies_per_ticket: share(replies),
        over_target,
    }
}

/// Rows by staff (most tickets first) and by panel (in panel order).
pub async fn response_times(
    conn: &Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<(Vec<ResponseRow>, Vec<ResponseRow>)> {
    let (tickets, targets) = read(conn, scope, p, now).await?;
    let mut by_staff: BTreeMap<&str, Vec<&Ticket>> = BTreeMap::new();
    let mut by_panel: BTreeMap<i64, Vec<&Ticket>> = BTreeMap::new();
    for t in &tickets {
        if let Some((s, _)) = &t.first {
            by_staff.entry(s.as_str()).or_default().push(t);
        }
        by_panel.entry(t.panel_id).or_default().push(t);
    }
    let mut staff: Vec<ResponseRow> =
        by_staff.into_iter().map(|(s, ts)| row(Some(s.to_string()), None, &ts, &targets, now)).collect();
    staff.sort_by(|a, b| b.tickets.cmp(&a.tickets).then_with(|| a.staff.cmp(&b.staff)));
    let panels = by_panel.into_iter().map(|(p, ts)| row(None, Some(p), &ts, &targets, now)).collect();
    Ok((staff, panels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p90_by_nearest_rank() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5.0));
        assert_eq!(median(&[1, 2, 3, 10]), Some(2.5));
        assert_eq!(p90(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), Some(9.0));
        assert_eq!(p90(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), Some(10.0));
        assert_eq!(p90(&[7]), Some(7.0));
    }
}
