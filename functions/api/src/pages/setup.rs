//! First-run setup: creates the owner, and only while no staff account exists.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;

use shared::audit::{self, Actor};
use shared::auth::staff::{self, NewStaff};
use shared::auth::{cookies, session, ClientInfo, Role};
use shared::crypto::{random_token, same_token};
use shared::ui::form::{field, text_input, Field, FormData, FormErrors};
use shared::{AppError, AppResult, AppState};

fn render(client: &ClientInfo, status: StatusCode, username: &str, errors: &FormErrors) -> Response {
    let token = random_token();
    let body = shared::ui::bare_page(
        "Create the owner account",
        html! {
            p { "No staff account exists yet. The account you create now is the owner: it can add panels, staff and keys." }
            @if let Some(e) = errors.get("form") { p.error role="alert" { (e) } }
            form method="post" action="/setup" {
                input type="hidden" name="csrf" value=(token);
                (field(Field { name: "username", label: "Username",
                    help: Some("3–40 letters, digits, dot, underscore or dash."), error: errors.get("username") },
                    text_input("username", username, true, "text")))
                (field(Field { name: "password", label: "Password",
                    help: Some("At least 10 characters; not a common password."), error: errors.get("password") },
                    text_input("password", "", true, "password")))
                (field(Field { name: "confirm", label: "Repeat the password", help: None, error: errors.get("confirm") },
                    text_input("confirm", "", true, "password")))
                button type="submit" { "Create owner and sign in" }
            }
        },
    );
    let mut res = (status, Html(body.into_string())).into_response();
    if let Ok(v) =
        HeaderValue::from_str(&cookies::build(cookies::LOGIN_CSRF, &token, Some(3600), client.secure))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

async fn setup_done(state: &AppState) -> AppResult<bool> {
    Ok(staff::count(&state.db).await? > 0)
}

pub async fn page(State(state): State<AppState>, client: ClientInfo) -> AppResult<Response> {
    if setup_done(&state).await? {
        return Ok(Redirect::to("/login").into_response());
    }
    Ok(render(&client, StatusCode::OK, "", &FormErrors::default()))
}

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    if setup_done(&state).await? {
        return Err(AppError::NotFound("Setup is already done: sign in instead.".into()));
    }
    let username = data.text("username");
    let password = data.get("password").unwrap_or("");
    let mut errors = FormErrors::default();
    let cookie_token = cookies::get(&headers, cookies::LOGIN_CSRF).unwrap_or_default();
    if cookie_token.is_empty() || !same_token(&cookie_token, &data.text("csrf")) {
        errors.add("form", "This form has expired. Try again.");
        return Ok(render(&client, StatusCode::FORBIDDEN, &username, &errors));
    }
    if let Err(e) = staff::check_username(&username) {
        errors.add("username", e);
    }
    if let Err(e) = shared::auth::password::check(password, &username) {
        errors.add("password", e);
    } else if data.get("confirm") != Some(password) {
        errors.add("confirm", "The two passwords differ.");
    }
    if !errors.is_empty() {
        return Ok(render(&client, StatusCode::BAD_REQUEST, &username, &errors));
    }
    let new = NewStaff {
        username: &username,
        password,
        role: Role::Owner,
        all_panels: true,
        panels: &[],
        only_if_first: true,
    };
    let id = staff::create(&state.db, new).await?;
    let sess = session::create(&state.db, &state.config, id, &client.ip, &client.user_agent).await?;
    staff::mark_login(&state.db, id).await?;
    let actor = Actor { staff_id: Some(id), username: &username, client: &client };
    audit::record(&state.db, &actor, "setup.owner_created", "First-run setup created the owner", None)
        .await?;
    let mut res = Redirect::to("/").into_response();
    let cookie = cookies::build(
        cookies::SESSION,
        &sess.token,
        Some(state.config.session_absolute_hours * 3600),
        client.secure,
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}
