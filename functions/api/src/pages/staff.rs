//! Staff: Username | Role | Allowed panels. Owners create, edit, deactivate and reset passwords.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::staff::{self, NewStaff, Staff};
use shared::auth::{session, Role, Viewer};
use shared::domain::panels::PanelRef;
use shared::form_post::{Post, Saved};
use shared::ui::form::{field, text_input, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input};
use shared::{AppError, AppResult, AppState};

fn panels_text(s: &Staff, all: &[PanelRef]) -> String {
    if s.role == Role::Owner || s.all_panels {
        return "All panels".into();
    }
    if s.panels.is_empty() {
        return "None".into();
    }
    s.panels
        .iter()
        .map(|id| all.iter().find(|p| p.id == *id).map(|p| p.name.clone()).unwrap_or(format!("#{id}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Staff pages are the owner's: the owner sees every panel, so the viewer's panels (read with the
/// session) are all of them.
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let members = staff::list(&state.db).await?;
    let all = viewer.panels.clone();
    let rows: Vec<Markup> = members
        .iter()
        .map(|s| {
            html! { tr {
                td { a href=(format!("/staff/{}", s.id)) { (s.username) } }
                td { (s.role.label()) }
                td { (ui::cut(&panels_text(s, &all), 60)) }
                td { (ui::status_label(if s.active { "active" } else { "inactive" })) }
                td { (ui::opt_time(s.last_login_at)) }
            } }
        })
        .collect();
    let content = html! {
        p.actions { a.button href="/staff/new" { "Add staff member" } }
        (ui::table(&[col("Username"), col("Role"), col("Allowed panels"), col("Status"), col("Last login")], &rows,
            ui::empty_state("No staff yet.", None)))
    };
    Ok(ui::page(&viewer, "Staff", content))
}

/// Role, panel access and (when editing) the active flag.
fn access_fields(data: &FormData, saved: Option<&Staff>, all: &[PanelRef], errors: &FormErrors) -> Markup {
    let role = data
        .get("role")
        .map(str::to_string)
        .or(saved.map(|s| s.role.as_str().to_string()))
        .unwrap_or_else(|| "agent".into());
    let submitted = !data.0.is_empty();
    let all_panels = if submitted { data.checked("all_panels") } else { saved.is_some_and(|s| s.all_panels) };
    let chosen: Vec<i64> =
        if submitted { data.ids("panels") } else { saved.map(|s| s.panels.clone()).unwrap_or_default() };
    html! {
        (field(Field { name: "role", label: "Role", help: Some("Owner: everything. Admin: settings of allowed panels. Agent: lists, reports, ticket \
            replies. Viewer: read only."), error: errors.get("role") },
            html! { select #role name="role" {
                @for r in Role::ALL { option value=(r.as_str()) selected[role == r.as_str()] { (r.label()) } }
            } }))
        div.field {
            label { "Allowed panels" }
            div.checks {
                label { input type="checkbox" name="all_panels" value="1" checked[all_panels]; " All panels (also future ones)" }
                @for p in all { label { input type="checkbox" name="panels" value=(p.id) checked[chosen.contains(&p.id)]; " " (p.name) } }
            }
            p.help { "Owners always see every panel." }
        }
    }
}

fn new_form(viewer: &Viewer, all: &[PanelRef], data: &FormData, errors: &FormErrors) -> Markup {
    html! {
        form.card method="post" action="/staff" {
            (csrf_input(viewer))
            (field(Field { name: "username", label: "Username", help: Some("3–40 letters, digits, dot, underscore or dash."), error: errors.get("username") },
                text_input("username", &data.text("username"), true, "text")))
            (field(Field { name: "password", label: "Password",
                help: Some("At least 10 characters. Share it safely; they can change it in My account."), error: errors.get("password") },
                text_input("password", "", true, "password")))
            (access_fields(data, None, all, errors))
            div.actions { button type="submit" { "Add staff member" } a href="/staff" { "Cancel" } }
        }
    }
}

pub async fn new_page(viewer: Viewer) -> AppResult<Markup> {
    let all = viewer.panels.clone();
    Ok(ui::page(
        &viewer,
        "Add staff member",
        new_form(&viewer, &all, &FormData::default(), &FormErrors::default()),
    ))
}

fn parse_access(data: &FormData, all: &[PanelRef], errors: &mut FormErrors) -> (Role, bool, Vec<i64>) {
    let role = Role::parse(data.get("role").unwrap_or("")).unwrap_or_else(|| {
        errors.add("role", "Choose a role.");
        Role::Viewer
    });
    let panels: Vec<i64> =
        data.ids("panels").into_iter().filter(|id| all.iter().any(|p| p.id == *id)).collect();
    (role, data.checked("all_panels"), panels)
}

fn saved(action: &'static str, details: String, flash: String) -> Saved {
    Saved { action, details, panel: None, to: "/staff".into(), flash }
}

pub async fn create(post: Post) -> AppResult<Response> {
    let (data, all) = (&post.data, &post.viewer.panels);
    let mut errors = FormErrors::default();
    let username = data.text("username");
    let password = data.get("password").unwrap_or("");
    if let Err(e) = staff::check_username(&username) {
        errors.add("username", e);
    }
    if let Err(e) = shared::auth::password::check(password, &username) {
        errors.add("password", e);
    }
    let (role, all_panels, chosen) = parse_access(data, all, &mut errors);
    let page = async |e: FormErrors| {
        Ok(ui::page(&post.viewer, "Add staff member", new_form(&post.viewer, all, data, &e)))
    };
    let save = async |()| {
        let new = NewStaff {
            username: &username,
            password,
            role,
            all_panels,
            panels: &chosen,
            only_if_first: false,
        };
        match staff::create(&post.state.db, new).await {
            Ok(_) => Ok(Ok(saved(
                "staff.created",
                format!("Added {username} as {role}"),
                format!("{username} added."),
            ))),
            Err(AppError::Conflict(msg)) => Ok(Err(FormErrors::one("username", msg))),
            Err(e) => Err(e),
        }
    };
    post.submit(errors.or_ok(|| ()), page, save).await
}

fn edit_body(
    viewer: &Viewer,
    member: &Staff,
    all: &[PanelRef],
    data: &FormData,
    errors: &FormErrors,
) -> Markup {
    let active = if data.0.is_empty() { member.active } else { data.checked("active") };
    html! {
        div.grid2 {
            form.card method="post" action=(format!("/staff/{}", member.id)) {
                h2 { "Access" }
                (csrf_input(viewer))
                @if let Some(e) = errors.get("form") { p.error role="alert" { (e) } }
                (access_fields(data, Some(member), all, errors))
                div.field {
                    label { input type="checkbox" name="active" value="1" checked[active]; " Active" }
                    p.help { "An inactive account cannot sign in; its sessions end at once." }
                }
                div.actions { button type="submit" { "Save" } a href="/staff" { "Cancel" } }
            }
            form.card method="post" action=(format!("/staff/{}/password", member.id)) {
                h2 { "Reset password" }
                (csrf_input(viewer))
                (field(Field { name: "password", label: "New password", help: Some("Their sessions are signed out."), error: errors.get("password") },
                    text_input("password", "", true, "password")))
                button.danger type="submit"
                    data-confirm=(format!("Set a new password for {} and sign them out everywhere?", member.username)) { "Reset password" }
            }
        }
    }
}

async fn load(state: &AppState, id: i64) -> AppResult<Staff> {
    staff::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("That staff member"))
}

pub async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    let member = load(&state, id).await?;
    let all = viewer.panels.clone();
    let title = format!("Staff: {}", member.username);
    Ok(ui::page(
        &viewer,
        &title,
        edit_body(&viewer, &member, &all, &FormData::default(), &FormErrors::default()),
    ))
}

pub async fn update(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let (state, viewer, data) = (&post.state, &post.viewer, &post.data);
    let member = load(state, id).await?;
    let mut errors = FormErrors::default();
    let (role, all_panels, chosen) = parse_access(data, &viewer.panels, &mut errors);
    let active = data.checked("active");
    let loses_owner = member.role == Role::Owner && member.active && (role != Role::Owner || !active);
    if loses_owner && staff::active_owner_count(&state.db).await? <= 1 {
        errors.add("form", "This is the last active owner: make someone else an owner first.");
    }
    if id == viewer.id() && !active {
        errors.add("form", "You cannot deactivate your own account.");
    }
    let page = async |e: FormErrors| {
        let title = format!("Staff: {}", member.username);
        Ok(ui::page(viewer, &title, edit_body(viewer, &member, &viewer.panels, data, &e)))
    };
    let save = async |()| {
        staff::update_access(&state.db, id, role, all_panels, active, &chosen).await?;
        let reach = if all_panels || role == Role::Owner {
            "all panels".to_string()
        } else {
            format!("panels {chosen:?}")
        };
        let details = format!(
            "{}: role {role}, {reach}, {}",
            member.username,
            if active { "active" } else { "deactivated" }
        );
        Ok(Ok(saved("staff.updated", details, format!("{} saved.", member.username))))
    };
    post.submit(errors.or_ok(|| ()), page, save).await
}

pub async fn reset_password(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let (state, viewer) = (&post.state, &post.viewer);
    let member = load(state, id).await?;
    let password = post.data.get("password").unwrap_or("");
    let valid =
        shared::auth::password::check(password, &member.username).map_err(|e| FormErrors::one("password", e));
    let page = async |e: FormErrors| {
        let body = edit_body(viewer, &member, &viewer.panels, &FormData::default(), &e);
        Ok(ui::page(viewer, &format!("Staff: {}", member.username), body))
    };
    let save = async |_| {
        staff::set_password(&state.db, id, &member.username, password).await?;
        let keep = (id == viewer.id()).then_some(viewer.session_id);
        let ended = session::delete_all_for(&state.db, id, keep).await?;
        let details = format!("{}: {ended} sessions ended", member.username);
        Ok(Ok(saved("staff.password_reset", details, format!("Password of {} reset.", member.username))))
    };
    post.submit(valid, page, save).await
}
