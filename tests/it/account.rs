use axum::http::StatusCode;
use shared::auth::Role;

use crate::helpers::{TestApp, STRONG};

#[tokio::test]
async fn change_password_and_sign_out_other_sessions() {
    let app = TestApp::new().await;
    let me = app.as_role("agent1", Role::Agent, &[]).await;
    let other = app.session_for(me.staff_id).await;
    let third = app.session_for(me.staff_id).await;
    let page = app.get("/account", Some(&me)).await;
    assert!(page.body.contains("This session"));
    assert_eq!(page.body.matches("/end\"").count(), 2, "the two other sessions can be ended");
    // End one specific session.
    let id = app.scalar(&format!("SELECT MAX(id) FROM sessions WHERE staff_id = {}", me.staff_id)).await;
    app.post(&format!("/account/sessions/{id}/end"), Some(&me), &[]).await;
    assert!(app.get("/account", Some(&third)).await.location().starts_with("/login"));
    // Wrong current password.
    let bad = app
        .post(
            "/account/password",
            Some(&me),
            &[("current", "nope"), ("password", "fresh-pass-99x"), ("confirm", "fresh-pass-99x")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("That is not your current password."));
    let ok = app
        .post(
            "/account/password",
            Some(&me),
            &[("current", STRONG), ("password", "fresh-pass-99x"), ("confirm", "fresh-pass-99x")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/account", Some(&me)).await.status, StatusCode::OK, "this session stays");
    assert!(app.get("/account", Some(&other)).await.location().starts_with("/login"), "others end");
    assert_eq!(app.login_form("agent1", "fresh-pass-99x", "10.3.3.3").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_current_password_is_guessed_no_faster_than_at_sign_in() {
    let app = TestApp::new().await;
    let me = app.as_role("agent1", Role::Agent, &[]).await;
    let guess = |current: &'static str| {
        let (app, me) = (&app, &me);
        async move {
            let form = [("current", current), ("password", "fresh-pass-99x"), ("confirm", "fresh-pass-99x")];
            app.post("/account/password", Some(me), &form).await
        }
    };
    for _ in 0..5 {
        assert!(guess("nope").await.body.contains("That is not your current password."));
    }
    // Now even the right one waits, with words saying so; so does sign-in from that address.
    let held = guess(STRONG).await;
    assert_eq!(held.status, StatusCode::BAD_REQUEST);
    assert!(held.body.contains("Too many failed sign-in attempts"), "{}", held.body);
    assert_eq!(app.login_form("agent1", STRONG, "127.0.0.1").await.status, StatusCode::TOO_MANY_REQUESTS);
    // The guesses throttle the address they came from, not the account.
    assert_eq!(app.login_form("agent1", STRONG, "10.3.3.4").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn one_cannot_end_someone_elses_session() {
    let app = TestApp::new().await;
    let a = app.as_role("agent1", Role::Agent, &[]).await;
    let b = app.as_role("agent2", Role::Agent, &[]).await;
    let b_id = app.scalar(&format!("SELECT id FROM sessions WHERE staff_id = {}", b.staff_id)).await;
    let res = app.post(&format!("/account/sessions/{b_id}/end"), Some(&a), &[]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/account", Some(&b)).await.status, StatusCode::OK);
}
