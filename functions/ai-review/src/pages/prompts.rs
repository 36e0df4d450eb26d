//! AI prompts: Title | Provider / Model | System prompt preview. Named prompts staff run on a ticket;
//! admins and owners create, edit and delete them.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::{Role, Viewer};
use shared::form_post::{Post, Saved};
use shared::ui::form::{field, text_input, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input};
use shared::{AppError, AppResult, AppState};

use crate::prompts::{self, NamedPrompt};
use crate::settings;

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let all = prompts::list(&state.db).await?;
    let cfg = settings::load(&state.db).await?;
    let provider = url::Url::parse(&cfg.base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let admin = viewer.is(Role::Admin);
    let rows: Vec<Markup> = all
        .iter()
        .map(|p| {
            let model = p.model.clone().unwrap_or_else(|| format!("{} (default)", cfg.model));
            html! { tr {
                td { @if admin { a href=(format!("/ai/prompts/{}", p.id)) { (p.title) } } @else { (p.title) } }
                td { (provider) " / " (model) }
                td { (ui::cut(&p.system_prompt, 90)) }
            } }
        })
        .collect();
    let empty = if admin {
        ui::empty_state(
            "No prompts yet. Add one, then run it from a ticket page.",
            Some(("/ai/prompts/new", "Add a prompt")),
        )
    } else {
        ui::empty_state("No prompts yet. Ask an admin to add one.", None)
    };
    let content = html! {
        p.help { "Named prompts staff can run on a ticket (AI on the ticket page)." }
        @if admin { p.actions { a.button href="/ai/prompts/new" { "Add prompt" } } }
        (ui::table(&[col("Title"), col("Provider / Model"), col("System prompt preview")], &rows, empty))
    };
    Ok(ui::page(&viewer, "AI prompts", content))
}

fn form(viewer: &Viewer, prompt: Option<&NamedPrompt>, data: &FormData, errors: &FormErrors) -> Markup {
    let action = prompt.map(|p| format!("/ai/prompts/{}", p.id)).unwrap_or_else(|| "/ai/prompts".into());
    let value = |name: &str, saved: Option<&str>| data.get(name).or(saved).unwrap_or("").to_string();
    html! {
        form.card method="post" action=(action) {
            (csrf_input(viewer))
            (field(Field { name: "title", label: "Title", help: None, error: errors.get("title") },
                text_input("title", &value("title", prompt.map(|p| p.title.as_str())), true, "text")))
            (field(Field { name: "model", label: "Model", help: Some("Blank = the default model of AI settings."), error: errors.get("model") },
                text_input("model", &value("model", prompt.and_then(|p| p.model.as_deref())), false, "text")))
            div.field.invalid[errors.get("system_prompt").is_some()] {
                label for="system_prompt" { "System prompt" }
                textarea #system_prompt name="system_prompt" rows="10" cols="90" {
                    (value("system_prompt", prompt.map(|p| p.system_prompt.as_str())))
                }
                @if let Some(e) = errors.get("system_prompt") { p.error { (e) } }
                p.help { "Sent as the system message; the ticket's subject, customer, status and conversation follow as the user message." }
            }
            div.actions {
                button type="submit" { @if prompt.is_some() { "Save prompt" } @else { "Add prompt" } }
                a href="/ai/prompts" { "Cancel" }
            }
        }
        @if let Some(p) = prompt {
            form method="post" action=(format!("/ai/prompts/{}/delete", p.id)) {
                (csrf_input(viewer))
                button.danger type="submit" data-confirm={ "Delete the prompt “" (p.title) "”? Staff can no longer run it on tickets." } { "Delete prompt" }
            }
        }
    }
}

fn validate(data: &FormData) -> Result<NamedPrompt, FormErrors> {
    let mut errors = FormErrors::default();
    let title = data.text("title");
    if title.is_empty() || title.chars().count() > 80 {
        errors.add("title", "Enter a title of up to 80 characters.");
    }
    let model = data.text("model");
    if model.chars().count() > 100 || model.contains(char::is_whitespace) {
        errors.add("model", "Enter a model name without spaces, or leave it blank.");
    }
    let system_prompt = data.get("system_prompt").unwrap_or("").trim().to_string();
    if system_prompt.is_empty() || system_prompt.chars().count() > 8000 {
        errors.add("system_prompt", "Write the prompt, up to 8000 characters.");
    }
    errors.or_ok(|| NamedPrompt { id: 0, title, model: Some(model).filter(|m| !m.is_empty()), system_prompt })
}

pub async fn new_page(viewer: Viewer) -> Markup {
    ui::page(&viewer, "Add AI prompt", form(&viewer, None, &FormData::default(), &FormErrors::default()))
}

/// What saving or deleting prompt `id` did, for the log and the flash message.
fn saved(id: i64, p: &NamedPrompt, action: &'static str, verb: &str) -> Saved {
    let (details, flash) = (format!("#{id} {}", p.title), format!("Prompt {} {verb}.", p.title));
    Saved { action, details, panel: None, to: "/ai/prompts".into(), flash }
}

pub async fn create(post: Post) -> AppResult<Response> {
    let page = async |e: FormErrors| {
        Ok(ui::page(&post.viewer, "Add AI prompt", form(&post.viewer, None, &post.data, &e)))
    };
    let save = async |p: NamedPrompt| {
        let id = prompts::save(&post.state.db, None, &p, post.viewer.id()).await?;
        Ok(Ok(saved(id, &p, "ai.prompt.created", "added")))
    };
    post.submit(validate(&post.data), page, save).await
}

async fn load(state: &AppState, id: i64) -> AppResult<NamedPrompt> {
    prompts::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("That prompt"))
}

pub async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    let p = load(&state, id).await?;
    Ok(ui::page(
        &viewer,
        &format!("AI prompt: {}", p.title),
        form(&viewer, Some(&p), &FormData::default(), &FormErrors::default()),
    ))
}

pub async fn update(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let old = load(&post.state, id).await?;
    let page = async |e: FormErrors| {
        let title = format!("AI prompt: {}", old.title);
        Ok(ui::page(&post.viewer, &title, form(&post.viewer, Some(&old), &post.data, &e)))
    };
    let save = async |p: NamedPrompt| {
        prompts::save(&post.state.db, Some(id), &p, post.viewer.id()).await?;
        Ok(Ok(saved(id, &p, "ai.prompt.updated", "saved")))
    };
    post.submit(validate(&post.data), page, save).await
}

pub async fn delete(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let p = load(&post.state, id).await?;
    prompts::delete(&post.state.db, id).await?;
    post.done(saved(id, &p, "ai.prompt.deleted", "deleted")).await
}
