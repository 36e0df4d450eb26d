//! Orders, in two phases per cycle.
//! 1. New orders: `created_from = <newest seen>`, `sort=date-asc`, offset paging from there. Orders
//!    created while we page land after the ones we read, so offsets stay valid; the newest second is
//!    re-read at the start of the next cycle (an upsert, never a duplicate).
//! 2. Open orders: every cached order not final yet is re-checked by id, in batches, oldest check first,
//!    so status, remains and last update stay current until the order is final: orders of the last two
//!    days on every run, older open ones (mostly stuck) every 30 minutes.

use libsql::{params, Value as Sql};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use shared::domain::sync::Resource;
use shared::pp::rows::OrderRow;
use shared::time::now_ms;

use super::{parse_all, save_position, Ctx, Step};
use crate::error::SyncError;
use crate::upsert::{opt_i, opt_s, upsert, Table};

pub const TABLE: Table = Table {
    name: "orders_cache",
    columns: &[
        "panel_id",
        "id",
        "external_id",
        "user",
        "creation_type",
        "charge",
        "currency",
        "provider_charge",
        "link",
        "start_count",
        "quantity",
        "remains",
        "service_id",
        "service_type",
        "service_name",
        "provider",
        "status",
        "mode",
        "ip_address",
        "created",
        "last_update",
        "checked_at",
    ],
    key: &["panel_id", "id"],
    insert_only: &["checked_at"],
};

/// Open orders younger than this are re-checked on every run; they are the ones that move.
const YOUNG_SECS: i64 = 2 * 86_400;
/// Older open orders (mostly stuck at a provider) are re-checked at most this often.
const OLD_RECHECK_MS: i64 = 30 * 60 * 1000;

#[derive(Serialize, Deserialize, Default, Debug)]
struct Position {
    #[serde(default)]
    from: i64,
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    max_ts: i64,
    /// "new" or "open".
    #[serde(default)]
    phase: String,
}

fn to_sql(panel: i64, t: i64, o: OrderRow) -> Vec<Sql> {
    vec![
        Sql::Integer(panel),
        Sql::Integer(o.id),
        opt_s(o.external_id),
        opt_s(o.user),
        opt_s(o.creation_type),
        opt_i(o.charge),
        opt_s(o.currency),
        opt_i(o.provider_charge),
        opt_s(o.link),
        opt_i(o.start_count),
        opt_i(o.quantity),
        opt_i(o.remains),
        opt_i(o.service_id),
        opt_s(o.service_type),
        opt_s(o.service_name),
        opt_s(o.provider),
        Sql::Text(o.status),
        opt_s(o.mode),
        opt_s(o.ip_address),
        Sql::Integer(o.created),
        opt_i(o.last_update),
        Sql::Integer(t),
    ]
}

pub async fn step(ctx: &Ctx<'_>, position: &Value) -> Result<Step, SyncError> {
    let mut p: Position = serde_json::from_value(position.clone()).unwrap_or_default();
    if p.phase == "open" {
        return recheck(ctx, p).await;
    }
    let admin = ctx.admin()?;
    let page = admin
        .list(
            "orders",
            &[
                ("limit", ctx.page_size.to_string()),
                ("offset", p.offset.to_string()),
                ("created_from", p.from.to_string()),
                ("sort", "date-asc".into()),
                ("include", "last_update".into()),
            ],
        )
        .await?;
    let received = page.rows.len() as i64;
    let (rows, skipped) = parse_all(ctx.panel_id, Resource::Orders, p.offset, &page.rows, OrderRow::parse);
    let t = now_ms();
    p.max_ts = p.max_ts.max(rows.iter().map(|o| o.created).max().unwrap_or(0));
    let fetched = p.offset + received;
    let total = page.count.unwrap_or(fetched);
    if page.has_next {
        p.offset += received;
    } else {
        p = Position { from: p.max_ts, offset: 0, max_ts: p.max_ts, phase: "open".into() };
    }
    let step = Step {
        position: serde_json::to_value(&p).unwrap_or_default(),
        received,
        fetched: Some(fetched),
        total: Some(total),
        skipped,
        done: false,
    };
    let conn = ctx.state.db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    upsert(&tx, &TABLE, rows.into_iter().map(|o| to_sql(ctx.panel_id, t, o)).collect()).await?;
    save_position(&tx, ctx.panel_id, Resource::Orders, &step).await?;
    tx.commit().await?;
    Ok(step)
}

async fn recheck(ctx: &Ctx<'_>, p: Position) -> Result<Step, SyncError> {
    let conn = ctx.state.db.connect().await?;
    let mut rows = conn
        .query(
            "SELECT id FROM orders_cache WHERE panel_id = ?1 AND status NOT IN ('completed', 'partial', 'canceled')
             AND checked_at < ?2 AND (created > ?4 OR checked_at < ?5) ORDER BY checked_at, id LIMIT ?3",
            params![
                ctx.panel_id,
                ctx.run_start_ms,
                ctx.page_size.min(1000),
                now_ms() / 1000 - YOUNG_SECS,
                ctx.run_start_ms - OLD_RECHECK_MS
            ],
        )
        .await?;
    let mut ids = Vec::new();
    while let Some(r) = rows.next().await? {
        ids.push(r.get::<i64>(0)?);
    }
    if ids.is_empty() {
        let next = Position { from: p.from, offset: 0, max_ts: p.max_ts, phase: "new".into() };
        let step =
            Step { position: serde_json::to_value(&next).unwrap_or_default(), done: true, ..Step::default() };
        let tx = shared::db::write_tx(&conn).await?;
        save_position(&tx, ctx.panel_id, Resource::Orders, &step).await?;
        tx.commit().await?;
        return Ok(step);
    }
    let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    let page = ctx
        .admin()?
        .list(
            "orders",
            &[("ids", list.join(",")), ("limit", ids.len().to_string()), ("include", "last_update".into())],
        )
        .await?;
    let received = page.rows.len() as i64;
    let (orders, skipped) = parse_all(ctx.panel_id, Resource::Orders, 0, &page.rows, OrderRow::parse);
    let t = now_ms();
    let step = Step {
        position: serde_json::to_value(&p).unwrap_or_default(),
        received,
        skipped,
        done: false,
        ..Step::default()
    };
    let tx = shared::db::write_tx(&conn).await?;
    upsert(&tx, &TABLE, orders.into_iter().map(|o| to_sql(ctx.panel_id, t, o)).collect()).await?;
    // Every asked-for order counts as checked, answered or not, so one missing order cannot stall the queue.
    let marks: Vec<Sql> = std::iter::once(Sql::Integer(t))
        .chain(std::iter::once(Sql::Integer(ctx.panel_id)))
        .chain(ids.iter().map(|i| Sql::Integer(*i)))
        .collect();
    let holes = vec!["?"; ids.len()].join(",");
    tx.execute(
        &format!("UPDATE orders_cache SET checked_at = ?1 WHERE panel_id = ?2 AND id IN ({holes})"),
        libsql::params_from_iter(marks),
    )
    .await?;
    save_position(&tx, ctx.panel_id, Resource::Orders, &step).await?;
    tx.commit().await?;
    Ok(step)
}
