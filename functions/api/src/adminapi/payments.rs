//! `GET /payments` over `payments_cache`.

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use shared::auth::Scope;
use shared::db::{opt_i64, opt_text};
use shared::{AppResult, AppState};

use super::call::Call;
use super::op::{f, n, Field, Kind::*, Op, Shape, Verb};
use super::sql::{self, money, put_time, Where};

pub const FIELDS: &[Field] = &[
    f("id", Int, "Payment id on its panel."),
    f("panel_id", Int, "The console's panel id (not in Perfect Panel's answer)."),
    n("user", UserRef, "{\"username\": …}"),
    n("amount", Money, ""),
    n("method", Str, ""),
    n("status", Str, "waiting, completed, pending, fail, expired, hold, underpaid, or the panel's own word."),
    n("memo", Str, ""),
    n("mode", Str, "Only when the panel sends one."),
    f("created", DateTime, "UTC."),
    f("created_timestamp", Int, "Unix seconds."),
    n("updated", DateTime, "UTC."),
    n("updated_timestamp", Int, "Unix seconds."),
];

pub static LIST: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/payments",
    scope: Scope::PaymentsRead,
    tag: "Payments",
    summary: "List payments",
    description: "Payments of the key's panels from the console's cache, newest first.",
    params: &[
        f("username", Str, "Exact username."),
        f("user_email", Str, "Email of the paying user."),
        f("payment_status", Str, "One status, e.g. completed."),
        f("sort", Str, "date-desc (default) or date-asc."),
    ],
    body: &[],
    response: Shape::List(FIELDS),
};

pub async fn list(State(state): State<AppState>, call: Call) -> AppResult<Response> {
    let (limit, offset) = call.paging()?;
    let asc = call.ascending()?;
    let mut w = Where::new(call.caller.panel_sql("p.panel_id"));
    if let Some(u) = call.get("username") {
        w.bind("p.user = ?", u.to_string());
    }
    if let Some(e) = call.get("user_email") {
        w.bind(
            "p.user IN (SELECT u.username FROM users_cache u WHERE u.panel_id = p.panel_id AND u.email = ?)",
            e.to_string(),
        );
    }
    if let Some(s) = call.get("payment_status") {
        w.bind("p.status = ?", s.to_string());
    }
    let count = sql::count(&state, "payments_cache p", &w).await?;
    let dir = if asc { "ASC" } else { "DESC" };
    let q = format!(
        "SELECT p.panel_id, p.id, p.user, p.amount, p.currency, p.method, p.status, p.memo, p.mode, p.created, p.updated
         FROM payments_cache p WHERE {} ORDER BY p.created {dir}, p.panel_id {dir}, p.id {dir} LIMIT {limit} OFFSET {offset}",
        w.sql()
    );
    let list = sql::rows(&state, &q, w.args, |r| {
        let user = opt_text(r, 2)?.map(|u| json!({"username": u})).unwrap_or(serde_json::Value::Null);
        let mut v = json!({
            "id": sql::int(r, 1)?, "panel_id": sql::int(r, 0)?, "user": user,
            "amount": money(opt_i64(r, 3)?, opt_text(r, 4)?.as_deref()), "method": sql::text(r, 5)?,
            "status": sql::text(r, 6)?, "memo": sql::text(r, 7)?,
        });
        if let Some(m) = opt_text(r, 8)? {
            v["mode"] = m.into();
        }
        put_time(&mut v, "created", opt_i64(r, 9)?);
        put_time(&mut v, "updated", opt_i64(r, 10)?);
        Ok(v)
    })
    .await?;
    Ok(call.list(count, limit, offset, list))
}
