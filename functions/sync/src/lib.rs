//! The scheduled sync of every panel's orders, users, payments, tickets, ticket messages and services
//! into the cache (see `engine`). A scheduled run does bounded work and stores its position; the next
//! run continues.

pub mod engine;
pub mod error;
pub mod resources;
pub mod schedule;
pub mod upsert;

pub use engine::{run as run_with, ResourceReport, RunOptions, RunReport};
pub use error::SyncError;
pub use resources::LEASE_HEARTBEAT_SECS;

use serde::Deserialize;
use shared::{AppResult, AppState};

/// The scheduler's explicit `Input`, e.g. `{"job":"sync"}`.
#[derive(Debug, Deserialize)]
pub struct JobInput {
    pub job: String,
}

/// A scheduled run: due work of every active panel within the default budget.
pub async fn run(state: &AppState) -> AppResult<RunReport> {
    engine::run(state, &RunOptions::default()).await
}
