//! Activity log: When | Staff | Action | Details | IP / Device, filterable, newest first, and its CSV.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

use shared::audit::{self, Entry, Filter};
use shared::auth::Viewer;
use shared::db::Reads;
use shared::export::{self, AddPage, ReadPages, RowCells};
use shared::ui::{self, col};
use shared::{AppError, AppResult, AppState};

const PAGE: i64 = 50;

#[derive(Deserialize, Default, Clone)]
pub struct Q {
    staff: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_id(v: &Option<String>, what: &str) -> AppResult<Option<i64>> {
    non_empty(v)
        .map(|s| s.parse::<i64>().map_err(|_| AppError::bad_request(format!("{what} must be a number."))))
        .transpose()
}

fn parse_date(v: &Option<String>, what: &str) -> AppResult<Option<i64>> {
    non_empty(v)
        .map(|s| {
            shared::time::parse_input(s)
                .ok_or_else(|| AppError::bad_request(format!("{what} must be a date like 2026-11-23.")))
        })
        .transpose()
}

/// The query string for `q` without `drop` (for chips) and with `before` replaced.
fn href(q: &Q, drop: &str, before: Option<i64>) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for (k, v) in [("staff", &q.staff), ("action", &q.action), ("from", &q.from), ("to", &q.to)] {
        if k != drop {
            if let Some(v) = non_empty(v) {
                pairs.push((k, v.to_string()));
            }
        }
    }
    if let Some(b) = before {
        pairs.push(("before", b.to_string()));
    }
    let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if qs.is_empty() {
        "/activity".into()
    } else {
        format!("/activity?{qs}")
    }
}

/// The entries the page's filters select in the viewer's scope (`before`: the page's position).
fn filter(viewer: &Viewer, q: &Q) -> AppResult<Filter> {
    Ok(Filter {
        staff_id: parse_id(&q.staff, "Staff")?,
        action: non_empty(&q.action).map(str::to_string),
        from: parse_date(&q.from, "From")?,
        // "to" is inclusive of that whole day.
        to: parse_date(&q.to, "To")?.map(|t| t + 86_400),
        before: parse_id(&q.before, "Page")?,
        panel_sql: viewer.panel_sql("panel_id"),
        limited_to_staff: (!viewer.staff.sees_every_panel()).then_some(viewer.staff.id),
    })
}

/// Every entry the filters select, newest first, streamed (the log only grows).
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<Q>,
) -> AppResult<Response> {
    let f = filter(&viewer, &q)?;
    // All pages: the page's own position is replaced by the stream's.
    let add: AddPage<Entry, i64> = Box::new(move |reads, after, size| {
        audit::list(reads, &Filter { before: after, ..f.clone() }, size as i64)
    });
    let cells: RowCells<Entry, i64> = Box::new(move |e| {
        let panel = e.panel_id.map(|p| viewer.panel_name(p));
        let cells = vec![
            export::time(e.at),
            export::text(&e.username),
            export::text(&e.action),
            export::text(&e.details),
            export::opt_text(panel.as_deref()),
            export::text(&e.ip),
            export::text(&e.user_agent),
        ];
        (cells, e.id)
    });
    let header = &["When", "Staff", "Action", "Details", "Panel", "IP", "Device"];
    let pages = ReadPages::new(&state.db, add, cells);
    Ok(export::csv_response("activity", header, pages, export::lambda_cap()))
}

pub async fn page(State(state): State<AppState>, viewer: Viewer, Query(q): Query<Q>) -> AppResult<Markup> {
    let filter = filter(&viewer, &q)?;
    let mut reads = Reads::new();
    let list = audit::list(&mut reads, &filter, PAGE + 1);
    let (members, actions) = audit::choices(&mut reads, &filter);
    let mut done = reads.run(&state.db.connect().await?).await?;
    let mut entries = done.all(list).await?;
    let more = entries.len() as i64 > PAGE;
    entries.truncate(PAGE as usize);
    let (members, actions) = (audit::one_per_member(done.all(members).await?), done.all(actions).await?);
    let rows: Vec<Markup> = entries
        .iter()
        .map(|e| {
            html! { tr {
                td { (ui::time(e.at)) }
                td { @if e.username.is_empty() { span.muted { "—" } } @else { (e.username) } }
                td { code { (e.action) } }
                td { (ui::cut(&e.details, 90)) @if let Some(p) = e.panel_id { " " span.muted { "(" (viewer.panel_name(p)) ")" } } }
                td { (e.ip) br; span.muted { (ui::cut(&e.user_agent, 50)) } }
            } }
        })
        .collect();
    let mut chips = Vec::new();
    if let Some(s) = filter.staff_id {
        let name = members.iter().find(|m| m.0 == s).map(|m| m.1.clone()).unwrap_or(s.to_string());
        chips.push((format!("Staff: {name}"), href(&q, "staff", None)));
    }
    for (k, label, v) in [("action", "Action", &q.action), ("from", "From", &q.from), ("to", "To", &q.to)] {
        if let Some(v) = non_empty(v) {
            chips.push((format!("{label}: {v}"), href(&q, k, None)));
        }
    }
    let next = more.then(|| entries.last().map(|e| href(&q, "", Some(e.id)))).flatten();
    let first = filter.before.is_some().then(|| href(&q, "", None));
    let content = html! {
        form.filters method="get" action="/activity" {
            div { label for="f-staff" { "Staff" }
                select #f-staff name="staff" {
                    option value="" { "Anyone" }
                    @for (id, name) in &members { option value=(id) selected[filter.staff_id == Some(*id)] { (name) } }
                } }
            div { label for="f-action" { "Action" }
                select #f-action name="action" {
                    option value="" { "Any action" }
                    @for a in &actions { option value=(a) selected[filter.action.as_deref() == Some(a.as_str())] { (a) } }
                } }
            div { label for="f-from" { "From" } input #f-from type="date" name="from" value=(non_empty(&q.from).unwrap_or("")); }
            div { label for="f-to" { "To" } input #f-to type="date" name="to" value=(non_empty(&q.to).unwrap_or("")); }
            button type="submit" { "Filter" }
        }
        (ui::chips(&chips, "/activity"))
        p.exports { (export::link(&ui::link(&viewer, &href(&q, "", None).replacen("/activity", "/activity.csv", 1)))) }
        (ui::table(&[col("When"), col("Staff"), col("Action"), col("Details"), col("IP / Device")], &rows,
            if chips.is_empty() { ui::empty_state("Nothing has been logged yet.", None) }
            else { ui::empty_state("No activity matches these filters.", Some(("/activity", "Clear filters"))) }))
        (ui::pager(first.as_deref(), next.as_deref()))
    };
    Ok(ui::page(&viewer, "Activity log", content))
}
