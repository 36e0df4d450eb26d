//! Ticket tracking pages (By staff, By service, Flagged replies, their drill-downs) and Staff
//! statistics, each also as `.json` where the issue lists one.

use crate::common::Ask;
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::{Role, Viewer};
use shared::ui::{self, col, num};
use shared::{Access, AppError, AppResult, AppState, Routes};

use super::fetch::{by_service_fetching, live_options, FetchOutcome, LIVE_FETCH_CAP};
use super::{
    ai_judged, by_service, by_staff, replies, staff_statistics, Reply, ServiceReport, TicketParams,
    QUICK_FIRE_CHARS, QUICK_FIRE_SECS,
};
use crate::common::{self, bars, duration, envelope, explain, href, window_tabs, Params, WINDOW_TABS};

const STAFF: &str = "/reports/ticket-tracking/staff";
const SERVICES: &str = "/reports/ticket-tracking/services";
const FLAGGED: &str = "/reports/ticket-tracking/flagged";
const STATS: &str = "/reports/staff-statistics";
/// What Flagged replies can show: `kind` and its label.
const FLAGGED_KINDS: &[(&str, &str)] = &[
    ("flagged", "Flagged (quick fire, repeated or AI)"),
    ("quick", "Quick fires"),
    ("repeated", "Repeated"),
    ("ai", "AI mediocre or bad"),
    ("all", "All replies"),
];

pub fn routes(state: &AppState) -> Routes {
    let v = Access::Staff(Role::Viewer);
    Routes::new(state)
        .get(STAFF, v, staff_page)
        .get("/reports/ticket-tracking/staff.json", v, staff_json)
        .get(SERVICES, v, services_page)
        .get("/reports/ticket-tracking/services.json", v, services_json)
        .get("/reports/ticket-tracking/services/tickets", v, service_tickets_page)
        .get(FLAGGED, v, flagged_page)
        .get(STATS, v, stats_page)
        .get("/reports/staff-statistics.json", v, stats_json)
}

/// `panel` is the chosen panel, already checked against the caller's scope.
pub fn params_from(panel: Option<i64>, q: &Params) -> AppResult<TicketParams> {
    Ok(TicketParams { panel, window_hours: common::window_hours(q, 24)? })
}

fn wh(p: &TicketParams) -> Vec<(&'static str, String)> {
    vec![("window_hours", p.window_hours.to_string())]
}

/// AI → Flagged replies of one staff member, over the smallest of its windows that covers the report's.
fn ai_flagged_href(viewer: &Viewer, staff: &str, verdict: Option<&str>, window_hours: i64) -> String {
    let window = match window_hours {
        0..=24 => "24h",
        25..=168 => "7d",
        169..=720 => "30d",
        721..=2160 => "90d",
        _ => "all",
    };
    let mut q = vec![("staff", staff.to_string()), ("window", window.to_string())];
    if let Some(v) = verdict {
        q.push(("verdict", v.to_string()));
    }
    href(viewer, "/ai/flagged", &q)
}

pub(crate) fn sub_nav(viewer: &Viewer, p: &TicketParams, current: &str) -> Markup {
    let items = [
        (STAFF, "By staff"),
        (SERVICES, "By service"),
        (FLAGGED, "Flagged replies"),
        (crate::response_times::pages::PATH, "Response times"),
        (STATS, "Staff statistics"),
    ];
    html! {
        nav.tabs.subnav aria-label="Ticket tracking" {
            @for (path, label) in items {
                a href=(href(viewer, path, &wh(p))) aria-current=[(path == current).then_some("page")] { (label) }
            }
        }
    }
}

fn staff_explain(p: &TicketParams) -> Markup {
    explain(html! {
        p { "Over staff replies created in the last " strong { (p.window_hours) " hours" } ". Messages are ordered by time within a ticket; a message \
            is the customer's or a staff member's (by name)." }
        ul {
            li { "Replies — how many replies the staff member sent in the window." }
            li { "Avg length — mean character count of the reply text, with HTML stripped and whitespace collapsed." }
            li { "Avg response — for each reply whose previous message in the ticket is the customer's: reply time − that customer message's time; \
                the mean of those." }
            li { "🔴 Quick fire — a reply shorter than " (QUICK_FIRE_CHARS) " characters, or sent less than " (QUICK_FIRE_SECS) " seconds after the \
                customer's last message: a pasted template, or the question was not read." }
            li { "🔁 Repeated — a reply after which the customer wrote 2 or more messages before the next staff reply: the answer did not solve it." }
            li { "Score — " code { "round(100 − 50 × quick_fires ÷ replies − 50 × repeated ÷ replies)" } ", between 0 and 100." }
            li { "AI good / mediocre / bad — the AI reviewer's verdicts on their replies in the window (AI → Flagged replies has its reasoning). \
                Replies it has not judged yet are not counted; replies judged mediocre or bad also join the Flagged replies list." }
            li { "Click a staff member (or any of their numbers) to see their replies and flagged tickets." }
        }
    })
}

async fn staff_json(ask: Ask) -> AppResult<Response> {
    let Ask { state, viewer, q, .. } = ask;
    let p = params_from(viewer.panel, &q)?;
    let conn = state.db.connect().await?;
    Ok(envelope(&by_staff(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?, None))
}

async fn staff_page(ask: Ask) -> AppResult<Markup> {
    let Ask { state, viewer, q, .. } = ask;
    let p = params_from(viewer.panel, &q)?;
    let conn = state.db.connect().await?;
    let rows = by_staff(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    let fl = |staff: &str, kind: &str| {
        let mut qq = wh(&p);
        qq.extend([("staff", staff.to_string()), ("kind", kind.to_string())]);
        href(&viewer, FLAGGED, &qq)
    };
    let table_rows: Vec<Markup> = rows
        .iter()
        .map(|r| html! { tr {
            td { a href=(fl(&r.staff, "flagged")) { (r.staff) } }
            td.num { a href=(fl(&r.staff, "all")) { (r.replies) } }
            td.num { (ui::whole(r.avg_length)) }
            td.num { @match r.avg_response_seconds { Some(s) => (duration(s)), None => span.muted { "—" } } }
            td.num { a href=(fl(&r.staff, "quick")) { (r.quick_fires) } }
            td.num { a href=(fl(&r.staff, "repeated")) { (r.repeated) } }
            td.num { strong { (r.score) } }
            td.num { (r.ai_good) }
            td.num { @if r.ai_mediocre > 0 { a href=(ai_flagged_href(&viewer, &r.staff, Some("mediocre"), p.window_hours)) { (r.ai_mediocre) } } @else { "0" } }
            td.num { @if r.ai_bad > 0 { a href=(ai_flagged_href(&viewer, &r.staff, Some("bad"), p.window_hours)) { (r.ai_bad) } } @else { "0" } }
        } })
        .collect();
    let replies_chart: Vec<(String, f64)> =
        rows.iter().map(|r| (r.staff.clone(), r.replies as f64)).collect();
    let resp_chart: Vec<(String, f64)> =
        rows.iter().filter_map(|r| r.avg_response_seconds.map(|s| (r.staff.clone(), s / 60.0))).collect();
    let cols = [
        col("Staff"),
        num("Replies"),
        num("Avg length"),
        num("Avg response"),
        num("🔴 Quick fires"),
        num("🔁 Repeated"),
        num("Score"),
        num("AI good"),
        num("AI mediocre"),
        num("AI bad"),
    ];
    let content = html! {
        (sub_nav(&viewer, &p, STAFF))
        (staff_explain(&p))
        (window_tabs(&viewer, STAFF, WINDOW_TABS, p.window_hours, &[]))
        @if !rows.is_empty() {
            div.grid2 {
                (bars("Replies per staff member", &replies_chart, ""))
                (bars("Avg response per staff member", &resp_chart, "min"))
            }
        }
        p.summary { (rows.len()) " staff members · " (rows.iter().map(|r| r.replies).sum::<i64>()) " replies · "
            a href=(format!("{STAFF}.json?window_hours={}", p.window_hours)) { "JSON" }
            " · " (crate::exports::link(STAFF, Some(&format!("window_hours={}", p.window_hours)))) }
        (ui::table(&cols, &table_rows, ui::empty_state("No staff replies in this window. Try a longer window; ticket messages arrive with the sync \
                (Settings → Sync).", None)))
    };
    Ok(ui::page(&viewer, "Ticket tracking — by staff", content))
}

fn fetch_note(f: &FetchOutcome) -> Markup {
    html! {
        @if f.fetched > 0 || f.still_missing > 0 || !f.errors.is_empty() {
            p.muted {
                @if f.fetched > 0 { "Fetched the messages of " (f.fetched) " tickets from their panels just now. " }
                @if f.still_missing > 0 { (f.still_missing) " tickets still have no messages (at most " (LIVE_FETCH_CAP) " are fetched per request): \
                    reload to fetch more. " }
                @for e in &f.errors { (e) " " }
            }
        }
    }
}

/// By service for this viewer, with the live fetch of missing conversations.
async fn live_report(
    state: &AppState,
    viewer: &Viewer,
    p: &TicketParams,
    now: i64,
) -> AppResult<(ServiceReport, FetchOutcome)> {
    by_service_fetching(state, &viewer.listed_scope(), p, now, LIVE_FETCH_CAP, &live_options()).await
}

async fn services_json(ask: Ask) -> AppResult<Response> {
    let Ask { state, viewer, q, .. } = ask;
    let p = params_from(viewer.panel, &q)?;
    let now = shared::time::now();
    let (report, fetched) = live_report(&state, &viewer, &p, now).await?;
    let mut resp = envelope(&report.rows, Some(("unresolved", report.unresolved.into())));
    if fetched.still_missing > 0 {
        resp.headers_mut().insert("x-messages-missing", fetched.still_missing.into());
    }
    Ok(resp)
}

async fn services_page(ask: Ask) -> AppResult<Markup> {
    let Ask { state, viewer, q, .. } = ask;
    let p = params_from(viewer.panel, &q)?;
    let now = shared::time::now();
    let (report, fetched) = live_report(&state, &viewer, &p, now).await?;
    let many = viewer.panel.is_none() && viewer.panels.len() > 1;
    let sample = |panel: i64, sid: i64| {
        let mut qq = wh(&p);
        qq.extend([("service_panel", panel.to_string()), ("service", sid.to_string())]);
        href(&viewer, "/reports/ticket-tracking/services/tickets", &qq)
    };
    let table_rows: Vec<Markup> = report
        .rows
        .iter()
        .map(|r| html! { tr {
            @if many { td { (viewer.panel_name(r.panel_id)) } }
            td.wrap { a href=(sample(r.panel_id, r.service_id)) { span.mono { (r.service_id) } " " (ui::cut(&r.service_name, 70)) } }
            td.num { a href=(sample(r.panel_id, r.service_id)) { (r.tickets) } }
            td.num { a href=(sample(r.panel_id, r.service_id)) { (r.orders) } }
            td { (r.top_complaint.as_deref().unwrap_or("—")) }
        } })
        .collect();
    let mut cols = Vec::new();
    if many {
        cols.push(col("Panel"));
    }
    cols.extend([col("Service"), num("Tickets"), num("Orders"), col("Top complaint")]);
    let mut unresolved_q = wh(&p);
    unresolved_q.push(("unresolved", "1".into()));
    let content = html! {
        (sub_nav(&viewer, &p, SERVICES))
        (explain(html! {
            p { "Over tickets created in the last " strong { (p.window_hours) " hours" } "." }
            ul {
                li { "Order ids are every 6–10 digit number in the ticket's message bodies (longer or shorter numbers are not order ids). Each is \
                    looked up in the cached orders of the ticket's own panel → service id and name." }
                li { "Tickets — tickets that mention at least one order of the service. Orders — distinct order ids of that service mentioned." }
                li { "Top complaint — the most frequent ticket subject among them, with the prefix before the last “ - ” cut \
                    (“Orders - Refill” → “Refill”)." }
                li { "Unresolved — tickets in the window with no parsable id, or whose ids are in no cached order." }
                li { "Tickets whose messages are not in the database are fetched live from their panel (at most " (LIVE_FETCH_CAP)
                    " per request) and stored, so later requests read only the database." }
                li { "Click a row to see sample tickets with their first 3 order ids." }
            }
        }))
        (window_tabs(&viewer, SERVICES, WINDOW_TABS, p.window_hours, &[]))
        (fetch_note(&fetched))
        p.summary { strong { a href=(href(&viewer, "/reports/ticket-tracking/services/tickets", &unresolved_q)) { (report.unresolved) " unresolved" } }
            " of " (report.tickets.len()) " tickets in the window · "
            a href=(format!("{SERVICES}.json?window_hours={}", p.window_hours)) { "JSON" }
            " · " (crate::exports::link(SERVICES, Some(&format!("window_hours={}", p.window_hours)))) }
        (ui::table(&cols, &table_rows, ui::empty_state("No ticket in this window mentions a cached order. Try a longer window, or check that orders \
            are synced (Settings → Sync).", None)))
    };
    Ok(ui::page(&viewer, "Ticket tracking — by service", content))
}

async fn service_tickets_page(ask: Ask) -> AppResult<Markup> {
    let Ask { state, viewer, q, .. } = ask;
    let p = params_from(viewer.panel, &q)?;
    let service = match (q.int("service_panel", 1..=i64::MAX)?, q.int("service", 0..=i64::MAX)?) {
        (Some(pa), Some(s)) => {
            viewer.scope().check(pa)?;
            Some((pa, s))
        }
        (None, None) => None,
        _ => return Err(AppError::bad_request("Give both service_panel and service, or neither.")),
    };
    let unresolved = q.get("unresolved").is_some_and(|v| v == "1");
    let conn = state.db.connect().await?;
    let report = by_service(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    let list: Vec<_> = report
        .tickets
        .iter()
        .filter(|t| match (unresolved, service) {
            (true, _) => t.matched.is_empty(),
            (false, Some((pa, s))) => t.panel_id == pa && t.matched.iter().any(|m| m.1 == s),
            (false, None) => !t.matched.is_empty(),
        })
        .take(200)
        .collect();
    let title = match (unresolved, service) {
        (true, _) => "Unresolved tickets".to_string(),
        (false, Some((_, s))) => format!("Tickets about service {s}"),
        (false, None) => "Tickets mentioning cached orders".to_string(),
    };
    let rows: Vec<Markup> = list
        .iter()
        .map(|t| {
            html! { tr {
                td.mono { (t.ticket_id) } td { (viewer.panel_name(t.panel_id)) }
                td.wrap { (ui::cut(&t.subject, 80)) }
                td { (t.status.as_deref().unwrap_or("")) }
                td { (ui::time(t.created)) }
                td.mono { (t.order_ids.iter().take(3).map(|i| i.to_string()).collect::<Vec<_>>().join(", ")) }
            } }
        })
        .collect();
    let content = html! {
        p { a href=(href(&viewer, SERVICES, &wh(&p))) { "← By service" } }
        p { (list.len()) " tickets" @if list.len() == 200 { " (first 200)" } " created in the last " (p.window_hours) "h." }
        (ui::table(&[col("Ticket"), col("Panel"), col("Subject"), col("Status"), col("Created"), col("First 3 order ids")], &rows,
            ui::empty_state("No tickets match.", None)))
    };
    Ok(ui::page(&viewer, &title, content))
}

async fn flagged_page(ask: Ask) -> AppResult<Markup> {
    let Ask { state, viewer, q, .. } = ask;
    let p = params_from(viewer.panel, &q)?;
    let kind = q.get("kind").unwrap_or("flagged");
    if !FLAGGED_KINDS.iter().any(|(k, _)| *k == kind) {
        return Err(AppError::bad_request("kind must be flagged, quick, repeated, ai or all."));
    }
    let staff = q.get("staff").map(str::to_string);
    let conn = state.db.connect().await?;
    let now = shared::time::now();
    let all = replies(&conn, &viewer.listed_scope(), &p, now).await?;
    let judged = ai_judged(&conn, &viewer.listed_scope(), &p, now).await?;
    let verdict = |r: &Reply| judged.get(&(r.panel_id, r.ticket_id, r.seq));
    let keep = |r: &Reply| match kind {
        "flagged" => r.quick_fire || r.repeated || verdict(r).is_some(),
        "quick" => r.quick_fire,
        "repeated" => r.repeated,
        "ai" => verdict(r).is_some(),
        _ => true,
    };
    let mut list: Vec<&Reply> =
        all.iter().filter(|r| keep(r) && staff.as_ref().is_none_or(|s| &r.staff == s)).collect();
    // The staff filter offers the names that replied in the window (and a chosen one that did not).
    let mut names: Vec<&str> = all.iter().map(|r| r.staff.as_str()).chain(staff.as_deref()).collect();
    names.sort_unstable();
    names.dedup();
    list.sort_by_key(|r| std::cmp::Reverse(r.created));
    let rows: Vec<Markup> = list
        .iter()
        .take(500)
        .map(|r| html! { tr {
            td { (ui::time(r.created)) } td { (r.staff) }
            td { a.mono href={ "/tickets/" (r.panel_id) "/" (r.ticket_id) } { (r.ticket_id) } " · " (viewer.panel_name(r.panel_id)) }
            td { @if r.quick_fire { span.label.bad { "🔴 quick fire" } " " } @if r.repeated { span.label.warn { "🔁 repeated" } " " }
                 @if let Some(j) = verdict(r) {
                     a href=(ai_flagged_href(&viewer, &r.staff, Some(&j.verdict), p.window_hours)) title="The AI reviewer's reasoning and suggested answer" {
                         "AI: " (ui::status_label(&j.verdict)) }
                     @if j.wrong { " " span.label.muted title="An owner marked this verdict wrong" { "marked wrong" } }
                 } }
            td.num { (r.length) }
            td.num { @match r.response_seconds { Some(s) => (duration(s as f64)), None => "—" } }
            td.wrap { (ui::cut(&r.text, 160)) }
        } })
        .collect();
    let content = html! {
        (sub_nav(&viewer, &p, FLAGGED))
        (explain(html! {
            p { "Staff replies of the last " (p.window_hours) " hours that the rules flagged: 🔴 quick fire (shorter than " (QUICK_FIRE_CHARS)
                " characters with HTML stripped, or sent less than " (QUICK_FIRE_SECS) " seconds \
                after the customer's message) and 🔁 repeated (the customer wrote 2 or more messages before the next staff reply). Replies the AI \
                reviewer judged mediocre or bad are listed too, with the verdict linking to its reasoning on AI → Flagged replies; replies it has not \
                judged yet carry no verdict." }
        }))
        form.filters method="get" action=(FLAGGED) {
            @if let Some(pn) = viewer.panel { input type="hidden" name="panel" value=(pn); }
            input type="hidden" name="window_hours" value=(p.window_hours);
            div { label for="staff" { "Staff" } select #staff name="staff" {
                option value="" { "All staff" }
                @for n in &names { option value=(n) selected[staff.as_deref() == Some(*n)] { (n) } } } }
            div { label for="kind" { "Show" } select #kind name="kind" {
                @for &(k, l) in FLAGGED_KINDS {
                    option value=(k) selected[k == kind] { (l) } } } }
            button type="submit" { "Show" }
        }
        (window_tabs(&viewer, FLAGGED, WINDOW_TABS, p.window_hours, &[("kind", kind.to_string()), ("staff", staff.clone().unwrap_or_default())]))
        p.summary { (list.len()) " replies in the last " (p.window_hours) " hours" @if list.len() > 500 { " (newest 500 shown)" } }
        (ui::table(&[col("Sent"), col("Staff"), col("Ticket"), col("Flags"), num("Length"), num("Response"), col("Reply")], &rows,
            ui::empty_state("No flagged replies in this window.", None)))
    };
    Ok(ui::page(&viewer, "Flagged replies", content))
}

async fn stats_json(ask: Ask) -> AppResult<Response> {
    let Ask { state, viewer, q, .. } = ask;
    let p = params_from(viewer.panel, &q)?;
    let conn = state.db.connect().await?;
    Ok(envelope(&staff_statistics(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?, None))
}

async fn stats_page(ask: Ask) -> AppResult<Markup> {
    let Ask { state, viewer, q, .. } = ask;
    let p = params_from(viewer.panel, &q)?;
    let conn = state.db.connect().await?;
    let rows = staff_statistics(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    let table_rows: Vec<Markup> = rows
        .iter()
        .map(|r| {
            let mut qq = wh(&p);
            qq.extend([("staff", r.staff.clone()), ("kind", "all".to_string())]);
            html! { tr {
                td { (r.staff) }
                td.num { a href=(href(&viewer, FLAGGED, &qq)) { (r.answered_tickets) } }
                td.num { @match r.avg_response_minutes { Some(m) => (m), None => span.muted { "—" } } }
            } }
        })
        .collect();
    let chart: Vec<(String, f64)> =
        rows.iter().filter_map(|r| r.avg_response_minutes.map(|m| (r.staff.clone(), m))).collect();
    let content = html! {
        (sub_nav(&viewer, &p, STATS))
        (explain(html! {
            ul {
                li { "Answered Ticket — distinct tickets with at least one reply of the staff member created in the last " (p.window_hours) " hours." }
                li { "Average Response Time (min) — for each of their replies whose previous message in the ticket is the customer's: reply time − \
                    that message's time; the mean of those, in minutes." }
            }
        }))
        (window_tabs(&viewer, STATS, WINDOW_TABS, p.window_hours, &[]))
        @if !chart.is_empty() { (bars("Average response time per staff member", &chart, "min")) }
        p.summary { a href=(format!("{STATS}.json?window_hours={}", p.window_hours)) { "JSON" }
            " · " (crate::exports::link(STATS, Some(&format!("window_hours={}", p.window_hours)))) }
        (ui::table(&[col("Staff"), num("Answered Ticket"), num("Average Response Time (min)")], &table_rows,
            ui::empty_state("No staff replies in this window. Ticket messages arrive with the sync (Settings → Sync).", None)))
    };
    Ok(ui::page(&viewer, "Staff statistics", content))
}
