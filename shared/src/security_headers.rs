//! The headers every response carries (pages, the admin API, errors, static files, redirects): a
//! Content-Security-Policy that runs only the console's own script and style and forbids framing, no
//! MIME sniffing, no Referer to other sites, and HSTS when served over https.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// Only the console's own files: no inline script or style (no `style=` attribute either; the SVG
/// charts use presentation attributes, which CSP does not govern), no plugins, no `<base>`, forms
/// posting home only, never framed.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A year; browsers honour it over https only, and only then is it sent.
const HSTS: &str = "max-age=31536000";

pub async fn add(req: Request, next: Next) -> Response {
    let https = crate::auth::cookies::is_secure_context(req.headers());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    res
}
