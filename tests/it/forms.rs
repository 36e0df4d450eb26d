//! Settings forms through the one form helper (`shared::form_post`): a wrong value re-renders the form
//! with its error and what was typed; a conflict the store finds does the same; a save is logged and
//! flashed; who may post is checked.

use axum::http::StatusCode;
use shared::auth::Role;

use crate::helpers::TestApp;

#[tokio::test]
async fn payment_methods_save_refuse_a_taken_name_and_log() {
    let app = TestApp::new().await;
    app.add_panel("One", "https://one.example", None).await;
    let admin = app.as_role_of_all_panels("admin", Role::Admin).await;
    let agent = app.as_role_of_all_panels("agent", Role::Agent).await;
    let form = |internal: &'static str, max: &'static str| {
        vec![("internal_name", internal), ("display_name", "Card"), ("min", "1"), ("max", max)]
    };
    assert_eq!(
        app.post("/payment-methods", Some(&agent), &form("card", "")).await.status,
        StatusCode::FORBIDDEN
    );
    let res = app.post("/payment-methods", Some(&admin), &form("card", "")).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let bad = app.post("/payment-methods", Some(&admin), &form("paypal", "0.5")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("Max must be at least Min.") && bad.body.contains("value=\"paypal\""),
        "{}",
        bad.body
    );
    let taken = app.post("/payment-methods", Some(&admin), &form("card", "")).await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.body.contains("That internal name already has a payment method."));
    let id = app.scalar("SELECT id FROM payment_methods WHERE internal_name = 'card'").await;
    let res = app.post(&format!("/payment-methods/{id}"), Some(&admin), &form("card2", "100")).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar("SELECT max_amount FROM payment_methods WHERE internal_name = 'card2'").await,
        100_000_000
    );
    let res = app.post(&format!("/payment-methods/{id}/delete"), Some(&admin), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM payment_methods").await, 0);
    let logged = app.scalar("SELECT COUNT(*) FROM activity_log WHERE action LIKE 'payment_method.%'").await;
    assert_eq!(logged, 3, "created, updated and deleted are logged; refused posts are not");
}

#[tokio::test]
async fn canned_replies_validate_save_and_stay_personal_for_agents() {
    let app = TestApp::new().await;
    app.add_panel("One", "https://one.example", None).await;
    let agent = app.as_role_of_all_panels("agent", Role::Agent).await;
    let bad = app.post("/canned-replies", Some(&agent), &[("title", ""), ("body", "Hello there")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Give it a title of 1–120 characters.") && bad.body.contains("Hello there"));
    let res = app
        .post("/canned-replies", Some(&agent), &[("title", "Refill"), ("body", "We refill in 24h.")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM canned_replies WHERE owner_id IS NOT NULL").await,
        1,
        "an agent's reply is personal"
    );
    let id = app.scalar("SELECT id FROM canned_replies").await;
    let res = app
        .post(&format!("/canned-replies/{id}"), Some(&agent), &[("title", "Refill 2"), ("body", "Soon.")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = app.post(&format!("/canned-replies/{id}/delete"), Some(&agent), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let actions = app.scalar("SELECT COUNT(*) FROM activity_log WHERE action LIKE 'canned_reply.%'").await;
    assert_eq!(actions, 3);
}
