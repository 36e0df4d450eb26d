//! Lambda entry for the scheduled sync: wiring only.

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init(true);
    let config = shared::config::Config::from_env()?;
    let state = shared::AppState::init(config).await?;
    let schedule = std::sync::Arc::new(panelops_sync::schedule::AwsSchedule::from_env());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (state, schedule) = (state.clone(), schedule.clone());
        async move {
            let schedule = schedule.as_ref().as_ref().map(|s| s as &dyn shared::schedule::SyncSchedule);
            panelops_sync::lambda::handle(&state, schedule, event).await
        }
    }))
    .await
}
