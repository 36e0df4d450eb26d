//! A profile kind's pages: the list (everyone), the new and edit forms and delete (admins of every
//! panel: profiles are shared by all panels), each save or delete in the activity log.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::guard::flash_redirect;
use shared::auth::{Role, Viewer};
use shared::form_post::{Post, Saved};
use shared::ui::form::{field, text_input, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input, link};
use shared::{Access, AppError, AppResult, AppState, Routes};

use super::{delete, get, list, save, valid_name, Input, Profile};
use crate::common::href;

/// The kind's profile routes, added to its report's.
pub fn routes<P: Profile>(r: Routes) -> Routes {
    let admin = Access::AllPanels(Role::Admin);
    r.get(P::PATHS.list, Access::Staff(Role::Viewer), list_page::<P>)
        .get(P::PATHS.new, admin, new_page::<P>)
        .post(P::PATHS.list, admin, create::<P>)
        .get(P::PATHS.item, admin, edit_page::<P>)
        .post(P::PATHS.item, admin, update::<P>)
        .post(P::PATHS.delete, admin, remove::<P>)
}

fn item_path<P: Profile>(id: i64) -> String {
    P::PATHS.item.replace("{id}", &id.to_string())
}

async fn list_page<P: Profile>(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let conn = state.db.connect().await?;
    let all = list::<P>(&conn).await?;
    let admin = viewer.is(Role::Admin);
    let rows: Vec<Markup> = all
        .iter()
        .map(|p| {
            let open = href(&viewer, P::PATHS.report, &[("profile", p.head().id.to_string())]);
            html! { tr {
                td { a href=(open) { (p.head().name) } @if p.head().is_default { " " span.label { "default" } } }
                (p.list_cells())
                td { (ui::time(p.head().created)) }
                td { @if admin { a href=(item_path::<P>(p.head().id)) { "Edit" } } }
            } }
        })
        .collect();
    let mut cols = vec![col("Name")];
    cols.extend(P::list_columns());
    cols.extend([col("Created"), col("")]);
    let content = html! {
        @if admin { p.actions { a.button href=(P::PATHS.new) { "New profile" } } }
        (ui::table(&cols, &rows, ui::empty_state("No profiles yet: create one.", None)))
    };
    Ok(ui::page(&viewer, &format!("{} profiles", capitalised(P::KIND)), content))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn form<P: Profile>(viewer: &Viewer, saved: Option<&P>, data: &FormData, errors: &FormErrors) -> Markup {
    let action = saved.map(|p| item_path::<P>(p.head().id)).unwrap_or(P::PATHS.list.into());
    let value = |name: &str, saved: String| data.get(name).map(str::to_string).unwrap_or(saved);
    let name = value("name", saved.map(|p| p.head().name.to_string()).unwrap_or_default());
    let is_default = saved.is_some_and(|p| p.head().is_default) || data.checked("is_default");
    html! {
        form.card method="post" action=(action) {
            (csrf_input(viewer))
            (field(Field { name: "name", label: "Name", help: None, error: errors.get("name") },
                text_input("name", &name, true, "text")))
            (P::fields(saved, &value, errors))
            div.field { label { input type="checkbox" name="is_default" value="1" checked[is_default]; " Default profile" } }
            div.actions {
                button type="submit" { "Save profile" }
                a href=(link(viewer, P::PATHS.list)) { "Cancel" }
            }
        }
        @if let Some(p) = saved.filter(|p| !p.head().is_default) {
            form method="post" action=(P::PATHS.delete.replace("{id}", &p.head().id.to_string())) {
                (csrf_input(viewer))
                button.danger type="submit" data-confirm="Delete this profile?" { "Delete profile" }
            }
        }
    }
}

fn new_title<P: Profile>() -> String {
    format!("New {} profile", P::KIND)
}

fn validate<P: Profile>(data: &FormData) -> Result<Input<P>, FormErrors> {
    let mut errors = FormErrors::default();
    let name = valid_name(data, &mut errors);
    let settings = P::validate(data, &mut errors);
    if errors.is_empty() {
        Ok(Input { name, is_default: data.checked("is_default"), settings })
    } else {
        Err(errors)
    }
}

async fn new_page<P: Profile>(viewer: Viewer) -> Markup {
    ui::page(
        &viewer,
        &new_title::<P>(),
        form::<P>(&viewer, None, &FormData::default(), &FormErrors::default()),
    )
}

async fn load<P: Profile>(conn: &shared::db::Conn, id: i64) -> AppResult<P> {
    get::<P>(conn, id).await?.ok_or_else(|| AppError::not_found("That profile"))
}

async fn edit_page<P: Profile>(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    let conn = state.db.connect().await?;
    let p = load::<P>(&conn, id).await?;
    let body = form::<P>(&viewer, Some(&p), &FormData::default(), &FormErrors::default());
    Ok(ui::page(&viewer, &format!("Profile: {}", p.head().name), body))
}

async fn create<P: Profile>(post: Post) -> AppResult<Response> {
    let page = async |e: FormErrors| {
        Ok(ui::page(&post.viewer, &new_title::<P>(), form::<P>(&post.viewer, None, &post.data, &e)))
    };
    let save = async |input: Input<P>| {
        let conn = post.state.db.connect().await?;
        let id = save::<P>(&conn, None, &input, shared::time::now()).await?;
        let details = format!("Created {} profile {} (#{id})", P::KIND, input.name);
        Ok(Ok(saved::<P>(P::ACTIONS[0], details, format!("Profile {} created.", input.name))))
    };
    post.submit(validate::<P>(&post.data), page, save).await
}

/// A save's or delete's log entry and message.
fn saved<P: Profile>(action: &'static str, details: String, flash: String) -> Saved {
    Saved { action, details, panel: None, to: P::PATHS.list.into(), flash }
}

async fn update<P: Profile>(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let conn = post.state.db.connect().await?;
    let old = load::<P>(&conn, id).await?;
    let page = async |e: FormErrors| {
        let body = form::<P>(&post.viewer, Some(&old), &post.data, &e);
        Ok(ui::page(&post.viewer, &format!("Profile: {}", old.head().name), body))
    };
    let save = async |input: Input<P>| {
        save::<P>(&conn, Some(id), &input, shared::time::now()).await?;
        let details =
            format!("Updated {} profile {} (#{id}): {}", P::KIND, input.name, P::describe(&input.settings));
        Ok(Ok(saved::<P>(P::ACTIONS[1], details, format!("Profile {} saved.", input.name))))
    };
    post.submit(validate::<P>(&post.data), page, save).await
}

async fn remove<P: Profile>(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let conn = post.state.db.connect().await?;
    let p = load::<P>(&conn, id).await?;
    if p.head().is_default {
        let why = "The default profile cannot be deleted: make another profile the default first.";
        return Ok(flash_redirect(P::PATHS.list, why, post.client.secure));
    }
    delete::<P>(&conn, id).await?;
    let name = p.head().name;
    let details = format!("Deleted {} profile {name} (#{id})", P::KIND);
    post.done(saved::<P>(P::ACTIONS[2], details, format!("Profile {name} deleted."))).await
}
