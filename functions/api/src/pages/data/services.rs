//! Services: each panel's catalogue (ID | Name | Type | Rate | Min | Max) with the promise read from the
//! name (speed per day, refill), the imported description, Refresh, and "Report this service".

use axum::extract::State;
use axum::response::Response;
use libsql::Value;
use maud::{html, Markup};
use shared::auth::InScope;

use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::cache::speeds;
use shared::db::rows::{opt_i64, opt_text};
use shared::db::Where;
use shared::domain::service_name;
use shared::domain::sync::{self, Resource};
use shared::ui::form::FormData;
use shared::ui::listing::ListQuery;
use shared::ui::{self, col, csrf_input, num};
use shared::{AppError, AppResult, AppState};

use crate::audit_log::log;

const PAGE: i64 = 200;
pub const EMPTY: &str = "Click Refresh or set a Services API key in Panels settings.";

/// The list's statement before its WHERE: the service, its description and its measured speed.
pub(super) fn select_sql() -> String {
    format!(
        "SELECT s.panel_id, s.id, s.name, s.type, s.category, s.rate, s.min, s.max, d.description, {}
         FROM services_cache s LEFT JOIN service_descriptions d ON d.panel_id = s.panel_id AND d.service_id = s.id
         LEFT JOIN service_speeds sp ON sp.panel_id = s.panel_id AND sp.service_id = s.id",
        speeds::prefixed("sp")
    )
}

/// The WHERE clause of the list's search (the panel scope included), over `services_cache s`.
pub(super) fn conditions(viewer: &Viewer, q: &ListQuery) -> Where {
    let mut w = Where::new(viewer.panel_sql("s.panel_id"));
    w.cond("s.removed_at IS NULL");
    if let Some(term) = q.get("q") {
        let like = Value::Text(format!("%{}%", term.replace('%', "\\%").replace('_', "\\_")));
        match term.parse::<i64>() {
            Ok(id) => w.bind_all("s.name LIKE ? ESCAPE '\\' OR s.id = ?", [like, Value::Integer(id)]),
            Err(_) => w.bind("s.name LIKE ? ESCAPE '\\'", like),
        }
    }
    w
}

pub async fn list(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Markup> {
    let page = q.page()?;
    let w = conditions(&viewer, &q);
    let sql = format!(
        "{} WHERE {} ORDER BY s.panel_id, s.id LIMIT {} OFFSET {}",
        select_sql(),
        w.sql(),
        PAGE + 1,
        (page - 1) * PAGE
    );
    let conn = state.db.connect().await?;
    let mut rows = conn.query_cached(&sql, libsql::params_from_iter(w.args)).await?;
    let mut services = Vec::new();
    while let Some(r) = rows.next().await? {
        services.push((
            r.get::<i64>(0)?,
            r.get::<i64>(1)?,
            r.get::<String>(2)?,
            opt_text(&r, 3)?,
            opt_text(&r, 4)?,
            opt_i64(&r, 5)?,
            opt_i64(&r, 6)?,
            opt_i64(&r, 7)?,
            opt_text(&r, 8)?,
            speeds::speed_from(&r, 9)?,
        ));
    }
    drop(conn);
    let more = services.len() as i64 > PAGE;
    services.truncate(PAGE as usize);
    let agent = viewer.is(Role::Agent);
    let many_panels = viewer.panel.is_none() && viewer.panels.len() > 1;
    // All rows in one buffer: 200 rows, each its own string, were a measurable part of the page.
    let body = html! { @for (panel_id, id, name, kind, category, rate, min, max, description, speed) in &services {
        @let promise = service_name::summary_cached(name);
        tr {
            td { (id) @if many_panels { br; span.muted { (viewer.panel_name(*panel_id)) } } }
            td {
                (ui::cut(name, 90))
                @if !promise.is_empty() { br; span.promise title="Read from the service name" { (promise) } }
                @if let Some(c) = category { br; span.muted { (ui::cut(c, 60)) } }
                @if let Some(d) = description { p.description { (ui::cut(d, 160)) } }
            }
            td { (kind.as_deref().unwrap_or("")) }
            td.num { (ui::rate(*rate)) }
            td.num { (ui::opt_num(*min)) }
            td.num { (ui::opt_num(*max)) }
            (ui::speed::measured_cells(speed.as_ref()))
            td { @if agent { a.small href={ "/services/" (panel_id) "/" (id) "/report" } { "Report" } } }
        }
    } };
    let rows: &[Markup] = if services.is_empty() { &[] } else { std::slice::from_ref(&body) };
    let prev = (page > 1).then(|| q.href("/services", &[], &[("page", (page - 1).to_string())]));
    let next = more.then(|| q.href("/services", &[], &[("page", (page + 1).to_string())]));
    let content = html! {
        div.actions {
            form.filters method="get" action="/services" {
                (q.hidden(&["panel"]))
                div { label for="f-q" { "Search" } input #f-q type="search" name="q" value=(q.get("q").unwrap_or("")) placeholder="Name or id" accesskey="s"; }
                button type="submit" { "Filter" }
            }
            (shared::export::link(&q.href("/services.csv", &["page"], &[])))
            @if agent {
                form method="post" action="/services/refresh" {
                    (csrf_input(&viewer))
                    @if let Some(p) = viewer.panel { input type="hidden" name="panel" value=(p); }
                    button type="submit" { "Refresh" }
                }
            }
        }
        (ui::table(&[col("ID"), col("Name"), col("Type"), num("Rate"), num("Min"), num("Max"), num("Measured/day"), num("Kept"), col("")], rows,
            if q.get("q").is_some() { ui::empty_state("No services match this search.", Some(("/services", "Clear search"))) }
            else { ui::empty_state(EMPTY, Some(("/panels", "Open Panels settings"))) }))
        @if prev.is_some() || next.is_some() {
            nav.pager aria-label="Pages" {
                @if let Some(h) = &prev { a href=(h) rel="prev" { "« Previous" } }
                @if let Some(h) = &next { a href=(h) rel="next" { "Next »" } }
            }
        }
    };
    Ok(ui::page(&viewer, "Services", content))
}

/// Refresh: asks the sync for the catalogue of the panels in view now.
pub async fn refresh(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let chosen = match data.get("panel").filter(|p| !p.is_empty()) {
        Some(p) => Some(p.parse::<i64>().map_err(|_| AppError::bad_request("Panel must be a number."))?),
        None => None,
    };
    let scope = viewer.scope();
    let panels: Vec<_> =
        viewer.panels.iter().filter(|p| chosen.is_none_or(|c| c == p.id) && scope.allows(p.id)).collect();
    if panels.is_empty() {
        return Err(AppError::Forbidden("That panel is not in your allowed panels.".into()));
    }
    for p in &panels {
        sync::ensure_rows(&state.db, p.id).await?;
        sync::request_run(&state.db, p.id, Some(Resource::Services)).await?;
        log(&state, &viewer, &client, "sync.requested", &format!("{}: services", p.name), Some(p.id)).await?;
    }
    state.sync_kick.notify_one();
    // Only a panel that lacks the key is worth a word about it.
    let keys = shared::domain::panels::list(&state.db, &scope).await?;
    let keyless: Vec<&str> = keys
        .iter()
        .filter(|k| panels.iter().any(|p| p.id == k.id) && k.services_key_last4.is_none())
        .map(|k| k.name.as_str())
        .collect();
    let note = match keyless.as_slice() {
        [] => "Catalogue refresh started; reload in a moment.".to_string(),
        [one] => format!(
            "Catalogue refresh started; reload in a moment. {one} has no Services API key, so it cannot send its catalogue: set one in Panels settings."
        ),
        many => format!(
            "Catalogue refresh started; reload in a moment. {} have no Services API key, so they cannot send their catalogues: set them in Panels settings.",
            many.join(", ")
        ),
    };
    // Back to the page as the viewer left it: an action never changes the panel choice.
    Ok(flash_redirect(&ui::link(&viewer, "/services"), &note, client.secure))
}

/// The report form for one service.
pub async fn report_page(
    State(state): State<AppState>,
    viewer: Viewer,
    InScope((panel_id, id)): InScope<(i64, i64)>,
) -> AppResult<Markup> {
    let conn = state.db.connect().await?;
    let mut rows =
        conn.query("SELECT name FROM services_cache WHERE panel_id = ?1 AND id = ?2", (panel_id, id)).await?;
    let name: String = match rows.next().await? {
        Some(r) => r.get(0)?,
        None => return Err(AppError::not_found("That service")),
    };
    let content = html! {
        p { "Service " strong { (id) } " · " (name) " on " (viewer.panel_name(panel_id)) }
        form.card method="post" action={ "/services/" (panel_id) "/" (id) "/report" } {
            (csrf_input(&viewer))
            div.field {
                label for="reason" { "What is wrong with it?" }
                textarea #reason name="reason" rows="4" required maxlength="2000" {}
                p.help { "Admins see it under Settings → Service reports and resolve it." }
            }
            button type="submit" { "Report service" }
        }
    };
    Ok(ui::page(&viewer, "Report a service", content))
}

pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    InScope((panel_id, id)): InScope<(i64, i64)>,
    data: FormData,
) -> AppResult<Response> {
    let reason = data.text("reason");
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(AppError::bad_request("Say what is wrong with the service (up to 2,000 characters)."));
    }
    let conn = state.db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    tx.execute(
        "INSERT INTO service_reports (panel_id, service_id, reason, reported_by, reported_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        libsql::params![panel_id, id, reason.as_str(), viewer.id(), shared::time::now()],
    )
    .await?;
    tx.commit().await?;
    log(&state, &viewer, &client, "service.reported", &format!("service {id}: {reason}"), Some(panel_id))
        .await?;
    Ok(flash_redirect(
        &ui::link(&viewer, "/services"),
        &format!("Service {id} reported on {}.", viewer.panel_name(panel_id)),
        client.secure,
    ))
}
