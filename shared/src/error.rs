//! The one error type, at the bottom of the crate (it imports nothing from it). Handlers return
//! `AppResult`; the response carries an [`ErrorInfo`] that the error layer (`ui::error_page`) turns into an HTML page for console routes or the Perfect Panel style JSON
//! envelope for API and `.json` routes. Unexpected errors are logged with a request id and shown as a
//! plain 500 that quotes only that id.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

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

tokio::task_local! {
    /// The id of the request being answered (set by the request span layer, `routes::in_request_span`).
    pub static REQUEST_ID: String;
}

/// A short random id.
pub fn new_request_id() -> String {
    rand::random::<[u8; 6]>().iter().map(|b| format!("{b:02x}")).collect()
}

/// The id that ties a 5xx answer to its log lines: the request's own, or a new one outside a request.
fn request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_else(|_| new_request_id())
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
            let request_id = request_id();
            tracing::error!(request_id, error = %self, "database unavailable");
            format!(
                "The console's database cannot be reached right now, so this cannot be shown or saved. \
                 Try again in a minute. Request id: {request_id}"
            )
        } else if status.is_server_error() && !matches!(self, AppError::Upstream(_)) {
            let request_id = request_id();
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
