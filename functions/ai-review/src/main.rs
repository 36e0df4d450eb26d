//! Lambda entry for the AI reviewer and the `/ai/*` pages: wiring only (see `ai_review::lambda`).

use lambda_http::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init(true);
    let config = shared::config::Config::from_env()?;
    let state = shared::AppState::init(config).await?;
    let router = panelops_ai_review::app(&state);
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (state, router) = (state.clone(), router.clone());
        async move { panelops_ai_review::lambda::handle(&state, router, event).await }
    }))
    .await
}
