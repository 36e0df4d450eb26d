//! AI → Flagged replies: replies the reviewer judged mediocre or bad, with staff, ticket, excerpt, flags,
//! reasoning and the suggested better answer. Filters: staff, verdict, flag, panel, window. An owner can
//! mark a verdict wrong; marks are kept, shown, and counted as the reviewer's disagreement rate. The
//! CSV holds every reply the filters select, not only the newest the page lists.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use shared::auth::InScope;

use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::db::Reads;
use shared::ui::form::FormData;
use shared::ui::{self, col, csrf_input, link};
use shared::{AppError, AppResult, AppState};

use crate::reviews::{self, Filter, Flagged, FlaggedKey};
use shared::export::{self, AddPage, ReadPages, RowCells};

const LIMIT: i64 = 200;
const WINDOWS: &[(&str, &str, i64)] = &[
    ("24h", "Last 24h", 86_400),
    ("7d", "Last 7 days", 7 * 86_400),
    ("30d", "Last 30 days", 30 * 86_400),
    ("90d", "Last 90 days", 90 * 86_400),
    ("all", "All time", 0),
];

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub staff: Option<String>,
    pub verdict: Option<String>,
    pub flag: Option<String>,
    pub window: Option<String>,
    pub panel: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The query string of the current filters without `drop`.
fn href_without(p: &Params, drop: &str) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for (k, v) in [
        ("staff", &p.staff),
        ("verdict", &p.verdict),
        ("flag", &p.flag),
        ("window", &p.window),
        ("panel", &p.panel),
    ] {
        if k != drop {
            if let Some(v) = nonempty(v) {
                pairs.push((k, v));
            }
        }
    }
    let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if q.is_empty() {
        "/ai/flagged".into()
    } else {
        format!("/ai/flagged?{q}")
    }
}

fn row(viewer: &Viewer, f: &Flagged, back: &str) -> Markup {
    let ticket = format!("/tickets/{}/{}", f.panel_id, f.ticket_id);
    html! { tr {
        td { (ui::time(f.reply_at)) }
        td { (viewer.panel_name(f.panel_id)) }
        td { a href=(ticket) { "#" (f.ticket_id) } }
        td { (f.staff) }
        td.wrap { (ui::cut(&f.excerpt, 140)) }
        td { (ui::status_label(&f.verdict))
             @if f.wrong { br; span.label.muted title="An owner marked this verdict wrong" { "marked wrong" } } }
        td { @for fl in &f.flags { span.chip { (fl) } " " } }
        td.wrap { (f.reasoning) }
        td.wrap { @if f.suggestion.is_empty() { span.muted { "—" } } @else { (f.suggestion) } }
        td { span.muted title=(format!("prompt version {}", f.prompt_version.unwrap_or(0))) { (f.model) } }
        @if viewer.is(Role::Owner) {
            td {
                form method="post" action=(format!("/ai/flagged/{}/{}/{}/wrong", f.panel_id, f.ticket_id, f.seq)) {
                    (csrf_input(viewer))
                    input type="hidden" name="wrong" value=(if f.wrong { "0" } else { "1" });
                    input type="hidden" name="back" value=(back);
                    button.secondary type="submit" { @if f.wrong { "Undo wrong" } @else { "Mark wrong" } }
                }
            }
        }
    } }
}

/// The page's filters in the viewer's panels, and the window's label.
fn filter(viewer: &Viewer, p: &Params) -> AppResult<(Filter, String, &'static str)> {
    let verdict = nonempty(&p.verdict);
    if verdict.as_deref().is_some_and(|v| v != "mediocre" && v != "bad") {
        return Err(AppError::bad_request("Verdict must be mediocre or bad."));
    }
    let window = nonempty(&p.window).unwrap_or_else(|| "30d".into());
    let Some(&(_, window_label, secs)) = WINDOWS.iter().find(|w| w.0 == window) else {
        return Err(AppError::bad_request("Window must be one of 24h, 7d, 30d, 90d, all."));
    };
    let filter = Filter {
        panel_sql: viewer.panel_sql("r.panel_id"),
        staff: nonempty(&p.staff),
        verdict,
        flag: nonempty(&p.flag),
        from: (secs > 0).then(|| shared::time::now() - secs),
        to: None,
    };
    Ok((filter, window, window_label))
}

/// Every flagged reply the filters select (not only the newest the page shows), streamed.
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let (filter, _, _) = filter(&viewer, &p)?;
    let add: AddPage<Flagged, FlaggedKey> =
        Box::new(move |reads, after, size| reviews::flagged_after(reads, &filter, after, size as i64));
    let cells: RowCells<Flagged, FlaggedKey> = Box::new(move |f| {
        let cells = vec![
            export::text(viewer.panel_name(f.panel_id)),
            export::time(f.reply_at),
            export::int(f.ticket_id),
            export::text(&f.staff),
            export::text(&f.excerpt),
            export::text(&f.verdict),
            export::text(if f.wrong { "yes" } else { "no" }),
            export::text(f.flags.join("; ")),
            export::text(&f.reasoning),
            export::text(&f.suggestion),
            export::text(&f.model),
            export::int(f.prompt_version),
        ];
        (cells, f.key())
    });
    let header = &[
        "Panel",
        "Sent",
        "Ticket",
        "Staff",
        "Reply",
        "Verdict",
        "Marked wrong",
        "Flags",
        "Reasoning",
        "Suggested reply",
        "Model",
        "Prompt version",
    ];
    let pages = ReadPages::new(&state.db, add, cells);
    Ok(export::csv_response("flagged-replies", header, pages, export::lambda_cap()))
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<Params>,
) -> AppResult<Markup> {
    let (filter, window, window_label) = filter(&viewer, &p)?;
    let (verdict, panel_sql) = (filter.verdict.clone(), filter.panel_sql.clone());
    let mut reads = Reads::new();
    let list = reviews::flagged(&mut reads, &filter, LIMIT);
    let counts = reviews::disagreement(&mut reads, &filter);
    let (staff_names, flags) = reviews::filter_options(&mut reads, &panel_sql);
    let cfg = crate::settings::read(&mut reads);
    let mut done = reads.run(&state.db.connect().await?).await?;
    let list = done.all(list).await?;
    let (wrong, total) = done.first(counts).await?.unwrap_or((0, 0));
    let staff_names = done.all(staff_names).await?;
    let flags: Vec<String> = done.all(flags).await?.into_iter().flatten().collect();
    let cfg = crate::settings::from_pairs(done.all(cfg).await?);
    let back = href_without(&p, "");
    let rows: Vec<Markup> = list.iter().map(|f| row(&viewer, f, &back)).collect();
    let mut cols = vec![
        col("Sent"),
        col("Panel"),
        col("Ticket"),
        col("Staff"),
        col("Reply"),
        col("Verdict"),
        col("Flags"),
        col("Reasoning"),
        col("Suggested reply"),
        col("Model"),
    ];
    if viewer.is(Role::Owner) {
        cols.push(col(""));
    }
    let mut chips = Vec::new();
    for (k, label, v) in
        [("staff", "Staff", &p.staff), ("verdict", "Verdict", &p.verdict), ("flag", "Flag", &p.flag)]
    {
        if let Some(v) = nonempty(v) {
            chips.push((format!("{label}: {v}"), href_without(&p, k)));
        }
    }
    let empty = if !cfg.is_configured() {
        ui::empty_state(
            "The AI reviewer is not set up yet. Set a provider and API key in AI settings.",
            Some(("/ai/settings", "AI settings")),
        )
    } else {
        ui::empty_state("No flagged replies in this window. Widen the window or clear the filters; new replies are reviewed every few minutes.", None)
    };
    let rate = if total > 0 { format!("{:.1}%", wrong as f64 * 100.0 / total as f64) } else { "—".into() };
    let sel = |cur: &Option<String>, v: &str| cur.as_deref() == Some(v);
    let content = html! {
        form.filters method="get" action="/ai/flagged" {
            @if let Some(pn) = viewer.panel { input type="hidden" name="panel" value=(pn); }
            div { label for="staff" { "Staff" }
                select #staff name="staff" {
                    option value="" { "All staff" }
                    @for s in &staff_names { option value=(s) selected[sel(&filter.staff, s)] { (s) } }
                } }
            div { label for="verdict" { "Verdict" }
                select #verdict name="verdict" {
                    option value="" { "Mediocre and bad" }
                    option value="mediocre" selected[sel(&verdict, "mediocre")] { "Mediocre" }
                    option value="bad" selected[sel(&verdict, "bad")] { "Bad" }
                } }
            div { label for="flag" { "Flag" }
                select #flag name="flag" {
                    option value="" { "Any flag" }
                    @for f in &flags { option value=(f) selected[sel(&filter.flag, f)] { (f) } }
                } }
            div { label for="window" { "Window" }
                select #window name="window" {
                    @for (k, label, _) in WINDOWS { option value=(k) selected[*k == window] { (label) } }
                } }
            div { button type="submit" { "Filter" } }
        }
        (ui::chips(&chips, &link(&viewer, "/ai/flagged")))
        p.exports { (export::link(&link(&viewer, &href_without(&p, "panel").replacen("/ai/flagged", "/ai/flagged.csv", 1)))) }
        p.muted {
            (window_label) ": " strong { (list.len()) } " flagged"
            @if list.len() as i64 == LIMIT { " (newest " (LIMIT) " shown; narrow the filters)" }
            " · Reviewer disagreement: " strong { (rate) } " (" (wrong) " of " (total) " verdicts marked wrong by an owner)"
        }
        p.help {
            "These are the AI reviewer's verdicts. Replies the rules flag (quick fire, repeated) are listed with them in "
            a href=(link(&viewer, "/reports/ticket-tracking/flagged")) { "Ticket tracking → Flagged replies" } "."
        }
        (ui::table(&cols, &rows, empty))
    };
    Ok(ui::page(&viewer, "Flagged replies", content))
}

pub async fn mark_wrong(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    InScope((panel_id, ticket_id, seq)): InScope<(i64, i64, i64)>,
    data: FormData,
) -> AppResult<Response> {
    let wrong = match data.get("wrong") {
        Some("1") | None => true,
        Some("0") => false,
        _ => return Err(AppError::bad_request("wrong must be 1 or 0.")),
    };
    if !reviews::mark_wrong(&state.db, (panel_id, ticket_id, seq), viewer.id(), wrong).await? {
        return Err(AppError::not_found("That verdict"));
    }
    let what = if wrong { "marked wrong" } else { "wrong mark removed" };
    let details = format!("ticket #{ticket_id} reply {seq}: verdict {what}");
    crate::log(&state, &viewer, &client, "ai.verdict.wrong", &details, Some(panel_id)).await?;
    // Only a local page may be the way back.
    let back = data.get("back").filter(|b| b.starts_with("/ai/flagged")).unwrap_or("/ai/flagged");
    Ok(flash_redirect(back, &format!("Verdict {what}."), client.secure))
}
