//! `GET /orders` and `GET /orders/{id}` over `orders_cache`, with Perfect Panel's filters and rows.

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{json, Value};

use shared::auth::Scope;
use shared::{AppError, AppResult, AppState};

use super::call::{object, path_id, Call};
use super::op::{f, n, Field, Kind::*, Op, Shape, Verb};
use super::sql::{self, money, put_time, Where};

pub const FIELDS: &[Field] = &[
    f("id", Int, "Order id on its panel."),
    f("panel_id", Int, "The console's panel id (not in Perfect Panel's answer; ids are unique per panel only)."),
    n("external_id", Str, "The provider's order id."),
    n("user", Str, "Username."),
    n("creation_type", Str, "Where the order came from (web / api)."),
    n("charge", Money, "What the customer paid."),
    n("provider_charge", Money, "What the provider charged."),
    n("provider_currency_charge", Money, "Not cached by the console: always null."),
    n("link", Str, ""),
    n("start_count", Int, ""),
    n("quantity", Int, ""),
    n("remains", Int, ""),
    n("service_id", Int, ""),
    n("service_type", Str, ""),
    n("service_name", Str, ""),
    n("provider", Str, "Provider domain."),
    f("status", Str, "pending, in_progress, processing, completed, partial, canceled, error, fail, or the panel's own word."),
    n("mode", Str, "auto / manual."),
    n("ip_address", Str, ""),
    n("is_autocomplete", Bool, "Not cached by the console: always null."),
    n("is_active_autocomplete", Bool, "Not cached by the console: always null."),
    f("created", DateTime, "UTC."),
    f("created_timestamp", Int, "Unix seconds."),
    n("last_update", DateTime, "Only with include=last_update (always on GET /orders/{id})."),
    n("last_update_timestamp", Int, "Only with include=last_update (always on GET /orders/{id})."),
];

pub static LIST: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/orders",
    scope: Scope::OrdersRead,
    tag: "Orders",
    summary: "List and filter orders",
    description: "Orders of the key's panels from the console's cache, newest first.",
    params: &[
        f("order_status", Str, "One status, e.g. fail."),
        f("created_from", Int, "Created at or after (Unix seconds)."),
        f("created_to", Int, "Created at or before (Unix seconds)."),
        f("service_ids", IntList, "Comma separated service ids."),
        f("user", Str, "Username."),
        f("ids", IntList, "Comma separated order ids."),
        f("sort", Str, "date-desc (default) or date-asc."),
        f("include", Str, "last_update adds last_update and last_update_timestamp."),
    ],
    body: &[],
    response: Shape::List(FIELDS),
};

pub static ONE: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/orders/{id}",
    scope: Scope::OrdersRead,
    tag: "Orders",
    summary: "One order",
    description: "With last_update. When the id exists on several of the key's panels, pass panel.",
    params: &[],
    body: &[],
    response: Shape::Object(FIELDS),
};

use shared::cache::orders::{Order, OrderStatus, COLUMNS};

fn row_json(r: &shared::db::Row, with_update: bool) -> AppResult<Value> {
    let o = Order::from_row(r)?;
    let currency = o.currency.as_deref();
    let mut v = json!({
        "id": o.id, "panel_id": o.panel_id, "external_id": o.external_id,
        "user": o.user, "creation_type": o.creation_type,
        "charge": money(o.charge, currency),
        "provider_charge": money(o.provider_charge, currency),
        "provider_currency_charge": Value::Null,
        "link": o.link, "start_count": o.start_count, "quantity": o.quantity,
        "remains": o.remains, "service_id": o.service_id, "service_type": o.service_type,
        "service_name": o.service_name, "provider": o.provider, "status": o.status,
        "mode": o.mode, "ip_address": o.ip_address,
        "is_autocomplete": Value::Null, "is_active_autocomplete": Value::Null,
    });
    put_time(&mut v, "created", Some(o.created));
    if with_update {
        put_time(&mut v, "last_update", o.last_update);
    }
    Ok(v)
}

pub async fn list(State(state): State<AppState>, call: Call) -> AppResult<Response> {
    let (limit, offset) = call.paging()?;
    let asc = call.ascending()?;
    let with_update = match call.get("include") {
        None => false,
        Some(v) => {
            for part in v.split(',').map(str::trim) {
                if part != "last_update" {
                    return Err(AppError::bad_request(format!(
                        "include accepts last_update only, got {part:?}."
                    )));
                }
            }
            true
        }
    };
    let mut w = Where::new(call.caller.panel_sql("panel_id"));
    if let Some(s) = call.choice("order_status", &OrderStatus::ALL.map(OrderStatus::as_str))? {
        w.bind("status = ?", s.to_string());
    }
    if let Some(t) = call.int("created_from", "a Unix time in seconds")? {
        w.bind("created >= ?", t);
    }
    if let Some(t) = call.int("created_to", "a Unix time in seconds")? {
        w.bind("created <= ?", t);
    }
    if let Some(ids) = call.ids("service_ids")? {
        w.ids("service_id", &ids);
    }
    if let Some(ids) = call.ids("ids")? {
        w.ids("id", &ids);
    }
    if let Some(u) = call.get("user") {
        w.bind("user = ?", u.to_string());
    }
    let count = sql::count(&state, "orders_cache", &w).await?;
    // (created, panel, id) is unique and is the order of orders_cache_created_all: pages never overlap or
    // skip, and a page is read straight off the index instead of sorting the table.
    let dir = if asc { "ASC" } else { "DESC" };
    // The offset is skipped on the index alone (the inner query), then only the page's rows are read:
    // deep pages cost an index walk, not a million row reads.
    let order = format!("created {dir}, panel_id {dir}, id {dir}");
    let q = format!(
        "SELECT {COLUMNS} FROM orders_cache WHERE (panel_id, id) IN (SELECT panel_id, id FROM orders_cache WHERE {}
         ORDER BY {order} LIMIT {limit} OFFSET {offset}) ORDER BY {order}",
        w.sql()
    );
    let list = sql::rows(&state, &q, w.args, |r| row_json(r, with_update)).await?;
    Ok(call.list(count, limit, offset, list))
}

pub async fn one(State(state): State<AppState>, call: Call, Path(id): Path<String>) -> AppResult<Response> {
    let id = path_id(&id, "order")?;
    let mut w = Where::new(call.caller.panel_sql("panel_id"));
    w.bind("id = ?", id);
    let q = format!("SELECT {COLUMNS} FROM orders_cache WHERE {} LIMIT 2", w.sql());
    let mut found = sql::rows(&state, &q, w.args, |r| row_json(r, true)).await?;
    match found.len() {
        0 => Err(AppError::NotFound(format!("Order {id} was not found."))),
        1 => Ok(object(found.remove(0))),
        _ => Err(AppError::bad_request(format!(
            "Order {id} exists on several of this key's panels: pass panel=<panel id>."
        ))),
    }
}
