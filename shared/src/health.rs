//! `GET /healthz`: 200 once the database answers, its schema is current and this `PANELOPS_SECRET_KEY`
//! reads the secrets stored under it. No data in the answer.

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
        Ok(v) if v >= crate::db::CURRENT_VERSION => {}
        Ok(_) => return (StatusCode::SERVICE_UNAVAILABLE, "migrating"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "unavailable");
        }
    }
    // A deployment given another key than the stored secrets were saved with syncs nothing.
    match crate::domain::stored_secrets::unreadable(&state.db, &state.config.secret_key).await {
        Ok((_, 0)) => (StatusCode::OK, "ok"),
        Ok((stored, unreadable)) => {
            tracing::error!(stored, unreadable, "PANELOPS_SECRET_KEY cannot read stored secrets");
            (StatusCode::SERVICE_UNAVAILABLE, "PANELOPS_SECRET_KEY cannot read the stored secrets")
        }
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}
