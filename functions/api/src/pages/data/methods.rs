//! Payment methods: Internal name | Display name | Min | Max. Maps the method names panels send to the
//! names staff know, and gives the bounds the fraud risk checks deposits against.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};
use shared::db::{read_all, Read, Reads, Stmt};

use shared::auth::{Role, Viewer};
use shared::db::rows::opt_i64;
use shared::form_post::{Post, Saved};
use shared::pp::money;
use shared::ui::form::{field, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input, num};
use shared::{AppError, AppResult, AppState};

pub struct Method {
    pub id: i64,
    pub internal_name: String,
    pub display_name: String,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// Every payment method, by display name: to read along with a page's other reads.
pub fn all(reads: &mut Reads) -> Read<Method> {
    reads.add(
        Stmt::new(
            "SELECT id, internal_name, display_name, min_amount, max_amount FROM payment_methods
             ORDER BY display_name COLLATE NOCASE",
            (),
        ),
        |r| {
            Ok(Method {
                id: r.get(0)?,
                internal_name: r.get(1)?,
                display_name: r.get(2)?,
                min: opt_i64(r, 3)?,
                max: opt_i64(r, 4)?,
            })
        },
    )
}

/// A payment's method as staff know it: its display name, the panel's own name on hover.
pub fn method_name(known: &[Method], internal: Option<&str>) -> maud::Markup {
    let shown = internal
        .map(|m| known.iter().find(|k| k.internal_name == m).map(|k| k.display_name.as_str()).unwrap_or(m));
    maud::html! {
        @if let (Some(m), Some(shown)) = (internal, shown) { span title=(m) { (shown) } }
    }
}

fn amount(v: Option<i64>) -> String {
    v.map(money::format).unwrap_or_default()
}

fn form(viewer: &Viewer, m: Option<&Method>, data: &FormData, errors: &FormErrors) -> Markup {
    let action = m.map(|m| format!("/payment-methods/{}", m.id)).unwrap_or_else(|| "/payment-methods".into());
    let val =
        |name: &str, saved: Option<String>| data.get(name).map(str::to_string).or(saved).unwrap_or_default();
    html! {
        form.card method="post" action=(action) {
            (csrf_input(viewer))
            (field(Field { name: "internal_name", label: "Internal name",
                help: Some("Exactly as the panel names the method in payments."), error: errors.get("internal_name") },
                html! { input #internal_name name="internal_name" value=(val("internal_name", m.map(|m| m.internal_name.clone()))) required maxlength="100"; }))
            (field(Field { name: "display_name", label: "Display name", help: None, error: errors.get("display_name") },
                html! { input #display_name name="display_name" value=(val("display_name", m.map(|m| m.display_name.clone()))) required maxlength="100"; }))
            (field(Field { name: "min", label: "Min", help: Some("Smallest normal deposit; blank for none."), error: errors.get("min") },
                html! { input #min name="min" inputmode="decimal" value=(val("min", m.map(|m| amount(m.min)))); }))
            (field(Field { name: "max", label: "Max", help: Some("Largest normal deposit; blank for none."), error: errors.get("max") },
                html! { input #max name="max" inputmode="decimal" value=(val("max", m.map(|m| amount(m.max)))); }))
            button type="submit" { @if m.is_some() { "Save" } @else { "Add payment method" } }
        }
    }
}

struct Input {
    internal_name: String,
    display_name: String,
    min: Option<i64>,
    max: Option<i64>,
}

fn validate(data: &FormData) -> Result<Input, FormErrors> {
    let mut errors = FormErrors::default();
    let internal_name = data.text("internal_name");
    let display_name = data.text("display_name");
    if internal_name.is_empty() || internal_name.chars().count() > 100 {
        errors.add("internal_name", "Enter the method's name as the panel sends it (up to 100 characters).");
    }
    if display_name.is_empty() || display_name.chars().count() > 100 {
        errors.add("display_name", "Enter the name staff should see (up to 100 characters).");
    }
    let mut bound = |name: &'static str| match data.text(name).as_str() {
        "" => None,
        v => match money::parse_decimal(v).filter(|m| *m >= 0) {
            Some(m) => Some(m),
            None => {
                errors.add(name, "Enter an amount like 10 or 10.50.");
                None
            }
        },
    };
    let (min, max) = (bound("min"), bound("max"));
    if let (Some(a), Some(b)) = (min, max) {
        if a > b {
            errors.add("max", "Max must be at least Min.");
        }
    }
    errors.or_ok(|| Input { internal_name, display_name, min, max })
}

fn content(viewer: &Viewer, all: &[Method], data: &FormData, errors: &FormErrors) -> Markup {
    let admin = viewer.is(Role::Admin);
    let rows: Vec<Markup> = all
        .iter()
        .map(|m| html! { tr {
            td { code { (m.internal_name) } }
            td { @if admin { a href={ "/payment-methods/" (m.id) } { (m.display_name) } } @else { (m.display_name) } }
            td.num { (m.min.map(|v| money::display(v, None)).unwrap_or_default()) }
            td.num { (m.max.map(|v| money::display(v, None)).unwrap_or_default()) }
        } })
        .collect();
    html! {
        (ui::table(&[col("Internal name"), col("Display name"), num("Min"), num("Max")], &rows,
            ui::empty_state("No payment methods yet. Payments show the panel's own method names until you add them.", None)))
        @if admin { h2 { "Add payment method" } (form(viewer, None, data, errors)) }
    }
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let conn = state.db.connect().await?;
    let all = read_all(&conn, all).await?;
    Ok(ui::page(
        &viewer,
        "Payment methods",
        content(&viewer, &all, &FormData::default(), &FormErrors::default()),
    ))
}

async fn save(state: &AppState, id: Option<i64>, i: &Input) -> AppResult<Result<(), String>> {
    let conn = state.db.connect().await?;
    let mut rows = conn
        .query("SELECT id FROM payment_methods WHERE internal_name = ?1", [i.internal_name.as_str()])
        .await?;
    if let Some(r) = rows.next().await? {
        if Some(r.get::<i64>(0)?) != id {
            return Ok(Err("That internal name already has a payment method.".into()));
        }
    }
    drop(rows);
    let tx = shared::db::write_tx(&conn).await?;
    match id {
        Some(id) => {
            tx.execute(
                "UPDATE payment_methods SET internal_name = ?1, display_name = ?2, min_amount = ?3, max_amount = ?4 WHERE id = ?5",
                libsql::params![i.internal_name.as_str(), i.display_name.as_str(), i.min, i.max, id],
            )
            .await?
        }
        None => {
            tx.execute(
                "INSERT INTO payment_methods (internal_name, display_name, min_amount, max_amount, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                libsql::params![i.internal_name.as_str(), i.display_name.as_str(), i.min, i.max, shared::time::now()],
            )
            .await?
        }
    };
    tx.commit().await?;
    Ok(Ok(()))
}

/// A saved method's log entry and message; a name another method has is the name field's error.
fn saved(
    input: &Input,
    stored: Result<(), String>,
    action: &'static str,
    verb: &str,
) -> Result<Saved, FormErrors> {
    let details = format!("{} → {}", input.internal_name, input.display_name);
    stored.map_err(|msg| FormErrors::one("internal_name", msg))?;
    Ok(Saved {
        action,
        flash: format!("{verb} {details}."),
        details,
        panel: None,
        to: "/payment-methods".into(),
    })
}

pub async fn create(post: Post) -> AppResult<Response> {
    let page = async |errors: FormErrors| {
        let all = read_all(&post.state.db.connect().await?, all).await?;
        Ok(ui::page(&post.viewer, "Payment methods", content(&post.viewer, &all, &post.data, &errors)))
    };
    let save = async |input: Input| {
        Ok(saved(&input, save(&post.state, None, &input).await?, "payment_method.created", "Added"))
    };
    post.submit(validate(&post.data), page, save).await
}

async fn load(state: &AppState, id: i64) -> AppResult<Method> {
    let conn = state.db.connect().await?;
    read_all(&conn, all)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| AppError::not_found("That payment method"))
}

pub async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    let m = load(&state, id).await?;
    let content = html! {
        (form(&viewer, Some(&m), &FormData::default(), &FormErrors::default()))
        form method="post" action={ "/payment-methods/" (m.id) "/delete" } {
            (csrf_input(&viewer))
            button.danger type="submit" data-confirm={ "Delete " (m.display_name) "? Payments will show “" (m.internal_name)
                "” again and lose its Min/Max check." } { "Delete" }
        }
    };
    Ok(ui::page(&viewer, "Edit payment method", content))
}

pub async fn update(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let m = load(&post.state, id).await?;
    let page = async |errors: FormErrors| {
        Ok(ui::page(&post.viewer, "Edit payment method", form(&post.viewer, Some(&m), &post.data, &errors)))
    };
    let save = async |input: Input| {
        Ok(saved(&input, save(&post.state, Some(id), &input).await?, "payment_method.updated", "Saved"))
    };
    post.submit(validate(&post.data), page, save).await
}

pub async fn delete(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let m = load(&post.state, id).await?;
    post.state
        .db
        .connect()
        .await?
        .write_batch(vec![Stmt::new("DELETE FROM payment_methods WHERE id = ?1", [id])])
        .await?;
    let flash = format!("Deleted {}.", m.display_name);
    post.done(Saved {
        action: "payment_method.deleted",
        details: m.internal_name,
        panel: None,
        to: "/payment-methods".into(),
        flash,
    })
    .await
}
