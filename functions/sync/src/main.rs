//! Lambda entry for the scheduled sync: wiring only.

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init(true);
    let config = shared::config::Config::from_env()?;
    let state = shared::AppState::init(config).await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let state = state.clone();
        async move {
            let input: sync::JobInput = serde_json::from_value(event.payload)?;
            if input.job != "sync" {
                return Err(format!("unknown job {:?}", input.job).into());
            }
            let report = sync::run(&state).await?;
            Ok::<Value, lambda_runtime::Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
