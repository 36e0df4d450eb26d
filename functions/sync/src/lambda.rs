//! The Lambda handler: the scheduler's `{"job":"sync"}` in, the run's report out. Any other payload is
//! answered with one sentence naming what was expected.

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
    // The invocation's deadline (ms since the epoch) bounds the whole run, not each resource.
    let left_ms = event.context.deadline.saturating_sub(shared::time::now_ms().max(0) as u64);
    let report = crate::run_within(state, std::time::Duration::from_millis(left_ms))
        .await
        .map_err(|e| failed(e.to_string()))?;
    if let Some(schedule) = schedule {
        // A failed update is logged and tried again after the next run; the sync itself is done.
        if let Err(e) = crate::schedule::reconcile(state, schedule).await {
            tracing::warn!(error = %e, "sync schedule not updated");
        }
    }
    serde_json::to_value(report).map_err(|e| failed(e.to_string()))
}

fn invalid(sentence: String) -> Diagnostic {
    tracing::error!(error = %sentence, "unusable event");
    Diagnostic { error_type: "InvalidEvent".into(), error_message: sentence }
}

fn failed(message: String) -> Diagnostic {
    Diagnostic { error_type: "SyncFailed".into(), error_message: message }
}
