//! Canned replies: Title | Body preview, shared (kept by the owner and admins of every panel) or personal
//! (only their author sees them). Agents insert them into ticket replies.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};
use shared::db::{read_all, Read, Reads, Stmt};

use shared::auth::{Role, Viewer};
use shared::db::rows::opt_i64;
use shared::form_post::{Post, Saved};
use shared::ui::form::{field, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input};
use shared::{AppError, AppResult, AppState};

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

/// Stores one statement's change to the canned replies; the reply's title is what the log says.
async fn write(
    post: &Post,
    stmt: Stmt,
    action: &'static str,
    flash: String,
) -> AppResult<Result<Saved, FormErrors>> {
    post.state.db.connect().await?.write_batch(vec![stmt]).await?;
    let details = post.data.text("title");
    Ok(Ok(Saved { action, details, panel: None, to: "/canned-replies".into(), flash }))
}

pub async fn create(post: Post) -> AppResult<Response> {
    let viewer = &post.viewer;
    let page = async |errors: FormErrors| {
        let all = read_all(&post.state.db.connect().await?, |r| visible(r, viewer.id())).await?;
        Ok(ui::page(viewer, "Canned replies", list_content(viewer, &all, &post.data, &errors)))
    };
    let save = async |()| {
        // Others keep personal replies only.
        let owner =
            if keeps_shared(viewer) && !post.data.checked("personal") { None } else { Some(viewer.id()) };
        let (title, body) = (post.data.text("title"), post.data.text("body"));
        let stmt = Stmt::new(
            "INSERT INTO canned_replies (title, body, owner_id, created, updated) VALUES (?1, ?2, ?3, ?4, ?4)",
            libsql::params![title.as_str(), body, owner, shared::time::now()],
        );
        write(&post, stmt, "canned_reply.created", format!("Added “{title}”.")).await
    };
    post.submit(validate(&post.data).or_ok(|| ()), page, save).await
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

pub async fn update(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let viewer = &post.viewer;
    let c = load(&post.state, viewer, id).await?;
    let page = async |errors: FormErrors| {
        Ok(ui::page(viewer, "Edit canned reply", form(viewer, Some(&c), &post.data, &errors)))
    };
    let save = async |()| {
        let owner = match (keeps_shared(viewer), post.data.checked("personal")) {
            (true, false) => None,
            (true, true) => Some(c.owner_id.unwrap_or(viewer.id())),
            (false, _) => c.owner_id,
        };
        let stmt = Stmt::new(
            "UPDATE canned_replies SET title = ?1, body = ?2, owner_id = ?3, updated = ?4 WHERE id = ?5",
            libsql::params![post.data.text("title"), post.data.text("body"), owner, shared::time::now(), id],
        );
        write(&post, stmt, "canned_reply.updated", "Saved.".into()).await
    };
    post.submit(validate(&post.data).or_ok(|| ()), page, save).await
}

pub async fn delete(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let c = load(&post.state, &post.viewer, id).await?;
    post.state
        .db
        .connect()
        .await?
        .write_batch(vec![Stmt::new("DELETE FROM canned_replies WHERE id = ?1", [id])])
        .await?;
    let flash = format!("Deleted “{}”.", c.title);
    post.done(Saved {
        action: "canned_reply.deleted",
        details: c.title,
        panel: None,
        to: "/canned-replies".into(),
        flash,
    })
    .await
}
