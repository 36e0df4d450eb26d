//! The Lambda handler. One function answers two kinds of event: the scheduler's `{"job":"ai-review"}`
//! runs the reviewer, an API Gateway request is served by the `/ai/*` router. Anything else is answered
//! with one sentence naming what was expected.

use axum::Router;
use lambda_http::lambda_runtime::Diagnostic;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, LambdaEvent, Service};
use serde_json::Value;

use shared::invocation::{self, Invocation};
use shared::AppState;

pub const FUNCTION: &str = "panelops-ai-review";

pub async fn handle(
    state: &AppState,
    router: Router,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic> {
    match invocation::classify(FUNCTION, "ai-review", &event.payload) {
        Ok(Invocation::Job) => {
            let report = crate::run(state).await.map_err(|e| failed("ReviewFailed", e.to_string()))?;
            return serde_json::to_value(report).map_err(|e| failed("ReviewFailed", e.to_string()));
        }
        Ok(Invocation::Other) => {}
        Err(sentence) => return Err(invalid(sentence)),
    }
    let request: LambdaRequest = match serde_json::from_value(event.payload.clone()) {
        Ok(r) => r,
        Err(_) => return Err(invalid(invocation::neither(FUNCTION, "ai-review", &event.payload))),
    };
    let mut adapter = Adapter::from(router);
    let response = adapter
        .call(LambdaEvent::new(request, event.context))
        .await
        .map_err(|e| failed("HttpFailed", e.to_string()))?;
    serde_json::to_value(response).map_err(|e| failed("HttpFailed", e.to_string()))
}

fn invalid(sentence: String) -> Diagnostic {
    tracing::error!(error = %sentence, "unusable event");
    Diagnostic { error_type: "InvalidEvent".into(), error_message: sentence }
}

fn failed(kind: &str, message: String) -> Diagnostic {
    Diagnostic { error_type: kind.into(), error_message: message }
}
