//! Canned replies: Title | Body preview, shared (kept by the owner and admins of every panel) or personal
//! (only their author sees them). Agents insert them into ticket replies.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};
use shared::db::{read_all, Read, Reads, Stmt};

use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::db::rows::opt_i64;
use shared::ui::form::{field, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input};
use shared::{AppError, AppResult, AppState};

use crate::audit_log::log;

pub struct Canned {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// None = shared.
    pub owner_id: Option<i64>,
}

/// Shared replies and the staff member's own, by title.
/// The canned replies a member may use: the shared ones and their own.
pub fn visible(reads: &mut Reads, staff_id: i64) -> Read<Canned> {
    reads.add(
        Stmt::new(
            "SELECT id, title, body, owner_id FROM canned_replies
             WHERE owner_id IS NULL OR owner_id = ?1 ORDER BY title COLLATE NOCASE, id",
            [staff_id],
        ),
        |r| Ok(Canned { id: r.get(0)?, title: r.get(1)?, body: r.get(2)?, owner_id: opt_i64(r, 3)? }),
    )
}

/// Shared replies are offered on every panel's tickets: an admin of one panel changing them would change
/// what other panels' agents send, so they are kept by the owner and admins of every panel.
fn keeps_shared(viewer: &Viewer) -> bool {
    viewer.is(Role::Admin) && viewer.staff.sees_every_panel()
}

fn may_edit(viewer: &Viewer, c: &Canned) -> bool {
    match c.owner_id {
        Some(o) => o == viewer.id(),
        None => keeps_shared(viewer),
    }
}

fn form(viewer: &Viewer, c: Option<&Canned>, data: &FormData, errors: &FormErrors) -> Markup {
    let action = c.map(|c| format!("/canned-replies/{}", c.id)).unwrap_or_else(|| "/canned-replies".into());
    let title = data.get("title").map(str::to_string).or(c.map(|c| c.title.clone())).unwrap_or_default();
    let body = data.get("body").map(str::to_string).or(c.map(|c| c.body.clone())).unwrap_or_default();
    // A new reply starts shared: those who keep shared replies add them for the whole team, and
    // ticking the box is what makes one personal.
    let personal = if data.0.is_empty() {
        c.map(|c| c.owner_id.is_some()).unwrap_or(false)
    } else {
        data.checked("personal")
    };
    html! {
        form.card method="post" action=(action) {
            (csrf_input(viewer))
            (field(Field { name: "title", label: "Title", help: None, error: errors.get("title") },
                html! { input #title name="title" value=(title) required maxlength="120"; }))
            (field(Field { name: "body", label: "Body", help: Some("Inserted into the reply box as written."), error: errors.get("body") },
                html! { textarea #body name="body" rows="6" required { (body) } }))
            @if keeps_shared(viewer) {
                div.field { label { input type="checkbox" name="personal" value="1" checked[personal]; " Personal (only I see it)" } }
            }
            button type="submit" { @if c.is_some() { "Save" } @else { "Add canned reply" } }
        }
    }
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let conn = state.db.connect().await?;
    let all = read_all(&conn, |r| visible(r, viewer.id())).await?;
    drop(conn);
    Ok(ui::page(
        &viewer,
        "Canned replies",
        list_content(&viewer, &all, &FormData::default(), &FormErrors::default()),
    ))
}

fn list_content(viewer: &Viewer, all: &[Canned], data: &FormData, errors: &FormErrors) -> Markup {
    let rows: Vec<Markup> = all
        .iter()
        .map(|c| html! { tr {
            td { @if may_edit(viewer, c) { a href={ "/canned-replies/" (c.id) } { (c.title) } } @else { (c.title) } }
            td { (ui::cut(&shared::domain::text::plain_text(&c.body), 90)) }
            td { @if c.owner_id.is_some() { "Personal" } @else { "Shared" } }
        } })
        .collect();
    html! {
        (ui::table(&[col("Title"), col("Body preview"), col("Visibility")], &rows,
            ui::empty_state("No canned replies yet. Add the answers you type most often below.", None)))
        @if viewer.is(Role::Agent) {
            h2 { "Add canned reply" }
            (form(viewer, None, data, errors))
        }
    }
}

fn validate(data: &FormData) -> FormErrors {
    let mut errors = FormErrors::default();
    let title = data.text("title");
    if title.is_empty() || title.chars().count() > 120 {
        errors.add("title", "Give it a title of 1–120 characters.");
    }
    let body = data.text("body");
    if body.is_empty() || body.chars().count() > 10_000 {
        errors.add("body", "Write the reply (up to 10,000 characters).");
    }
    errors
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let errors = validate(&data);
    if !errors.is_empty() {
        let conn = state.db.connect().await?;
        let all = read_all(&conn, |r| visible(r, viewer.id())).await?;
        return Ok(ui::invalid(ui::page(
            &viewer,
            "Canned replies",
            list_content(&viewer, &all, &data, &errors),
        )));
    }
    // Others keep personal replies only.
    let owner = if keeps_shared(&viewer) && !data.checked("personal") { None } else { Some(viewer.id()) };
    let now = shared::time::now();
    let conn = state.db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    tx.execute(
        "INSERT INTO canned_replies (title, body, owner_id, created, updated) VALUES (?1, ?2, ?3, ?4, ?4)",
        libsql::params![data.text("title"), data.text("body"), owner, now],
    )
    .await?;
    tx.commit().await?;
    log(&state, &viewer, &client, "canned_reply.created", &data.text("title"), None).await?;
    Ok(flash_redirect("/canned-replies", &format!("Added “{}”.", data.text("title")), client.secure))
}

async fn load(state: &AppState, viewer: &Viewer, id: i64) -> AppResult<Canned> {
    let conn = state.db.connect().await?;
    let all = read_all(&conn, |r| visible(r, viewer.id())).await?;
    let c = all.into_iter().find(|c| c.id == id).ok_or_else(|| AppError::not_found("That canned reply"))?;
    if !may_edit(viewer, &c) {
        return Err(AppError::Forbidden(
            "Shared canned replies are offered on every panel: only the owner or an admin of every panel changes them."
                .into(),
        ));
    }
    Ok(c)
}

pub async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    let c = load(&state, &viewer, id).await?;
    let content = html! {
        (form(&viewer, Some(&c), &FormData::default(), &FormErrors::default()))
        form method="post" action={ "/canned-replies/" (c.id) "/delete" } {
            (csrf_input(&viewer))
            button.danger type="submit" data-confirm={ "Delete the canned reply “" (c.title) "”?" } { "Delete" }
        }
    };
    Ok(ui::page(&viewer, "Edit canned reply", content))
}

pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
    data: FormData,
) -> AppResult<Response> {
    let c = load(&state, &viewer, id).await?;
    let errors = validate(&data);
    if !errors.is_empty() {
        return Ok(ui::invalid(ui::page(
            &viewer,
            "Edit canned reply",
            form(&viewer, Some(&c), &data, &errors),
        )));
    }
    let owner = match (keeps_shared(&viewer), data.checked("personal")) {
        (true, false) => None,
        (true, true) => Some(c.owner_id.unwrap_or(viewer.id())),
        (false, _) => c.owner_id,
    };
    let conn = state.db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    tx.execute(
        "UPDATE canned_replies SET title = ?1, body = ?2, owner_id = ?3, updated = ?4 WHERE id = ?5",
        libsql::params![data.text("title"), data.text("body"), owner, shared::time::now(), id],
    )
    .await?;
    tx.commit().await?;
    log(&state, &viewer, &client, "canned_reply.updated", &data.text("title"), None).await?;
    Ok(flash_redirect("/canned-replies", "Saved.", client.secure))
}

pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let c = load(&state, &viewer, id).await?;
    let conn = state.db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    tx.execute("DELETE FROM canned_replies WHERE id = ?1", [id]).await?;
    tx.commit().await?;
    log(&state, &viewer, &client, "canned_reply.deleted", &c.title, None).await?;
    Ok(flash_redirect("/canned-replies", &format!("Deleted “{}”.", c.title), client.secure))
}
