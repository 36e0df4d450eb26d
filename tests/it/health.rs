use crate::helpers::TestApp;
use axum::http::StatusCode;

#[tokio::test]
async fn healthz_answers_without_auth_or_data() {
    let app = TestApp::new().await;
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body, "ok");
}

#[tokio::test]
async fn unknown_pages_and_json_get_their_own_error_shape() {
    let app = TestApp::new().await;
    let page = app.get("/no-such-page", None).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("This page does not exist."), "{}", page.body);
    let json = app.get("/reports/nothing.json", None).await;
    assert_eq!(json.status, StatusCode::NOT_FOUND);
    let v: serde_json::Value = serde_json::from_str(&json.body).expect("json envelope");
    assert_eq!(v["error_code"], 404);
    assert!(v["error_message"].as_str().unwrap().contains("does not exist"));
}

#[tokio::test]
async fn static_assets_are_cached_for_long() {
    let app = TestApp::new().await;
    let css = app.get(shared::ui::assets::css_path(), None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(app.get("/static/app.00000.css", None).await.status, StatusCode::NOT_FOUND);
}
