//! Competitor panels: Name | Base URL | Services | Last sync | Status | Enabled. Added with a customer
//! API key of the rival (write-only: stored encrypted, shown as "•••• last4"); enable/disable and
//! Sync now per row. The catalogue is synced by the sync engine's `competitors` resource.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{html, Markup};

use shared::audit::Changes;
use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::domain::competitors::{self, Competitor, CompetitorInput};
use shared::domain::panels::checked_base_url;
use shared::domain::sync::{self as sync_state, Resource};
use shared::form_post::{Post, Saved};
use shared::ui::form::{field, secret_input, secret_value, text_input, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input, link, num};
use shared::{AppError, AppResult, AppState};

use super::{panel_select, tabs, working_panel, IdQuery};
use crate::audit_log::log;

fn status_cell(c: &Competitor) -> Markup {
    html! {
        @match c.status.as_str() {
            "idle" => { (ui::status_label("idle")) " " span.muted { "not synced yet" } }
            "error" => {
                (ui::status_label("error")) " " span { (c.last_error.as_deref().unwrap_or("failed")) }
                br; span.muted {
                    @match c.last_ok_at {
                        Some(t) => { "Showing the last good catalogue, from " (ui::time(t)) "." }
                        None => { "No catalogue yet." }
                    }
                }
            }
            other => { (ui::status_label(other)) }
        }
    }
}

fn actions(viewer: &Viewer, c: &Competitor) -> Markup {
    let (to, label) = if c.enabled { ("0", "Disable") } else { ("1", "Enable") };
    html! {
        div.rowactions {
            form method="post" action=(format!("/competitors/{}/sync", c.id)) {
                (csrf_input(viewer)) button.secondary type="submit" disabled[!c.enabled] { "Sync now" }
            }
            form method="post" action=(format!("/competitors/{}/enabled", c.id)) {
                (csrf_input(viewer)) input type="hidden" name="enabled" value=(to);
                button.secondary type="submit" { (label) }
            }
            a href=(link(viewer, &format!("/competitors/edit?id={}", c.id))) { "Edit" }
        }
    }
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let all = competitors::list(&state.db, &viewer.scope(), viewer.panel).await?;
    let admin = viewer.is(Role::Admin);
    let many = viewer.panel.is_none() && viewer.panels.len() > 1;
    let rows: Vec<Markup> = all
        .iter()
        .map(|c| {
            html! { tr {
                td { (c.name) @if many { br; span.muted { "for " (viewer.panel_name(c.panel_id)) } } }
                td { (ui::cut(&c.base_url, 50)) }
                td.num { (c.services) }
                td { (ui::opt_time(c.last_sync_at)) }
                td { (status_cell(c)) }
                td { @if c.enabled { "Yes" } @else { span.muted { "No" } } }
                @if admin { td { (actions(&viewer, c)) } }
            } }
        })
        .collect();
    let mut cols =
        vec![col("Name"), col("Base URL"), num("Services"), col("Last sync"), col("Status"), col("Enabled")];
    if admin {
        cols.push(col(""));
    }
    let empty = if admin {
        ui::empty_state(
            "No competitor panels yet. Add a rival panel with a customer API key of an account on it.",
            Some(("/competitors/new", "Add competitor panel")),
        )
    } else {
        ui::empty_state("No competitor panels yet. An admin can add rival panels to track.", None)
    };
    let content = html! {
        (tabs(&viewer, "/competitors"))
        p.help { "Each competitor's catalogue is read through its public API (/api/v2?action=services) — open a regular customer account on the rival \
            panel and copy its API key. Synced every 12h (Settings → Sync, resource Competitors); manual sync available per row. A failed sync keeps \
            the last good catalogue and shows the error." }
        @if admin { p.actions { a.button href=(link(&viewer, "/competitors/new")) { "Add competitor panel" } } }
        (ui::table(&cols, &rows, empty))
    };
    Ok(ui::page(&viewer, "Competitor panels", content))
}

fn form(viewer: &Viewer, c: Option<&Competitor>, data: &FormData, errors: &FormErrors) -> Markup {
    let action = c.map(|c| format!("/competitors/{}", c.id)).unwrap_or_else(|| "/competitors".into());
    let value = |name: &str, saved: Option<&str>| data.get(name).or(saved).unwrap_or("").to_string();
    let key_help = match c {
        Some(c) => format!("Saved: •••• {}. Leave blank to keep it.", c.key_last4),
        None => {
            "A customer API key of an account on the rival panel. Stored encrypted; never shown again.".into()
        }
    };
    let selected =
        data.get("panel_id").and_then(|p| p.parse().ok()).or(c.map(|c| c.panel_id)).or(working_panel(viewer));
    let enabled = if data.0.is_empty() { c.is_none_or(|c| c.enabled) } else { data.checked("enabled") };
    html! {
        @if let Some(e) = errors.get("form") { p.error role="alert" { (e) } }
        form.card method="post" action=(action) {
            (csrf_input(viewer))
            @if c.is_none() {
                (field(Field { name: "panel_id", label: "Our panel", help: Some("The panel of ours this rival competes with."), error: errors.get("panel_id") },
                    panel_select(viewer, selected)))
            }
            (field(Field { name: "name", label: "Name", help: None, error: errors.get("name") },
                text_input("name", &value("name", c.map(|c| c.name.as_str())), true, "text")))
            (field(Field { name: "base_url", label: "Base URL", help: Some("The rival panel's address, e.g. https://rival.example (its /api/v2 is \
                used)."), error: errors.get("base_url") },
                text_input("base_url", &value("base_url", c.map(|c| c.base_url.as_str())), true, "text")))
            (field(Field { name: "api_key", label: "API key", help: Some(&key_help), error: errors.get("api_key") },
                secret_input("api_key")))
            div.field { label { input type="checkbox" name="enabled" value="1" checked[enabled]; " Enabled (synced)" } }
            div.actions {
                button type="submit" { @if c.is_some() { "Save competitor panel" } @else { "Add competitor panel" } }
                a href=(link(viewer, "/competitors")) { "Cancel" }
            }
        }
    }
}

async fn validate(
    viewer: &Viewer,
    data: &FormData,
    creating: bool,
    allow_private: bool,
) -> Result<CompetitorInput, FormErrors> {
    let mut errors = FormErrors::default();
    let panel_id = if creating {
        match data.get("panel_id").and_then(|p| p.trim().parse::<i64>().ok()) {
            Some(p) if viewer.scope().allows(p) && viewer.panels.iter().any(|r| r.id == p) => p,
            _ => {
                errors.add("panel_id", "Choose one of your panels.");
                0
            }
        }
    } else {
        0
    };
    let name = data.text("name");
    if name.is_empty() || name.chars().count() > 80 {
        errors.add("name", "Enter a name of up to 80 characters.");
    }
    let base_url = checked_base_url(&data.text("base_url"), allow_private).await.unwrap_or_else(|e| {
        errors.add("base_url", e);
        String::new()
    });
    // A single "-" would clear the key elsewhere; a competitor always needs one, so it is just invalid.
    let api_key = secret_value(data.get("api_key")).filter(|k| !k.is_empty());
    if creating && api_key.is_none() {
        errors.add("api_key", "Enter a customer API key of the rival panel.");
    }
    if api_key.as_ref().is_some_and(|k| k.len() > 512 || k.chars().any(char::is_whitespace)) {
        errors.add("api_key", "A key has no spaces and is at most 512 characters.");
    }
    errors.or_ok(|| CompetitorInput { panel_id, name, base_url, api_key, enabled: data.checked("enabled") })
}

/// The form page again with its errors, without the typed key: a key is never echoed into a page.
fn again(post: &Post, title: &str, c: Option<&Competitor>, errors: &FormErrors) -> Markup {
    ui::page(&post.viewer, title, form(&post.viewer, c, &post.without(|k| k == "api_key"), errors))
}

/// What the store refuses, on the field it concerns: an address another competitor has, or a new
/// address without its key (the old key would be sent there).
fn store_errors<T>(r: AppResult<T>) -> AppResult<Result<T, FormErrors>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(AppError::Conflict(msg)) => Ok(Err(FormErrors::one("base_url", msg))),
        Err(AppError::BadRequest(msg)) => Ok(Err(FormErrors::one("api_key", msg))),
        Err(e) => Err(e),
    }
}

fn saved(viewer: &Viewer, action: &'static str, details: String, panel: i64, flash: String) -> Saved {
    Saved { action, details, panel: Some(panel), to: link(viewer, "/competitors"), flash }
}

pub async fn new_page(viewer: Viewer) -> Markup {
    let body = html! {
        @if viewer.panels.is_empty() {
            (ui::empty_state("Add one of your panels first: a competitor is tracked for one of your panels.", Some(("/panels", "Panels"))))
        } @else {
            (form(&viewer, None, &FormData::default(), &FormErrors::default()))
        }
    };
    ui::page(&viewer, "Add competitor panel", body)
}

pub async fn create(post: Post) -> AppResult<Response> {
    let (state, viewer) = (&post.state, &post.viewer);
    let valid = validate(viewer, &post.data, true, state.config.allow_private_urls).await;
    let page = async |e: FormErrors| Ok(again(&post, "Add competitor panel", None, &e));
    let save = async |input: CompetitorInput| {
        let id = match store_errors(competitors::create(&state.db, &state.config.secret_key, &input).await)? {
            Ok(id) => id,
            Err(e) => return Ok(Err(e)),
        };
        // The first catalogue is fetched on the next engine run.
        sync_state::ensure_rows(&state.db, input.panel_id).await?;
        sync_state::request_run(&state.db, input.panel_id, Some(Resource::Competitors)).await?;
        let details = format!("Added competitor {} ({}, id {id})", input.name, input.base_url);
        let flash =
            format!("Competitor panel {} added; its catalogue is fetched on the next sync.", input.name);
        Ok(Ok(saved(viewer, "competitor.created", details, input.panel_id, flash)))
    };
    post.submit(valid, page, save).await
}

/// `/competitors/edit?id=N` (a query rather than a path, so a bare link shows where to go).
pub async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<IdQuery>,
) -> AppResult<Markup> {
    let Some(id) = q.id("a competitor")? else {
        let body = html! { (tabs(&viewer, "")) (ui::empty_state("Choose a competitor panel to edit.", Some(("/competitors", "Competitor panels")))) };
        return Ok(ui::page(&viewer, "Edit competitor panel", body));
    };
    let c = competitors::get_in_scope(&state.db, &viewer.scope(), id).await?;
    let title = format!("Competitor panel: {}", c.name);
    Ok(ui::page(&viewer, &title, form(&viewer, Some(&c), &FormData::default(), &FormErrors::default())))
}

/// What an update changed, in words.
fn changes(c: &Competitor, input: &CompetitorInput) -> String {
    let mut changes = Changes::default();
    changes.quoted("name", &c.name, &input.name);
    changes.plain("URL", &c.base_url, &input.base_url);
    if c.enabled != input.enabled {
        changes.say(if input.enabled { "enabled" } else { "disabled" });
    }
    if input.api_key.is_some() {
        changes.say("API key replaced");
    }
    format!("{}: {}", input.name, changes.text())
}

pub async fn update(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let (state, viewer) = (&post.state, &post.viewer);
    let c = competitors::get_in_scope(&state.db, &viewer.scope(), id).await?;
    let title = format!("Competitor panel: {}", c.name);
    let valid = validate(viewer, &post.data, false, state.config.allow_private_urls).await;
    let page = async |e: FormErrors| Ok(again(&post, &title, Some(&c), &e));
    let save = async |mut input: CompetitorInput| {
        input.panel_id = c.panel_id;
        if let Err(e) =
            store_errors(competitors::update(&state.db, &state.config.secret_key, id, &input).await)?
        {
            return Ok(Err(e));
        }
        let flash = format!("Competitor panel {} saved.", input.name);
        Ok(Ok(saved(viewer, "competitor.updated", changes(&c, &input), c.panel_id, flash)))
    };
    post.submit(valid, page, save).await
}

pub async fn set_enabled(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let c = competitors::get_in_scope(&post.state.db, &post.viewer.scope(), id).await?;
    let (enabled, action, word) = match post.data.get("enabled") {
        Some("1") => (true, "competitor.enabled", "enabled"),
        Some("0") => (false, "competitor.disabled", "disabled"),
        _ => return Err(AppError::bad_request("Enabled must be 1 or 0.")),
    };
    competitors::set_enabled(&post.state.db, id, enabled).await?;
    let flash = format!("Competitor panel {} {word}.", c.name);
    post.done(saved(&post.viewer, action, c.name, c.panel_id, flash)).await
}

/// Sync now: the panel's `competitors` resource runs on the next engine run, whatever its interval.
pub async fn sync_now(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let c = competitors::get_in_scope(&state.db, &viewer.scope(), id).await?;
    if !c.enabled {
        return Err(AppError::bad_request("This competitor panel is disabled; enable it to sync it."));
    }
    sync_state::ensure_rows(&state.db, c.panel_id).await?;
    sync_state::request_run(&state.db, c.panel_id, Some(Resource::Competitors)).await?;
    log(&state, &viewer, &client, "competitor.sync_requested", &c.name, Some(c.panel_id)).await?;
    Ok(flash_redirect(
        &link(&viewer, "/competitors"),
        &format!("Sync of {} requested; it runs within a minute.", c.name),
        client.secure,
    ))
}
