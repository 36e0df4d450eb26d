//! CSV of the reports: the rows of each report's `.json` (same parameters, same scope, same
//! function), with the page's column names; numbers as numbers (money as a decimal, durations in
//! seconds, shares in percent), times in ISO 8601 UTC. Response times has its own beside its page.

use crate::common::Ask;
use axum::response::Response;

use shared::auth::Role;
use shared::export::{self, report_csv};
use shared::{Access, AppResult, AppState, Routes};

use crate::tickets::fetch::{fetch_missing, live_options, LIVE_FETCH_CAP};
use crate::tickets::{by_service, by_staff, staff_statistics};
use crate::{service_health, tickets, top_spenders};

pub fn routes(state: &AppState) -> Routes {
    let v = Access::Staff(Role::Viewer);
    Routes::new(state)
        .get("/reports/service-health.csv", v, service_health_csv)
        .get("/reports/top-spenders.csv", v, top_spenders_csv)
        .get("/reports/ticket-tracking/staff.csv", v, staff_csv)
        .get("/reports/ticket-tracking/services.csv", v, ticket_services_csv)
        .get("/reports/staff-statistics.csv", v, staff_statistics_csv)
}

/// A ticket report's parameters (window, the viewer's panel) and a connection to read it.
async fn ticket_report(ask: &Ask) -> AppResult<(tickets::TicketParams, shared::db::Conn)> {
    let p = tickets::pages::params_from(ask.viewer.panel, &ask.q)?;
    Ok((p, ask.state.db.connect().await?))
}

/// The export link of a report page: its own path + `.csv` with the page's query.
pub fn link(path: &str, raw: Option<&str>) -> maud::Markup {
    export::link(&format!("{path}.csv{}", raw.map(|r| format!("?{r}")).unwrap_or_default()))
}

async fn service_health_csv(ask: Ask) -> AppResult<Response> {
    let Ask { state, viewer, q, .. } = ask;
    let conn = state.db.connect().await?;
    let (_, p, _) = service_health::pages::params_from(&conn, viewer.panel, &q).await?;
    let rows = service_health::service_health(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    let header = &[
        "Panel",
        "Service ID",
        "Service",
        "Min/day",
        "Measured/day",
        "Kept",
        "Finished",
        "Stuck",
        "Slow",
        "Slow%",
        "Score",
        "Status",
    ];
    Ok(report_csv("service-health", header, &rows, |r| {
        vec![
            export::text(viewer.panel_name(r.panel_id)),
            export::int(r.service_id),
            export::text(&r.service_name),
            export::int(r.min_per_day.map(|m| m.min(i64::MAX as u64) as i64)),
            export::int(r.measured.as_ref().map(|m| m.median_per_day)),
            export::num(r.kept_pct),
            export::int(r.finished),
            export::int(r.stuck),
            export::int(r.slow),
            export::num(r.slow_pct),
            export::num(r.score),
            export::text(r.status),
        ]
    }))
}

async fn top_spenders_csv(ask: Ask) -> AppResult<Response> {
    let Ask { state, viewer, q, .. } = ask;
    let conn = state.db.connect().await?;
    let (_, p, _) = top_spenders::pages::params_from(&conn, viewer.panel, &q).await?;
    let (rows, _) =
        top_spenders::top_spenders(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    let header = &[
        "Panel",
        "User ID",
        "User",
        "Email",
        "Joined",
        "Payments",
        "Spend (window)",
        "Lifetime",
        "Top services",
    ];
    Ok(report_csv("top-spenders", header, &rows, |r| {
        let services: Vec<String> = r.top_services.iter().map(i64::to_string).collect();
        vec![
            export::text(viewer.panel_name(r.panel_id)),
            export::int(r.user_id),
            export::text(&r.username),
            export::opt_text(r.email.as_deref()),
            export::time(r.joined),
            export::int(r.payments_count),
            export::money(Some(r.spend_window)),
            export::money(r.lifetime_spent),
            export::text(services.join(" ")),
        ]
    }))
}

async fn staff_csv(ask: Ask) -> AppResult<Response> {
    let (p, conn) = ticket_report(&ask).await?;
    let viewer = &ask.viewer;
    let rows = by_staff(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    let header = &[
        "Staff",
        "Replies",
        "Avg length",
        "Avg response",
        "Quick fires",
        "Repeated",
        "Score",
        "AI good",
        "AI mediocre",
        "AI bad",
    ];
    Ok(report_csv("staff", header, &rows, |r| {
        vec![
            export::text(&r.staff),
            export::int(r.replies),
            export::num(r.avg_length),
            export::num(r.avg_response_seconds),
            export::int(r.quick_fires),
            export::int(r.repeated),
            export::int(r.score),
            export::int(r.ai_good),
            export::int(r.ai_mediocre),
            export::int(r.ai_bad),
        ]
    }))
}

async fn staff_statistics_csv(ask: Ask) -> AppResult<Response> {
    let (p, conn) = ticket_report(&ask).await?;
    let viewer = &ask.viewer;
    let rows = staff_statistics(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    let header = &["Staff", "Answered Ticket", "Average Response Time (min)"];
    Ok(report_csv("staff-statistics", header, &rows, |r| {
        vec![export::text(&r.staff), export::int(r.answered_tickets), export::num(r.avg_response_minutes)]
    }))
}

/// By service fetches the conversations it lacks first, as its page and `.json` do.
async fn ticket_services_csv(ask: Ask) -> AppResult<Response> {
    let Ask { state, viewer, q, .. } = ask;
    let p = tickets::pages::params_from(viewer.panel, &q)?;
    let now = shared::time::now();
    fetch_missing(&state, &viewer.listed_scope(), &p, now, LIVE_FETCH_CAP, &live_options()).await?;
    let conn = state.db.connect().await?;
    let report = by_service(&conn, &viewer.listed_scope(), &p, now).await?;
    let header = &["Panel", "Service ID", "Service", "Tickets", "Orders", "Top complaint"];
    Ok(report_csv("ticket-services", header, &report.rows, |r| {
        vec![
            export::text(viewer.panel_name(r.panel_id)),
            export::int(r.service_id),
            export::text(&r.service_name),
            export::int(r.tickets),
            export::int(r.orders),
            export::opt_text(r.top_complaint.as_deref()),
        ]
    }))
}
