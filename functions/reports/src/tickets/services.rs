//! Ticket tracking → By service: the order ids each ticket of the window mentions, looked up in its
//! panel's cached orders and counted per service. The tickets, their matched orders and the services'
//! names come in one batch; the order ids are expanded in SQL from `tickets_cache.order_ids`.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use shared::cache::ticket_messages;
use shared::db::{Conn, Done, Read, Reads, Row, Stmt};

use shared::auth::PanelScope;
use shared::domain::text::complaint;
use shared::AppResult;

use super::TicketParams;

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

/// A ticket's row: its order ids are None when they were never worked out (messages not stored when
/// the ids were).
type TicketRow = (TicketIds, bool);
/// (panel, ticket, order, service, service name)
type Match = (i64, i64, i64, i64, Option<String>);

/// The report's reads, added to a batch.
pub struct ServiceReads {
    tickets: Read<TicketRow>,
    matches: Read<Match>,
}

fn ticket_row(r: &Row) -> AppResult<TicketRow> {
    let ids = shared::db::opt_text(r, 5)?;
    let ticket = TicketIds {
        panel_id: r.get(0)?,
        ticket_id: r.get(1)?,
        subject: r.get(2)?,
        status: shared::db::opt_text(r, 3)?,
        created: r.get(4)?,
        order_ids: ids.as_deref().map(ticket_messages::parse_order_ids).unwrap_or_default(),
        matched: Vec::new(),
    };
    Ok((ticket, ids.is_none()))
}

/// The window's tickets, and every (ticket, cached order) pair its order ids match with the order's
/// service and that service's name (the catalogue's, else an order's), in the ids' order.
pub fn add_reads(reads: &mut Reads, scope: &PanelScope, p: &TicketParams, now: i64) -> Option<ServiceReads> {
    let sc = scope.sql("t.panel_id", p.panel);
    if sc == "0" {
        // INDEXED BY has no plan for a constant-false condition; nothing is in scope anyway.
        return None;
    }
    let window: Vec<libsql::Value> = vec![(now - p.window_hours * 3600).into(), now.into()];
    let tickets = format!(
        "SELECT t.panel_id, t.id, COALESCE(t.subject, ''), t.status, t.created, t.order_ids
         FROM tickets_cache t INDEXED BY tickets_cache_created
         WHERE {sc} AND t.created >= ?1 AND t.created <= ?2 ORDER BY t.panel_id, t.id"
    );
    // `order_ids` is space-separated digits (`order_ids_text`), so it reads as a JSON array. CROSS JOIN
    // keeps the order: each ticket's ids, then each id's order by its key (not every order of a panel).
    let matches = format!(
        "SELECT t.panel_id, t.id, o.id, o.service_id,
            COALESCE(s.name, o.service_name, (SELECT x.service_name FROM orders_cache x INDEXED BY orders_cache_service
                WHERE x.service_id = o.service_id AND x.panel_id = o.panel_id AND x.service_name IS NOT NULL LIMIT 1))
         FROM tickets_cache t INDEXED BY tickets_cache_created
         CROSS JOIN json_each('[' || replace(t.order_ids, ' ', ',') || ']') j
         CROSS JOIN orders_cache o
         LEFT JOIN services_cache s ON s.panel_id = o.panel_id AND s.id = o.service_id
         WHERE o.panel_id = t.panel_id AND o.id = j.value AND {sc} AND t.created >= ?1 AND t.created <= ?2 AND t.order_ids IS NOT NULL AND t.order_ids != ''
            AND o.service_id IS NOT NULL
         ORDER BY t.panel_id, t.id, j.key"
    );
    Some(ServiceReads {
        tickets: reads.add(Stmt::new(tickets, window.clone()), ticket_row),
        matches: reads.add(Stmt::new(matches, window), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, shared::db::opt_text(r, 4)?))
        }),
    })
}

/// The report from the batch's answers. Tickets whose ids were never worked out are read from their
/// messages here (one more round trip, only when there are such tickets).
pub async fn finish(conn: &Conn, done: &mut Done, reads: Option<ServiceReads>) -> AppResult<ServiceReport> {
    let Some(reads) = reads else {
        return Ok(ServiceReport { rows: Vec::new(), unresolved: 0, tickets: Vec::new() });
    };
    let rows = done.all(reads.tickets).await?;
    let matches = done.all(reads.matches).await?;
    let unread: Vec<(i64, i64)> =
        rows.iter().filter(|(_, u)| *u).map(|(t, _)| (t.panel_id, t.ticket_id)).collect();
    let mut tickets: Vec<TicketIds> = rows.into_iter().map(|(t, _)| t).collect();
    let mut names: HashMap<(i64, i64), String> = HashMap::new();
    let mut found: HashMap<(i64, i64), Vec<(i64, i64)>> = HashMap::new();
    for (panel, ticket, order, service, name) in matches {
        found.entry((panel, ticket)).or_default().push((order, service));
        if let Some(n) = name {
            names.entry((panel, service)).or_insert(n);
        }
    }
    if !unread.is_empty() {
        let (ids, more_names) = unread_matches(conn, &unread).await?;
        names.extend(more_names);
        for t in tickets.iter_mut() {
            if let Some((order_ids, matched)) = ids.get(&(t.panel_id, t.ticket_id)) {
                t.order_ids = order_ids.clone();
                found.insert((t.panel_id, t.ticket_id), matched.clone());
            }
        }
    }
    for t in &mut tickets {
        t.matched = found.remove(&(t.panel_id, t.ticket_id)).unwrap_or_default();
    }
    Ok(summarise(tickets, &names))
}

/// Order ids and matches of tickets whose ids were not worked out when their messages were stored:
/// read from the messages, then looked up in each ticket's panel.
#[allow(clippy::type_complexity)]
async fn unread_matches(
    conn: &Conn,
    unread: &[(i64, i64)],
) -> AppResult<(HashMap<(i64, i64), (Vec<i64>, Vec<(i64, i64)>)>, HashMap<(i64, i64), String>)> {
    let mut by_panel: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (panel, ticket) in unread {
        by_panel.entry(*panel).or_default().push(*ticket);
    }
    let mut ids: HashMap<(i64, i64), Vec<i64>> = HashMap::new();
    for (panel, tickets) in &by_panel {
        let messages = crate::common::in_chunks(
            conn,
            tickets,
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
        ids.extend(by.finish().into_iter().map(|(t, list)| ((*panel, t), list)));
    }
    let mut wanted: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for ((panel, _), list) in &ids {
        wanted.entry(*panel).or_default().extend(list);
    }
    let mut services: HashMap<(i64, i64), i64> = HashMap::new();
    for (panel, mut list) in wanted {
        list.sort_unstable();
        list.dedup();
        let found = crate::common::in_chunks(
            conn,
            &list,
            |l| {
                format!("SELECT id, service_id FROM orders_cache WHERE panel_id = {panel} AND id IN ({l}) AND service_id IS NOT NULL")
            },
            |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?)),
        )
        .await?;
        services.extend(found.into_iter().map(|(id, s)| ((panel, id), s)));
    }
    let keys: Vec<(i64, i64)> = services.iter().map(|((panel, _), s)| (*panel, *s)).collect();
    let names = crate::common::service_names(conn, &keys).await?;
    let out = ids
        .into_iter()
        .map(|((panel, ticket), list)| {
            let matched = list.iter().filter_map(|o| services.get(&(panel, *o)).map(|s| (*o, *s))).collect();
            ((panel, ticket), (list, matched))
        })
        .collect();
    Ok((out, names))
}

/// Tickets, distinct orders and the top complaint per service, worst first.
fn summarise(tickets: Vec<TicketIds>, names: &HashMap<(i64, i64), String>) -> ServiceReport {
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
    ServiceReport { rows, unresolved, tickets }
}

/// By service: tickets, distinct orders and top complaint per service; unresolved above the table.
/// One round trip.
pub async fn by_service(
    conn: &Conn,
    scope: &PanelScope,
    p: &TicketParams,
    now: i64,
) -> AppResult<ServiceReport> {
    let mut reads = Reads::new();
    let service = add_reads(&mut reads, scope, p, now);
    let mut done = reads.run(conn).await?;
    finish(conn, &mut done, service).await
}
