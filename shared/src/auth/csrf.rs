//! CSRF: every state-changing request of a signed-in staff member must carry the session's token
//! (form field `csrf`, header `X-CSRF-Token`, or `?csrf=` for multipart uploads). Sign-in and setup,
//! which have no session yet, use a double-submit cookie.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::header;

use crate::crypto::same_token;
use crate::error::{AppError, AppResult};

/// Form bodies larger than this are refused before parsing.
pub const MAX_FORM_BYTES: usize = 16 * 1024 * 1024;

pub const FIELD: &str = "csrf";

fn from_query(req: &Request) -> Option<String> {
    let q = req.uri().query()?;
    serde_urlencoded::from_str::<Vec<(String, String)>>(q)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}

/// Checks the request against `expected`, buffering a urlencoded body to read its `csrf` field and
/// handing the request back intact.
pub async fn verify(req: Request, expected: &str) -> AppResult<Request> {
    let rejected = || AppError::Forbidden("This form has expired. Reload the page and try again.".into());
    if let Some(t) = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return if same_token(t, expected) { Ok(req) } else { Err(rejected()) };
    }
    if let Some(t) = from_query(&req) {
        return if same_token(&t, expected) { Ok(req) } else { Err(rejected()) };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(rejected());
    }
    let (parts, body) = req.into_parts();
    let bytes =
        to_bytes(body, MAX_FORM_BYTES).await.map_err(|_| AppError::bad_request("The form is too large."))?;
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v));
    match token {
        Some(t) if same_token(&t, expected) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(rejected()),
    }
}
