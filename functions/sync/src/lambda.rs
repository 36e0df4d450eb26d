//! The Lambda handler: the scheduler's `{"job":"sync"}` in, the run's report out. Any other payload is
//! answered with one sentence naming what was expected.

use std::time::Duration;

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

use shared::invocation::{self, Invocation};
use shared::schedule::SyncSchedule;
use shared::AppState;

pub const FUNCTION: &str = "panelops-sync";

pub async fn handle(
    state: &AppState,
    schedule: Option<&dyn SyncSchedule>,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic> {
    match invocation::classify(FUNCTION, "sync", &event.payload) {
        Ok(Invocation::Job) => {}
        Ok(Invocation::Other) => {
            return Err(invalid(invocation::not_a_job(FUNCTION, "sync", &event.payload)))
        }
        Err(sentence) => return Err(invalid(sentence)),
    }
    // The invocation's deadline bounds the whole run, not each resource.
    let left = time_left(event.context.deadline, shared::time::now_ms().max(0) as u64);
    let report = crate::run_within(state, left).await.map_err(|e| failed(e.to_string()))?;
    if let Some(schedule) = schedule {
        // A failed update is logged and tried again after the next run; the sync itself is done.
        if let Err(e) = crate::schedule::reconcile(state, schedule).await {
            tracing::warn!(error = %e, "sync schedule not updated");
        }
    }
    serde_json::to_value(report).map_err(|e| failed(e.to_string()))
}

/// The function's timeout in template.yaml.
const TEMPLATE_TIMEOUT: Duration = Duration::from_secs(180);

/// Time left before the invocation's deadline (ms since the epoch). `cargo lambda watch` sends every
/// invocation the same deadline, 600,000 ms — ten minutes into 1970, long past — so a deadline before
/// 2000 is no deadline at all: the run then gets what it would get on AWS.
pub fn time_left(deadline_ms: u64, now_ms: u64) -> Duration {
    const YEAR_2000_MS: u64 = 946_684_800_000;
    if deadline_ms < YEAR_2000_MS {
        return TEMPLATE_TIMEOUT;
    }
    Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}

fn invalid(sentence: String) -> Diagnostic {
    tracing::error!(error = %sentence, "unusable event");
    Diagnostic { error_type: "InvalidEvent".into(), error_message: sentence }
}

fn failed(message: String) -> Diagnostic {
    Diagnostic { error_type: "SyncFailed".into(), error_message: message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room_within;

    #[test]
    fn a_local_deadline_gets_the_time_aws_would_give() {
        let now = 1_750_000_000_000;
        // cargo lambda watch's fixed deadline: steps start in the first 90 s, as on AWS (was 5 s).
        assert_eq!(room_within(time_left(600_000, now)), Duration::from_secs(90));
        assert_eq!(time_left(now + 180_000, now), Duration::from_secs(180));
        assert_eq!(room_within(time_left(now + 30_000, now)), Duration::from_secs(15));
        assert_eq!(time_left(now - 1, now), Duration::ZERO, "a real deadline already passed");
    }
}
