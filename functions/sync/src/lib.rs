//! The scheduled sync of every panel's orders, users, payments, tickets, ticket messages and services
//! into the cache (see `engine`). A scheduled run does bounded work and stores its position; the next
//! run continues.

pub mod engine;
pub mod error;
pub mod lambda;
pub mod resources;
pub mod schedule;
/// The change-only upserts, at home with the cache tables they write.
pub use shared::cache::upsert;

pub use engine::{run as run_with, Outcome, ResourceReport, RunOptions, RunReport};
pub use error::SyncError;
pub use resources::LEASE_HEARTBEAT_SECS;

use std::time::{Duration, Instant};

use shared::{AppResult, AppState};

/// A scheduled run: due work of every active panel within the default budget.
pub async fn run(state: &AppState) -> AppResult<RunReport> {
    engine::run(state, &RunOptions::default()).await
}

/// The scheduled run inside a Lambda invocation that has `remaining` before it is stopped (see
/// [`room_within`]).
pub async fn run_within(state: &AppState, remaining: Duration) -> AppResult<RunReport> {
    let opts =
        RunOptions { deadline: Some(Instant::now() + room_within(remaining)), ..RunOptions::default() };
    engine::run(state, &opts).await
}

/// How long steps may keep starting in an invocation with `remaining` left. The rest is kept for the
/// longest a step can take (a page retried four times at a 20 s timeout, with backoff: 90 s) — at
/// most half the time left, so a short deadline (`cargo lambda watch` gives each invocation 30 s) still
/// leaves the run half of it instead of nothing.
pub fn room_within(remaining: Duration) -> Duration {
    const LONGEST_STEP: Duration = Duration::from_secs(90);
    remaining - LONGEST_STEP.min(remaining / 2)
}

#[cfg(test)]
mod tests {
    use super::room_within;
    use std::time::Duration;

    #[test]
    fn the_reserve_scales_with_the_deadline() {
        let s = Duration::from_secs;
        assert_eq!(room_within(s(180)), s(90), "the template's 180 s timeout: steps start in the first 90 s");
        assert_eq!(room_within(s(900)), s(810), "a longer timeout keeps only the 90 s reserve");
        assert_eq!(room_within(s(30)), s(15), "a short local deadline keeps half");
        assert_eq!(room_within(s(0)), s(0));
    }
}
