//! AI Quality Analyzer Prompt: the owner's instructions to the reviewer. The rule demanding the JSON
//! schema is appended by code whatever is written here; each save is a new version, used only by later
//! reviews (stored results keep the version they used).

use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Viewer};
use shared::ui::form::FormData;
use shared::ui::{self, csrf_input};
use shared::{AppResult, AppState};

use crate::prompts::{quality_current, quality_save, quality_versions, QualityPrompt, SCHEMA_RULE};

fn content(
    viewer: &Viewer,
    current: &QualityPrompt,
    body: &str,
    versions: &[QualityPrompt],
    error: Option<&str>,
) -> Markup {
    html! {
        p.help { "This prompt is used when staff replies are sent to the model for review. The rule that demands the answer in the \
            {\"verdict\":\"good|mediocre|bad\",\"flags\":[...],\"reasoning\":\"...\",\"suggestion\":\"...\"} JSON schema is always added after it. \
            When you update the prompt, later reviews use the new prompt; stored results stay as they are." }
        form.card method="post" action="/ai/quality-prompt" {
            (csrf_input(viewer))
            div.field.invalid[error.is_some()] {
                label for="body" { "AI Quality Analyzer Prompt" }
                textarea #body name="body" rows="12" cols="90" { (body) }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                p.help { "In use: " @if current.version == 0 { "the built-in default" } @else { "version " (current.version) } "." }
            }
            div.field {
                label { "Always appended by the console" }
                pre.wrap { (SCHEMA_RULE) }
            }
            div.actions { button type="submit" { "Save as a new version" } a href="/ai/settings" { "AI settings" } }
        }
        h2 { "Versions" }
        @if versions.is_empty() {
            p.muted { "No saved versions yet: the built-in default is in use." }
        } @else {
            ul {
                @for v in versions {
                    li { "Version " (v.version) " · " (ui::time(v.created_at)) " · " (v.created_by.as_deref().unwrap_or("—"))
                         " · " span.muted { (ui::cut(&v.body, 120)) } }
                }
            }
        }
    }
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let current = quality_current(&state.db).await?;
    let versions = quality_versions(&state.db, 20).await?;
    Ok(ui::page(
        &viewer,
        "AI Quality Analyzer Prompt",
        content(&viewer, &current, &current.body, &versions, None),
    ))
}

pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let body = data.get("body").unwrap_or("").trim().to_string();
    let error = if body.is_empty() {
        Some("Write the prompt (or keep the default text).")
    } else if body.chars().count() > 8000 {
        Some("Keep the prompt under 8000 characters.")
    } else {
        None
    };
    if let Some(e) = error {
        let current = quality_current(&state.db).await?;
        let versions = quality_versions(&state.db, 20).await?;
        let page = content(&viewer, &current, &body, &versions, Some(e));
        return Ok(ui::invalid(ui::page(&viewer, "AI Quality Analyzer Prompt", page)));
    }
    let version = quality_save(&state.db, &body, viewer.id()).await?;
    crate::log(&state, &viewer, &client, "ai.quality_prompt", &format!("saved version {version}"), None)
        .await?;
    Ok(flash_redirect("/ai/quality-prompt", &format!("Prompt saved as version {version}."), client.secure))
}
