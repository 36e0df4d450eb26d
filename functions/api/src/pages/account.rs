//! My account: change password, see own sessions, sign other sessions out.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;

use shared::auth::guard::flash_redirect;
use shared::auth::{session, staff, throttle, ClientInfo, Viewer};
use shared::crypto::verify_password;
use shared::ui::form::{field, text_input, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input};
use shared::{AppError, AppResult, AppState};

use crate::audit_log::log;

async fn render(state: &AppState, viewer: &Viewer, errors: &FormErrors) -> AppResult<maud::Markup> {
    let sessions = session::list_for(&state.db, viewer.id()).await?;
    let rows: Vec<_> = sessions
        .iter()
        .map(|s| {
            html! { tr {
                td { (ui::time(s.created_at)) }
                td { (ui::time(s.last_seen_at)) }
                td { (s.ip) }
                td { (ui::cut(&s.user_agent, 60)) }
                td {
                    @if s.id == viewer.session_id { span.label.ok { "This session" } }
                    @else {
                        form method="post" action={ "/account/sessions/" (s.id) "/end" } {
                            (csrf_input(viewer))
                            button.secondary type="submit" { "Sign out" }
                        }
                    }
                }
            } }
        })
        .collect();
    let content = html! {
        div.grid2 {
            div.card {
                h2 { "Change password" }
                form method="post" action="/account/password" {
                    (csrf_input(viewer))
                    (field(Field { name: "current", label: "Current password", help: None, error: errors.get("current") },
                        text_input("current", "", true, "password")))
                    (field(Field { name: "password", label: "New password",
                        help: Some("At least 10 characters; not a common password."), error: errors.get("password") },
                        text_input("password", "", true, "password")))
                    (field(Field { name: "confirm", label: "Repeat the new password", help: None, error: errors.get("confirm") },
                        text_input("confirm", "", true, "password")))
                    button type="submit" { "Change password" }
                }
            }
            div.card {
                h2 { "Account" }
                p { "Username: " strong { (viewer.staff.username) } }
                p { "Role: " (viewer.role().label()) }
            }
        }
        h2 { "Your sessions" }
        (ui::table(&[col("Signed in"), col("Last seen"), col("IP"), col("Device"), col("")], &rows,
            ui::empty_state("No sessions.", None)))
        @if sessions.len() > 1 {
            form.actions method="post" action="/account/sessions/end-others" {
                (csrf_input(viewer))
                button.danger type="submit" data-confirm="Sign out every other session of yours?" { "Sign out all other sessions" }
            }
        }
    };
    Ok(ui::page(viewer, "My account", content))
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> AppResult<maud::Markup> {
    render(&state, &viewer, &FormErrors::default()).await
}

pub async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let mut errors = FormErrors::default();
    // The current password is guessed no faster here than at sign-in (a session left open must not
    // let anyone try passwords unthrottled): the same limits, per username and address.
    let attempt = match throttle::begin(&state.db, &viewer.staff.username, &client.ip).await {
        Ok(a) => Some(a),
        Err(AppError::TooManyRequests { message, .. }) => {
            errors.add("current", message);
            None
        }
        Err(e) => return Err(e),
    };
    let hash = staff::password_hash(&state.db, viewer.id()).await?;
    let new = data.get("password").unwrap_or("");
    if let Some(attempt) = attempt {
        if verify_password(data.get("current").unwrap_or(""), &hash) {
            throttle::succeeded(&state.db, attempt, &viewer.staff.username, &client.ip).await?;
        } else {
            errors.add("current", "That is not your current password.");
        }
    }
    if let Err(e) = shared::auth::password::check(new, &viewer.staff.username) {
        errors.add("password", e);
    } else if data.get("confirm") != Some(new) {
        errors.add("confirm", "The two passwords differ.");
    }
    if !errors.is_empty() {
        let body = render(&state, &viewer, &errors).await?;
        return Ok(shared::ui::invalid(body));
    }
    staff::set_password(&state.db, viewer.id(), &viewer.staff.username, new).await?;
    let ended = session::delete_all_for(&state.db, viewer.id(), Some(viewer.session_id)).await?;
    log(
        &state,
        &viewer,
        &client,
        "account.password_changed",
        &format!("Other sessions ended: {ended}"),
        None,
    )
    .await?;
    Ok(flash_redirect("/account", "Password changed. Your other sessions were signed out.", client.secure))
}

pub async fn end_session(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    if id == viewer.session_id {
        return Err(AppError::bad_request("Use Sign out to end this session."));
    }
    if !session::delete_own(&state.db, viewer.id(), id).await? {
        return Err(AppError::not_found("That session"));
    }
    log(&state, &viewer, &client, "account.session_ended", &format!("Session {id}"), None).await?;
    Ok(flash_redirect("/account", "Session signed out.", client.secure))
}

pub async fn end_others(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
) -> AppResult<Response> {
    let n = session::delete_all_for(&state.db, viewer.id(), Some(viewer.session_id)).await?;
    log(&state, &viewer, &client, "account.sessions_ended", &format!("{n} other sessions"), None).await?;
    Ok(flash_redirect("/account", &format!("Signed out {n} other session(s)."), client.secure))
}
