//! The order actions for API clients (scope `orders:write`): `POST /orders/resend`,
//! `/orders/request-cancel`, `/orders/cancel`, `/orders/change-status`, `/orders/{id}/set-partial`
//! and `/orders/{id}/edit-link`, with `{"panel": N, …}` in a JSON body. Answered synchronously with
//! one result per id; a call takes at most `MAX_IDS` orders so it fits in one request.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{json, Value};

use shared::audit::Actor;
use shared::auth::{ClientInfo, Scope};
use shared::pp::lenient::int;
use shared::{AppError, AppResult, AppState};

use super::call::{object, path_id, Call};
use super::op::{f, n, Field, Kind::*, Op, Shape, Verb};
use crate::actions::kind::{ActionKind, ItemState, Params};
use crate::actions::{plan, run, store};

/// Orders per call: at 5 requests/s a panel takes 50 in 10 s, inside API Gateway's 30 s.
pub const MAX_IDS: usize = 50;

const RESULT: &[Field] = &[
    f("id", Int, "The order id."),
    f("panel_id", Int, "The console's panel id."),
    f("result", Str, "done, refused (by the panel, or not sent: see message), not_offered (the panel lacks this endpoint) or unknown (no answer in time: it may have been applied; the order was re-read, never re-sent)."),
    n("message", Str, "The panel's refusal, or why the order was not sent."),
    n("status", Str, "The order's status as re-read from its panel afterwards."),
];
const ANSWER: Shape = Shape::Object(&[f("list", List(RESULT), "One result per id, in the order given.")]);
const PANEL: Field =
    f("panel", Int, "The console's panel id the orders are on (required; within the key's panels).");
const IDS: Field = f("ids", Str, "Order ids separated by commas, at most 50.");
const TAG: &str = "Order actions";

macro_rules! bulk_op {
    ($name:ident, $path:literal, $summary:literal, $desc:literal, $body:expr) => {
        pub static $name: Op = Op {
            verb: Verb::Post,
            path: $path,
            scope: Scope::OrdersWrite,
            tag: TAG,
            summary: $summary,
            description: $desc,
            params: &[],
            body: $body,
            response: ANSWER,
        };
    };
}

bulk_op!(RESEND, "/adminapi/v2/orders/resend", "Resend failed orders to their provider",
    "Only orders whose status is fail are sent; the others come back refused with the reason. One write per order, never retried.",
    &[PANEL, IDS]);
bulk_op!(
    REQUEST_CANCEL,
    "/adminapi/v2/orders/request-cancel",
    "Ask the provider to cancel orders",
    "For open orders. One write per order, never retried.",
    &[PANEL, IDS]
);
bulk_op!(CANCEL, "/adminapi/v2/orders/cancel", "Cancel orders and refund their customers",
    "For orders not completed, partial or canceled; the panel refunds the charge. One write per order, never retried.",
    &[PANEL, IDS]);
bulk_op!(
    CHANGE_STATUS,
    "/adminapi/v2/orders/change-status",
    "Change orders' status",
    "Sent as /orders/change-status, or /orders/{id}/change-status where the panel offers only that.",
    &[PANEL, IDS, f("status", Str, "completed, partial, canceled, in_progress or pending.")]
);
bulk_op!(
    SET_PARTIAL,
    "/adminapi/v2/orders/{id}/set-partial",
    "Set an order partial",
    "The panel refunds the undelivered part.",
    &[PANEL, f("remains", Int, "How many were not delivered (0 to the quantity).")]
);
bulk_op!(
    EDIT_LINK,
    "/adminapi/v2/orders/{id}/edit-link",
    "Change an order's link",
    "For orders not yet finished.",
    &[PANEL, f("link", Str, "The new link (http or https).")]
);

fn body_of(raw: &[u8]) -> AppResult<serde_json::Map<String, Value>> {
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(AppError::bad_request(
            "The body must be a JSON object, e.g. {\"panel\": 1, \"ids\": \"101,102\"}.",
        )),
    }
}

fn ids_of(v: Option<&Value>) -> AppResult<Vec<i64>> {
    let bad = || AppError::bad_request("ids must be order ids separated by commas, e.g. \"101,102\".");
    let ids: Vec<i64> = match v {
        Some(Value::String(s)) => s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| p.trim().parse().map_err(|_| bad()))
            .collect::<AppResult<_>>()?,
        Some(Value::Array(a)) => a.iter().map(|x| int(Some(x)).ok_or_else(bad)).collect::<AppResult<_>>()?,
        Some(x @ Value::Number(_)) => vec![int(Some(x)).ok_or_else(bad)?],
        _ => return Err(AppError::bad_request("ids is required: order ids separated by commas.")),
    };
    if ids.is_empty() {
        return Err(bad());
    }
    if ids.len() > MAX_IDS {
        return Err(AppError::bad_request(format!(
            "ids lists {} orders; one call takes at most {MAX_IDS} (split the list).",
            ids.len()
        )));
    }
    Ok(ids)
}

async fn act(
    state: &AppState,
    call: &Call,
    client: &ClientInfo,
    kind: ActionKind,
    path: Option<String>,
    raw: &[u8],
) -> AppResult<Response> {
    let started = std::time::Instant::now();
    let body = body_of(raw)?;
    let panel = int(body.get("panel"))
        .ok_or_else(|| AppError::bad_request("panel is required: the console's id of the orders' panel."))?;
    // Refused before anything is read or sent.
    call.caller.scope.check(panel)?;
    let ids = match path {
        Some(p) => vec![path_id(&p, "order")?],
        None => ids_of(body.get("ids"))?,
    };
    let text = |k: &str| {
        body.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(String::from)
    };
    let params = Params { link: text("link"), remains: int(body.get("remains")), status: text("status") };
    kind.check_params(&params).map_err(AppError::bad_request)?;
    let mut selection: Vec<(i64, i64)> = Vec::new();
    for id in &ids {
        if !selection.contains(&(panel, *id)) {
            selection.push((panel, *id));
        }
    }
    let conn = state.db.connect().await?;
    let mut plan = plan::plan(&conn, &call.caller.scope, kind, params, &selection).await?;
    plan.check_panel_flags(state).await;
    let mut items = Vec::new();
    if !plan.targets.is_empty() {
        let username = format!("API key {}", call.caller.prefix);
        let actor = Actor { staff_id: call.caller.created_by, username: &username, client };
        let details = plan.summary(|p| format!("panel {p}"));
        let id = store::create(&conn, &plan, &actor, &details, shared::time::now()).await?;
        run::advance(state, id, state.config.action_slice.saturating_sub(started.elapsed()), client).await?;
        // What one request could not send is not sent at all: the client may call again for those.
        store::give_up(
            &conn,
            id,
            "not sent: this call ran out of time; nothing was sent for this order",
            shared::time::now(),
        )
        .await?;
        items = store::load(&conn, id).await?.1;
    }
    let list: Vec<Value> = selection
        .iter()
        .map(|(p, id)| match items.iter().find(|i| i.panel_id == *p && i.order_id == *id) {
            Some(i) => {
                let result = match i.state {
                    ItemState::Pending | ItemState::Sending => ItemState::Unknown,
                    s => s,
                };
                json!({"id": id, "panel_id": p, "result": result.as_str(), "message": i.message, "status": i.status_after})
            }
            None => {
                let why = plan.skipped.iter().find(|s| s.panel_id == *p && s.id == *id).map(|s| s.reason.as_str());
                json!({"id": id, "panel_id": p, "result": "refused",
                       "message": format!("not sent: {}", why.unwrap_or("it does not apply")), "status": Value::Null})
            }
        })
        .collect();
    Ok(object(json!({"list": list})))
}

macro_rules! bulk_handler {
    ($name:ident, $kind:expr) => {
        pub async fn $name(
            State(state): State<AppState>,
            call: Call,
            client: ClientInfo,
            body: Bytes,
        ) -> AppResult<Response> {
            act(&state, &call, &client, $kind, None, &body).await
        }
    };
    ($name:ident, $kind:expr, path) => {
        pub async fn $name(
            State(state): State<AppState>,
            call: Call,
            client: ClientInfo,
            Path(id): Path<String>,
            body: Bytes,
        ) -> AppResult<Response> {
            act(&state, &call, &client, $kind, Some(id), &body).await
        }
    };
}

bulk_handler!(resend, ActionKind::Resend);
bulk_handler!(request_cancel, ActionKind::RequestCancel);
bulk_handler!(cancel, ActionKind::Cancel);
bulk_handler!(change_status, ActionKind::ChangeStatus);
bulk_handler!(set_partial, ActionKind::SetPartial, path);
bulk_handler!(edit_link, ActionKind::EditLink, path);
