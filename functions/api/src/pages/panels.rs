//! Panels: Name | URL | Status; owners add, admins edit and pause the panels they may see.
//! Keys are write-only: stored encrypted, shown as "•••• last4", never rendered back.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};

use shared::audit::Changes;
use shared::auth::{Role, Viewer};
use shared::domain::panels::{self, checked_base_url, Panel, PanelInput, PanelStatus};
use shared::form_post::{Post, Saved};
use shared::ui::form::{field, secret_input, secret_value, text_input, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input, link};
use shared::{AppError, AppResult, AppState};

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let all = panels::list(&state.db, &viewer.scope()).await?;
    let admin = viewer.is(Role::Admin);
    let rows: Vec<Markup> = all
        .iter()
        .map(|p| {
            html! { tr {
                td { @if admin { a href=(format!("/panels/{}", p.id)) { (p.name) } } @else { (p.name) } }
                td { (ui::cut(&p.base_url, 50)) }
                // Why a panel is in error is what to act on: in full. An active panel whose every
                // sync fails is in error too (the guard worked it out with the session).
                @let why = viewer.panel_error(p.id).or(p.last_error.as_deref());
                @let status = if p.status == PanelStatus::Active && why.is_some() { PanelStatus::Error } else { p.status };
                td.wrap { (ui::status_label(status.as_str()))
                     @if let Some(e) = why { " " span.error { (e) } } }
                @if admin {
                    td { (ui::secret_hint(p.admin_key_last4.as_deref())) }
                    td { (ui::secret_hint(p.services_key_last4.as_deref())) }
                    td { (status_button(&viewer, p)) }
                }
            } }
        })
        .collect();
    let mut cols = vec![col("Name"), col("URL"), col("Status")];
    if admin {
        cols.extend([col("Admin API key"), col("Services API key"), col("")]);
    }
    let empty = if viewer.is(Role::Owner) {
        ui::empty_state(
            "No panels yet. Add a panel with its address and Admin API key.",
            Some(("/panels/new", "Add a panel")),
        )
    } else {
        ui::empty_state("No panels are shared with you. Ask an owner to allow you a panel.", None)
    };
    let content = html! {
        @if viewer.is(Role::Owner) { p.actions { a.button href="/panels/new" { "Add panel" } } }
        (ui::table(&cols, &rows, empty))
    };
    Ok(ui::page(&viewer, "Panels", content))
}

fn status_button(viewer: &Viewer, p: &Panel) -> Markup {
    let (to, label) =
        if p.status == PanelStatus::Paused { ("active", "Resume") } else { ("paused", "Pause") };
    html! {
        form method="post" action=(format!("/panels/{}/status", p.id)) {
            (csrf_input(viewer))
            input type="hidden" name="status" value=(to);
            button.secondary type="submit" { (label) }
        }
    }
}

/// The add/edit form; `panel` is None when adding.
fn form(viewer: &Viewer, panel: Option<&Panel>, data: &FormData, errors: &FormErrors) -> Markup {
    let action = panel.map(|p| format!("/panels/{}", p.id)).unwrap_or_else(|| "/panels".into());
    let value = |name: &str, saved: Option<&str>| data.get(name).or(saved).unwrap_or("").to_string();
    let status = value("status", panel.map(|p| p.status.as_str()));
    let key_help = |saved: Option<&String>| match saved {
        Some(l4) => format!("Saved: •••• {l4}. Leave blank to keep it; type a single - to clear it."),
        None => "Not set. Stored encrypted; never shown again after saving.".to_string(),
    };
    let admin_help = key_help(panel.and_then(|p| p.admin_key_last4.as_ref()));
    let svc_help = key_help(panel.and_then(|p| p.services_key_last4.as_ref()));
    html! {
        @if let Some(e) = errors.get("form") { p.error role="alert" { (e) } }
        form.card method="post" action=(action) {
            (csrf_input(viewer))
            (field(Field { name: "name", label: "Name", help: None, error: errors.get("name") },
                text_input("name", &value("name", panel.map(|p| p.name.as_str())), true, "text")))
            (field(Field { name: "base_url", label: "URL", help: Some("The panel's address, e.g. https://yourpanel.com (an /admin/adminapi/v2 address \
                is fine too)."), error: errors.get("base_url") },
                text_input("base_url", &value("base_url", panel.map(|p| p.base_url.as_str())), true, "text")))
            (field(Field { name: "admin_key", label: "Admin API key", help: Some(&admin_help), error: errors.get("admin_key") },
                secret_input("admin_key")))
            (field(Field { name: "services_key", label: "Services API key", help: Some(&format!("A customer API key of this panel, for its service \
                catalogue. {svc_help}")), error: errors.get("services_key") },
                secret_input("services_key")))
            (field(Field { name: "status", label: "Status", help: Some("Paused panels are not synced."), error: errors.get("status") },
                html! { select #status name="status" {
                    option value="active" selected[status != "paused"] { "Active" }
                    option value="paused" selected[status == "paused"] { "Paused" }
                } }))
            div.actions {
                button type="submit" { @if panel.is_some() { "Save panel" } @else { "Add panel" } }
                a href=(link(viewer, "/panels")) { "Cancel" }
            }
        }
    }
}

async fn validate(data: &FormData, allow_private: bool) -> Result<PanelInput, FormErrors> {
    let mut errors = FormErrors::default();
    let name = data.text("name");
    if name.is_empty() || name.chars().count() > 80 {
        errors.add("name", "Enter a name of up to 80 characters.");
    }
    let base_url = checked_base_url(&data.text("base_url"), allow_private).await.unwrap_or_else(|e| {
        errors.add("base_url", e);
        String::new()
    });
    let status = match data.get("status").unwrap_or("active") {
        "active" => PanelStatus::Active,
        "paused" => PanelStatus::Paused,
        _ => {
            errors.add("status", "Choose Active or Paused.");
            PanelStatus::Active
        }
    };
    let admin_key = secret_value(data.get("admin_key"));
    let services_key = secret_value(data.get("services_key"));
    for (f, k) in [("admin_key", &admin_key), ("services_key", &services_key)] {
        if k.as_ref().is_some_and(|k| k.len() > 512 || k.chars().any(char::is_whitespace)) {
            errors.add(f, "A key has no spaces and is at most 512 characters.");
        }
    }
    if errors.is_empty() {
        Ok(PanelInput { name, base_url, status, admin_key, services_key })
    } else {
        Err(errors)
    }
}

/// The saved keys are sent to the panel's address, so a new address needs them typed again: otherwise
/// whoever may edit the panel could send its keys to a server of their own.
fn keys_follow_address(panel: &Panel, input: &PanelInput) -> Result<(), FormErrors> {
    if panel.base_url == input.base_url {
        return Ok(());
    }
    let mut errors = FormErrors::default();
    let msg = "The keys are sent to the panel's address: enter this key again to change the address (or type - to clear it).";
    if panel.admin_key_last4.is_some() && input.admin_key.is_none() {
        errors.add("admin_key", msg);
    }
    if panel.services_key_last4.is_some() && input.services_key.is_none() {
        errors.add("services_key", msg);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The form page again with its errors, without the typed keys: a key is never echoed into a page.
fn again(post: &Post, title: &str, panel: Option<&Panel>, errors: &FormErrors) -> Markup {
    ui::page(&post.viewer, title, form(&post.viewer, panel, &post.without(|k| k.ends_with("_key")), errors))
}

/// An address another panel has is the address field's error.
fn taken<T>(r: AppResult<T>) -> AppResult<Result<T, FormErrors>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(AppError::Conflict(msg)) => Ok(Err(FormErrors::one("base_url", msg))),
        Err(e) => Err(e),
    }
}

fn saved(action: &'static str, details: String, id: i64, to: String, flash: String) -> Saved {
    Saved { action, details, panel: Some(id), to, flash }
}

pub async fn new_page(viewer: Viewer) -> Markup {
    ui::page(&viewer, "Add panel", form(&viewer, None, &FormData::default(), &FormErrors::default()))
}

pub async fn create(post: Post) -> AppResult<Response> {
    let state = &post.state;
    let valid = validate(&post.data, state.config.allow_private_urls).await;
    let page = async |e: FormErrors| Ok(again(&post, "Add panel", None, &e));
    let save = async |input: PanelInput| {
        let id = match taken(panels::create(&state.db, &state.config.secret_key, &input).await)? {
            Ok(id) => id,
            Err(e) => return Ok(Err(e)),
        };
        let details = format!("Added {} ({})", input.name, input.base_url);
        Ok(Ok(saved("panel.created", details, id, "/panels".into(), format!("Panel {} added.", input.name))))
    };
    post.submit(valid, page, save).await
}

async fn load(state: &AppState, viewer: &Viewer, id: i64) -> AppResult<Panel> {
    viewer.scope().check(id)?;
    panels::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("That panel"))
}

pub async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    let panel = load(&state, &viewer, id).await?;
    let title = format!("Panel: {}", panel.name);
    let target = super::panel_target::minutes(&state, id).await?;
    let body = maud::html! {
        (form(&viewer, Some(&panel), &FormData::default(), &FormErrors::default()))
        (super::panel_target::section(&viewer, id, target))
    };
    Ok(ui::page(&viewer, &title, body))
}

/// Which settings changed, in words, for the activity log (keys by name only).
fn changes(old: &Panel, new: &PanelInput) -> String {
    let mut c = Changes::default();
    c.quoted("name", &old.name, &new.name);
    c.plain("URL", &old.base_url, &new.base_url);
    c.plain("status", old.status.as_str(), new.status.as_str());
    c.secret("Admin API key", new.admin_key.as_deref());
    c.secret("Services API key", new.services_key.as_deref());
    c.text()
}

pub async fn update(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let (state, viewer) = (&post.state, &post.viewer);
    let panel = load(state, viewer, id).await?;
    let title = format!("Panel: {}", panel.name);
    let valid = match validate(&post.data, state.config.allow_private_urls).await {
        Ok(input) => keys_follow_address(&panel, &input).map(|()| input),
        Err(e) => Err(e),
    };
    let page = async |e: FormErrors| Ok(again(&post, &title, Some(&panel), &e));
    let save = async |input: PanelInput| {
        if let Err(e) = taken(panels::update(&state.db, &state.config.secret_key, id, &input).await)? {
            return Ok(Err(e));
        }
        let details = format!("{}: {}", input.name, changes(&panel, &input));
        let flash = format!("Panel {} saved.", input.name);
        Ok(Ok(saved("panel.updated", details, id, link(viewer, "/panels"), flash)))
    };
    post.submit(valid, page, save).await
}

pub async fn set_status(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let (state, viewer) = (&post.state, &post.viewer);
    let panel = load(state, viewer, id).await?;
    let (status, action, word) = match post.data.get("status") {
        Some("active") => (PanelStatus::Active, "panel.resumed", "resumed"),
        Some("paused") => (PanelStatus::Paused, "panel.paused", "paused"),
        _ => return Err(AppError::bad_request("Status must be active or paused.")),
    };
    let input = PanelInput {
        name: panel.name.clone(),
        base_url: panel.base_url.clone(),
        status,
        admin_key: None,
        services_key: None,
    };
    panels::update(&state.db, &state.config.secret_key, id, &input).await?;
    let flash = format!("Panel {} {word}.", panel.name);
    post.done(saved(action, panel.name.clone(), id, link(viewer, "/panels"), flash)).await
}
