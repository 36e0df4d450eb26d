//! The stylesheet and script, embedded in the binary and served under content-hashed names so they can
//! be cached for a year.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub const CSS: &str = include_str!("../../static/app.css");
pub const JS: &str = include_str!("../../static/app.js");
/// The tab's icon; browsers also ask for `/favicon.ico` on their own.
pub const FAVICON: &[u8] = include_bytes!("../../static/favicon.ico");
pub const FAVICON_PATH: &str = "/favicon.ico";

fn hashed(name: &str, ext: &str, body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let short: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    format!("/static/{name}.{short}.{ext}")
}

static CSS_PATH: LazyLock<String> = LazyLock::new(|| hashed("app", "css", CSS));
static JS_PATH: LazyLock<String> = LazyLock::new(|| hashed("app", "js", JS));

pub fn css_path() -> &'static str {
    &CSS_PATH
}

pub fn js_path() -> &'static str {
    &JS_PATH
}

/// The favicon (routes registers it at [`FAVICON_PATH`]).
pub async fn favicon() -> Response {
    ([(header::CONTENT_TYPE, "image/x-icon"), (header::CACHE_CONTROL, "public, max-age=86400")], FAVICON)
        .into_response()
}

pub async fn serve(Path(file): Path<String>) -> Response {
    let path = format!("/static/{file}");
    let (body, kind) = if path == css_path() {
        (CSS, "text/css; charset=utf-8")
    } else if path == js_path() {
        (JS, "text/javascript; charset=utf-8")
    } else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain")], "not found").into_response();
    };
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], body)
        .into_response()
}
