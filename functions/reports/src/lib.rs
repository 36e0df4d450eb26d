//! Report pages and their JSON (`/reports/*`). The reports themselves arrive with their own issue;
//! until then this function serves only its health check, and the navigation lists no report.

pub mod competitors;

use axum::Router;
use shared::{AppState, Routes};

/// Every report route, each with its access rule.
pub fn routes(state: &AppState) -> Routes {
    competitors::routes(Routes::new(state))
}

/// The Lambda's whole router.
pub fn app(state: &AppState) -> Router {
    routes(state).merge(shared::health::routes(state)).into_router()
}
