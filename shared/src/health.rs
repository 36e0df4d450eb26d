//! `GET /healthz`: 200 once the database answers and its schema is current. No data in the answer.

use axum::extract::State;
use axum::http::StatusCode;

use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(state: &AppState) -> Routes {
    Routes::new(state).get("/healthz", Access::Public, healthz)
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    // The schema was brought up to date before the router existed (AppState::init); the check proves
    // the database still answers at that version.
    match crate::db::schema_version(&state.db).await {
        Ok(v) if v >= crate::db::CURRENT_VERSION => (StatusCode::OK, "ok"),
        Ok(_) => (StatusCode::SERVICE_UNAVAILABLE, "migrating"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}
