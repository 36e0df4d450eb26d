//! Lambda entry for the AI reviewer. One function answers two kinds of event: the scheduler's
//! `{"job":"ai-review"}` runs the reviewer, anything else is an HTTP request for `/ai/*`.

use lambda_http::request::LambdaRequest;
use lambda_http::{service_fn, Adapter, LambdaEvent, Service};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init(true);
    let config = shared::config::Config::from_env()?;
    let state = shared::AppState::init(config).await?;
    let router = ai_review::app(&state);
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (state, router) = (state.clone(), router.clone());
        async move {
            if let Some(job) = event.payload.get("job").and_then(Value::as_str) {
                if job != "ai-review" {
                    return Err(format!("unknown job {job:?}").into());
                }
                let report = ai_review::run(&state).await?;
                return Ok::<Value, lambda_http::Error>(serde_json::to_value(report)?);
            }
            let request: LambdaRequest = serde_json::from_value(event.payload)?;
            let mut adapter = Adapter::from(router);
            let response = adapter.call(LambdaEvent::new(request, event.context)).await?;
            Ok(serde_json::to_value(response)?)
        }
    }))
    .await
}
