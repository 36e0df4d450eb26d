//! Report pages and their JSON (`/reports/*`): Service tracking, User tracking, Ticket tracking,
//! Competitor tracking and Staff statistics. Each report's numbers come from a function that needs no HTTP
//! (`service_health::service_health`, `top_spenders::top_spenders`, `tickets::by_staff`,
//! `tickets::by_service`, `tickets::staff_statistics`), so the admin API can serve the same numbers.

pub mod alerts;
pub mod common;
pub mod competitors;
pub mod exports;
pub mod lambda;
pub mod margins;
pub mod profiles;
pub mod providers;
pub mod response_times;
pub mod service_health;
pub mod tickets;
pub mod top_spenders;

use axum::Router;
use shared::{AppState, Routes};

/// Every report route, each with its access rule. One line per report.
pub fn routes(state: &AppState) -> Routes {
    Routes::new(state)
        .merge(service_health::pages::routes(state))
        .merge(top_spenders::pages::routes(state))
        .merge(margins::pages::routes(state))
        .merge(providers::pages::routes(state))
        .merge(tickets::pages::routes(state))
        .merge(response_times::pages::routes(state))
        .merge(exports::routes(state))
        .merge(competitors::routes(Routes::new(state)))
}

/// Every route the Lambda serves: this function's own, and the shared ones (health check, assets).
pub fn served(state: &AppState) -> Routes {
    routes(state).merge(shared::routes::static_assets(state)).merge(shared::health::routes(state))
}

/// The Lambda's whole router.
pub fn app(state: &AppState) -> Router {
    served(state).into_router()
}
