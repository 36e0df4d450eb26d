//! `GET /users` over `users_cache`.

use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Value};

use shared::auth::Scope;
use shared::db::{opt_i64, opt_text};
use shared::{AppResult, AppState};

use super::call::Call;
use super::op::{f, n, Field, Kind::*, Op, Shape, Verb};
use super::sql::{self, money, put_time, Where};

pub const FIELDS: &[Field] = &[
    f("id", Int, "User id on its panel."),
    f("panel_id", Int, "The console's panel id (not in Perfect Panel's answer)."),
    f("username", Str, ""),
    n("email", Str, ""),
    n("balance", Money, ""),
    n("spent", Money, "Lifetime spend."),
    n("status", Str, ""),
    n("created", DateTime, "UTC."),
    n("created_timestamp", Int, "Unix seconds."),
    n("last_auth", DateTime, "UTC."),
    n("last_auth_timestamp", Int, "Unix seconds."),
    n("discount", Str, "Only when the panel sends one."),
];

pub static LIST: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/users",
    scope: Scope::UsersRead,
    tag: "Users",
    summary: "List users",
    description: "Users of the key's panels from the console's cache, newest first.",
    params: &[f("username", Str, "Exact username."), f("email", Str, "Exact email.")],
    body: &[],
    response: Shape::List(FIELDS),
};

pub async fn list(State(state): State<AppState>, call: Call) -> AppResult<Response> {
    let (limit, offset) = call.paging()?;
    let mut w = Where::new(call.caller.panel_sql("panel_id"));
    if let Some(u) = call.get("username") {
        w.bind("username = ?", u.to_string());
    }
    if let Some(e) = call.get("email") {
        w.bind("email = ?", e.to_string());
    }
    let count = sql::count(&state, "users_cache", &w).await?;
    let q = format!(
        "SELECT panel_id, id, username, email, balance, spent, currency, status, created, last_auth, discount
         FROM users_cache WHERE {} ORDER BY id DESC, panel_id DESC LIMIT {limit} OFFSET {offset}",
        w.sql()
    );
    let list = sql::rows(&state, &q, w.args, |r| {
        let cur = opt_text(r, 6)?;
        let mut v = json!({
            "id": sql::int(r, 1)?, "panel_id": sql::int(r, 0)?, "username": sql::text(r, 2)?,
            "email": sql::text(r, 3)?, "balance": money(opt_i64(r, 4)?, cur.as_deref()),
            "spent": money(opt_i64(r, 5)?, cur.as_deref()), "status": sql::text(r, 7)?,
        });
        put_time(&mut v, "created", opt_i64(r, 8)?);
        put_time(&mut v, "last_auth", opt_i64(r, 9)?);
        if let Some(d) = opt_text(r, 10)? {
            v["discount"] = Value::from(d);
        }
        Ok(v)
    })
    .await?;
    Ok(call.list(count, limit, offset, list))
}
