//! A profile kind's pages: the list (everyone), the new and edit forms and delete (admins of every
//! panel: profiles are shared by all panels), each save or delete in the activity log.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::ui::form::{field, text_input, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input, link};
use shared::{Access, AppError, AppResult, AppState, Routes};

use super::{delete, get, list, save, valid_name, Input, Profile};
use crate::common::{self, href};

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
            let open = href(&viewer, P::PATHS.report, &[("profile", p.id().to_string())]);
            html! { tr {
                td { a href=(open) { (p.name()) } @if p.is_default() { " " span.label { "default" } } }
                (p.list_cells())
                td { (ui::time(p.created())) }
                td { @if admin { a href=(item_path::<P>(p.id())) { "Edit" } } }
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
    let action = saved.map(|p| item_path::<P>(p.id())).unwrap_or(P::PATHS.list.into());
    let value = |name: &str, saved: String| data.get(name).map(str::to_string).unwrap_or(saved);
    let name = value("name", saved.map(|p| p.name().to_string()).unwrap_or_default());
    let is_default = saved.is_some_and(|p| p.is_default()) || data.checked("is_default");
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
        @if let Some(p) = saved.filter(|p| !p.is_default()) {
            form method="post" action=(P::PATHS.delete.replace("{id}", &p.id().to_string())) {
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
    Ok(ui::page(&viewer, &format!("Profile: {}", p.name()), body))
}

async fn create<P: Profile>(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let input = match validate::<P>(&data) {
        Ok(i) => i,
        Err(e) => {
            return Ok(ui::invalid(ui::page(&viewer, &new_title::<P>(), form::<P>(&viewer, None, &data, &e))))
        }
    };
    let conn = state.db.connect().await?;
    let id = save::<P>(&conn, None, &input, shared::time::now()).await?;
    let details = format!("Created {} profile {} (#{id})", P::KIND, input.name);
    common::log(&state, &viewer, &client, &format!("{}.created", P::AUDIT), &details, None).await?;
    Ok(flash_redirect(P::PATHS.list, &format!("Profile {} created.", input.name), client.secure))
}

async fn update<P: Profile>(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
    data: FormData,
) -> AppResult<Response> {
    let conn = state.db.connect().await?;
    let old = load::<P>(&conn, id).await?;
    let input = match validate::<P>(&data) {
        Ok(i) => i,
        Err(e) => {
            let body = form::<P>(&viewer, Some(&old), &data, &e);
            return Ok(ui::invalid(ui::page(&viewer, &format!("Profile: {}", old.name()), body)));
        }
    };
    save::<P>(&conn, Some(id), &input, shared::time::now()).await?;
    let details =
        format!("Updated {} profile {} (#{id}): {}", P::KIND, input.name, P::describe(&input.settings));
    common::log(&state, &viewer, &client, &format!("{}.updated", P::AUDIT), &details, None).await?;
    Ok(flash_redirect(P::PATHS.list, &format!("Profile {} saved.", input.name), client.secure))
}

async fn remove<P: Profile>(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let conn = state.db.connect().await?;
    let p = load::<P>(&conn, id).await?;
    if p.is_default() {
        let why = "The default profile cannot be deleted: make another profile the default first.";
        return Ok(flash_redirect(P::PATHS.list, why, client.secure));
    }
    delete::<P>(&conn, id).await?;
    let details = format!("Deleted {} profile {} (#{id})", P::KIND, p.name());
    common::log(&state, &viewer, &client, &format!("{}.deleted", P::AUDIT), &details, None).await?;
    Ok(flash_redirect(P::PATHS.list, &format!("Profile {} deleted.", p.name()), client.secure))
}
