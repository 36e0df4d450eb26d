//! The report's HTML page, JSON and CSV.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use axum::Json;
use maud::{html, Markup};
use serde_json::{json, Value};

use shared::auth::Viewer;
use shared::domain::competitors::profiles;
use shared::export::{self, Cell};
use shared::pp::money;
use shared::ui::{self, col, link, num};
use shared::{AppError, AppResult, AppState};

use super::compute::{report, CompetitorReport, ReportQuery, RivalRate, TrackedService};
use super::svg;

/// Reads the query by hand so a bad value is a 400 that says which one.
/// `panel` is the caller's chosen panel (checked against its scope), used when the query names none.
pub fn query(panel: Option<i64>, q: &HashMap<String, String>) -> AppResult<ReportQuery> {
    let int = |name: &str| -> AppResult<Option<i64>> {
        match q.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| AppError::bad_request(format!("{name} must be a whole number."))),
        }
    };
    Ok(ReportQuery {
        panel: int("panel")?.or(panel),
        profile: int("profile")?,
        window_hours: int("window_hours")?,
    })
}

pub async fn json(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<HashMap<String, String>>,
) -> AppResult<Json<Value>> {
    let r = report(&state.db, &viewer.listed_scope(), &query(viewer.panel, &q)?, shared::time::now()).await?;
    let mut data = json!({"count": r.rows.len(), "list": r.rows});
    if let Some(d) = data.as_object_mut() {
        d.extend(extras(&r));
    }
    Ok(Json(json!({"data": data, "error_code": 0, "error_message": ""})))
}

/// What `data` holds besides `count` and `list` (the admin API sends the same).
pub fn extras(r: &CompetitorReport) -> serde_json::Map<String, Value> {
    let v = json!({
        "panel_id": r.panel_id,
        "profile_id": r.profile_id,
        "window_hours": r.window_hours,
        "from": r.from,
        "to": r.to,
        "changes": r.changes,
        "notes": r.notes,
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

fn rate(r: Option<i64>) -> String {
    r.map(money::rate).unwrap_or_else(|| "—".into())
}

fn signed(abs: Option<i64>, pct: Option<f64>) -> Markup {
    match abs {
        None => html! { span.muted { "—" } },
        Some(a) => {
            let sign = if a > 0 { "+" } else { "" };
            html! {
                span.up[a > 0] .down[a < 0] { (sign) (money::rate(a))
                    @if let Some(p) = pct { " (" (sign) (format!("{p:.1}")) "%)" } }
            }
        }
    }
}

fn position_label(position: &str) -> &'static str {
    match position {
        "most_expensive" => "Most expensive",
        "cheapest_by_far" => "Cheapest by far",
        "cheapest" => "Cheapest",
        "between" => "In between",
        _ => "No rival price",
    }
}

fn flag(position: &str) -> Markup {
    let label = position_label(position);
    match position {
        "most_expensive" => html! { span.label.bad { (label) } },
        "cheapest_by_far" => html! { span.label.warn { (label) } },
        "cheapest" => html! { span.label.ok { (label) } },
        _ => html! { span.muted { (label) } },
    }
}

/// The table "Our rates against rivals" as CSV: one line per service and rival (a service without a
/// confirmed match: one line, rival columns empty); rates per 1000 as decimals, changes in percent.
pub async fn csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let r = report(&state.db, &viewer.listed_scope(), &query(viewer.panel, &q)?, shared::time::now()).await?;
    let mut lines: Vec<Vec<Cell>> = Vec::new();
    for s in &r.rows {
        let ours = [
            export::text(viewer.panel_name(s.panel_id)),
            export::int(s.service_id),
            export::text(&s.name),
            export::money(s.our_rate),
            export::text(position_label(s.position)),
            export::opt_text(s.cheapest_rival.as_deref()),
            export::money(s.cheapest_rival_rate),
        ];
        let rival = |v: &RivalRate| {
            [
                export::text(&v.competitor),
                export::int(v.rival_service_id),
                export::text(&v.rival_name),
                export::text(if v.listed { "yes" } else { "no" }),
                export::money(v.rate_start),
                export::money(v.rate_now),
                export::money(v.change_abs),
                export::num(v.change_pct),
                export::money(v.vs_us_start_abs),
                export::num(v.vs_us_start_pct),
                export::money(v.vs_us_now_abs),
                export::num(v.vs_us_now_pct),
            ]
        };
        if s.rivals.is_empty() {
            let mut line = ours.to_vec();
            line.resize(ours.len() + 12, export::text(""));
            lines.push(line);
        }
        lines.extend(s.rivals.iter().map(|v| ours.iter().cloned().chain(rival(v)).collect()));
    }
    let header = &[
        "Panel",
        "Service ID",
        "Our service",
        "Our rate",
        "Position",
        "Cheapest rival",
        "Cheapest rival rate",
        "Rival",
        "Rival service ID",
        "Rival service",
        "Listed",
        "Start",
        "Now",
        "Change",
        "Change %",
        "Us vs rival (start)",
        "Us vs rival (start) %",
        "Us vs rival (now)",
        "Us vs rival (now) %",
    ];
    Ok(export::whole_response("competitors", header, &lines))
}

fn service_rows(s: &TrackedService) -> Vec<Markup> {
    let n = s.rivals.len().max(1);
    let mut out = Vec::new();
    for k in 0..n {
        let r = s.rivals.get(k);
        out.push(html! { tr {
            @if k == 0 {
                td rowspan=(n) { "#" (s.service_id) " " (ui::cut(&s.name, 60)) }
                td.num rowspan=(n) { (rate(s.our_rate)) }
                td rowspan=(n) { (flag(s.position))
                    @if let Some(c) = &s.cheapest_rival { br; span.muted { "cheapest: " (c) " " (rate(s.cheapest_rival_rate)) } } }
            }
            @match r {
                None => { td colspan="6" { span.muted { "No confirmed match with the chosen competitors." } } }
                Some(r) => {
                    td { strong { (r.competitor) } br; span.muted { "#" (r.rival_service_id) " " (ui::cut(&r.rival_name, 50)) }
                         @if !r.listed { br; span.label.bad { "removed" } } }
                    td.num { (rate(r.rate_start)) }
                    td.num { (rate(r.rate_now)) }
                    td.num { (signed(r.change_abs, r.change_pct)) }
                    td.num { (signed(r.vs_us_start_abs, r.vs_us_start_pct)) }
                    td.num { (signed(r.vs_us_now_abs, r.vs_us_now_pct)) }
                }
            }
        } });
    }
    out
}

fn how_to_read() -> Markup {
    crate::common::explain(html! {
            h3 { "Goal" }
            p { "See where our prices stand against rival panels, and what the rivals changed, so prices are set on facts rather than on opening \
                rival sites by hand." }
            h3 { "Columns" }
            ul {
                li { strong { "Our rate" } " — our current price per 1000 (from the synced catalogue)." }
                li { strong { "Position" } " — among the rivals' current rates: Most expensive (dearer than every rival), Cheapest, Cheapest by far \
                    (more than 20% under the cheapest rival: room to raise), In between." }
                li { strong { "Start / Now" } " — the rival's rate at the start of the window and now. If a competitor's history begins inside the \
                    window, Start is its first synced rate (noted above the table)." }
                li { strong { "Change" } " — the rival's move in the window, absolute and in %." }
                li { strong { "Us vs rival" } " — our rate minus theirs at the start and now, and that difference as a % of their rate; positive \
                    means we are dearer." }
            }
            h3 { "Matches" }
            p { "Only confirmed matches are compared. Suggestions are made on Competitor tracking → Matches from platform, type, refill and speed in \
                the names; confirm the right rival service there." }
            h3 { "Catalogue changes" }
            p { "Compares each rival's catalogue at the start of the window with now: New (listed now, not then), Removed (listed then, not now), \
                price up / down. A service that came and went inside the window is not listed." }
            h3 { "Data" }
            p { "Rival catalogues are synced every 12 hours; only changes are stored, so any past catalogue can be rebuilt exactly. A failed sync \
                keeps the last good catalogue; see Competitor panels for errors." }
    })
}

pub async fn html_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<HashMap<String, String>>,
) -> AppResult<Markup> {
    let title = "Competitor tracking";
    let mut rq = query(viewer.panel, &q)?;
    if rq.panel.is_none() && rq.profile.is_none() {
        rq.panel = viewer.panels.first().map(|p| p.id);
    }
    if rq.panel.is_none() && rq.profile.is_none() {
        let body = ui::empty_state("No panels are shared with you. Ask an owner to allow you a panel.", None);
        return Ok(ui::page(&viewer, title, body));
    }
    let r = report(&state.db, &viewer.listed_scope(), &rq, shared::time::now()).await?;
    let profiles = profiles::list(&state.db, &viewer.listed_scope(), Some(r.panel_id)).await?;
    Ok(ui::page(&viewer, title, body(&viewer, &r, &profiles)))
}

fn body(viewer: &Viewer, r: &CompetitorReport, profiles: &[profiles::Profile]) -> Markup {
    let rows: Vec<Markup> = r.rows.iter().flat_map(service_rows).collect();
    let cols = [
        col("Our service"),
        num("Our rate"),
        col("Position"),
        col("Rival"),
        num("Start"),
        num("Now"),
        num("Change"),
        num("Us vs rival (start)"),
        num("Us vs rival (now)"),
    ];
    let empty = if r.competitors.is_empty() {
        ui::empty_state(
            "No competitor panels for this panel yet. Add rivals, sync them, and confirm matches.",
            Some(("/competitors", "Competitor panels")),
        )
    } else {
        ui::empty_state(
            "No confirmed matches yet. Confirm suggested rival services on Matches to compare prices.",
            Some(("/competitors/matches", "Matches")),
        )
    };
    let change_rows: Vec<Markup> = r
        .changes
        .iter()
        .take(300)
        .map(|c| {
            let kind = match c.kind {
                "new" => "New",
                "removed" => "Removed",
                "price_up" => "Price up",
                _ => "Price down",
            };
            html! { tr {
                td { (c.competitor) }
                td { (kind) }
                td { "#" (c.service_id) " " (ui::cut(&c.name, 70)) }
                td.num { (rate(c.rate_before)) }
                td.num { (rate(c.rate_after)) }
                td.num { @if let Some(p) = c.change_pct { (format!("{p:+.1}%")) } }
            } }
        })
        .collect();
    let windows = [12, 24, 48, 72, 96, 168, 336, 720];
    html! {
        nav.tabs aria-label="Competitor tracking" {
            a href=(link(viewer, "/competitors")) { "Competitor panels" } " "
            a href=(link(viewer, "/competitors/matches")) { "Matches" } " "
            a href=(link(viewer, "/competitors/profiles")) { "Profiles" } " "
            a href=(link(viewer, "/reports/competitors")) aria-current="page" { "Report" }
        }
        form.filters method="get" action="/reports/competitors" {
            input type="hidden" name="panel" value=(r.panel_id);
            label for="profile" { "Profile" }
            select #profile name="profile" {
                option value="" selected[r.profile_id.is_none()] { "All competitors, every matched service" }
                @for p in profiles { option value=(p.id) selected[r.profile_id == Some(p.id)] { (p.name) } }
            }
            label for="window_hours" { "Window" }
            select #window_hours name="window_hours" {
                @for h in windows { option value=(h) selected[h == r.window_hours] { (h) " h" } }
                @if !windows.contains(&r.window_hours) { option value=(r.window_hours) selected { (r.window_hours) " h" } }
            }
            " " button type="submit" { "Show" }
            " " a href=(link(viewer, &format!("/reports/competitors.json?window_hours={}{}", r.window_hours,
                r.profile_id.map(|p| format!("&profile={p}")).unwrap_or_default()))) { "JSON" }
            " " (export::link(&link(viewer, &format!("/reports/competitors.csv?window_hours={}{}", r.window_hours,
                r.profile_id.map(|p| format!("&profile={p}")).unwrap_or_default()))))
        }
        p.muted { (viewer.panel_name(r.panel_id)) " · " (shared::time::full(r.from)) " → " (shared::time::full(r.to))
            " · competitors: " @if r.competitors.is_empty() { "none" } @else { (r.competitors.join(", ")) } }
        @for n in &r.notes { p.note { (n) } }
        (how_to_read())
        h2 { "Our rates against rivals" }
        (ui::table(&cols, &rows, empty))
        @if !r.rows.is_empty() {
            h2 { "Price history" }
            @for s in &r.rows {
                @if !s.rivals.is_empty() {
                    figure.chart {
                        figcaption { "#" (s.service_id) " " (s.name) }
                        (svg::chart(s, r.from, r.to))
                    }
                }
            }
        }
        h2 { "Rivals' catalogue changes in the window" }
        (ui::table(&[col("Competitor"), col("Change"), col("Service"), num("Before"), num("After"), num("Move")], &change_rows,
            ui::empty_state("No new or removed services and no price moves in this window.", None)))
        @if r.changes.len() > 300 { p.muted { "First 300 of " (r.changes.len()) " changes; the JSON has them all." } }
    }
}
