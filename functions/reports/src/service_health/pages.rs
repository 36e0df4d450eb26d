//! Service tracking pages: the report (HTML and `.json`), the drill-down to its orders, snoozes, and
//! the profiles' list and forms.

use crate::common::Ask;
use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::ui::form::FormData;
use shared::ui::{self, col, csrf_input, link, num};
use shared::{Access, AppError, AppResult, AppState, Routes};

use super::profiles::ServiceProfile;
use super::{service_health, snooze, ServiceHealthParams, ServiceHealthRow};
use crate::common::{
    self, data_links, envelope, explain, href, ids_text, sparkline, window_tabs, Params, ProfileFilters,
    WINDOW_TABS,
};

pub(super) const PATH: &str = "/reports/service-health";
pub const TREND_DAYS: i64 = 7;

pub fn routes(state: &AppState) -> Routes {
    let v = Access::Staff(Role::Viewer);
    crate::profiles::editor::routes::<ServiceProfile>(Routes::new(state))
        .get(PATH, v, page)
        .get("/reports/service-health.json", v, json)
        .get("/reports/service-health/orders", v, super::drill::drill_down)
        .post("/reports/service-health/snooze", Access::Staff(Role::Agent), snooze_post)
        .post("/reports/service-health/wake", Access::Staff(Role::Agent), wake_post)
}

/// The report's parameters from the query: profile (default otherwise), window, overrides.
/// `panel` is the chosen panel, already checked against the caller's scope (the guard does it for
/// a staff member and for an API key alike).
pub async fn params_from(
    conn: &shared::db::Conn,
    panel: Option<i64>,
    q: &Params,
) -> AppResult<(ServiceProfile, ServiceHealthParams, Vec<ServiceProfile>)> {
    let (profile, all) =
        crate::profiles::chosen::<ServiceProfile>(conn, q.int("profile", 1..=i64::MAX)?).await?;
    let mut p = ServiceHealthParams::from_profile(&profile, panel, common::window_hours(q, 24)?);
    if let Some(v) = q.int("stuck_after_hours", 1..=2160)? {
        p.stuck_after_hours = v;
    }
    if let Some(v) = q.float("slow_multiplier", 0.1..=100.0)? {
        p.slow_multiplier = v;
    }
    if let Some(v) = q.int("min_orders", 0..=1_000_000)? {
        p.min_orders = v;
    }
    p.include_snoozed = q.get("include_snoozed").is_some_and(|v| v == "1" || v == "true");
    Ok((profile, p, all))
}

async fn json(ask: Ask) -> AppResult<Response> {
    let Ask { state, viewer, q, .. } = ask;
    let conn = state.db.connect().await?;
    let (_, p, _) = params_from(&conn, viewer.panel, &q).await?;
    let rows = service_health(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    Ok(envelope(&rows, None))
}

pub(super) fn keep(profile: &ServiceProfile, q: &Params) -> Vec<(&'static str, String)> {
    let mut k = vec![("profile", profile.id.to_string())];
    for name in ["stuck_after_hours", "slow_multiplier", "min_orders"] {
        if let Some(v) = q.get(name) {
            k.push((name, v.to_string()));
        }
    }
    k
}

fn how_to_read(p: &ServiceHealthParams) -> Markup {
    let m = p.slow_multiplier;
    explain(html! {
        h3 { "Status colours" }
        ul {
            li { "🟢 Healthy — score > 70. No stuck or slow orders, or only marginal." }
            li { "🟡 Warning — score 40–70. Some orders are stuck or significantly slower than the speed in the service name." }
            li { "🔴 Critical — score < 40. Many orders stuck and/or very slow. Investigate the provider; the service may be down." }
        }
        h3 { "What counts as stuck or slow" }
        ul {
            li { "Stuck — orders currently in pending, in_progress, processing or an awaiting state, created more than "
                 strong { (p.stuck_after_hours) " hours" } " ago, with remains > 0. Counted over the whole cache: the window does not hide older \
                     stuck orders." }
            li { "Finished — completed or partial orders whose last update falls inside the last " strong { (p.window_hours) " hours" } "." }
            li { "Slow — finished orders whose completion time (last update − created) is longer than quantity ÷ min speed per day × "
                 strong { (m) } " days. The min speed is parsed from the service name (e.g. “Speed: 5-10K/Day” → 5,000/day); a service with no speed \
                     in its name has no slow orders." }
            li { "Slow% = slow ÷ finished × 100 (0 when nothing finished)." }
            li { "Measured/day — the median delivered units per day (quantity ÷ (last update − created)) of the service's orders completed in the \
                last 7 days, whatever the window; Kept — the share of them delivered at the promised min speed or faster. Summed by the sync every 10 \
                minutes." }
        }
        h3 { "Score formula" }
        p { code { "score = 100 − min(60, stuck × 5) − slow%" } ", never below 0. Each stuck order shaves 5 points (at most 60), then the slow ratio \
            is subtracted. Stuck weighs heaviest because frozen orders block customers." }
        h3 { "Which services are listed" }
        p { "A service is listed when it has stuck orders or at least " strong { (p.min_orders) } " finished orders in the window. Snoozed services \
            are hidden for everyone until the snooze expires." }
        h3 { "How to act" }
        ul {
            li { "Snooze 24h hides a service; Copy ID copies its id for tickets and messages." }
            li { "The red bar appears when services are critical: snooze them all or copy all their ids at once." }
            li { "Every number opens the orders behind it. The trend shows the score of each of the last " (TREND_DAYS) " calendar days (UTC, today \
                so far last): that day's finished and slow orders, plus today's stuck orders that were already stuck at its end." }
            li { "Tune Stuck after, Slow multiplier and Min orders in the profile. The report reads the local order cache: if it looks stale, check \
                Settings → Sync." }
        }
        h3 { "Time windows" }
        p { "Each tab re-aggregates from scratch: Last 2h shows real-time issues, Last 72h recurring patterns. Custom h… takes any number of hours." }
    })
}

fn drill(viewer: &Viewer, r: &ServiceHealthRow, kind: &str, keep: &[(&str, String)], window: i64) -> String {
    let mut q: Vec<(&str, String)> = keep.to_vec();
    q.extend([
        ("service_panel", r.panel_id.to_string()),
        ("service", r.service_id.to_string()),
        ("kind", kind.to_string()),
        ("window_hours", window.to_string()),
    ]);
    href(viewer, "/reports/service-health/orders", &q)
}

/// The critical services' ids grouped by panel ("Alpha: 41, 42 · Beta: 41"); the ids alone when they
/// all belong to one panel.
fn critical_ids(viewer: &Viewer, rows: &[&ServiceHealthRow], sep: &str, panel_sep: &str) -> String {
    let mut by_panel: Vec<(i64, Vec<String>)> = Vec::new();
    for r in rows {
        match by_panel.iter_mut().find(|(p, _)| *p == r.panel_id) {
            Some((_, ids)) => ids.push(r.service_id.to_string()),
            None => by_panel.push((r.panel_id, vec![r.service_id.to_string()])),
        }
    }
    if by_panel.len() == 1 && viewer.panel.is_some() {
        return by_panel[0].1.join(sep);
    }
    by_panel
        .iter()
        .map(|(p, ids)| format!("{}: {}", viewer.panel_name(*p), ids.join(sep)))
        .collect::<Vec<_>>()
        .join(panel_sep)
}

fn emoji(status: &str) -> &'static str {
    match status {
        "healthy" => "🟢",
        "warning" => "🟡",
        _ => "🔴",
    }
}

async fn page(ask: Ask) -> AppResult<Markup> {
    let Ask { state, viewer, q, raw } = ask;
    let conn = state.db.connect().await?;
    let (profile, mut p, all_profiles) = params_from(&conn, viewer.panel, &q).await?;
    let now = shared::time::now();
    let scope = viewer.listed_scope();
    p.include_snoozed = true;
    let (all, trend) = super::with_trend(&conn, &scope, &p, now, TREND_DAYS).await?;
    let (snoozed, rows): (Vec<_>, Vec<_>) = all.into_iter().partition(|r| r.snoozed_until.is_some());
    let keep = keep(&profile, &q);
    let critical: Vec<&ServiceHealthRow> = rows.iter().filter(|r| r.status == "critical").collect();
    let can_snooze = viewer.is(Role::Agent);
    let many_panels = viewer.panel.is_none() && viewer.panels.len() > 1;
    let total = |f: fn(&ServiceHealthRow) -> i64| rows.iter().map(f).sum::<i64>();
    let all_href = |kind: &str| {
        let mut qq = keep.clone();
        qq.extend([("kind", kind.to_string()), ("window_hours", p.window_hours.to_string())]);
        href(&viewer, "/reports/service-health/orders", &qq)
    };

    let table_rows: Vec<Markup> = rows
        .iter()
        .map(|r| {
            let series = trend.get(&(r.panel_id, r.service_id)).cloned().unwrap_or_default();
            let key = format!("{}:{}", r.panel_id, r.service_id);
            html! { tr {
                td { input type="checkbox" name="sel" value=(key) data-id=(r.service_id) aria-label={ "Select service " (r.service_id) }; }
                @if many_panels { td { (viewer.panel_name(r.panel_id)) } }
                td.wrap { span.mono { (r.service_id) } " " (ui::cut(&r.service_name, 70)) }
                td.num { @match r.min_per_day { Some(s) => (s), None => span.muted title="No speed in the name: never slow" { "—" } } }
                (shared::ui::speed::measured_cells(r.measured.as_ref()))
                td.num { a href=(drill(&viewer, r, "finished", &keep, p.window_hours)) { (r.finished) } }
                td.num { a href=(drill(&viewer, r, "stuck", &keep, p.window_hours)) { (r.stuck) } }
                td.num { a href=(drill(&viewer, r, "slow", &keep, p.window_hours)) { (r.slow) } }
                td.num { (r.slow_pct) "%" }
                td.num { strong { (r.score) } }
                td { (emoji(r.status)) " " (ui::status_label(r.status)) }
                td { (sparkline(&series, 100.0, &format!("Score of service {} per day, last {TREND_DAYS} days", r.service_id))) }
                td { div.rowactions {
                    // A button of the table's form: it snoozes this row alone, whatever is selected.
                    @if can_snooze { button.secondary type="submit" name="key" value=(key) { "Snooze 24h" } }
                    (ui::copy_button(&r.service_id.to_string(), "Copy ID"))
                } }
            } }
        })
        .collect();
    let mut cols = vec![col("")];
    if many_panels {
        cols.push(col("Panel"));
    }
    cols.extend([
        col("Service"),
        num("Min/day"),
        num("Measured/day"),
        num("Kept"),
        num("Finished"),
        num("Stuck"),
        num("Slow"),
        num("Slow%"),
        num("Score"),
        col("Status"),
        col("Trend (7 days)"),
        col(""),
    ]);
    let empty = ui::empty_state(
        "No service has stuck orders or enough finished orders in this window. Try a longer window or lower Min orders in the profile; if the cache is empty, check Settings → Sync.",
        Some(("/settings/sync", "Open Settings → Sync")),
    );
    let filters = ProfileFilters {
        path: PATH,
        window_hours: p.window_hours,
        profiles: all_profiles.iter().map(|pr| (pr.id, pr.name.as_str(), pr.is_default)).collect(),
        chosen: profile.id,
        profiles_path: "/reports/service-health/profiles",
    };
    let summary = html! {
        "Stuck after " (p.stuck_after_hours) "h · slow × " (p.slow_multiplier) " · min orders " (p.min_orders)
        @if !p.services.is_empty() { " · services " (ids_text(&p.services)) }
    };
    let content = html! {
        (how_to_read(&p))
        (filters.form(&viewer, summary))
        (window_tabs(&viewer, PATH, WINDOW_TABS, p.window_hours, &keep))
        @if !critical.is_empty() {
            div.redbar role="alert" {
                strong { "🔴 " (critical.len()) " critical service" @if critical.len() != 1 { "s" } ": " }
                // Ids repeat across panels: each carries its panel's name.
                (critical_ids(&viewer, &critical, ", ", " · "))
                @if can_snooze {
                    form method="post" action="/reports/service-health/snooze" {
                        (csrf_input(&viewer))
                        @for r in &critical { input type="hidden" name="key" value=(format!("{}:{}", r.panel_id, r.service_id)); }
                        button.danger type="submit" { "Snooze all 24h" }
                    }
                }
                (ui::copy_button(&critical_ids(&viewer, &critical, ",", "\n"), "Copy all IDs"))
                @if can_snooze {
                    " " a.button href=(super::drill::critical_stuck_href(&viewer, &critical, &keep, p.window_hours)) { "Fix their stuck orders…" }
                }
            }
        }
        p.summary {
            (rows.len()) " services listed · "
            a href=(all_href("stuck")) { (total(|r| r.stuck)) " stuck" } " · "
            a href=(all_href("finished")) { (total(|r| r.finished)) " finished" } " · "
            a href=(all_href("slow")) { (total(|r| r.slow)) " slow" }
            " in the last " (p.window_hours) "h · "
            (data_links(PATH, raw.as_deref()))
        }
        // The rows' checkboxes and Snooze buttons belong to one form: selected rows are snoozed together.
        form method=[can_snooze.then_some("post")] action=[can_snooze.then_some("/reports/service-health/snooze")] data-selection {
            @if can_snooze { (csrf_input(&viewer)) }
            div.selbar {
                label { input type="checkbox" data-select-all; " Select all" }
                button.secondary type="button" data-copy-sel="id" { "Copy IDs" }
                @if can_snooze { button.secondary type="submit" { "Snooze selected 24h" } }
                span.muted data-sel-count {}
            }
            (ui::table(&cols, &table_rows, empty))
        }
        @if !snoozed.is_empty() {
            h2 { "Snoozed" }
            (ui::table(&[col("Service"), num("Stuck"), num("Score"), col("Snoozed until"), col("")],
                &snoozed.iter().map(|r| html! { tr {
                    td { span.mono { (r.service_id) } " " (ui::cut(&r.service_name, 60)) @if many_panels { " · " (viewer.panel_name(r.panel_id)) } }
                    td.num { (r.stuck) } td.num { (r.score) }
                    td { (ui::opt_time(r.snoozed_until)) }
                    td { @if can_snooze { form method="post" action="/reports/service-health/wake" {
                        (csrf_input(&viewer))
                        input type="hidden" name="key" value=(format!("{}:{}", r.panel_id, r.service_id));
                        button.secondary type="submit" { "Show again" } } } }
                } }).collect::<Vec<_>>(), html! {}))
        }
    };
    Ok(ui::page(&viewer, "Service tracking", content))
}

/// `key` values are `panel:service`; each must be in the viewer's scope.
fn keys_from(viewer: &Viewer, data: &FormData) -> AppResult<Vec<(i64, i64)>> {
    // A row's own button names its service (`key`); "Snooze selected" sends the checked rows (`sel`).
    let named = data.all("key");
    let chosen = if named.is_empty() { data.all("sel") } else { named };
    let mut keys = Vec::new();
    for k in chosen {
        let (a, b) = k.split_once(':').ok_or_else(|| AppError::bad_request("Choose a service to snooze."))?;
        let (pa, s) = match (a.trim().parse::<i64>(), b.trim().parse::<i64>()) {
            (Ok(pa), Ok(s)) => (pa, s),
            _ => return Err(AppError::bad_request("Choose a service to snooze.")),
        };
        viewer.scope().check(pa)?;
        keys.push((pa, s));
    }
    if keys.is_empty() {
        return Err(AppError::bad_request("Choose a service to snooze."));
    }
    Ok(keys)
}

async fn snooze_post(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let keys = keys_from(&viewer, &data)?;
    let conn = state.db.connect().await?;
    let until = snooze::snooze(&conn, &keys, viewer.id(), shared::time::now()).await?;
    for (pa, s) in &keys {
        let details = format!("Snoozed service {s} until {}", shared::time::full(until));
        common::log(&state, &viewer, &client, "service.snoozed", &details, Some(*pa)).await?;
    }
    let msg = format!("Snoozed {} service(s) until {}.", keys.len(), shared::time::full(until));
    Ok(flash_redirect(&link(&viewer, PATH), &msg, client.secure))
}

async fn wake_post(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let keys = keys_from(&viewer, &data)?;
    let conn = state.db.connect().await?;
    for (pa, s) in &keys {
        if snooze::wake(&conn, *pa, *s).await? {
            common::log(
                &state,
                &viewer,
                &client,
                "service.unsnoozed",
                &format!("Ended the snooze of service {s}"),
                Some(*pa),
            )
            .await?;
        }
    }
    Ok(flash_redirect(&link(&viewer, PATH), "The service is shown again.", client.secure))
}
