//! Users, payments and tickets: the admin API offers no "changed since" filter for them, so each is
//! read in full cycles of offset pages, writing only rows that changed (spent, balance, status…).
//! Rows added while paging shift later rows to higher offsets: a row may be read twice (an upsert, no
//! duplicate) but none is skipped; the next cycle picks up what arrived at the front.

use libsql::Value as Sql;
use serde_json::{json, Value};

use shared::domain::sync::Resource;
use shared::pp::rows::{PaymentRow, TicketRow, UserRow};
use shared::time::now;

use super::{parse_all, save_position, Ctx, Step};
use crate::error::SyncError;
use crate::upsert::{opt_b, opt_i, opt_s, upsert, Table};

/// Parses a page's raw rows into SQL rows (panel, time, rows, offset) → (rows, skipped).
type ToRows = fn(i64, i64, &[Value], i64) -> (Vec<Vec<Sql>>, i64);

pub struct Paged {
    pub resource: Resource,
    pub path: &'static str,
    pub table: Table,
    pub to_rows: ToRows,
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
    table: Table {
        name: "users_cache",
        columns: &[
            "panel_id",
            "id",
            "username",
            "email",
            "balance",
            "spent",
            "currency",
            "status",
            "created",
            "last_auth",
            "discount",
            "checked_at",
        ],
        key: &["panel_id", "id"],
        insert_only: &["checked_at"],
    },
    to_rows: users,
};

pub const PAYMENTS: Paged = Paged {
    resource: Resource::Payments,
    path: "payments",
    table: Table {
        name: "payments_cache",
        columns: &[
            "panel_id",
            "id",
            "user",
            "amount",
            "currency",
            "method",
            "status",
            "memo",
            "mode",
            "created",
            "updated",
            "checked_at",
        ],
        key: &["panel_id", "id"],
        insert_only: &["checked_at"],
    },
    to_rows: payments,
};

pub const TICKETS: Paged = Paged {
    resource: Resource::Tickets,
    path: "tickets",
    table: Table {
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
    },
    to_rows: tickets,
};

pub async fn step(p: &Paged, ctx: &Ctx<'_>, position: &Value) -> Result<Step, SyncError> {
    let offset = position.get("offset").and_then(Value::as_i64).unwrap_or(0).max(0);
    let page = ctx
        .admin()?
        .list(p.path, &[("limit", ctx.page_size.to_string()), ("offset", offset.to_string())])
        .await?;
    let received = page.rows.len() as i64;
    let (rows, skipped) = (p.to_rows)(ctx.panel_id, now(), &page.rows, offset);
    let done = !page.has_next;
    let next = if done { 0 } else { offset + received };
    let step = Step {
        position: json!({ "offset": next }),
        received,
        fetched: Some(offset + received),
        total: page.count.or(Some(offset + received)),
        skipped,
        done,
        changed: None,
    };
    let conn = ctx.conn;
    let tx = shared::db::write_tx(conn).await?;
    upsert(&tx, &p.table, rows).await?;
    save_position(&tx, ctx.panel_id, p.resource, &step).await?;
    tx.commit().await?;
    Ok(step)
}
