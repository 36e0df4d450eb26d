//! CSRF: every state-changing request of a signed-in staff member must carry the session's token
//! (form field `csrf`, in a urlencoded or multipart body, or header `X-CSRF-Token`), never in the URL,
//! where history and bookmarks would keep it. Sign-in and setup, which have no session yet, use a
//! double-submit cookie.

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;

use crate::crypto::same_token;
use crate::error::{AppError, AppResult};

/// Form bodies larger than this are refused before parsing.
pub const MAX_FORM_BYTES: usize = 16 * 1024 * 1024;

pub const FIELD: &str = "csrf";

/// The `csrf` field of a multipart body (an upload form), the body left as it was. The form puts it
/// first, so only the head of the body is read: the file after it may be megabytes.
async fn from_multipart(content_type: &str, bytes: Bytes) -> Option<String> {
    let head = bytes.slice(..bytes.len().min(64 * 1024));
    let copy = Request::builder().header(header::CONTENT_TYPE, content_type).body(Body::from(head)).ok()?;
    let mut parts = Multipart::from_request(copy, &()).await.ok()?;
    while let Ok(Some(field)) = parts.next_field().await {
        if field.name() == Some(FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

/// Checks the request against `expected`, buffering a urlencoded body to read its `csrf` field and
/// handing the request back intact.
pub async fn verify(req: Request, expected: &str) -> AppResult<Request> {
    let rejected = || AppError::Forbidden("This form has expired. Reload the page and try again.".into());
    if let Some(t) = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return if same_token(t, expected) { Ok(req) } else { Err(rejected()) };
    }
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let multipart = content_type.starts_with("multipart/form-data");
    if !multipart && !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(rejected());
    }
    let (parts, body) = req.into_parts();
    let bytes =
        to_bytes(body, MAX_FORM_BYTES).await.map_err(|_| AppError::bad_request("The form is too large."))?;
    let token = if multipart {
        from_multipart(&content_type, bytes.clone()).await
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v))
    };
    match token {
        Some(t) if same_token(&t, expected) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(rejected()),
    }
}
