//! Competitor tracking profiles: Name | Competitors | Tracking | Window | Created. A profile says which
//! competitors and which of our services the report covers, and its window.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::{Role, Viewer};
use shared::domain::competitors::profiles::{self, parse_ids, Profile, ProfileInput, MAX_WINDOW_HOURS};
use shared::domain::competitors::{self, Competitor};
use shared::form_post::{Post, Saved};
use shared::ui::form::{field, text_input, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input, link, num};
use shared::{AppResult, AppState};

use super::{panel_select, tabs, working_panel, IdQuery};

fn window_label(h: i64) -> String {
    if h % 24 == 0 {
        format!("{} days", h / 24)
    } else {
        format!("{h} h")
    }
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let all = profiles::list(&state.db, &viewer.scope(), viewer.panel).await?;
    let rivals = competitors::list(&state.db, &viewer.scope(), viewer.panel).await?;
    let admin = viewer.is(Role::Admin);
    let name_of =
        |id: i64| rivals.iter().find(|c| c.id == id).map(|c| c.name.clone()).unwrap_or(format!("#{id}"));
    let rows: Vec<Markup> = all
        .iter()
        .map(|p| {
            let report = link(&viewer, &format!("/reports/competitors?profile={}", p.id));
            html! { tr {
                td { a href=(report) { (p.name) } br; span.muted { (viewer.panel_name(p.panel_id)) } }
                td { @if p.competitor_ids.is_empty() { "All" } @else {
                    (p.competitor_ids.iter().map(|i| name_of(*i)).collect::<Vec<_>>().join(", ")) } }
                td { @if p.service_ids.is_empty() { "Every matched service" } @else { (p.service_ids.len()) " services" } }
                td { (window_label(p.window_hours)) }
                td { (ui::time(p.created_at)) }
                @if admin { td { div.rowactions {
                    a href=(link(&viewer, &format!("/competitors/profiles/edit?id={}", p.id))) { "Edit" }
                    form method="post" action=(format!("/competitors/profiles/{}/delete", p.id)) {
                        (csrf_input(&viewer))
                        button.danger type="submit" data-confirm={ "Delete the profile “" (p.name) "”? Its report goes; the rivals' price history \
                            stays." } { "Delete" }
                    }
                } } }
            } }
        })
        .collect();
    let mut cols = vec![col("Name"), col("Competitors"), col("Tracking"), num("Window"), col("Created")];
    if admin {
        cols.push(col(""));
    }
    let empty = ui::empty_state(
        "No profiles yet. A profile picks competitors, our services and a window for the Competitor tracking report.",
        admin.then_some(("/competitors/profiles/edit", "New competitor profile")),
    );
    let content = html! {
        (tabs(&viewer, "/competitors/profiles"))
        @if admin { p.actions { a.button href=(link(&viewer, "/competitors/profiles/edit")) { "New competitor profile" } } }
        (ui::table(&cols, &rows, empty))
    };
    Ok(ui::page(&viewer, "Competitor profiles", content))
}

fn form(
    viewer: &Viewer,
    p: Option<&Profile>,
    rivals: &[Competitor],
    data: &FormData,
    errors: &FormErrors,
) -> Markup {
    let action = p
        .map(|p| format!("/competitors/profiles/{}", p.id))
        .unwrap_or_else(|| "/competitors/profiles".into());
    let fresh = data.0.is_empty();
    let name = data.get("name").map(str::to_string).or(p.map(|p| p.name.clone())).unwrap_or_default();
    let services = data.get("service_ids").map(str::to_string).unwrap_or_else(|| {
        p.map(|p| p.service_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    });
    let window = data
        .get("window_hours")
        .map(str::to_string)
        .unwrap_or_else(|| p.map_or(168, |p| p.window_hours).to_string());
    let chosen: Vec<i64> = if fresh {
        p.map(|p| p.competitor_ids.clone()).unwrap_or_default()
    } else {
        data.ids("competitor_ids")
    };
    let selected =
        data.get("panel_id").and_then(|v| v.parse().ok()).or(p.map(|p| p.panel_id)).or(working_panel(viewer));
    let panel_of = p.map(|p| p.panel_id).or(selected);
    html! {
        form.card method="post" action=(action) {
            (csrf_input(viewer))
            @if p.is_none() {
                (field(Field { name: "panel_id", label: "Our panel", help: Some("Whose services the profile tracks."), error: errors.get("panel_id") },
                    panel_select(viewer, selected)))
            }
            (field(Field { name: "name", label: "Name", help: None, error: errors.get("name") }, text_input("name", &name, true, "text")))
            fieldset.field {
                legend { "Competitors" }
                @if rivals.is_empty() { p.muted { "No competitor panels yet; the profile will cover those added later." } }
                @for c in rivals {
                    label { input type="checkbox" name="competitor_ids" value=(c.id) checked[chosen.contains(&c.id)];
                        " " (c.name) @if Some(c.panel_id) != panel_of { span.muted { " (" (viewer.panel_name(c.panel_id)) ")" } } }
                    br;
                }
                p.help { "None ticked: every competitor of the panel." }
                @if let Some(e) = errors.get("competitor_ids") { p.error { (e) } }
            }
            (field(Field { name: "service_ids", label: "Tracking (our service ids)", help: Some("Comma-separated ids of our services; blank tracks \
                every service with a confirmed match."), error: errors.get("service_ids") },
                text_input("service_ids", &services, false, "text")))
            (field(Field { name: "window_hours", label: "Window (hours)", help: Some("How far back the report compares: 12, 24, 48, 72, 96, 168 (a \
                week), 720 (30 days)…"), error: errors.get("window_hours") },
                text_input("window_hours", &window, true, "number")))
            div.actions {
                button type="submit" { @if p.is_some() { "Save profile" } @else { "Add profile" } }
                a href=(link(viewer, "/competitors/profiles")) { "Cancel" }
            }
        }
    }
}

fn validate(
    viewer: &Viewer,
    data: &FormData,
    panel: Option<i64>,
    rivals: &[Competitor],
) -> Result<ProfileInput, FormErrors> {
    let mut errors = FormErrors::default();
    let panel_id = match panel.or_else(|| data.get("panel_id").and_then(|v| v.trim().parse().ok())) {
        Some(p) if viewer.scope().allows(p) && viewer.panels.iter().any(|r| r.id == p) => p,
        _ => {
            errors.add("panel_id", "Choose one of your panels.");
            0
        }
    };
    let name = data.text("name");
    if name.is_empty() || name.chars().count() > 80 {
        errors.add("name", "Enter a name of up to 80 characters.");
    }
    let competitor_ids = data.ids("competitor_ids");
    if competitor_ids.iter().any(|id| !rivals.iter().any(|c| c.id == *id && c.panel_id == panel_id)) {
        errors.add("competitor_ids", "Tick only competitors of the profile's panel.");
    }
    let service_ids = parse_ids(&data.text("service_ids")).unwrap_or_else(|e| {
        errors.add("service_ids", e);
        Vec::new()
    });
    let window_hours = match data.text("window_hours").parse::<i64>() {
        Ok(h) if (1..=MAX_WINDOW_HOURS).contains(&h) => h,
        _ => {
            errors.add("window_hours", format!("Enter a window of 1 to {MAX_WINDOW_HOURS} hours."));
            168
        }
    };
    errors.or_ok(|| ProfileInput { panel_id, name, competitor_ids, service_ids, window_hours })
}

/// New (no id) or edit (`?id=N`).
pub async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<IdQuery>,
) -> AppResult<Markup> {
    let rivals = competitors::list(&state.db, &viewer.scope(), None).await?;
    let Some(id) = q.id("a profile")? else {
        let body = html! {
            @if viewer.panels.is_empty() { (ui::empty_state("No panels are shared with you.", None)) }
            @else { (form(&viewer, None, &rivals, &FormData::default(), &FormErrors::default())) }
        };
        return Ok(ui::page(&viewer, "New competitor profile", body));
    };
    let p = profiles::get_in_scope(&state.db, &viewer.scope(), id).await?;
    let title = format!("Competitor profile: {}", p.name);
    Ok(ui::page(
        &viewer,
        &title,
        form(&viewer, Some(&p), &rivals, &FormData::default(), &FormErrors::default()),
    ))
}

/// What a profile's save or delete did, for the log and the flash message.
fn saved(viewer: &Viewer, action: &'static str, details: String, panel: i64, flash: String) -> Saved {
    Saved { action, details, panel: Some(panel), to: link(viewer, "/competitors/profiles"), flash }
}

pub async fn create(post: Post) -> AppResult<Response> {
    let viewer = &post.viewer;
    let rivals = competitors::list(&post.state.db, &viewer.scope(), None).await?;
    let page = async |e: FormErrors| {
        Ok(ui::page(viewer, "New competitor profile", form(viewer, None, &rivals, &post.data, &e)))
    };
    let save = async |input: ProfileInput| {
        let id = profiles::create(&post.state.db, &input, &viewer.staff.username).await?;
        let details = format!("Profile {} (id {id}), window {} h", input.name, input.window_hours);
        let flash = format!("Profile {} added.", input.name);
        Ok(Ok(saved(viewer, "competitor_profile.created", details, input.panel_id, flash)))
    };
    post.submit(validate(viewer, &post.data, None, &rivals), page, save).await
}

pub async fn update(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let viewer = &post.viewer;
    let p = profiles::get_in_scope(&post.state.db, &viewer.scope(), id).await?;
    let rivals = competitors::list(&post.state.db, &viewer.scope(), None).await?;
    let page = async |e: FormErrors| {
        let title = format!("Competitor profile: {}", p.name);
        Ok(ui::page(viewer, &title, form(viewer, Some(&p), &rivals, &post.data, &e)))
    };
    let save = async |input: ProfileInput| {
        profiles::update(&post.state.db, id, &input).await?;
        let details = format!(
            "Profile {}: {} competitors, {} services, window {} h",
            input.name,
            input.competitor_ids.len(),
            input.service_ids.len(),
            input.window_hours
        );
        let flash = format!("Profile {} saved.", input.name);
        Ok(Ok(saved(viewer, "competitor_profile.updated", details, p.panel_id, flash)))
    };
    post.submit(validate(viewer, &post.data, Some(p.panel_id), &rivals), page, save).await
}

pub async fn delete(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let p = profiles::get_in_scope(&post.state.db, &post.viewer.scope(), id).await?;
    profiles::delete(&post.state.db, id).await?;
    let flash = format!("Profile {} deleted.", p.name);
    post.done(saved(&post.viewer, "competitor_profile.deleted", p.name, p.panel_id, flash)).await
}
