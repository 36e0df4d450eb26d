//! Sign-in and sign-out.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use shared::audit::{self, Actor};
use shared::auth::{cookies, session, staff, throttle, ClientInfo, Viewer};
use shared::crypto::{burn_password_check, random_token, same_token, verify_password};
use shared::ui::form::FormData;
use shared::{AppError, AppResult, AppState};

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

/// Only same-site paths: never an open redirect.
fn safe_next(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and newlines and read `\` as `/`, so `/\t/evil.com` would leave the site.
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

fn with_cookies(status: StatusCode, body: Markup, set: &[String]) -> Response {
    let mut res = (status, Html(body.into_string())).into_response();
    for c in set {
        if let Ok(v) = HeaderValue::from_str(c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// The sign-in form with a fresh double-submit CSRF token (there is no session yet).
fn form(
    status: StatusCode,
    client: &ClientInfo,
    username: &str,
    next: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let token = random_token();
    let body = shared::ui::bare_page(
        "Sign in",
        html! {
            @if let Some(n) = notice { div.flash role="status" { (n) } }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="next" value=(next);
                div.field {
                    label for="username" { "Username" }
                    input #username type="text" name="username" value=(username) autocomplete="username" required autofocus;
                }
                div.field {
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                }
                button type="submit" { "Sign in" }
            }
        },
    );
    let cookie = cookies::build(cookies::LOGIN_CSRF, &token, Some(3600), client.secure);
    with_cookies(status, body, &[cookie])
}

pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientInfo,
    Query(q): Query<LoginQuery>,
) -> AppResult<Response> {
    if staff::count(&state.db).await? == 0 {
        return Ok(Redirect::to("/setup").into_response());
    }
    let next = safe_next(q.next.as_deref());
    if let Some(token) = cookies::get(&headers, cookies::SESSION) {
        if session::find(&state.db, &state.config, &token).await?.is_some() {
            return Ok(Redirect::to(&next).into_response());
        }
    }
    let notice = q.signed_out.is_some().then_some("You are signed out.");
    Ok(form(StatusCode::OK, &client, "", &next, notice, None))
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let username = data.text("username");
    let password = data.get("password").unwrap_or("").to_string();
    let next = safe_next(data.get("next"));
    let cookie_token = cookies::get(&headers, cookies::LOGIN_CSRF).unwrap_or_default();
    let form_token = data.text("csrf");
    if cookie_token.is_empty() || !same_token(&cookie_token, &form_token) {
        let msg = "This sign-in form has expired. Try again.";
        return Ok(form(StatusCode::FORBIDDEN, &client, &username, &next, None, Some(msg)));
    }
    if username.is_empty() || password.is_empty() {
        let msg = "Enter your username and password.";
        return Ok(form(StatusCode::BAD_REQUEST, &client, &username, &next, None, Some(msg)));
    }
    let attempt = match throttle::begin(&state.db, &username, &client.ip).await {
        Ok(a) => a,
        Err(AppError::TooManyRequests { message, retry_after_secs }) => {
            let actor = Actor { staff_id: None, username: &username, client: &client };
            audit::record(&state.db, &actor, "login.throttled", "Sign-in refused: too many failures", None)
                .await?;
            let mut res =
                form(StatusCode::TOO_MANY_REQUESTS, &client, &username, &next, None, Some(&message));
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(res);
        }
        Err(e) => return Err(e),
    };
    let found = staff::find_for_login(&state.db, &username).await?;
    let member = match found {
        // The hash is checked for inactive members too: answering faster would reveal the account.
        Some((member, hash)) => (verify_password(&password, &hash) && member.active).then_some(member),
        None => {
            // Same work as a real check, so timing does not reveal which usernames exist.
            burn_password_check(&password);
            None
        }
    };
    let Some(member) = member else {
        // The attempt was counted as a failure when it began.
        let actor = Actor { staff_id: None, username: &username, client: &client };
        audit::record(&state.db, &actor, "login.failed", "Wrong username or password", None).await?;
        let msg = "Wrong username or password.";
        return Ok(form(StatusCode::UNAUTHORIZED, &client, &username, &next, None, Some(msg)));
    };
    throttle::succeeded(&state.db, attempt, &username, &client.ip).await?;
    let new = session::create(&state.db, &state.config, member.id, &client.ip, &client.user_agent).await?;
    staff::mark_login(&state.db, member.id).await?;
    let actor = Actor { staff_id: Some(member.id), username: &member.username, client: &client };
    audit::record(&state.db, &actor, "login", "Signed in", None).await?;
    let mut res = Redirect::to(&next).into_response();
    let max_age = state.config.session_absolute_hours * 3600;
    for c in [
        cookies::build(cookies::SESSION, &new.token, Some(max_age), client.secure),
        cookies::clear(cookies::LOGIN_CSRF, client.secure),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
) -> AppResult<Response> {
    session::delete(&state.db, viewer.session_id).await?;
    crate::audit_log::log(&state, &viewer, &client, "logout", "Signed out", None).await?;
    let mut res = Redirect::to("/login?signed_out=1").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookies::clear(cookies::SESSION, client.secure)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_never_offsite() {
        assert_eq!(safe_next(Some("/panels?x=1")), "/panels?x=1");
        assert_eq!(safe_next(Some("//evil.com")), "/");
        assert_eq!(safe_next(Some("https://evil.com")), "/");
        assert_eq!(safe_next(Some("/\\evil.com")), "/");
        assert_eq!(safe_next(Some("/\t/evil.com")), "/");
        assert_eq!(safe_next(Some("/\n/evil.com")), "/");
        assert_eq!(safe_next(Some("/x\\/evil.com")), "/");
        assert_eq!(safe_next(Some("/orders?q=a%20b")), "/orders?q=a%20b");
        assert_eq!(safe_next(None), "/");
    }
}
