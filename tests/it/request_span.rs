//! Every log line of a request says which route it came from, and a 500's page quotes the id its log
//! lines carry.

use axum::http::StatusCode;
use shared::auth::Role;

use crate::helpers::{LogCapture, TestApp};

#[tokio::test]
async fn a_server_error_is_logged_with_its_route_and_the_id_its_page_shows() {
    let logs = LogCapture::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || sink.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::new().await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    // A table the page reads is gone: the page fails on our side.
    app.state.db.connect().await.unwrap().execute("DROP TABLE activity_log", ()).await.unwrap();
    let res = app.get("/activity", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR);
    let id = res.body.split("Request id: ").nth(1).and_then(|s| s.get(..12)).expect("the page quotes an id");
    let text = logs.text();
    let line = text.lines().find(|l| l.contains("request failed")).expect("the failure is logged");
    assert!(line.contains("route=/activity") && line.contains("method=GET"), "{line}");
    assert!(line.contains(&format!("request_id={id}")), "{line}");
}
