//! AI review of staff replies: on-demand routes under `/ai/*` and the scheduled reviewer job.
//! The reviewer arrives with its own issue; the job entry and router exist so the schedule, the local
//! timer and the Lambda are wired from the start. A run reports exactly what it did: nothing yet.

use axum::Router;
use serde::{Deserialize, Serialize};
use shared::{AppResult, AppState, Routes};

pub fn routes(state: &AppState) -> Routes {
    Routes::new(state)
}

pub fn app(state: &AppState) -> Router {
    routes(state).merge(shared::health::routes(state)).into_router()
}

/// The scheduler's explicit `Input`, e.g. `{"job":"ai-review"}`.
#[derive(Debug, Deserialize)]
pub struct JobInput {
    pub job: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RunReport {
    pub job: &'static str,
    pub reviewed: u64,
}

pub async fn run(_state: &AppState) -> AppResult<RunReport> {
    Ok(RunReport { job: "ai-review", reviewed: 0 })
}
