//! Each Lambda handler fed events as the runtime would: its own job, an API Gateway request, and
//! events it cannot use, which are answered with one sentence naming what it expected.

use lambda_http::lambda_runtime::{Context, Diagnostic};
use lambda_http::LambdaEvent;
use serde_json::{json, Value};

use crate::helpers::TestApp;

fn event(payload: Value) -> LambdaEvent<Value> {
    LambdaEvent::new(payload, Context::default())
}

/// What EventBridge Scheduler sends a target that has no `Input`.
pub fn envelope() -> Value {
    json!({
        "version": "0", "id": "4d6e8b1c", "detail-type": "Scheduled Event", "source": "aws.scheduler",
        "account": "123456789012", "time": "2025-06-15T10:00:00Z", "region": "eu-west-1",
        "resources": ["arn:aws:scheduler:eu-west-1:123456789012:schedule/default/panelops-sync"],
        "detail": "{}"
    })
}

fn refused(result: Result<Value, Diagnostic>) -> String {
    let d = result.expect_err("the event is refused");
    assert_eq!(d.error_type, "InvalidEvent");
    let sentences = d.error_message.matches(". ").count() + d.error_message.matches(": ").count();
    assert!(d.error_message.ends_with('.') && sentences <= 1, "one sentence: {}", d.error_message);
    d.error_message
}

#[tokio::test]
async fn the_sync_names_the_input_it_expects() {
    let app = TestApp::new().await;
    let run = |p: Value| {
        let state = app.state.clone();
        async move { panelops_sync::lambda::handle(&state, None, event(p)).await }
    };
    let expected = r#"expected {"job":"sync"}"#;
    for bad in [json!({}), json!({"job": 5}), json!({"job": "ai-review"})] {
        let msg = refused(run(bad.clone()).await);
        assert!(msg.starts_with("panelops-sync ") && msg.contains(expected), "{msg}");
        assert!(msg.contains(&bad.to_string()), "says what came: {msg}");
    }
    let msg = refused(run(envelope()).await);
    assert!(msg.contains(expected) && msg.contains("EventBridge event without it"), "{msg}");
    let ok = run(json!({"job": "sync"})).await.expect("the job runs");
    assert_eq!(ok["job"], "sync");
}

#[tokio::test]
async fn the_ai_reviewer_names_both_events_it_expects() {
    let app = TestApp::new().await;
    let router = panelops_ai_review::app(&app.state);
    let run = |p: Value| {
        let (state, router) = (app.state.clone(), router.clone());
        async move { panelops_ai_review::lambda::handle(&state, router, event(p)).await }
    };
    for bad in [json!({}), json!({"hello": "there"})] {
        let msg = refused(run(bad).await);
        assert!(
            msg.starts_with("panelops-ai-review expected {\"job\":\"ai-review\"}")
                && msg.contains("or an HTTP request from API Gateway"),
            "{msg}"
        );
    }
    let msg = refused(run(json!({"job": 5})).await);
    assert!(msg.contains(r#"expected {"job":"ai-review"}"#) && msg.contains(r#"got {"job":5}"#), "{msg}");
    let msg = refused(run(envelope()).await);
    assert!(msg.contains("EventBridge event without it"), "{msg}");
    // Its own job, and a request from an HTTP API.
    let ok = run(json!({"job": "ai-review"})).await.expect("the reviewer runs");
    assert_eq!(ok["job"], "ai-review");
    let http = run(http_event("/healthz")).await.expect("served");
    assert_eq!(http["statusCode"], 200, "{http}");
    assert_eq!(http["body"], "ok");
}

/// An HTTP API (payload 2.0) GET as API Gateway sends it.
pub fn http_event(path: &str) -> Value {
    crate::lambda_runtime::http_request("GET", path, &[], &[], "")
}

#[tokio::test]
async fn the_reports_function_runs_the_alerts_and_serves_pages() {
    let app = TestApp::new().await;
    let router = panelops_reports::app(&app.state);
    let run = |p: Value| {
        let (state, router) = (app.state.clone(), router.clone());
        async move { panelops_reports::lambda::handle(&state, router, event(p)).await }
    };
    let msg = refused(run(json!({"job": "sync"})).await);
    assert!(msg.starts_with(r#"panelops-reports expected {"job":"alerts"}"#), "{msg}");
    let msg = refused(run(envelope()).await);
    assert!(msg.contains("EventBridge event without it"), "{msg}");
    let ok = run(json!({"job": "alerts"})).await.expect("the alerts run");
    assert_eq!(ok["job"], "alerts");
    assert_eq!((ok["opened"].as_u64(), ok["sent"].as_u64()), (Some(0), Some(0)), "{ok}");
    let http = run(http_event("/healthz")).await.expect("served");
    assert_eq!(http["statusCode"], 200, "{http}");
}
