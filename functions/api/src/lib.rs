//! The staff console's pages (and, later, `/adminapi/v2`). `routes()` is what the local runner merges;
//! `app()` is what the Lambda serves.

pub mod actions;
pub mod adminapi;
pub mod audit_log;
pub mod pages;
pub mod ticket_reply;

use axum::Router;
use shared::{AppState, Routes};

/// Every console route of this function, each with its access rule.
pub fn routes(state: &AppState) -> Routes {
    pages::routes(state).merge(adminapi::routes(state))
}

/// Every route the Lambda serves: this function's own, and the shared ones (health check, assets).
pub fn served(state: &AppState) -> Routes {
    routes(state).merge(shared::routes::static_assets(state)).merge(shared::health::routes(state))
}

/// The Lambda's whole router: console pages, static assets, health check.
pub fn app(state: &AppState) -> Router {
    served(state).into_router()
}
