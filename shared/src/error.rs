//! The one error type. Handlers return `AppResult`; the response carries an [`ErrorInfo`] that the
//! [`render_errors`] layer turns into an HTML page for console routes or the Perfect Panel style JSON
//! envelope for API and `.json` routes. Unexpected errors are logged with a request id and shown as a
//! plain 500 that quotes only that id.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use maud::html;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("Sign in to continue.")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_secs: u64 },
    /// A panel (or another service we call) refused or failed; the message says which and why.
    #[error("{0}")]
    Upstream(String),
    #[error("configuration error: {0}")]
    Config(String),
    #[error("database error: {0}")]
    Db(String),
    /// The database cannot be reached or refuses this deployment's token: a 503, retried later.
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        AppError::BadRequest(msg.into())
    }
    pub fn forbidden() -> Self {
        AppError::Forbidden("You do not have access to this.".into())
    }
    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} was not found."))
    }
    pub fn internal(msg: impl Into<String>) -> Self {
        AppError::Internal(msg.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Upstream(_) => StatusCode::BAD_GATEWAY,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Config(_) | AppError::Db(_) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// What the error layer needs to render an error answer.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if let AppError::Unavailable(_) = &self {
            let request_id = crate::crypto::random_hex(6);
            tracing::error!(request_id, error = %self, "database unavailable");
            format!(
                "The console's database cannot be reached right now, so this cannot be shown or saved. \
                 Try again in a minute. Request id: {request_id}"
            )
        } else if status.is_server_error() && !matches!(self, AppError::Upstream(_)) {
            let request_id = crate::crypto::random_hex(6);
            tracing::error!(request_id, error = %self, "request failed");
            format!("Something went wrong on our side. Request id: {request_id}")
        } else {
            self.to_string()
        };
        let mut res = (status, message.clone()).into_response();
        if let AppError::TooManyRequests { retry_after_secs, .. } = &self {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res.extensions_mut().insert(ErrorInfo { status, message });
        res
    }
}

/// An error answer with its own status and message (e.g. the admin API's 401s, which say what is wrong
/// with the key rather than "Sign in"); rendered like every other error.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let mut res = (status, message.to_string()).into_response();
    res.extensions_mut().insert(ErrorInfo { status, message: message.to_string() });
    res
}

/// True for routes that answer JSON: the admin API and every `.json` report.
pub fn is_json_path(path: &str) -> bool {
    path.starts_with("/adminapi/") || path.ends_with(".json")
}

/// The error envelope API clients expect (Perfect Panel style).
pub fn json_envelope(status: StatusCode, message: &str) -> serde_json::Value {
    serde_json::json!({ "data": [], "error_code": status.as_u16(), "error_message": message })
}

/// Layer that renders every [`ErrorInfo`] response (and axum's own 404/405s) for its audience.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let json = is_json_path(req.uri().path());
    let res = next.run(req).await;
    let (info, res) = match res.extensions().get::<ErrorInfo>() {
        Some(info) => (info.clone(), res),
        None if res.status() == StatusCode::NOT_FOUND
            && res.headers().get(header::CONTENT_TYPE).is_none() =>
        {
            (ErrorInfo { status: StatusCode::NOT_FOUND, message: "This page does not exist.".into() }, res)
        }
        None if res.status() == StatusCode::METHOD_NOT_ALLOWED => {
            let message = "This address does not accept that method.".into();
            (ErrorInfo { status: StatusCode::METHOD_NOT_ALLOWED, message }, res)
        }
        // An extractor's own rejection (`/panels/abc` for a numeric id): its plain text, in the page.
        None if res.status().is_client_error() && is_plain_text(&res) => {
            let (parts, body) = res.into_parts();
            let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&text).trim().to_string();
            let message = if text.is_empty() { "This request is not valid.".to_string() } else { text };
            (ErrorInfo { status: parts.status, message }, Response::from_parts(parts, Body::empty()))
        }
        None => return res,
    };
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = if json {
        axum::Json(json_envelope(info.status, &info.message)).into_response()
    } else {
        Html(error_page(info.status, &info.message).into_string()).into_response()
    };
    let (body_parts, body) = body.into_parts();
    for (k, v) in body_parts.headers.iter() {
        parts.headers.insert(k, v.clone());
    }
    Response::from_parts(parts, body)
}

fn is_plain_text(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"))
}

fn error_page(status: StatusCode, message: &str) -> maud::Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · panelops" }
                link rel="stylesheet" href=(crate::ui::assets::css_path());
            }
            body.bare {
                main.card.narrow {
                    h1 { (status.as_u16()) " · " (title) }
                    p { (message) }
                    p { a href="/" { "Back to the console" } }
                }
            }
        }
    }
}
