//! Service tracking pages: the report (HTML and `.json`), the drill-down to its orders, snoozes, and
//! the profiles' list and forms.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::ui::form::{field, text_input, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input, link, num};
use shared::{Access, AppError, AppResult, AppState, Routes};

use super::profiles::{self, ProfileInput, ServiceProfile};
use super::{orders, score_trend, service_health, snooze, Kind, ServiceHealthParams, ServiceHealthRow};
use crate::common::{
    self, envelope, explain, href, ids_text, parse_ids, sparkline, window_tabs, Params, WINDOW_TABS,
};

const PATH: &str = "/reports/service-health";
const TREND_DAYS: i64 = 7;

pub fn routes(state: &AppState) -> Routes {
    let v = Access::Staff(Role::Viewer);
    // Profiles are shared by every panel.
    let admin = Access::AllPanels(Role::Admin);
    Routes::new(state)
        .get(PATH, v, page)
        .get("/reports/service-health.json", v, json)
        .get("/reports/service-health/orders", v, drill_down)
        .post("/reports/service-health/snooze", Access::Staff(Role::Agent), snooze_post)
        .post("/reports/service-health/wake", Access::Staff(Role::Agent), wake_post)
        .get("/reports/service-health/profiles", v, profiles_page)
        .get("/reports/service-health/profiles/new", admin, new_profile_page)
        .post("/reports/service-health/profiles", admin, create_profile)
        .get("/reports/service-health/profiles/{id}", admin, edit_profile_page)
        .post("/reports/service-health/profiles/{id}", admin, update_profile)
        .post("/reports/service-health/profiles/{id}/delete", admin, delete_profile)
}

/// The report's parameters from the query: profile (default otherwise), window, overrides.
/// `panel` is the chosen panel, already checked against the caller's scope (the guard does it for
/// a staff member and for an API key alike).
pub async fn params_from(
    conn: &shared::db::Conn,
    panel: Option<i64>,
    q: &Params,
) -> AppResult<(ServiceProfile, ServiceHealthParams)> {
    let profile = profiles::chosen(conn, q.int("profile", 1..=i64::MAX)?).await?;
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
    Ok((profile, p))
}

async fn json(State(state): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let q = Params::parse(raw.as_deref())?;
    let conn = state.db.connect().await?;
    let (_, p) = params_from(&conn, viewer.panel, &q).await?;
    let rows = service_health(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    Ok(envelope(&rows, None))
}

fn keep(profile: &ServiceProfile, q: &Params) -> Vec<(&'static str, String)> {
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
                 strong { (p.stuck_after_hours) " hours" } " ago, with remains > 0. Counted over the whole cache: the window does not hide older stuck orders." }
            li { "Finished — completed or partial orders whose last update falls inside the last " strong { (p.window_hours) " hours" } "." }
            li { "Slow — finished orders whose completion time (last update − created) is longer than quantity ÷ min speed per day × "
                 strong { (m) } " days. The min speed is parsed from the service name (e.g. “Speed: 5-10K/Day” → 5,000/day); a service with no speed in its name has no slow orders." }
            li { "Slow% = slow ÷ finished × 100 (0 when nothing finished)." }
            li { "Measured/day — the median delivered units per day (quantity ÷ (last update − created)) of the service's orders completed in the last 7 days, whatever the window; Kept — the share of them delivered at the promised min speed or faster. Summed by the sync every 10 minutes." }
        }
        h3 { "Score formula" }
        p { code { "score = 100 − min(60, stuck × 5) − slow%" } ", never below 0. Each stuck order shaves 5 points (at most 60), then the slow ratio is subtracted. Stuck weighs heaviest because frozen orders block customers." }
        h3 { "Which services are listed" }
        p { "A service is listed when it has stuck orders or at least " strong { (p.min_orders) } " finished orders in the window. Snoozed services are hidden for everyone until the snooze expires." }
        h3 { "How to act" }
        ul {
            li { "Snooze 24h hides a service; Copy ID copies its id for tickets and messages." }
            li { "The red bar appears when services are critical: snooze them all or copy all their ids at once." }
            li { "Every number opens the orders behind it. The trend shows each day's score over the last " (TREND_DAYS) " days (that day's finished and slow orders, plus today's stuck orders that were already stuck then)." }
            li { "Tune Stuck after, Slow multiplier and Min orders in the profile. The report reads the local order cache: if it looks stale, check Settings → Sync." }
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

async fn page(State(state): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> AppResult<Markup> {
    let q = Params::parse(raw.as_deref())?;
    let conn = state.db.connect().await?;
    let (profile, mut p) = params_from(&conn, viewer.panel, &q).await?;
    let now = shared::time::now();
    let scope = viewer.listed_scope();
    p.include_snoozed = true;
    let all = service_health(&conn, &scope, &p, now).await?;
    let (snoozed, rows): (Vec<_>, Vec<_>) = all.into_iter().partition(|r| r.snoozed_until.is_some());
    let keys: Vec<((i64, i64), Option<u64>)> =
        rows.iter().map(|r| ((r.panel_id, r.service_id), r.min_per_day)).collect();
    let trend = score_trend(&conn, &scope, &p, &keys, TREND_DAYS, now).await?;
    let all_profiles = profiles::list(&conn).await?;
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
    let content = html! {
        (how_to_read(&p))
        form.filters method="get" action=(PATH) {
            @if let Some(pn) = viewer.panel { input type="hidden" name="panel" value=(pn); }
            input type="hidden" name="window_hours" value=(p.window_hours);
            div { label for="profile" { "Profile" }
                select #profile name="profile" data-autosubmit {
                    @for pr in &all_profiles { option value=(pr.id) selected[pr.id == profile.id] { (pr.name) @if pr.is_default { " (default)" } } }
                } }
            noscript { button type="submit" { "Show" } }
            a href=(link(&viewer, "/reports/service-health/profiles")) { "Profiles" }
            span.muted { "Stuck after " (p.stuck_after_hours) "h · slow × " (p.slow_multiplier) " · min orders " (p.min_orders)
                @if !p.services.is_empty() { " · services " (ids_text(&p.services)) } }
        }
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
            }
        }
        p.summary {
            (rows.len()) " services listed · "
            a href=(all_href("stuck")) { (total(|r| r.stuck)) " stuck" } " · "
            a href=(all_href("finished")) { (total(|r| r.finished)) " finished" } " · "
            a href=(all_href("slow")) { (total(|r| r.slow)) " slow" }
            " in the last " (p.window_hours) "h · "
            a href=(format!("{}.json{}", PATH, raw.as_deref().map(|r| format!("?{r}")).unwrap_or_default())) { "JSON" }
            " · " (crate::exports::link(PATH, raw.as_deref()))
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

async fn drill_down(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> AppResult<Markup> {
    let q = Params::parse(raw.as_deref())?;
    let conn = state.db.connect().await?;
    let (profile, p) = params_from(&conn, viewer.panel, &q).await?;
    let kind = match q.get("kind") {
        None => Kind::Stuck,
        Some(k) => {
            Kind::parse(k).ok_or_else(|| AppError::bad_request("kind must be stuck, slow or finished."))?
        }
    };
    let service = match (q.int("service_panel", 1..=i64::MAX)?, q.int("service", 0..=i64::MAX)?) {
        (Some(pa), Some(s)) => Some((pa, s)),
        (None, None) => None,
        _ => return Err(AppError::bad_request("Give both service_panel and service, or neither.")),
    };
    if let Some((pa, _)) = service {
        viewer.scope().check(pa)?;
    }
    let now = shared::time::now();
    let list = orders(&conn, &viewer.listed_scope(), &p, service, kind, now, 500).await?;
    let what = match kind {
        Kind::Stuck => format!("Stuck orders (older than {}h, remains > 0)", p.stuck_after_hours),
        Kind::Slow => format!(
            "Slow orders finished in the last {}h (slower than quantity ÷ min/day × {})",
            p.window_hours, p.slow_multiplier
        ),
        Kind::Finished => format!("Orders finished in the last {}h", p.window_hours),
    };
    let title = match service {
        Some((_, s)) => format!("Service {s}: {}", kind.as_str()),
        None => format!("All services: {}", kind.as_str()),
    };
    let rows: Vec<Markup> = list
        .iter()
        .map(|o| html! { tr {
            td.mono { (o.id) } td { (viewer.panel_name(o.panel_id)) }
            td.wrap { span.mono { (o.service_id) } " " (ui::cut(o.service_name.as_deref().unwrap_or(""), 50)) }
            td { (o.user.as_deref().unwrap_or("")) } td { (ui::status_label(&o.status)) }
            td.num { (o.quantity) } td.num { (o.remains.map(|r| r.to_string()).unwrap_or_default()) }
            td { (ui::time(o.created)) } td { (ui::opt_time(o.last_update)) }
            td { @if let Some(l) = &o.link { (ui::cut(l, 40)) } }
        } })
        .collect();
    let mut back = keep(&profile, &q);
    back.push(("window_hours", p.window_hours.to_string()));
    let content = html! {
        p { a href=(href(&viewer, PATH, &back)) { "← Service tracking" } }
        p { (what) ": " strong { (list.len()) } @if list.len() == 500 { " (first 500)" } }
        (ui::table(&[col("Order"), col("Panel"), col("Service"), col("User"), col("Status"), num("Quantity"), num("Remains"), col("Created"), col("Last update"), col("Link")],
            &rows, ui::empty_state("No orders match.", None)))
    };
    Ok(ui::page(&viewer, &title, content))
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

// ---- Profiles ----

async fn profiles_page(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let conn = state.db.connect().await?;
    let list = profiles::list(&conn).await?;
    let admin = viewer.is(Role::Admin);
    let rows: Vec<Markup> = list
        .iter()
        .map(|p| html! { tr {
            td { a href=(href(&viewer, PATH, &[("profile", p.id.to_string())])) { (p.name) } @if p.is_default { " " span.label { "default" } } }
            td { @if p.services.is_empty() { "All" } @else { (ids_text(&p.services)) } }
            td.num { (p.stuck_after_hours) "h" } td.num { "×" (p.slow_multiplier) } td.num { (p.min_orders) }
            td { (ui::time(p.created)) }
            td { @if admin { a href=(format!("/reports/service-health/profiles/{}", p.id)) { "Edit" } } }
        } })
        .collect();
    let content = html! {
        @if admin { p.actions { a.button href="/reports/service-health/profiles/new" { "New profile" } } }
        (ui::table(&[col("Name"), col("Services"), num("Stuck after"), num("Slow multiplier"), num("Min orders"), col("Created"), col("")],
            &rows, ui::empty_state("No profiles yet: create one.", None)))
    };
    Ok(ui::page(&viewer, "Service tracking profiles", content))
}

fn profile_form(viewer: &Viewer, p: Option<&ServiceProfile>, data: &FormData, errors: &FormErrors) -> Markup {
    let action = p
        .map(|p| format!("/reports/service-health/profiles/{}", p.id))
        .unwrap_or("/reports/service-health/profiles".into());
    let v = |name: &str, saved: String| data.get(name).map(str::to_string).unwrap_or(saved);
    html! {
        form.card method="post" action=(action) {
            (csrf_input(viewer))
            (field(Field { name: "name", label: "Name", help: None, error: errors.get("name") },
                text_input("name", &v("name", p.map(|p| p.name.clone()).unwrap_or_default()), true, "text")))
            (field(Field { name: "services", label: "Services", help: Some("Service ids separated by commas; leave empty to track every service."), error: errors.get("services") },
                text_input("services", &v("services", p.map(|p| ids_text(&p.services)).unwrap_or_default()), false, "text")))
            (field(Field { name: "stuck_after_hours", label: "Stuck after (hours)", help: Some("An open order older than this with remains > 0 is stuck."), error: errors.get("stuck_after_hours") },
                text_input("stuck_after_hours", &v("stuck_after_hours", p.map(|p| p.stuck_after_hours).unwrap_or(12).to_string()), true, "number")))
            (field(Field { name: "slow_multiplier", label: "Slow multiplier", help: Some("Slow = took longer than quantity ÷ min/day × this, in days."), error: errors.get("slow_multiplier") },
                text_input("slow_multiplier", &v("slow_multiplier", p.map(|p| p.slow_multiplier).unwrap_or(2.0).to_string()), true, "text")))
            (field(Field { name: "min_orders", label: "Min orders", help: Some("A service without stuck orders is listed once it has this many finished orders in the window."), error: errors.get("min_orders") },
                text_input("min_orders", &v("min_orders", p.map(|p| p.min_orders).unwrap_or(5).to_string()), true, "number")))
            div.field { label { input type="checkbox" name="is_default" value="1" checked[p.is_some_and(|p| p.is_default) || data.checked("is_default")]; " Default profile" } }
            div.actions {
                button type="submit" { "Save profile" }
                a href=(link(viewer, "/reports/service-health/profiles")) { "Cancel" }
            }
        }
        @if let Some(p) = p {
            @if !p.is_default {
                form method="post" action=(format!("/reports/service-health/profiles/{}/delete", p.id)) {
                    (csrf_input(viewer))
                    button.danger type="submit" data-confirm="Delete this profile?" { "Delete profile" }
                }
            }
        }
    }
}

fn validate(data: &FormData) -> Result<ProfileInput, FormErrors> {
    let mut e = FormErrors::default();
    let name = data.text("name");
    if name.is_empty() || name.chars().count() > 80 {
        e.add("name", "Enter a name of up to 80 characters.");
    }
    let services = parse_ids(&data.text("services")).unwrap_or_else(|m| {
        e.add("services", m);
        Vec::new()
    });
    let int = |e: &mut FormErrors, f: &'static str, lo: i64, hi: i64| match data.text(f).parse::<i64>() {
        Ok(n) if (lo..=hi).contains(&n) => n,
        _ => {
            e.add(f, format!("Enter a whole number from {lo} to {hi}."));
            0
        }
    };
    let stuck_after_hours = int(&mut e, "stuck_after_hours", 1, 2160);
    let min_orders = int(&mut e, "min_orders", 0, 1_000_000);
    let slow_multiplier = match data.text("slow_multiplier").parse::<f64>() {
        Ok(m) if m.is_finite() && (0.1..=100.0).contains(&m) => m,
        _ => {
            e.add("slow_multiplier", "Enter a number from 0.1 to 100, e.g. 2 or 1.5.");
            2.0
        }
    };
    if e.is_empty() {
        Ok(ProfileInput {
            name,
            services,
            stuck_after_hours,
            slow_multiplier,
            min_orders,
            is_default: data.checked("is_default"),
        })
    } else {
        Err(e)
    }
}

async fn new_profile_page(viewer: Viewer) -> Markup {
    ui::page(
        &viewer,
        "New service tracking profile",
        profile_form(&viewer, None, &FormData::default(), &FormErrors::default()),
    )
}

async fn load(conn: &shared::db::Conn, id: i64) -> AppResult<ServiceProfile> {
    profiles::get(conn, id).await?.ok_or_else(|| AppError::not_found("That profile"))
}

async fn edit_profile_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    let conn = state.db.connect().await?;
    let p = load(&conn, id).await?;
    Ok(ui::page(
        &viewer,
        &format!("Profile: {}", p.name),
        profile_form(&viewer, Some(&p), &FormData::default(), &FormErrors::default()),
    ))
}

async fn create_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let input = match validate(&data) {
        Ok(i) => i,
        Err(e) => {
            return Ok(ui::invalid(ui::page(
                &viewer,
                "New service tracking profile",
                profile_form(&viewer, None, &data, &e),
            )))
        }
    };
    let conn = state.db.connect().await?;
    let id = profiles::save(&conn, None, &input, shared::time::now()).await?;
    common::log(
        &state,
        &viewer,
        &client,
        "service_profile.created",
        &format!("Created service tracking profile {} (#{id})", input.name),
        None,
    )
    .await?;
    Ok(flash_redirect(
        "/reports/service-health/profiles",
        &format!("Profile {} created.", input.name),
        client.secure,
    ))
}

async fn update_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
    data: FormData,
) -> AppResult<Response> {
    let conn = state.db.connect().await?;
    let old = load(&conn, id).await?;
    let input = match validate(&data) {
        Ok(i) => i,
        Err(e) => {
            return Ok(ui::invalid(ui::page(
                &viewer,
                &format!("Profile: {}", old.name),
                profile_form(&viewer, Some(&old), &data, &e),
            )))
        }
    };
    profiles::save(&conn, Some(id), &input, shared::time::now()).await?;
    let details = format!(
        "Updated service tracking profile {} (#{id}): stuck after {}h, slow ×{}, min orders {}, services [{}]",
        input.name, input.stuck_after_hours, input.slow_multiplier, input.min_orders, ids_text(&input.services)
    );
    common::log(&state, &viewer, &client, "service_profile.updated", &details, None).await?;
    Ok(flash_redirect(
        "/reports/service-health/profiles",
        &format!("Profile {} saved.", input.name),
        client.secure,
    ))
}

async fn delete_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let conn = state.db.connect().await?;
    let p = load(&conn, id).await?;
    if p.is_default {
        return Ok(flash_redirect(
            "/reports/service-health/profiles",
            "The default profile cannot be deleted: make another profile the default first.",
            client.secure,
        ));
    }
    profiles::delete(&conn, id).await?;
    common::log(
        &state,
        &viewer,
        &client,
        "service_profile.deleted",
        &format!("Deleted service tracking profile {} (#{id})", p.name),
        None,
    )
    .await?;
    Ok(flash_redirect(
        "/reports/service-health/profiles",
        &format!("Profile {} deleted.", p.name),
        client.secure,
    ))
}
