//! The console's look: one layout, one stylesheet, and the UI pieces every page reuses.

pub mod actions;
pub mod assets;
pub mod components;
pub mod error_page;
pub mod form;
pub mod layout;
pub mod listing;
pub mod nav;
pub mod speed;

pub use components::*;
pub use layout::{bare_page, page};

/// A page re-rendered after a form error: 400, the form with its errors and the values kept.
pub fn invalid(body: maud::Markup) -> axum::response::Response {
    use axum::response::IntoResponse;
    (axum::http::StatusCode::BAD_REQUEST, axum::response::Html(body.into_string())).into_response()
}
