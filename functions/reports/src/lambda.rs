//! The Lambda handler. One function answers two kinds of event: the scheduler's `{"job":"alerts"}`
//! runs the alerts (the rules watch this function's numbers), an API Gateway request is served by the
//! `/reports/*` router. Anything else is answered with one sentence naming what was expected.

use axum::Router;
use lambda_http::lambda_runtime::Diagnostic;
use lambda_http::LambdaEvent;
use serde_json::Value;

use shared::AppState;

pub const FUNCTION: &str = "panelops-reports";

pub async fn handle(
    state: &AppState,
    router: Router,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic> {
    shared::invocation::job_or_http(FUNCTION, "alerts", router, event, || crate::alerts::run(state)).await
}
