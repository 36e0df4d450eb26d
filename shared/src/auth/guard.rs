//! The one access guard every route goes through (see `routes::Routes`): session, role,
//! panel scope, CSRF, then the flash message.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth::access::Access;
use crate::auth::{api_key, context, cookies, csrf, session, staff, ApiCaller, Role, Scope, Viewer};
use crate::error::{error_response, is_json_path, AppError};
use crate::state::AppState;

pub async fn guard(State((state, access)): State<(AppState, Access)>, req: Request, next: Next) -> Response {
    let (min, all_panels) = match access {
        Access::Public => return next.run(req).await,
        Access::Staff(min) => (min, false),
        Access::AllPanels(min) => (min, true),
        Access::ApiKey(scope) => {
            return match authorize_key(&state, scope, req).await {
                Ok(req) => next.run(req).await,
                Err(e) => e,
            }
        }
    };
    let secure = cookies::is_secure_context(req.headers());
    match authorize(&state, min, all_panels, req).await {
        Ok((req, had_flash)) => {
            let mut res = next.run(req).await;
            if had_flash && res.status().is_success() {
                if let Ok(v) = HeaderValue::from_str(&cookies::clear(cookies::FLASH, secure)) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            res
        }
        Err(Denied::SignIn(to)) => Redirect::to(&to).into_response(),
        Err(Denied::Error(e)) => e.into_response(),
    }
}

enum Denied {
    SignIn(String),
    Error(AppError),
}

impl From<AppError> for Denied {
    fn from(e: AppError) -> Self {
        Denied::Error(e)
    }
}

fn sign_in_target(req: &Request) -> Denied {
    let path = req.uri().path();
    if is_json_path(path) {
        return Denied::Error(AppError::Unauthorized);
    }
    if req.method() == Method::GET || req.method() == Method::HEAD {
        let here = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
        Denied::SignIn(format!("/login?next={next}"))
    } else {
        Denied::SignIn("/login".into())
    }
}

/// The `panel` query parameter: absent → None, empty → Some(None) (all panels), a number → Some(Some(n));
/// with whether the panel switcher sent it (`switch`), the one place a choice is remembered.
fn chosen_panel(req: &Request) -> Result<(Option<Option<i64>>, bool), AppError> {
    let Some(q) = req.uri().query() else { return Ok((None, false)) };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).unwrap_or_default();
    let switched = pairs.iter().any(|(k, _)| k == SWITCH_PARAM);
    let chosen = match pairs.into_iter().find(|(k, _)| k == "panel") {
        None => None,
        Some((_, v)) if v.trim().is_empty() => Some(None),
        Some((_, v)) => Some(Some(
            v.trim().parse::<i64>().map_err(|_| AppError::bad_request("The panel must be a panel id."))?,
        )),
    };
    Ok((chosen, switched))
}

/// Sent by the panel switcher beside `panel`: only then is the choice remembered for the next pages.
/// A link or a redirect carrying `panel` (a user's orders, an action's way back) shows that panel for
/// that page alone.
pub const SWITCH_PARAM: &str = "switch";

async fn authorize(
    state: &AppState,
    min: Role,
    all_panels: bool,
    mut req: Request,
) -> Result<(Request, bool), Denied> {
    let Some(token) = cookies::get(req.headers(), cookies::SESSION) else {
        return Err(sign_in_target(&req));
    };
    // Session, member, panels and freshness: one round trip.
    let t = crate::time::now();
    let ctx = context::load(&state.db, &token, t).await?;
    let Some((sess, expires_at, member)) = ctx.session.clone() else {
        return Err(sign_in_target(&req));
    };
    if session::is_over(&state.config, &sess, expires_at, t) || !member.active {
        session::delete(&state.db, sess.id).await?;
        return Err(sign_in_target(&req));
    }
    if session::needs_touch(&sess, t) {
        session::touch(&state.db, sess.id, t).await?;
    }
    if member.role < min {
        return Err(AppError::forbidden().into());
    }
    let scope = member.scope();
    if all_panels && !member.sees_every_panel() {
        return Err(AppError::Forbidden(
            "This setting is shared by every panel: only the owner or an admin of every panel can change it."
                .into(),
        )
        .into());
    }
    let (chosen, switched) = chosen_panel(&req)?;
    let panel = match chosen {
        Some(Some(p)) => {
            scope.check(p)?;
            if switched && member.current_panel != Some(p) {
                staff::set_current_panel(&state.db, member.id, Some(p)).await?;
            }
            Some(p)
        }
        Some(None) => {
            if switched && member.current_panel.is_some() {
                staff::set_current_panel(&state.db, member.id, None).await?;
            }
            None
        }
        // A remembered panel that has since left the scope is dropped, never used.
        None => member.current_panel.filter(|p| scope.allows(*p)),
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        req = csrf::verify(req, &sess.csrf_token).await?;
    }
    let flash = cookies::get(req.headers(), cookies::FLASH).and_then(|v| decode_flash(&v));
    let had_flash = cookies::get(req.headers(), cookies::FLASH).is_some();
    let panels = ctx.panel_refs(&scope);
    let freshness = ctx.freshness(&scope, panel);
    let panel_errors = ctx.panel_errors(&scope);
    let path = req.uri().path().to_string();
    req.extensions_mut().insert(Viewer {
        staff: member,
        session_id: sess.id,
        csrf: sess.csrf_token,
        panel,
        panels,
        flash,
        path,
        freshness,
        panel_errors,
    });
    Ok((req, had_flash))
}

/// The admin API's access check: a valid, unrevoked key (`X-Api-Key`, or `?apikey=` as some Perfect
/// Panel scripts send it) within its rate limit, holding `need`, asked only about its own panels.
/// No session and no CSRF: a key is a bearer token sent by scripts, never by a browser's cookie jar.
async fn authorize_key(state: &AppState, need: Scope, mut req: Request) -> Result<Request, Response> {
    let deny = |status: StatusCode, msg: &str| error_response(status, msg);
    let token = req
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query_param(&req, "apikey"))
        .filter(|t| !t.trim().is_empty());
    let Some(token) = token else {
        return Err(deny(StatusCode::UNAUTHORIZED, "Missing API key: send it in the X-Api-Key header."));
    };
    let key = match api_key::find_by_token(&state.db, &token).await {
        Ok(Some(k)) => k,
        Ok(None) => return Err(deny(StatusCode::UNAUTHORIZED, "Invalid API key.")),
        Err(e) => return Err(e.into_response()),
    };
    if key.revoked_at.is_some() {
        return Err(deny(StatusCode::UNAUTHORIZED, "This API key was revoked."));
    }
    if let Err(wait) = api_key::take_rate(&key.token_hash, key.rate_per_minute) {
        return Err(AppError::TooManyRequests {
            message: format!(
                "Too many requests for this API key ({} per minute). Retry in {wait} s.",
                key.rate_per_minute
            ),
            retry_after_secs: wait,
        }
        .into_response());
    }
    if !key.has(need) {
        return Err(deny(StatusCode::FORBIDDEN, &format!("This API key lacks the {need} scope.")));
    }
    let scope = key.scope();
    let panel = match chosen_panel(&req).map(|(chosen, _)| chosen) {
        Ok(Some(Some(p))) if !scope.allows(p) => {
            return Err(deny(StatusCode::FORBIDDEN, &format!("This API key may not read panel {p}.")))
        }
        Ok(Some(p)) => p,
        Ok(None) => None,
        Err(e) => return Err(e.into_response()),
    };
    if let Err(e) = api_key::touch(&state.db, &key).await {
        // "Last used" is a convenience: a failed write must not fail the call.
        tracing::warn!(error = %e, key = key.id, "last used not recorded");
    }
    req.extensions_mut().insert(ApiCaller {
        key_id: key.id,
        key_name: key.name,
        prefix: key.prefix,
        created_by: key.created_by,
        scope,
        panel,
    });
    Ok(req)
}

fn query_param(req: &Request, name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.uri().query()?).unwrap_or_default();
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

pub fn encode_flash(msg: &str) -> String {
    url::form_urlencoded::byte_serialize(msg.as_bytes()).collect()
}

fn decode_flash(v: &str) -> Option<String> {
    let text = format!("m={v}");
    url::form_urlencoded::parse(text.as_bytes())
        .next()
        .map(|(_, m)| m.chars().take(500).collect::<String>())
        .filter(|m| !m.is_empty())
}

/// A 303 to `to` that shows `msg` on the next page.
pub fn flash_redirect(to: &str, msg: &str, secure: bool) -> Response {
    // A target built from a form field could hold a line break, which is no header value (and would
    // panic inside Redirect): go home instead.
    let to = if HeaderValue::from_str(to).is_ok() { to } else { "/" };
    let mut res = Redirect::to(to).into_response();
    let cookie = cookies::build(cookies::FLASH, &encode_flash(msg), Some(60), secure);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
