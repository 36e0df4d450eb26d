//! The Response times page (a tab of Ticket tracking), its `.json` and its `.csv`.

use crate::common::Ask;
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::Role;
use shared::export;
use shared::ui::{self, col, num};
use shared::{Access, AppResult, AppState, Routes};

use super::{response_times, ResponseRow, QUIET_SECS};
use crate::common::{duration, envelope, explain, href, window_tabs, WINDOW_TABS};
use crate::tickets::pages::{params_from, sub_nav};
use crate::tickets::TicketParams;

pub const PATH: &str = "/reports/ticket-tracking/response-times";

pub fn routes(state: &AppState) -> Routes {
    let v = Access::Staff(Role::Viewer);
    Routes::new(state).get(PATH, v, page).get("/reports/ticket-tracking/response-times.json", v, json).get(
        "/reports/ticket-tracking/response-times.csv",
        v,
        csv,
    )
}

async fn rows(ask: &Ask) -> AppResult<(TicketParams, Vec<ResponseRow>, Vec<ResponseRow>)> {
    let (state, viewer) = (&ask.state, &ask.viewer);
    let p = params_from(viewer.panel, &ask.q)?;
    let conn = state.db.connect().await?;
    let (staff, panels) = response_times(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    Ok((p, staff, panels))
}

async fn json(ask: Ask) -> AppResult<Response> {
    let (_, staff, panels) = rows(&ask).await?;
    Ok(envelope(&staff, Some(("panels", serde_json::to_value(&panels).unwrap_or_default()))))
}

const COLUMNS: &[&str] = &[
    "Staff",
    "Panel",
    "Tickets",
    "Answered",
    "Median first response",
    "P90 first response",
    "Resolved",
    "Median resolution",
    "Reopen rate",
    "Replies/ticket",
    "Over target",
];

/// Staff rows, then panel rows; durations in seconds, rates in percent.
async fn csv(ask: Ask) -> AppResult<Response> {
    let (_, staff, panels) = rows(&ask).await?;
    let viewer = &ask.viewer;
    Ok(export::report_csv("response-times", COLUMNS, staff.iter().chain(&panels), |r| {
        vec![
            export::opt_text(r.staff.as_deref()),
            export::opt_text(r.panel_id.map(|p| viewer.panel_name(p)).as_deref()),
            export::int(r.tickets),
            export::int(r.answered),
            export::num(r.median_first_response_seconds),
            export::num(r.p90_first_response_seconds),
            export::int(r.resolved),
            export::num(r.median_resolution_seconds),
            export::num(r.reopen_rate),
            export::num(r.replies_per_ticket),
            export::int(r.over_target),
        ]
    }))
}

fn secs(s: Option<f64>) -> Markup {
    html! { @match s { Some(s) => (duration(s)), None => span.muted { "—" } } }
}

fn table_row(first: Markup, r: &ResponseRow) -> Markup {
    html! { tr {
        td { (first) }
        td.num { (r.tickets) }
        td.num { (r.answered) }
        td.num { (secs(r.median_first_response_seconds)) }
        td.num { (secs(r.p90_first_response_seconds)) }
        td.num { (r.resolved) }
        td.num { (secs(r.median_resolution_seconds)) }
        td.num { (r.reopen_rate) "%" }
        td.num { (r.replies_per_ticket) }
        td.num { @if r.over_target > 0 { strong { (r.over_target) } } @else { "0" } }
    } }
}

fn cols(first: &'static str) -> Vec<ui::Col<'static>> {
    vec![
        col(first),
        num("Tickets"),
        num("Answered"),
        num("Median first response"),
        num("P90 first response"),
        num("Resolved"),
        num("Median resolution"),
        num("Reopen rate"),
        num("Replies/ticket"),
        num("Over target"),
    ]
}

async fn page(ask: Ask) -> AppResult<Markup> {
    let (p, staff, panels) = rows(&ask).await?;
    let viewer = &ask.viewer;
    let staff_rows: Vec<Markup> =
        staff.iter().map(|r| table_row(html! { (r.staff.as_deref().unwrap_or("")) }, r)).collect();
    let panel_rows: Vec<Markup> =
        panels.iter().map(|r| table_row(html! { (viewer.panel_name(r.panel_id.unwrap_or(0))) }, r)).collect();
    let wh = [("window_hours", p.window_hours.to_string())];
    let content = html! {
        (sub_nav(viewer, &p, PATH))
        (explain(html! {
            p { "Over the tickets created in the last " strong { (p.window_hours) " hours" } ". Staff are the senders of staff messages, as in By \
                staff; a ticket counts for the staff member who answered it first." }
            ul {
                li { "First response — ticket created → first staff reply. Median: the middle value (the mean of the two middle ones); P90: the value \
                    90 % of answered tickets stay at or under (nearest rank)." }
                li { "Resolution — ticket created → closed (a closed ticket's last update); the median over closed tickets." }
                li { "Reopen rate — tickets where the customer wrote again after the ticket was closed, or after a staff reply left quiet for "
                    (QUIET_SECS / 3600) " hours, ÷ tickets." }
                li { "Replies/ticket — staff replies in those tickets ÷ tickets." }
                li { "Over target — answered later than the panel's response target (Panels → edit, default 60 minutes); by panel, also tickets still \
                    unanswered past it." }
            }
        }))
        (window_tabs(viewer, PATH, WINDOW_TABS, p.window_hours, &[]))
        p.summary {
            a href=(href(viewer, &format!("{PATH}.json"), &wh)) { "JSON" } " · "
            (export::link(&href(viewer, &format!("{PATH}.csv"), &wh)))
        }
        h2 { "By staff" }
        (ui::table(&cols("Staff"), &staff_rows, ui::empty_state("No ticket created in this window has a staff reply yet.", None)))
        h2 { "By panel" }
        (ui::table(&cols("Panel"), &panel_rows, ui::empty_state("No ticket was created in this window.", None)))
    };
    Ok(ui::page(viewer, "Ticket tracking — response times", content))
}
