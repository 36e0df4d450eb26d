use axum::http::StatusCode;
use shared::auth::Role;

use crate::helpers::TestApp;

#[tokio::test]
async fn owner_adds_edits_pauses_and_clears_keys() {
    let app = TestApp::new().await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let empty = app.get("/panels", Some(&owner)).await;
    assert!(empty.body.contains("No panels yet"), "empty state says what to do");
    let res = app
        .post(
            "/panels",
            Some(&owner),
            &[("name", "Main"), ("base_url", "main.example/"), ("admin_key", "key-aaaa-1234")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let list = app.follow(&res, Some(&owner)).await;
    assert!(list.body.contains("Panel Main added."), "flash after the action");
    assert!(list.cookie("po_flash").is_some_and(|c| c.contains("Max-Age=0")), "and is cleared");
    assert!(list.body.contains("https://main.example") && list.body.contains("•••• 1234"));
    // The flash shows once.
    assert!(!app.get("/panels", Some(&owner)).await.body.contains("Panel Main added."));
    // Blank keeps the key, a dash clears it.
    app.post(
        "/panels/1",
        Some(&owner),
        &[("name", "Main 2"), ("base_url", "https://main.example"), ("admin_key", "")],
    )
    .await;
    assert!(app.get("/panels/1", Some(&owner)).await.body.contains("•••• 1234"));
    app.post(
        "/panels/1",
        Some(&owner),
        &[("name", "Main 2"), ("base_url", "https://main.example"), ("admin_key", "-")],
    )
    .await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM panels WHERE admin_key_enc IS NULL AND admin_key_last4 IS NULL")
            .await,
        1
    );
    // Pause and resume.
    app.post("/panels/1/status", Some(&owner), &[("status", "paused")]).await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM panels WHERE status = 'paused'").await, 1);
    let log = app.scalar("SELECT COUNT(*) FROM activity_log WHERE action LIKE 'panel.%'").await;
    assert_eq!(log, 4, "every change is in the activity log");
}

#[tokio::test]
async fn bad_values_get_words_next_to_the_field_and_keep_input() {
    let app = TestApp::new().await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let res = app.post("/panels", Some(&owner), &[("name", "Kept name"), ("base_url", "ftp://nope")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("The address must start with https://"));
    assert!(res.body.contains("value=\"Kept name\""));
    app.add_panel("A", "https://a.example", None).await;
    let dup =
        app.post("/panels", Some(&owner), &[("name", "B"), ("base_url", "https://a.example/admin")]).await;
    assert_eq!(dup.status, StatusCode::BAD_REQUEST);
    assert!(dup.body.contains("already exists"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM panels").await, 1);
    // An address that is not a panel's number is a page that says so, not bare text.
    let res = app.get("/panels/abc", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("<!DOCTYPE html>") && res.body.contains("abc"), "{}", res.body);
}

#[tokio::test]
async fn admins_edit_only_and_cannot_add() {
    let app = TestApp::new().await;
    app.add_panel("A", "https://a.example", None).await;
    let admin = app.as_role("admin1", Role::Admin, &[1]).await;
    assert_eq!(app.get("/panels/new", Some(&admin)).await.status, StatusCode::FORBIDDEN);
    let ok = app.post("/panels/1", Some(&admin), &[("name", "A2"), ("base_url", "https://a.example")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM panels WHERE name = 'A2'").await, 1);
}

#[tokio::test]
async fn a_new_address_needs_the_keys_typed_again() {
    let app = TestApp::new().await;
    app.add_panel("A", "https://a.example", Some("admin-key-9876")).await;
    let admin = app.as_role("admin1", Role::Admin, &[1]).await;
    // Moving the panel without its key would send the saved key to the new address.
    let res = app
        .post("/panels/1", Some(&admin), &[("name", "A"), ("base_url", "https://collector.example")])
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("enter this key again"), "{}", res.body);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM panels WHERE base_url = 'https://a.example'").await, 1);
    let res = app
        .post(
            "/panels/1",
            Some(&admin),
            &[("name", "A"), ("base_url", "https://b.example"), ("admin_key", "admin-key-5555")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(app.get("/panels/1", Some(&admin)).await.body.contains("•••• 5555"));
    // The domain clears a key that is not given with a new address, whoever calls it.
    let input = shared::domain::panels::PanelInput {
        name: "A".into(),
        base_url: "https://c.example".into(),
        status: shared::domain::panels::PanelStatus::Active,
        admin_key: None,
        services_key: None,
    };
    shared::domain::panels::update(&app.state.db, &app.state.config.secret_key, 1, &input)
        .await
        .expect("update");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM panels WHERE admin_key_enc IS NULL AND admin_key_last4 IS NULL")
            .await,
        1
    );
}
