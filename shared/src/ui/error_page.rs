//! The error layer: every error answer (an [`ErrorInfo`] from `AppError`, axum's own 404/405s and
//! extractor rejections) rendered for its audience, an HTML page for the console or the Perfect Panel
//! envelope for the admin API and `.json` routes.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use crate::error::{is_json_path, json_envelope, ErrorInfo};

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
                link rel="stylesheet" href=(super::assets::css_path());
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
