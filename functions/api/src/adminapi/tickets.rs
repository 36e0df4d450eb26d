//! `GET /tickets`, `GET /tickets/{id}` (with its messages) and `POST /tickets/{id}/reply`, which is
//! forwarded to the ticket's panel (see [`crate::ticket_reply`]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{json, Value};

use shared::audit::Actor;
use shared::auth::{ClientInfo, Scope};
use shared::db::opt_i64;
use shared::{AppError, AppResult, AppState};

use super::call::{object, path_id, Call};
use super::op::{f, n, Field, Kind::*, Op, Shape, Verb};
use super::sql::{self, put_time, Where};

pub const FIELDS: &[Field] = &[
    f("id", Int, "Ticket id on its panel."),
    f("panel_id", Int, "The console's panel id (not in Perfect Panel's answer)."),
    n("user", UserRef, "{\"username\": …}"),
    n("subject", Str, ""),
    n("status", Str, "pending, answered, closed, locked, or the panel's own word."),
    n("assignee", Str, ""),
    f("created", DateTime, "UTC."),
    f("created_timestamp", Int, "Unix seconds."),
    n("last_update", DateTime, "UTC."),
    n("last_update_timestamp", Int, "Unix seconds."),
    n("is_read", Bool, ""),
];

pub const MESSAGE_FIELDS: &[Field] = &[
    n("sender_name", Str, "The customer's username or the staff member's name."),
    f("is_staff", Bool, ""),
    f("message", Str, "HTML as the panel sent it: render it inert."),
    f("created", DateTime, "UTC."),
    f("created_timestamp", Int, "Unix seconds."),
];

const DETAIL_FIELDS: &[Field] = &[
    f("id", Int, ""),
    f("panel_id", Int, ""),
    n("user", UserRef, ""),
    n("subject", Str, ""),
    n("status", Str, ""),
    n("assignee", Str, ""),
    f("created", DateTime, ""),
    f("created_timestamp", Int, ""),
    n("last_update", DateTime, ""),
    n("last_update_timestamp", Int, ""),
    n("is_read", Bool, ""),
    f("messages", List(MESSAGE_FIELDS), "The conversation, oldest first, as last synced."),
];

pub static LIST: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/tickets",
    scope: Scope::TicketsRead,
    tag: "Tickets",
    summary: "List tickets",
    description: "Tickets of the key's panels from the console's cache, newest first.",
    params: &[f("user", Str, "Username."), f("status", Str, "One status, e.g. pending.")],
    body: &[],
    response: Shape::List(FIELDS),
};

pub static ONE: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/tickets/{id}",
    scope: Scope::TicketsRead,
    tag: "Tickets",
    summary: "One ticket with its messages",
    description: "When the id exists on several of the key's panels, pass panel.",
    params: &[],
    body: &[],
    response: Shape::Object(DETAIL_FIELDS),
};

pub static REPLY: Op = Op {
    verb: Verb::Post,
    path: "/adminapi/v2/tickets/{id}/reply",
    scope: Scope::TicketsWrite,
    tag: "Tickets",
    summary: "Reply to a ticket",
    description: "Forwarded to the ticket's panel, written to the activity log, then the conversation is \
                  re-read from the panel. JSON body (a form body works too).",
    params: &[],
    body: &[
        f("message", Str, "The reply (required, at most 10,000 characters)."),
        n("staff_name", Str, "The name shown on the panel; defaults to the key's name."),
    ],
    response: Shape::Object(&[f("id", Int, "The ticket id."), f("messages", Int, "Messages now cached.")]),
};

const COLUMNS: &str = "panel_id, id, user, subject, status, assignee, created, last_update, is_read";

fn row_json(r: &shared::db::Row) -> AppResult<Value> {
    let user = shared::db::opt_text(r, 2)?.map(|u| json!({"username": u})).unwrap_or(Value::Null);
    let mut v = json!({
        "id": sql::int(r, 1)?, "panel_id": sql::int(r, 0)?, "user": user, "subject": sql::text(r, 3)?,
        "status": sql::text(r, 4)?, "assignee": sql::text(r, 5)?,
    });
    put_time(&mut v, "created", opt_i64(r, 6)?);
    put_time(&mut v, "last_update", opt_i64(r, 7)?);
    v["is_read"] = sql::boolean(r, 8)?;
    Ok(v)
}

pub async fn list(State(state): State<AppState>, call: Call) -> AppResult<Response> {
    let (limit, offset) = call.paging()?;
    let mut w = Where::new(call.caller.panel_sql("panel_id"));
    if let Some(u) = call.get("user") {
        w.bind("user = ?", u.to_string());
    }
    if let Some(s) = call.get("status") {
        w.bind("status = ?", s.to_string());
    }
    let count = sql::count(&state, "tickets_cache", &w).await?;
    let q = format!(
        "SELECT {COLUMNS} FROM tickets_cache WHERE {} ORDER BY created DESC, panel_id DESC, id DESC LIMIT {limit} OFFSET {offset}",
        w.sql()
    );
    let list = sql::rows(&state, &q, w.args, row_json).await?;
    Ok(call.list(count, limit, offset, list))
}

/// The one cached ticket with this id among the key's panels (the `panel` param narrows it): its
/// panel and its row as JSON.
async fn find(state: &AppState, call: &Call, id: i64) -> AppResult<(i64, Value)> {
    let mut w = Where::new(call.caller.panel_sql("panel_id"));
    w.bind("id = ?", id);
    let q = format!("SELECT {COLUMNS} FROM tickets_cache WHERE {} LIMIT 2", w.sql());
    let mut found = sql::rows(state, &q, w.args, |r| Ok((r.get::<i64>(0)?, row_json(r)?))).await?;
    match found.len() {
        0 => Err(AppError::NotFound(format!("Ticket {id} was not found."))),
        1 => Ok(found.remove(0)),
        _ => Err(AppError::bad_request(format!(
            "Ticket {id} exists on several of this key's panels: pass panel=<panel id>."
        ))),
    }
}

pub async fn one(State(state): State<AppState>, call: Call, Path(id): Path<String>) -> AppResult<Response> {
    let id = path_id(&id, "ticket")?;
    let (panel, mut v) = find(&state, &call, id).await?;
    let list = sql::rows(
        &state,
        "SELECT sender_name, is_staff, message, created FROM ticket_messages
         WHERE panel_id = ? AND ticket_id = ? ORDER BY seq",
        vec![panel.into(), id.into()],
        |m| {
            let mut x = json!({"sender_name": sql::text(m, 0)?, "is_staff": m.get::<i64>(1)? != 0, "message": sql::text(m, 2)?});
            put_time(&mut x, "created", opt_i64(m, 3)?);
            Ok(x)
        },
    )
    .await?;
    v["messages"] = Value::Array(list);
    Ok(object(v))
}

/// `{"message", "staff_name"}` as JSON (what Perfect Panel clients send) or as a form.
fn reply_body(body: &[u8]) -> AppResult<(String, Option<String>)> {
    let pairs: Vec<(String, String)> = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => {
            o.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))).collect()
        }
        Ok(_) => return Err(AppError::bad_request("The body must be a JSON object with a message.")),
        Err(_) => serde_urlencoded::from_bytes(body)
            .map_err(|_| AppError::bad_request("The body must be JSON: {\"message\": \"…\"}."))?,
    };
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string());
    let message = get("message")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| AppError::bad_request("message is required: send {\"message\": \"…\"} as JSON."))?;
    if message.chars().count() > 10_000 {
        return Err(AppError::bad_request("message is longer than 10,000 characters."));
    }
    let staff = get("staff_name").filter(|s| !s.is_empty()).map(|s| s.chars().take(80).collect());
    Ok((message, staff))
}

pub async fn reply(
    State(state): State<AppState>,
    call: Call,
    client: ClientInfo,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let id = path_id(&id, "ticket")?;
    let (message, staff_name) = reply_body(&body)?;
    let (panel, _) = find(&state, &call, id).await?;
    let staff_name = staff_name.unwrap_or_else(|| call.caller.key_name.clone());
    let username = format!("API key {}", call.caller.prefix);
    let actor = Actor { staff_id: call.caller.created_by, username: &username, client: &client };
    let sent = crate::ticket_reply::send(&state, panel, id, &message, &staff_name, &actor).await?;
    Ok(object(json!({"id": id, "messages": sent.messages})))
}
