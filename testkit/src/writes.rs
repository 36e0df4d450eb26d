//! The order write endpoints of the admin API v2 (see `perfect-panel-api.md` §4), with the [likely]
//! alternatives the reference names (both change-status paths; `ids`, `order_id` or `order` in the
//! body), the orders changed accordingly, and their fault switches (`Faults::missing_writes`,
//! `unknown_method_writes`, `refuse_orders`, `apply_then_hang`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::data::{Order, OrderOverride, PanelData};
use crate::server::{envelope_error, lock, AdminCall, SimState};

type St = Arc<Mutex<SimState>>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    Resend,
    RequestCancel,
    Cancel,
    ChangeStatus,
    SetPartial,
    EditLink,
}

/// The write routes below `/adminapi/v2`: those that name their orders in the body, then those
/// that name one in the path.
const BY_BODY: &[(&str, Write)] = &[
    ("/orders/resend", Write::Resend),
    ("/orders/request-cancel", Write::RequestCancel),
    ("/orders/cancel", Write::Cancel),
    ("/orders/change-status", Write::ChangeStatus),
];
const BY_PATH: &[(&str, Write)] = &[
    ("/orders/{id}/change-status", Write::ChangeStatus),
    ("/orders/{id}/set-partial", Write::SetPartial),
    ("/orders/{id}/edit-link", Write::EditLink),
];

pub(crate) fn routes() -> Router<St> {
    let mut r = Router::new();
    for &(route, kind) in BY_BODY {
        let handler = move |call: AdminCall, Json(body): Json<Value>| write(call, route, kind, None, body);
        r = r.route(&format!("/adminapi/v2{route}"), post(handler));
    }
    for &(route, kind) in BY_PATH {
        let handler = move |Path(id): Path<String>, call: AdminCall, Json(body): Json<Value>| {
            write(call, route, kind, Some(id), body)
        };
        r = r.route(&format!("/adminapi/v2{route}"), post(handler));
    }
    r
}

/// What the panel allows on an order now, as `GET /orders/{id}` sends it in `actions`.
pub fn actions(d: &PanelData, o: &Order) -> Value {
    let open = !matches!(o.status, "completed" | "partial" | "canceled");
    json!({
        "resend": o.status == "fail",
        "refill": o.status == "completed",
        "request_cancel": open && o.status != "fail" && !d.cancel_requested.contains(&o.id),
        "cancel_and_refund": open,
    })
}

/// The order ids a body names: `ids` ("1,2,3" or a number), `order_id` or `order`.
fn ids_of(body: &Value) -> Vec<i64> {
    let one = |v: &Value| v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
    if let Some(v) = body.get("ids") {
        if let Some(s) = v.as_str() {
            return s.split(',').filter_map(|p| p.trim().parse().ok()).collect();
        }
        return one(v).into_iter().collect();
    }
    body.get("order_id").or_else(|| body.get("order")).and_then(one).into_iter().collect()
}

async fn write(
    call: AdminCall,
    route: &'static str,
    kind: Write,
    path_id: Option<String>,
    body: Value,
) -> Response {
    let full = format!("/adminapi/v2{route}");
    let res = call
        .answer(&full, |s| {
            if s.faults.missing_writes.contains(&route) {
                return envelope_error(StatusCode::NOT_FOUND, 404, "Not Found");
            }
            if s.faults.unknown_method_writes.contains(&route) {
                return envelope_error(StatusCode::OK, 1, "Unknown method");
            }
            let ids = match path_id {
                Some(p) => p.trim().parse().ok().into_iter().collect(),
                None => ids_of(&body),
            };
            if ids.is_empty() {
                return envelope_error(StatusCode::BAD_REQUEST, 400, "ids is required");
            }
            for id in &ids {
                s.writes.push((route.to_string(), *id));
            }
            for id in &ids {
                if let Err(why) = apply(s, kind, *id, &body) {
                    return envelope_error(StatusCode::BAD_REQUEST, 400, &why);
                }
            }
            if s.faults.apply_then_hang > 0 {
                s.faults.apply_then_hang -= 1;
                s.hang_after_write = true;
            }
            Json(json!({"data": {"ids": ids}, "error_code": 0, "error_message": ""})).into_response()
        })
        .await;
    let hang = {
        let mut s = lock(call.state());
        std::mem::take(&mut s.hang_after_write).then_some(s.faults.hang_ms)
    };
    match hang {
        Some(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            envelope_error(StatusCode::GATEWAY_TIMEOUT, 504, "timeout")
        }
        None => res,
    }
}

fn apply(s: &mut SimState, kind: Write, id: i64, body: &Value) -> Result<(), String> {
    let d = &mut s.data;
    let Some(i) = d.order_index(id) else { return Err(format!("Order {id} not found")) };
    if s.faults.refuse_orders.contains(&id) {
        return Err(format!("Order {id} is locked by the provider"));
    }
    let o = d.order(i);
    let finished = matches!(o.status, "completed" | "partial" | "canceled");
    let now = d.now;
    let set = |d: &mut PanelData, status: &'static str, remains: i64| {
        d.resent.remove(&id);
        d.overrides.insert(id, OrderOverride { status, remains, last_update: now });
    };
    match kind {
        Write::Resend => {
            if o.status != "fail" {
                return Err(format!("Order {id} is not failed"));
            }
            d.overrides.remove(&id);
            d.resent.insert(id, now);
        }
        Write::RequestCancel => {
            if finished || d.cancel_requested.contains(&id) {
                return Err(format!("Cancel can not be requested for order {id}"));
            }
            d.cancel_requested.insert(id);
        }
        Write::Cancel => {
            if finished {
                return Err(format!("Order {id} can not be canceled"));
            }
            if o.status != "fail" {
                d.users[o.user].balance += o.charge;
            }
            set(d, "canceled", o.quantity);
        }
        Write::SetPartial => {
            let remains = body.get("remains").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
            let Some(remains) = remains.filter(|r| (0..=o.quantity).contains(r)) else {
                return Err("remains must be a number from 0 to the quantity".into());
            };
            if finished {
                return Err(format!("Order {id} is already finished"));
            }
            if o.status != "fail" && o.quantity > 0 {
                d.users[o.user].balance += o.charge * remains / o.quantity;
            }
            set(d, "partial", remains);
        }
        Write::EditLink => {
            let Some(link) = body.get("link").and_then(Value::as_str).filter(|l| !l.trim().is_empty()) else {
                return Err("link is required".into());
            };
            if finished {
                return Err(format!("Order {id} is already finished"));
            }
            d.link_overrides.insert(id, link.trim().to_string());
        }
        Write::ChangeStatus => {
            let status = match body.get("status").and_then(Value::as_str) {
                Some("completed") => "completed",
                Some("partial") => "partial",
                Some("canceled") => "canceled",
                Some("in_progress") => "in_progress",
                Some("pending") => "pending",
                _ => return Err("status must be completed, partial, canceled, in_progress or pending".into()),
            };
            let remains = match status {
                "completed" => 0,
                "canceled" | "pending" => o.quantity,
                _ => body.get("remains").and_then(Value::as_i64).unwrap_or(o.remains),
            };
            set(d, status, remains);
        }
    }
    Ok(())
}
