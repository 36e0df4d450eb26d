//! Users, payments and tickets: the admin API offers no "changed since" filter for them. Lists come
//! newest first, so a cycle reads offset pages from the front and writes only rows that changed
//! (spent, balance, status…):
//! - a quick cycle stops at the first page where nothing was new or changed: new sign-ups and payments,
//!   and the recent payments whose status moves, arrive without re-reading the whole list;
//! - every `FULL_EVERY`-th cycle (and the first) reads everything, for changes deep in the list (an old
//!   customer's spent and balance). Tickets always read everything: a reply to an old ticket moves its
//!   status and last update, and its conversation must follow within one interval.
//!
//! Rows added while paging shift later rows to higher offsets: a row may be read twice (an upsert, no
//! duplicate) but none is skipped; the next cycle picks up what arrived at the front.

use libsql::Value as Sql;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use shared::domain::sync::Resource;
use shared::pp::rows::{PaymentRow, TicketRow, UserRow};
use shared::time::now;

use shared::db::Stmt;

use super::{
    count_new_stmt, ids_of_rows, parse_all, position_stmt, returned_count, Ctx, Step, LEASE_HEARTBEAT_SECS,
};
use crate::error::SyncError;
use crate::upsert::{opt_b, opt_i, opt_s, upsert, Table};

/// Parses a page's raw rows into SQL rows (panel, time, rows, offset) → (rows, skipped).
type ToRows = fn(i64, i64, &[Value], i64) -> (Vec<Vec<Sql>>, i64);

pub struct Paged {
    pub resource: Resource,
    pub path: &'static str,
    pub table: Table,
    pub to_rows: ToRows,
    /// Quick cycles between full ones (0: every cycle is full).
    pub quick_cycles: i64,
}

/// Users and payments: five quick cycles, then a full one (hourly at the users' default 10 minutes).
const FULL_EVERY: i64 = 6;

#[derive(Serialize, Deserialize, Default, Debug, Clone, Copy)]
struct Position {
    #[serde(default)]
    offset: i64,
    /// Cycles since the last full one; none yet: the next cycle is full.
    #[serde(default)]
    since_full: Option<i64>,
    /// This cycle reads everything.
    #[serde(default)]
    full: bool,
}

fn users(panel: i64, t: i64, raw: &[Value], offset: i64) -> (Vec<Vec<Sql>>, i64) {
    let (rows, skipped) = parse_all(panel, Resource::Users, offset, raw, UserRow::parse);
    let out = rows
        .into_iter()
        .map(|u| {
            vec![
                Sql::Integer(panel),
                Sql::Integer(u.id),
                Sql::Text(u.username),
                opt_s(u.email),
                opt_i(u.balance),
                opt_i(u.spent),
                opt_s(u.currency),
                opt_s(u.status),
                opt_i(u.created),
                opt_i(u.last_auth),
                opt_s(u.discount),
                Sql::Integer(t),
            ]
        })
        .collect();
    (out, skipped)
}

fn payments(panel: i64, t: i64, raw: &[Value], offset: i64) -> (Vec<Vec<Sql>>, i64) {
    let (rows, skipped) = parse_all(panel, Resource::Payments, offset, raw, PaymentRow::parse);
    let out = rows
        .into_iter()
        .map(|p| {
            vec![
                Sql::Integer(panel),
                Sql::Integer(p.id),
                opt_s(p.user),
                opt_i(p.amount),
                opt_s(p.currency),
                opt_s(p.method),
                opt_s(p.status),
                opt_s(p.memo),
                opt_s(p.mode),
                Sql::Integer(p.created),
                opt_i(p.updated),
                Sql::Integer(t),
            ]
        })
        .collect();
    (out, skipped)
}

fn tickets(panel: i64, t: i64, raw: &[Value], offset: i64) -> (Vec<Vec<Sql>>, i64) {
    let (rows, skipped) = parse_all(panel, Resource::Tickets, offset, raw, TicketRow::parse);
    let out = rows
        .into_iter()
        .map(|r| {
            vec![
                Sql::Integer(panel),
                Sql::Integer(r.id),
                opt_s(r.user),
                opt_s(r.subject),
                opt_s(r.status),
                opt_s(r.assignee),
                Sql::Integer(r.created),
                opt_i(r.last_update),
                opt_b(r.is_read),
                Sql::Integer(t),
            ]
        })
        .collect();
    (out, skipped)
}

pub const USERS: Paged = Paged {
    resource: Resource::Users,
    path: "users",
    table: shared::cache::users::TABLE,
    to_rows: users,
    quick_cycles: FULL_EVERY - 1,
};

pub const PAYMENTS: Paged = Paged {
    resource: Resource::Payments,
    path: "payments",
    table: shared::cache::payments::TABLE,
    to_rows: payments,
    quick_cycles: FULL_EVERY - 1,
};

pub const TICKETS: Paged = Paged {
    resource: Resource::Tickets,
    path: "tickets",
    table: shared::cache::tickets::TABLE,
    to_rows: tickets,
    quick_cycles: 0,
};

pub async fn step(p: &Paged, ctx: &Ctx<'_>, position: &Value) -> Result<Step, SyncError> {
    let mut pos: Position = serde_json::from_value(position.clone()).unwrap_or_default();
    if pos.offset <= 0 {
        pos.offset = 0;
        pos.full = pos.since_full.is_none_or(|n| n >= p.quick_cycles);
    }
    let offset = pos.offset;
    let page = ctx
        .admin()?
        .list(p.path, &[("limit", ctx.page_size.to_string()), ("offset", offset.to_string())])
        .await?;
    let received = page.rows.len() as i64;
    let (rows, skipped) = (p.to_rows)(ctx.panel_id, now(), &page.rows, offset);
    // Where the cycle goes next depends on what the write finds: a quick cycle that reached rows it
    // already holds unchanged stops (the rest is older still) — unless the panel counts more rows than
    // the cache holds (a list that is not newest first after all): then it reads on, so new rows never
    // wait for the full cycle. Both positions are made here and the write picks one, so the page, its
    // count and its position are one write batch, one round trip.
    let since_full = if pos.full { 0 } else { pos.since_full.unwrap_or(0) + 1 };
    let ended = Position { offset: 0, since_full: Some(since_full), ..pos };
    let go_on = Position { offset: offset + received, ..pos };
    let may_stop_here = !go_on.full && received > 0;
    let step = |position: &Position, done: bool| Step {
        position: serde_json::to_value(position).unwrap_or_default(),
        received,
        fetched: Some(offset + received),
        total: page.count.or(Some(offset + received)),
        skipped,
        done,
        cached: None,
    };
    let (done_step, next_step) = (step(&ended, true), step(&go_on, false));
    let mut stmts = vec![count_new_stmt(p.table.name, ctx.panel_id, p.resource, &ids_of_rows(&rows))];
    let upserts = upsert(&p.table, rows);
    let wrote_rows = !upserts.is_empty();
    stmts.extend(upserts);
    let position = if !page.has_next {
        position_stmt(ctx.panel_id, p.resource, &done_step)
    } else if may_stop_here && wrote_rows {
        choose_position(p, ctx.panel_id, page.count, &done_step, &next_step)
    } else {
        position_stmt(ctx.panel_id, p.resource, &next_step)
    };
    stmts.push(position);
    let mut results = ctx.conn.write_batch(stmts).await?;
    let cached = returned_count(&mut results, 0).await?;
    let chosen = match results.last_mut() {
        Some(rows) => rows.next().await?.map(|r| r.get::<i64>(0)).transpose()?,
        None => None,
    };
    // `choose_position` returns 1 when it stored the end of the cycle; the others return nothing.
    let done = !page.has_next || chosen == Some(1);
    let mut out = if done { done_step } else { next_step };
    out.cached = cached;
    Ok(out)
}

/// The position statement of a quick cycle's page: stores the end of the cycle when the page's upsert
/// (the statement just before) changed nothing (`changes()`) and the cache holds at least as many rows
/// as the panel counts, else the next page's; returns 1 for the end, 0 for the next page.
fn choose_position(p: &Paged, panel_id: i64, count: Option<i64>, done: &Step, next: &Step) -> Stmt {
    Stmt::new(
        format!(
            "UPDATE sync_state SET
                position = CASE WHEN changes() = 0 AND (?1 IS NULL OR ?1 <= (SELECT COUNT(*) FROM {table} WHERE panel_id = ?2))
                    THEN ?3 ELSE ?4 END,
                fetched = ?5, total = ?6, skipped = skipped + ?7, last_fetched_at = ?8,
                lease_until = MAX(lease_until, ?8 + ?9)
             WHERE panel_id = ?2 AND resource = ?10
             RETURNING position = ?3",
            table = p.table.name
        ),
        libsql::params![
            count,
            panel_id,
            done.position.to_string(),
            next.position.to_string(),
            next.fetched,
            next.total,
            next.skipped,
            now(),
            LEASE_HEARTBEAT_SECS,
            p.resource.as_str()
        ],
    )
}
