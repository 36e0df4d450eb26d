//! The panel's support response target (Ticket tracking → Response times counts the tickets that
//! waited longer for their first staff reply), edited on the panel's settings page.

use axum::extract::Path;
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::Viewer;
use shared::form_post::{Post, Saved};
use shared::ui::{csrf_input, link};
use shared::{AppError, AppResult, AppState};

/// Longest target accepted: a week.
const MAX_MINUTES: i64 = 7 * 24 * 60;

/// The stored target in minutes.
pub async fn minutes(state: &AppState, id: i64) -> AppResult<i64> {
    let conn = state.db.connect().await?;
    let mut rows = conn.query("SELECT response_target_minutes FROM panels WHERE id = ?1", [id]).await?;
    match rows.next().await? {
        Some(r) => Ok(r.get(0)?),
        None => Err(AppError::not_found("That panel")),
    }
}

/// The form under the panel's settings.
pub fn section(viewer: &Viewer, id: i64, minutes: i64) -> Markup {
    html! {
        form.card method="post" action={ "/panels/" (id) "/response-target" } {
            (csrf_input(viewer))
            h2 { "Support response target" }
            div.field {
                label for="response_target" { "First staff reply within (minutes)" }
                input #response_target type="number" name="minutes" min="1" max=(MAX_MINUTES) required value=(minutes);
                p.help { "Ticket tracking → Response times counts the tickets of this panel that waited longer." }
            }
            button type="submit" { "Save target" }
        }
    }
}

pub async fn save(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    post.viewer.scope().check(id)?;
    let minutes = post
        .data
        .get("minutes")
        .and_then(|m| m.trim().parse::<i64>().ok())
        .filter(|m| (1..=MAX_MINUTES).contains(m))
        .ok_or_else(|| {
            AppError::bad_request(format!(
                "The target must be a whole number of minutes from 1 to {MAX_MINUTES}."
            ))
        })?;
    let conn = post.state.db.connect().await?;
    let changed = conn
        .execute("UPDATE panels SET response_target_minutes = ?2 WHERE id = ?1", libsql::params![id, minutes])
        .await?;
    if changed == 0 {
        return Err(AppError::not_found("That panel"));
    }
    drop(conn);
    post.done(Saved {
        action: "panel.updated",
        details: format!("response target {minutes} min"),
        panel: Some(id),
        to: link(&post.viewer, &format!("/panels/{id}")),
        flash: format!("Response target set to {minutes} minutes."),
    })
    .await
}
