//! AI on a ticket: analysis (the AI Analysis prompt or a named prompt), translation of the conversation,
//! and a staff draft translated into the customer's language. Each renders its answer on a page with a
//! way back to the ticket; no script needed. Agents and above, on their allowed panels.

use shared::auth::InScope;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup};

use shared::auth::{ClientInfo, Viewer};
use shared::ui;
use shared::ui::form::FormData;
use shared::{AppError, AppResult, AppState};

use crate::client::LlmError;
use crate::conversation::{self, Ticket};
use crate::prompts;
use crate::settings;
use crate::ticket_ai::{self, StoredResult, Task};

async fn load(state: &AppState, panel_id: i64, ticket_id: i64) -> AppResult<Ticket> {
    conversation::load(&state.db, panel_id, ticket_id, None)
        .await?
        .ok_or_else(|| AppError::not_found("That ticket (not in the cache yet; wait for the next sync)"))
}

fn back(t: &Ticket) -> String {
    format!("/tickets/{}/{}", t.panel_id, t.id)
}

/// The result page: the answer as plain text (model output is never trusted as HTML).
fn result_page(viewer: &Viewer, t: &Ticket, r: &StoredResult) -> Markup {
    let content = html! {
        p { a href=(back(t)) { "← Back to ticket #" (t.id) } }
        div.card {
            p.muted { (viewer.panel_name(t.panel_id)) " · ticket #" (t.id) " · " (t.subject) }
            pre.wrap.ai-output { (r.output) }
            p.muted { "Model: " (r.model) " · " (r.tokens) " tokens · " (ui::time(r.created_at)) " · stored with the ticket" }
        }
        p { a href=(back(t)) { "Back to the ticket" } }
    };
    ui::page(viewer, &r.title, content)
}

/// The draft-translation form holding `draft`: after a failure the staff member's text is not lost.
fn draft_form(viewer: &Viewer, t: &Ticket, draft: &str) -> Markup {
    html! {
        form.card method="post" action={ "/ai/tickets/" (t.panel_id) "/" (t.id) "/translate-draft" } {
            (ui::csrf_input(viewer))
            div.field {
                label for="draft" { "Your draft" }
                textarea #draft name="draft" rows="6" required maxlength="8000" { (draft) }
            }
            button type="submit" { "Translate draft" }
        }
    }
}

/// `waited`: how long the page waited for the model (`ai_page_timeout`).
fn failure_page(
    viewer: &Viewer,
    t: &Ticket,
    e: &LlmError,
    retry: Option<Markup>,
    waited: Duration,
) -> Response {
    let (status, hint) = match e {
        LlmError::NotConfigured => {
            (StatusCode::BAD_REQUEST, "An owner sets the provider and key in AI settings.".to_string())
        }
        LlmError::KeyUnreadable => {
            (StatusCode::INTERNAL_SERVER_ERROR, "Nothing was sent or stored.".to_string())
        }
        LlmError::Timeout => (
            StatusCode::GATEWAY_TIMEOUT,
            format!(
                "A page waits at most {} s for the model (the gateway ends a request at 30 s). Nothing \
                 was stored. Try again, or choose a faster model in AI settings.",
                waited.as_secs()
            ),
        ),
        _ => (StatusCode::BAD_GATEWAY, "Nothing was stored. Try again in a minute.".to_string()),
    };
    let content = html! {
        p.error role="alert" { (e.to_string()) }
        p { (hint) }
        @if let Some(form) = retry { (form) }
        p { a href=(back(t)) { "← Back to ticket #" (t.id) } }
    };
    (status, Html(ui::page(viewer, "AI answer not available", content).into_string())).into_response()
}

async fn execute(
    state: &AppState,
    viewer: &Viewer,
    client: &ClientInfo,
    t: &Ticket,
    task: Task<'_>,
    details: String,
) -> AppResult<Response> {
    let retry = match &task {
        Task::TranslateDraft(draft) => Some(draft_form(viewer, t, draft)),
        _ => None,
    };
    let cfg = settings::load(&state.db).await?;
    match ticket_ai::run(state, &cfg, t, &task, viewer.id()).await? {
        Ok(r) => {
            let action = format!("ai.{}", task.kind());
            crate::log(state, viewer, client, &action, &details, Some(t.panel_id)).await?;
            Ok(Html(result_page(viewer, t, &r).into_string()).into_response())
        }
        Err(e) => Ok(failure_page(viewer, t, &e, retry, state.config.ai_page_timeout)),
    }
}

/// Form field `prompt_id` (optional): a named prompt; absent or blank = the AI Analysis prompt.
pub async fn analyze(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    InScope((panel_id, ticket_id)): InScope<(i64, i64)>,
    data: FormData,
) -> AppResult<Response> {
    let t = load(&state, panel_id, ticket_id).await?;
    let prompt_id = data.text("prompt_id");
    if prompt_id.is_empty() {
        let details = format!("ticket #{ticket_id}: AI analysis");
        return execute(&state, &viewer, &client, &t, Task::Analysis, details).await;
    }
    let id: i64 =
        prompt_id.parse().map_err(|_| AppError::bad_request("prompt_id must be a prompt's number."))?;
    let p = prompts::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("That prompt"))?;
    let details = format!("ticket #{ticket_id}: prompt #{} {}", p.id, p.title);
    execute(&state, &viewer, &client, &t, Task::Prompt(&p), details).await
}

pub async fn translate(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    InScope((panel_id, ticket_id)): InScope<(i64, i64)>,
) -> AppResult<Response> {
    let t = load(&state, panel_id, ticket_id).await?;
    if t.messages.is_empty() {
        return Err(AppError::bad_request("This ticket has no messages in the cache to translate yet."));
    }
    let details = format!("ticket #{ticket_id}: conversation translated");
    execute(&state, &viewer, &client, &t, Task::Translate, details).await
}

/// Form field `draft`: the staff reply to translate into the customer's language.
pub async fn translate_draft(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    InScope((panel_id, ticket_id)): InScope<(i64, i64)>,
    data: FormData,
) -> AppResult<Response> {
    let t = load(&state, panel_id, ticket_id).await?;
    let draft = data.get("draft").unwrap_or("").trim().to_string();
    if draft.is_empty() || draft.chars().count() > 8000 {
        // The form again, holding what was typed, with why.
        let content = html! {
            p.error role="alert" { "Write the draft to translate (up to 8000 characters; this one has "
                (draft.chars().count()) ")." }
            (draft_form(&viewer, &t, &draft))
            p { a href=(back(&t)) { "← Back to ticket #" (t.id) } }
        };
        let page = ui::page(&viewer, "Translate a draft", content);
        return Ok((StatusCode::BAD_REQUEST, Html(page.into_string())).into_response());
    }
    let details = format!("ticket #{ticket_id}: draft translated");
    execute(&state, &viewer, &client, &t, Task::TranslateDraft(&draft), details).await
}

/// The AI box for the ticket page `/tickets/{panel_id}/{ticket_id}`: forms posting to the routes above
/// (analysis with a choice of named prompt, translation, draft translation) and the answers stored for
/// this ticket, newest first. Viewers see the stored answers only. The caller has checked the scope.
pub async fn ticket_box(
    state: &AppState,
    viewer: &Viewer,
    panel_id: i64,
    ticket_id: i64,
) -> AppResult<Markup> {
    let stored = ticket_ai::ticket_results(&state.db, panel_id, ticket_id, 10).await?;
    let named =
        if viewer.is(shared::auth::Role::Agent) { prompts::list(&state.db).await? } else { Vec::new() };
    let base = format!("/ai/tickets/{panel_id}/{ticket_id}");
    Ok(html! {
        section.card.ai {
            h2 { "AI" }
            @if viewer.is(shared::auth::Role::Agent) {
                div.actions {
                    form method="post" action={ (base) "/analyze" } {
                        (ui::csrf_input(viewer))
                        label for="ai-prompt" { "Prompt " }
                        select #ai-prompt name="prompt_id" {
                            option value="" { "AI Analysis (default)" }
                            @for p in &named { option value=(p.id) { (p.title) } }
                        }
                        " " button type="submit" { "Analyze" }
                    }
                    form method="post" action={ (base) "/translate" } {
                        (ui::csrf_input(viewer))
                        button.secondary type="submit" { "Translate conversation" }
                    }
                }
                form method="post" action={ (base) "/translate-draft" } {
                    (ui::csrf_input(viewer))
                    label for="ai-draft" { "Draft reply to translate into the customer's language" }
                    textarea #ai-draft name="draft" rows="3" cols="80" {}
                    button.secondary type="submit" { "Translate draft" }
                }
            }
            @for r in &stored {
                details {
                    summary { (r.title) " · " (ui::time(r.created_at)) " · " span.muted { (r.model) } }
                    pre.wrap { (r.output) }
                }
            }
        }
    })
}
