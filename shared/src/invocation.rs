//! What a Lambda invocation's payload asks of a function that runs a scheduled job. The template gives
//! every schedule an explicit `Input` (`{"job":"sync"}`); any other payload is answered with one
//! sentence naming what the function expected, instead of a deserializer's "missing field `job`".

use std::future::Future;

use axum::Router;
use lambda_http::lambda_runtime::Diagnostic;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, LambdaEvent, Service};
use serde::Serialize;
use serde_json::Value;

use crate::error::AppResult;

/// What a payload asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    /// `{"job": "<the function's job>"}`: run it.
    Job,
    /// Names no job and is no scheduler event: an HTTP request, for a function that also serves pages.
    Other,
}

/// Reads `payload` for a function (`function`, its binary's name) whose schedule sends
/// `{"job": "<job>"}`. Err is the sentence to answer with.
pub fn classify(function: &str, job: &str, payload: &Value) -> Result<Invocation, String> {
    let expected = expected_input(job);
    match payload.get("job") {
        Some(Value::String(j)) if j == job => Ok(Invocation::Job),
        Some(_) => {
            Err(format!("{function} expected {expected} (its schedule's Input) but got {}.", shown(payload)))
        }
        // EventBridge's own envelope (detail-type, source, a string `detail`): a schedule without Input.
        None if payload.get("source").and_then(Value::as_str).is_some_and(|s| s.starts_with("aws."))
            || payload.get("detail-type").is_some() =>
        {
            Err(format!(
                "{function} expected {expected} but got an EventBridge event without it: give the schedule \
                 the Input {expected}, as template.yaml does."
            ))
        }
        None => Ok(Invocation::Other),
    }
}

/// The sentence for a payload a job-only function cannot use (`Invocation::Other`).
pub fn not_a_job(function: &str, job: &str, payload: &Value) -> String {
    format!("{function} expected {} (its schedule's Input) but got {}.", expected_input(job), shown(payload))
}

/// The sentence for a payload that is neither the job nor an HTTP request the function could read.
pub fn neither(function: &str, job: &str, payload: &Value) -> String {
    format!(
        "{function} expected {} (its schedule's Input) or an HTTP request from API Gateway, but got {}.",
        expected_input(job),
        shown(payload)
    )
}

/// The handler of a function that answers two kinds of event: the scheduler's `{"job":"<job>"}` runs
/// `job_run`, an API Gateway request is served by `router`. Anything else is answered with one
/// sentence naming what was expected.
pub async fn job_or_http<T, F>(
    function: &str,
    job: &str,
    router: Router,
    event: LambdaEvent<Value>,
    job_run: impl FnOnce() -> F,
) -> Result<Value, Diagnostic>
where
    T: Serialize,
    F: Future<Output = AppResult<T>>,
{
    let job_failed = |e: String| failed(&format!("{}Failed", camel(job)), e);
    match classify(function, job, &event.payload) {
        Ok(Invocation::Job) => {
            let report = job_run().await.map_err(|e| job_failed(e.to_string()))?;
            return serde_json::to_value(report).map_err(|e| job_failed(e.to_string()));
        }
        Ok(Invocation::Other) => {}
        Err(sentence) => return Err(invalid(sentence)),
    }
    let request: LambdaRequest = match serde_json::from_value(event.payload.clone()) {
        Ok(r) => r,
        Err(_) => return Err(invalid(neither(function, job, &event.payload))),
    };
    let mut adapter = Adapter::from(router);
    let response = adapter
        .call(LambdaEvent::new(request, event.context))
        .await
        .map_err(|e| failed("HttpFailed", e.to_string()))?;
    serde_json::to_value(response).map_err(|e| failed("HttpFailed", e.to_string()))
}

/// `ai-review` → `AiReview`: the job's part of an error type.
fn camel(job: &str) -> String {
    job.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

/// An event the function cannot use, logged and answered with the sentence.
pub fn invalid(sentence: String) -> Diagnostic {
    tracing::error!(error = %sentence, "unusable event");
    Diagnostic { error_type: "InvalidEvent".into(), error_message: sentence }
}

fn failed(kind: &str, message: String) -> Diagnostic {
    Diagnostic { error_type: kind.into(), error_message: message }
}

fn expected_input(job: &str) -> String {
    serde_json::json!({ "job": job }).to_string()
}

/// The payload as compact JSON, cut short: enough to recognise it in a log.
fn shown(payload: &Value) -> String {
    let text = payload.to_string();
    match text.char_indices().nth(120) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_what_was_expected() {
        assert_eq!(classify("f", "sync", &json!({"job": "sync"})), Ok(Invocation::Job));
        assert_eq!(classify("f", "sync", &json!({"httpMethod": "GET"})), Ok(Invocation::Other));
        let wrong = classify("f", "sync", &json!({"job": 5})).unwrap_err();
        assert_eq!(wrong, r#"f expected {"job":"sync"} (its schedule's Input) but got {"job":5}."#);
        let envelope = json!({"version": "0", "detail-type": "Scheduled Event", "source": "aws.scheduler", "detail": "{}"});
        let e = classify("f", "sync", &envelope).unwrap_err();
        assert!(e.contains("without it") && e.contains(r#"the Input {"job":"sync"}"#), "{e}");
        assert_eq!(
            not_a_job("f", "sync", &json!({})),
            r#"f expected {"job":"sync"} (its schedule's Input) but got {}."#
        );
        let long = json!({"x": "y".repeat(500)});
        assert!(neither("f", "a", &long).len() < 260);
    }
}
