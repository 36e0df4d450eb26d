//! Lambda entry for the scheduled sync: wiring only.

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init(true);
    let config = shared::config::Config::from_env()?;
    let state = shared::AppState::init(config).await?;
    let schedule = std::sync::Arc::new(sync::schedule::AwsSchedule::from_env());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (state, schedule) = (state.clone(), schedule.clone());
        async move {
            let input: sync::JobInput = serde_json::from_value(event.payload)?;
            if input.job != "sync" {
                return Err(format!("unknown job {:?}", input.job).into());
            }
            // The invocation's deadline (ms since the epoch) bounds the whole run, not each resource.
            let left_ms = event.context.deadline.saturating_sub(shared::time::now_ms().max(0) as u64);
            let report = sync::run_within(&state, std::time::Duration::from_millis(left_ms)).await?;
            if let Some(schedule) = schedule.as_ref() {
                // A failed update is logged and tried again after the next run; the sync itself is done.
                if let Err(e) = sync::schedule::reconcile(&state, schedule).await {
                    tracing::warn!(error = %e, "sync schedule not updated");
                }
            }
            Ok::<Value, lambda_runtime::Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
