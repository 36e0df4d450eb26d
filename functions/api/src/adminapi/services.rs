//! `GET /services`: the catalogue the console caches from each panel's public API, in the public API's
//! row shape (Perfect Panel's admin API has no services endpoint) inside the admin envelope.

use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Value};

use shared::auth::Scope;
use shared::db::opt_i64;
use shared::{AppResult, AppState};

use super::call::Call;
use super::op::{f, n, Field, Kind::*, Op, Shape, Verb};
use super::sql::{self, Where};

pub const FIELDS: &[Field] = &[
    f("service", Int, "Service id on its panel."),
    f("panel_id", Int, "The console's panel id."),
    f("name", Str, ""),
    n("type", Str, ""),
    n("category", Str, ""),
    n("rate", Str, "Price per 1000, a decimal string."),
    n("min", Int, ""),
    n("max", Int, ""),
    n("refill", Bool, ""),
    n("cancel", Bool, ""),
    n("dripfeed", Bool, ""),
];

pub static LIST: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/services",
    scope: Scope::ServicesRead,
    tag: "Services",
    summary: "List services",
    description: "The current catalogue of the key's panels (removed services are left out), by id.",
    params: &[f("service_ids", IntList, "Comma separated service ids.")],
    body: &[],
    response: Shape::List(FIELDS),
};

/// `0.9500`: at least four decimals, like the public API's rates.
fn rate(micros: Option<i64>) -> Value {
    micros
        .map(|m| {
            let s = shared::pp::money::format(m);
            let decimals = s.split('.').nth(1).map(str::len).unwrap_or(0);
            Value::from(format!("{s}{}", "0".repeat(4usize.saturating_sub(decimals))))
        })
        .unwrap_or(Value::Null)
}

pub async fn list(State(state): State<AppState>, call: Call) -> AppResult<Response> {
    let (limit, offset) = call.paging()?;
    let mut w = Where::new(call.caller.panel_sql("panel_id"));
    w.cond("removed_at IS NULL");
    if let Some(ids) = call.ids("service_ids")? {
        w.ids("id", &ids);
    }
    let count = sql::count(&state, "services_cache", &w).await?;
    let q = format!(
        "SELECT panel_id, id, name, type, category, rate, min, max, refill, cancel, dripfeed
         FROM services_cache WHERE {} ORDER BY panel_id, id LIMIT {limit} OFFSET {offset}",
        w.sql()
    );
    let list = sql::rows(&state, &q, w.args, |r| {
        Ok(json!({
            "service": sql::int(r, 1)?, "panel_id": sql::int(r, 0)?, "name": sql::text(r, 2)?,
            "type": sql::text(r, 3)?, "category": sql::text(r, 4)?, "rate": rate(opt_i64(r, 5)?),
            "min": sql::int(r, 6)?, "max": sql::int(r, 7)?, "refill": sql::boolean(r, 8)?,
            "cancel": sql::boolean(r, 9)?, "dripfeed": sql::boolean(r, 10)?,
        }))
    })
    .await?;
    Ok(call.list(count, limit, offset, list))
}
