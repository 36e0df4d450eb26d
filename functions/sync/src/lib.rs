//! The scheduled sync of every panel's orders, users, payments, tickets, ticket messages and services
//! into the cache (see `engine`). A scheduled run does bounded work and stores its position; the next
//! run continues.

pub mod engine;
pub mod error;
pub mod lambda;
pub mod resources;
pub mod schedule;
pub mod upsert;

pub use engine::{run as run_with, ResourceReport, RunOptions, RunReport};
pub use error::SyncError;
pub use resources::LEASE_HEARTBEAT_SECS;

use shared::{AppResult, AppState};

/// A scheduled run: due work of every active panel within the default budget.
pub async fn run(state: &AppState) -> AppResult<RunReport> {
    engine::run(state, &RunOptions::default()).await
}

/// The scheduled run inside a Lambda invocation that has `remaining` before it is stopped: no step
/// starts later than the longest a step can take (a page retried four times at a 20 s timeout, with
/// backoff) before that.
pub async fn run_within(state: &AppState, remaining: std::time::Duration) -> AppResult<RunReport> {
    const LONGEST_STEP: std::time::Duration = std::time::Duration::from_secs(90);
    let room = remaining.saturating_sub(LONGEST_STEP).max(std::time::Duration::from_secs(5));
    let opts = RunOptions { deadline: Some(std::time::Instant::now() + room), ..RunOptions::default() };
    engine::run(state, &opts).await
}
