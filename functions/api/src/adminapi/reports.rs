//! The reports over the admin API: the same parameters, computations and rows as the `.json` pages in
//! `functions/reports`, with the key's panels (and `panel`) in place of a staff member's scope, and
//! offset paging over the rows.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use serde_json::{Map, Value};

use panelops_reports::common::Params;
use panelops_reports::{competitors, service_health, tickets, top_spenders};
use shared::auth::Scope;
use shared::{AppError, AppResult, AppState};

use super::call::Call;
use super::op::{f, n, Field, Kind::*, Op, Shape, Verb};

pub(super) const WINDOW: Field = n("window_hours", Int, "Hours back from now, 1–2160; default 24.");
pub(super) const PROFILE: Field = n("profile", Int, "The report profile's id; default: the default profile.");

/// A report's rows as one page of the list, `count` being `total` (rows over all pages).
pub(super) fn page<T: Serialize>(
    call: &Call,
    rows: &[T],
    total: i64,
    extra: Map<String, Value>,
) -> AppResult<Response> {
    let (limit, offset) = call.paging()?;
    let list = rows
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .map(serde_json::to_value)
        .collect::<Result<Vec<Value>, _>>()
        .map_err(|e| AppError::internal(format!("report row: {e}")))?;
    Ok(call.list_with(total, limit, offset, list, extra))
}

pub(super) fn params(call: &Call) -> Params {
    Params(call.query.clone())
}

fn ticket_params(call: &Call) -> AppResult<tickets::TicketParams> {
    tickets::pages::params_from(call.caller.panel, &params(call))
}

// ---- Service tracking ----

const SERVICE_HEALTH_ROWS: &[Field] = &[
    f("panel_id", Int, ""),
    f("service_id", Int, ""),
    f("service_name", Str, ""),
    n("min_per_day", Int, "Min speed per day parsed from the name; null: none, so never slow."),
    f("finished", Int, "Completed or partial orders last updated in the window."),
    f("stuck", Int, "Orders still running past the profile's Stuck after hours, remains > 0."),
    f("slow", Int, "Finished orders slower than the name's speed × the slow multiplier."),
    f("slow_pct", Num, "slow ÷ finished × 100, two decimals."),
    f("score", Num, "100 − min(60, stuck × 5) − slow%, never below 0."),
    f("status", Str, "healthy (> 70), warning (40–70) or critical (< 40)."),
    n("snoozed_until", Int, "Unix seconds; only with include_snoozed."),
];

pub static SERVICE_HEALTH: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/reports/service-health",
    scope: Scope::ReportsRead,
    tag: "Reports",
    summary: "Service tracking",
    description: "Stuck, finished and slow orders per service with its score and status, as \
        /reports/service-health.json computes them.",
    params: &[
        WINDOW,
        PROFILE,
        n("stuck_after_hours", Int, "Overrides the profile."),
        n("slow_multiplier", Num, "Overrides the profile."),
        n("min_orders", Int, "Overrides the profile."),
        n("include_snoozed", Bool, "1: also list snoozed services."),
    ],
    body: &[],
    response: Shape::Report { rows: SERVICE_HEALTH_ROWS, data: &[] },
};

pub async fn service_health(State(state): State<AppState>, call: Call) -> AppResult<Response> {
    let conn = state.db.connect().await?;
    let (_, p, _) = service_health::pages::params_from(&conn, call.caller.panel, &params(&call)).await?;
    let rows = service_health::service_health(&conn, &call.caller.scope, &p, shared::time::now()).await?;
    page(&call, &rows, rows.len() as i64, Map::new())
}

// ---- User tracking ----

const TOP_SPENDER_ROWS: &[Field] = &[
    f("panel_id", Int, ""),
    n("user_id", Int, ""),
    f("username", Str, ""),
    n("email", Str, ""),
    n("joined", Int, "Unix seconds."),
    f("is_new", Bool, "Joined inside the window."),
    f("payments_count", Int, "Completed payments in the window."),
    f("payments_total", Str, "Their sum, a decimal string."),
    f("spend_window", Str, "Charges of the window's orders, canceled and failed excluded; a decimal string."),
    n("lifetime_spent", Str, "A decimal string."),
    f("top_services", Array(&Int), "Up to 3 service ids they ordered most often in the window."),
];

pub static TOP_SPENDERS: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/reports/top-spenders",
    scope: Scope::ReportsRead,
    tag: "Reports",
    summary: "User tracking (top spenders)",
    description: "Users by spend in the window, as /reports/top-spenders.json computes them; `count` is \
        every qualifying user, so page with limit and offset.",
    params: &[
        WINDOW,
        PROFILE,
        n("min_payments", Int, "Overrides the profile."),
        n("min_spend", Str, "Overrides the profile; an amount like 25 or 12.50."),
    ],
    body: &[],
    response: Shape::Report { rows: TOP_SPENDER_ROWS, data: &[] },
};

pub async fn top_spenders(State(state): State<AppState>, call: Call) -> AppResult<Response> {
    let (limit, offset) = call.paging()?;
    // The report's own `limit` means "top N": here it is the page's end, so the page is exact.
    let mut q = params(&call);
    q.0.retain(|(k, _)| k != "limit");
    let conn = state.db.connect().await?;
    let (_, mut p, _) = top_spenders::pages::params_from(&conn, call.caller.panel, &q).await?;
    p.limit = usize::try_from(offset.saturating_add(limit)).unwrap_or(usize::MAX);
    let (rows, total) =
        top_spenders::top_spenders(&conn, &call.caller.scope, &p, shared::time::now()).await?;
    page(&call, &rows, total as i64, Map::new())
}

// ---- Ticket tracking ----

const STAFF_ROWS: &[Field] = &[
    f("staff", Str, "The sender name of their replies."),
    f("replies", Int, "Replies created in the window."),
    f("avg_length", Num, "Characters, HTML stripped."),
    n("avg_response_seconds", Num, "Over replies that follow a customer message."),
    f("quick_fires", Int, "Shorter than 25 characters or sent within 30 seconds."),
    f("repeated", Int, "Followed by 2 or more customer messages."),
    f("score", Int, "round(100 − 50 × quick_fires/replies − 50 × repeated/replies)."),
    f("ai_good", Int, "The AI reviewer's verdicts on their replies in the window."),
    f("ai_mediocre", Int, ""),
    f("ai_bad", Int, ""),
];

pub static TICKETS_STAFF: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/reports/ticket-tracking/staff",
    scope: Scope::ReportsRead,
    tag: "Reports",
    summary: "Ticket tracking by staff",
    description: "Support quality per staff member, as /reports/ticket-tracking/staff.json computes it.",
    params: &[WINDOW],
    body: &[],
    response: Shape::Report { rows: STAFF_ROWS, data: &[] },
};

pub async fn tickets_staff(State(state): State<AppState>, call: Call) -> AppResult<Response> {
    let p = ticket_params(&call)?;
    let conn = state.db.connect().await?;
    let rows = tickets::by_staff(&conn, &call.caller.scope, &p, shared::time::now()).await?;
    page(&call, &rows, rows.len() as i64, Map::new())
}

const SERVICE_TICKET_ROWS: &[Field] = &[
    f("panel_id", Int, ""),
    f("service_id", Int, ""),
    f("service_name", Str, ""),
    f("tickets", Int, "Tickets created in the window mentioning an order of the service."),
    f("orders", Int, "Distinct order ids of the service mentioned."),
    n("top_complaint", Str, "The most frequent subject, prefix cut."),
];

pub static TICKETS_SERVICES: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/reports/ticket-tracking/services",
    scope: Scope::ReportsRead,
    tag: "Reports",
    summary: "Ticket tracking by service",
    description: "Tickets and orders per service, as /reports/ticket-tracking/services.json computes them \
        (missing conversations are fetched from their panels first, at most 80 per request).",
    params: &[WINDOW],
    body: &[],
    response: Shape::Report {
        rows: SERVICE_TICKET_ROWS,
        data: &[f("unresolved", Int, "Tickets in the window with no id of a cached order.")],
    },
};

pub async fn tickets_services(State(state): State<AppState>, call: Call) -> AppResult<Response> {
    let p = ticket_params(&call)?;
    let now = shared::time::now();
    let scope = &call.caller.scope;
    let opts = tickets::fetch::live_options();
    let (report, _) =
        tickets::fetch::by_service_fetching(&state, scope, &p, now, tickets::fetch::LIVE_FETCH_CAP, &opts)
            .await?;
    let mut extra = Map::new();
    extra.insert("unresolved".into(), report.unresolved.into());
    page(&call, &report.rows, report.rows.len() as i64, extra)
}

const STATS_ROWS: &[Field] = &[
    f("staff", Str, ""),
    f("answered_tickets", Int, "Distinct tickets with a reply of theirs in the window."),
    n("avg_response_minutes", Num, "Over replies that follow a customer message."),
];

pub static STAFF_STATISTICS: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/reports/staff-statistics",
    scope: Scope::ReportsRead,
    tag: "Reports",
    summary: "Staff statistics",
    description: "Answered tickets and average response time per staff member, as \
        /reports/staff-statistics.json computes them.",
    params: &[WINDOW],
    body: &[],
    response: Shape::Report { rows: STATS_ROWS, data: &[] },
};

pub async fn staff_statistics(State(state): State<AppState>, call: Call) -> AppResult<Response> {
    let p = ticket_params(&call)?;
    let conn = state.db.connect().await?;
    let rows = tickets::staff_statistics(&conn, &call.caller.scope, &p, shared::time::now()).await?;
    page(&call, &rows, rows.len() as i64, Map::new())
}

// ---- Competitor tracking ----

const PRICE_POINT: &[Field] =
    &[f("at", Int, "Unix seconds."), n("rate", Int, "Micro-units; null: not listed from then on.")];

const RIVAL_FIELDS: &[Field] = &[
    f("competitor_id", Int, ""),
    f("competitor", Str, ""),
    f("rival_service_id", Int, ""),
    f("rival_name", Str, ""),
    f("listed", Bool, "In the rival's current catalogue."),
    n("rate_now", Int, "Micro-units."),
    n("rate_start", Int, "Micro-units, at the start of the window (or when history begins)."),
    n("start_at", Int, "When rate_start was observed."),
    n("change_abs", Int, ""),
    n("change_pct", Num, ""),
    n("vs_us_now_abs", Int, "Our rate minus theirs (positive: we are dearer)."),
    n("vs_us_now_pct", Num, ""),
    n("vs_us_start_abs", Int, ""),
    n("vs_us_start_pct", Num, ""),
    f("history", List(PRICE_POINT), "The rate over the window, as steps."),
];

const COMPETITOR_ROWS: &[Field] = &[
    f("panel_id", Int, ""),
    f("service_id", Int, ""),
    f("name", Str, ""),
    n("our_rate", Int, "Micro-units."),
    f("rivals", List(RIVAL_FIELDS), "Each confirmed rival match."),
    n("cheapest_rival", Str, ""),
    n("cheapest_rival_rate", Int, "Micro-units."),
    f("position", Str, "most_expensive, cheapest_by_far, cheapest, between or no_data."),
];

const CHANGE_FIELDS: &[Field] = &[
    f("competitor_id", Int, ""),
    f("competitor", Str, ""),
    f("service_id", Int, ""),
    f("name", Str, ""),
    f("kind", Str, "new, removed, price_up or price_down."),
    n("rate_before", Int, "Micro-units."),
    n("rate_after", Int, "Micro-units."),
    n("change_pct", Num, ""),
];

pub static COMPETITORS: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/reports/competitors",
    scope: Scope::ReportsRead,
    tag: "Reports",
    summary: "Competitor tracking",
    description: "Our rates against confirmed rival matches, for one panel (`panel`, else the profile's, \
        else the key's first), as /reports/competitors.json computes them.",
    params: &[
        n("window_hours", Int, "Hours back from now; default: the profile's."),
        n("profile", Int, "A competitor profile of the panel."),
    ],
    body: &[],
    response: Shape::Report {
        rows: COMPETITOR_ROWS,
        data: &[
            f("panel_id", Int, "The panel reported on."),
            n("profile_id", Int, ""),
            f("window_hours", Int, ""),
            f("from", Int, "Unix seconds."),
            f("to", Int, "Unix seconds."),
            f("changes", List(CHANGE_FIELDS), "Rivals' new, removed and repriced services in the window."),
            f("notes", Array(&Str), "Caveats in words."),
        ],
    },
};

pub async fn competitors(State(state): State<AppState>, call: Call) -> AppResult<Response> {
    let q: HashMap<String, String> = call.query.iter().cloned().collect();
    let rq = competitors::page::query(call.caller.panel, &q)?;
    let r = competitors::report(&state.db, &call.caller.scope, &rq, shared::time::now()).await?;
    page(&call, &r.rows, r.rows.len() as i64, competitors::page::extras(&r))
}
