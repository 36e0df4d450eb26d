//! Order actions in the console: the confirmation step (`/actions/new`), the start (`POST /actions`,
//! which sends a first slice) and the action's page (`/actions/{id}`), which shows each order's
//! outcome and, while orders wait, sends the next slice and refreshes itself (no script needed).

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup};

use shared::audit::Actor;
use shared::auth::{ClientInfo, Viewer};
use shared::ui::form::FormData;
use shared::ui::listing::ListQuery;
use shared::ui::{self, col, csrf_input};
use shared::{AppError, AppResult, AppState};

use crate::actions::kind::{ActionKind, ItemState, Params, SETTABLE};
use crate::actions::plan::{self, Plan};
use crate::actions::{run, store};

fn kind_of(raw: Option<&str>) -> AppResult<ActionKind> {
    raw.and_then(ActionKind::parse)
        .ok_or_else(|| AppError::bad_request("Choose an action for the selected orders."))
}

/// The action's own values from a query or a form.
pub fn params_from<'a>(get: impl Fn(&str) -> Option<&'a str>) -> AppResult<Params> {
    let text = |k: &str| get(k).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let remains = match text("remains") {
        None => None,
        Some(r) => {
            Some(r.parse::<i64>().map_err(|_| AppError::bad_request("Remains must be a whole number."))?)
        }
    };
    Ok(Params { link: text("link"), remains, status: text("status") })
}

/// A path back to where the action was started from (a local path only).
fn back_of(raw: Option<&str>) -> String {
    match raw {
        Some(b) if b.starts_with('/') && !b.starts_with("//") => b.to_string(),
        _ => "/orders".into(),
    }
}

/// "Alpha 3, Beta 9".
fn panels_text(viewer: &Viewer, plan: &Plan) -> String {
    let parts: Vec<String> =
        plan.per_panel().iter().map(|(p, n)| format!("{} ({n})", viewer.panel_name(*p))).collect();
    parts.join(", ")
}

pub async fn confirm(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Markup> {
    if q.all("sel").is_empty() {
        let content = html! {
            (ui::empty_state("No orders were selected. Tick orders in Orders, on an order's page or in Service tracking's stuck orders, then choose an action.",
                Some(("/orders", "Open Orders"))))
        };
        return Ok(ui::page(&viewer, "Order actions", content));
    }
    let kind = kind_of(q.get("action"))?;
    viewer.require(kind.min_role())?;
    let selection = plan::parse_selection(q.all("sel"))?;
    let params = params_from(|k| q.get(k))?;
    let conn = state.db.connect().await?;
    let mut plan = plan::plan(&conn, &viewer.scope(), kind, params, &selection).await?;
    plan.check_panel_flags(&state).await;
    Ok(confirm_page(&viewer, &plan, &selection, &back_of(q.get("back")), None))
}

fn confirm_page(
    viewer: &Viewer,
    plan: &Plan,
    selection: &[(i64, i64)],
    back: &str,
    error: Option<&str>,
) -> Markup {
    let kind = plan.kind;
    let n = plan.targets.len();
    let refunds = plan.refunds();
    let seconds = n.div_ceil(5).max(1);
    let content = html! {
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @if n == 0 {
            p.error role="alert" { "None of the selected orders can take “" (kind.label()) "”: see why below. Nothing will be sent." }
        } @else {
            p.lead { strong { (kind.label()) } " for " strong { (n) " order" @if n != 1 { "s" } } " on " (panels_text(viewer, plan)) "." }
            p.help { "Each order is sent once to its panel, at most 5 per second per panel (about " (seconds) " s). "
                "A write is never retried: an order whose panel does not answer in time is shown as “unknown — re-read” and read again from the panel." }
            @if !refunds.is_empty() {
                p.money { "Refunds return "
                    @for (k, (cur, micros)) in refunds.iter().enumerate() { @if k > 0 { " + " } strong { (ui::money(Some(*micros), Some(cur.as_str()))) } }
                    " to the customers' balances." }
            }
            @for p in &plan.not_offered {
                p.error { (viewer.panel_name(*p)) " does not offer this action (it answered 404 or “unknown method”): its orders will be shown as not \
                    offered, without being sent." }
            }
            @if kind == ActionKind::SetPartial {
                p.help { "The panel refunds the undelivered part: the charge × remains ÷ quantity." }
            }
            form method="post" action="/actions" {
                (csrf_input(viewer))
                input type="hidden" name="action" value=(kind.as_str());
                input type="hidden" name="back" value=(back);
                @for (p, i) in selection { input type="hidden" name="sel" value={ (p) ":" (i) }; }
                (param_fields(kind, &plan.params))
                @let money = matches!(kind, ActionKind::Cancel | ActionKind::SetPartial);
                button class=(if money { "danger" } else { "primary" }) type="submit" {
                    (kind.label()) ": " (n) " order" @if n != 1 { "s" }
                }
                " " a href=(back) { "Back without doing anything" }
            }
        }
        @if !plan.skipped.is_empty() {
            h2 { "Not included (" (plan.skipped.len()) ")" }
            (ui::table(&[col("Order"), col("Panel"), col("Why")],
                &plan.skipped.iter().map(|s| html! { tr {
                    td { a href={ "/orders/" (s.panel_id) "/" (s.id) } { (s.id) } }
                    td { (viewer.panel_name(s.panel_id)) }
                    td { (s.reason) }
                } }).collect::<Vec<_>>(), html! {}))
        }
        @if n > 0 {
            h2 { "Orders included" }
            (ui::table(&[col("Order"), col("Panel"), col("Status"), col("Service")],
                &plan.targets.iter().map(|o| html! { tr {
                    td { a href={ "/orders/" (o.panel_id) "/" (o.id) } { (o.id) } }
                    td { (viewer.panel_name(o.panel_id)) }
                    td { (ui::status_label(&o.status)) }
                    td.wrap { (ui::cut(o.service_name.as_deref().unwrap_or(""), 60)) }
                } }).collect::<Vec<_>>(), html! {}))
        }
        @if n == 0 { p { a href=(back) { "← Back" } } }
    };
    ui::page(viewer, &format!("Confirm: {}", kind.label()), content)
}

/// The inputs an action needs (the link, the remains, the status).
fn param_fields(kind: ActionKind, p: &Params) -> Markup {
    html! {
        @match kind {
            ActionKind::EditLink => {
                label for="a-link" { "New link" }
                input #a-link type="url" name="link" required maxlength="2000" value=(p.link.as_deref().unwrap_or(""));
            }
            ActionKind::SetPartial => {
                label for="a-remains" { "Remains (not delivered)" }
                input #a-remains type="number" name="remains" required min="0" value=(p.remains.map(|r| r.to_string()).unwrap_or_default());
            }
            ActionKind::ChangeStatus => {
                label for="a-status" { "New status" }
                select #a-status name="status" required {
                    option value="" { "Choose…" }
                    @for s in SETTABLE { option value=(s.as_str()) selected[p.status.as_deref() == Some(s.as_str())] { (s.as_str().replace('_', " ")) } }
                }
            }
            _ => {}
        }
    }
}

pub async fn start(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let started = std::time::Instant::now();
    let kind = kind_of(data.get("action"))?;
    viewer.require(kind.min_role())?;
    let selection = plan::parse_selection(data.all("sel"))?;
    let params = params_from(|k| data.get(k))?;
    let back = back_of(data.get("back"));
    let conn = state.db.connect().await?;
    let mut plan = plan::plan(&conn, &viewer.scope(), kind, params, &selection).await?;
    if let Err(why) = kind.check_params(&plan.params) {
        return Ok(ui::invalid(confirm_page(&viewer, &plan, &selection, &back, Some(&why))));
    }
    // As the confirmation did: what the panel says it does not allow now is left out.
    plan.check_panel_flags(&state).await;
    if plan.targets.is_empty() {
        return Ok(ui::invalid(confirm_page(&viewer, &plan, &selection, &back, None)));
    }
    let actor = Actor { staff_id: Some(viewer.id()), username: &viewer.staff.username, client: &client };
    let id =
        store::create(&conn, &plan, &actor, &plan.summary(|p| viewer.panel_name(p)), shared::time::now())
            .await?;
    // What the checks before took comes off this request's slice.
    run::advance(&state, id, state.config.action_slice.saturating_sub(started.elapsed()), &client).await?;
    Ok(Redirect::to(&format!("/actions/{id}")).into_response())
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let id: i64 = raw.trim().parse().map_err(|_| AppError::bad_request("The action id must be a number."))?;
    let conn = state.db.connect().await?;
    let (mut action, mut items) = store::load(&conn, id).await?;
    let scope = viewer.scope();
    for p in items.iter().map(|i| i.panel_id).chain(action.skipped.iter().map(|s| s.panel_id)) {
        scope.check(p)?;
    }
    let needs_reread = items
        .iter()
        .any(|i| matches!(i.state, ItemState::Done | ItemState::Unknown) && i.status_after.is_none());
    if action.finished_at.is_none() && viewer.is(action.kind.min_role()) {
        // Carry on where the last request stopped; a slice another tab holds is left to it.
        if run::advance(&state, id, state.config.action_slice, &client).await? {
            (action, items) = store::load(&conn, id).await?;
        }
    } else if needs_reread {
        match run::reread(&state, &conn, id).await {
            Ok(()) => (action, items) = store::load(&conn, id).await?,
            Err(e) => tracing::warn!(action = id, error = %e, "orders not re-read"),
        }
    }
    Ok(Html(result_page(&viewer, &action, &items).into_string()).into_response())
}

fn result_page(viewer: &Viewer, action: &store::Action, items: &[store::Item]) -> Markup {
    let count = |s: ItemState| items.iter().filter(|i| i.state == s).count();
    let open = items.iter().filter(|i| i.state.is_open()).count();
    let total = items.len();
    let unknown = count(ItemState::Unknown);
    let content = html! {
        @if open > 0 {
            // Without script: the page reloads itself, and each load sends the next slice.
            meta http-equiv="refresh" content="1";
        }
        p { "Started by " (action.actor) " " (ui::time(action.created_at)) "." }
        p.lead role="status" {
            strong { (total - open) " of " (total) } " sent · "
            (count(ItemState::Done)) " done · " (count(ItemState::Refused)) " refused · "
            (count(ItemState::NotOffered)) " not offered · " (unknown) " unknown"
            @if open > 0 { " · " (open) " waiting" }
        }
        progress max=(total.max(1)) value=(total - open) aria-label="Sent" {}
        @if open > 0 {
            p.help { "Sending… this page sends the next orders and refreshes itself until all are sent. "
                "Leaving is safe: no order is ever sent twice, and the rest is sent when this page is opened again. "
                a href={ "/actions/" (action.id) } { "Continue now" } }
        } @else if let Some(at) = action.finished_at {
            p { "Finished " (ui::time(at)) "." }
        }
        @if unknown > 0 {
            p.error role="alert" { (unknown) " order" @if unknown != 1 { "s" } " got no answer in time: the panel may have applied the action. "
                "They were not sent again; they were read again from the panel (Status now) — check them before acting again." }
        }
        (ui::table(&[col("Order"), col("Panel"), col("Result"), col("Panel's message"), col("Status now")],
            &items.iter().map(|i| html! { tr {
                td { a href={ "/orders/" (i.panel_id) "/" (i.order_id) } { (i.order_id) } }
                td { (viewer.panel_name(i.panel_id)) }
                td data-state=(i.state.as_str()) { (i.state.label()) }
                td.wrap { (i.message.as_deref().unwrap_or("")) }
                td { @match &i.status_after { Some(s) => (ui::status_label(s)), None => span.muted { "—" } } }
            } }).collect::<Vec<_>>(), html! {}))
        @if !action.skipped.is_empty() {
            h2 { "Not included (" (action.skipped.len()) ")" }
            (ui::table(&[col("Order"), col("Panel"), col("Why")],
                &action.skipped.iter().map(|s| html! { tr {
                    td { a href={ "/orders/" (s.panel_id) "/" (s.id) } { (s.id) } }
                    td { (viewer.panel_name(s.panel_id)) } td { (s.reason) }
                } }).collect::<Vec<_>>(), html! {}))
        }
        p { a href="/orders" { "← Orders" } " · " a href="/reports/service-health" { "Service tracking" } }
    };
    ui::page(viewer, &format!("{} · action {}", action.kind.label(), action.id), content)
}
