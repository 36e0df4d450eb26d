use axum::http::StatusCode;
use shared::auth::Role;

use crate::helpers::{TestApp, STRONG};

#[tokio::test]
async fn owner_manages_staff() {
    let app = TestApp::new().await;
    app.add_panel("A", "https://a.example", None).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let weak = app
        .post("/staff", Some(&owner), &[("username", "carol"), ("password", "123"), ("role", "agent")])
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(weak.body.contains("Use at least 10 characters."));
    assert!(weak.body.contains("value=\"carol\""), "values are kept after an error");
    let ok = app
        .post(
            "/staff",
            Some(&owner),
            &[("username", "carol"), ("password", STRONG), ("role", "agent"), ("panels", "1")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let dup = app
        .post("/staff", Some(&owner), &[("username", "Carol"), ("password", STRONG), ("role", "agent")])
        .await;
    assert_eq!(dup.status, StatusCode::BAD_REQUEST);
    assert!(dup.body.contains("already taken"));
    let list = app.get("/staff", Some(&owner)).await;
    assert!(list.body.contains("carol") && list.body.contains("Agent"));
    // Carol signs in, then is deactivated: her session ends at once.
    let carol_id = app.scalar("SELECT id FROM staff WHERE username = 'carol'").await;
    let carol = app.session_for(carol_id).await;
    assert_eq!(app.get("/panels", Some(&carol)).await.status, StatusCode::OK);
    let res =
        app.post(&format!("/staff/{carol_id}"), Some(&owner), &[("role", "viewer"), ("panels", "1")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(app.get("/panels", Some(&carol)).await.location().starts_with("/login"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM staff WHERE username = 'carol' AND active = 0 AND role = 'viewer'")
            .await,
        1
    );
    // Reset password signs them out everywhere and is logged.
    app.exec(&format!("UPDATE staff SET active = 1 WHERE id = {carol_id}")).await;
    let again = app.session_for(carol_id).await;
    let reset = app
        .post(&format!("/staff/{carol_id}/password"), Some(&owner), &[("password", "brand-new-pass-42")])
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    assert!(app.get("/panels", Some(&again)).await.location().starts_with("/login"));
    assert_eq!(app.login_form("carol", "brand-new-pass-42", "10.2.2.2").await.status, StatusCode::SEE_OTHER);
    let log = app.scalar("SELECT COUNT(*) FROM activity_log WHERE action LIKE 'staff.%'").await;
    assert_eq!(log, 3);
}

#[tokio::test]
async fn the_last_owner_cannot_be_demoted_or_deactivated() {
    let app = TestApp::new().await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let res = app
        .post(&format!("/staff/{}", owner.staff_id), Some(&owner), &[("role", "admin"), ("active", "1")])
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("last active owner"));
    let res = app.post(&format!("/staff/{}", owner.staff_id), Some(&owner), &[("role", "owner")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM staff WHERE role = 'owner' AND active = 1").await, 1);
}

#[tokio::test]
async fn admins_cannot_manage_staff() {
    let app = TestApp::new().await;
    let admin = app.as_role("admin1", Role::Admin, &[]).await;
    let res = app
        .post("/staff", Some(&admin), &[("username", "mallory"), ("password", STRONG), ("role", "owner")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM staff").await, 1);
}
