use axum::http::StatusCode;
use shared::auth::Role;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_log_filters_and_pages() {
    let app = TestApp::new().await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    for i in 0..60 {
        app.post(
            "/panels",
            Some(&owner),
            &[("name", &format!("P{i}")), ("base_url", &format!("https://p{i}.example"))],
        )
        .await;
    }
    app.login_form("ghost", "whatever-pass", "10.9.9.9").await;
    let page = app.get("/activity", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.matches("<code>").count(), 50, "50 per page");
    assert!(
        page.body.contains("login.failed") && page.body.contains("ghost") && page.body.contains("10.9.9.9")
    );
    assert!(page.body.contains("rel=\"next\""));
    let failed = app.get("/activity?action=login.failed", Some(&owner)).await;
    assert_eq!(failed.body.matches("<code>login.failed</code>").count(), 1);
    assert!(failed.body.contains("Action: login.failed"), "active filters are chips");
    let by_owner = app.get(&format!("/activity?staff={}", owner.staff_id), Some(&owner)).await;
    assert!(!by_owner.body.contains("ghost"));
    let bad = app.get("/activity?from=yesterday", Some(&owner)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("From must be a date"));
    // Older page via the keyset link.
    let next = page
        .body
        .split("rel=\"next\"")
        .next()
        .and_then(|s| s.rsplit("href=\"").next())
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let older = app.get(&next, Some(&owner)).await;
    assert_eq!(older.body.matches("<code>").count(), 11);
}

#[tokio::test]
async fn admins_see_only_their_panels_entries() {
    let app = TestApp::new().await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    app.post("/panels", Some(&owner), &[("name", "Mine"), ("base_url", "https://mine.example")]).await;
    app.post("/panels", Some(&owner), &[("name", "Theirs"), ("base_url", "https://theirs.example")]).await;
    let admin = app.as_role("admin1", Role::Admin, &[1]).await;
    // Entries without a panel (sign-ins, staff changes) carry other people's addresses: a limited
    // admin sees only their own.
    app.exec(
        "INSERT INTO activity_log (at, staff_id, username, action, details, ip, user_agent)
              VALUES (1, 1, 'owner1', 'login', 'Signed in', '198.51.100.7', 'ua'),
                     (2, 2, 'admin1', 'login', 'Signed in', '203.0.113.9', 'ua')",
    )
    .await;
    let page = app.get("/activity", Some(&admin)).await;
    assert!(page.body.contains("mine.example") && !page.body.contains("theirs.example"));
    assert!(page.body.contains("203.0.113.9") && !page.body.contains("198.51.100.7"));
    let all = app.get("/activity", Some(&owner)).await;
    assert!(all.body.contains("203.0.113.9") && all.body.contains("198.51.100.7"));
    // The filter's choices name only people and actions of entries they may see.
    let other = app.add_staff("agent-of-theirs", Role::Agent, &[2]).await;
    app.exec(&format!(
        "INSERT INTO activity_log (at, staff_id, username, action, details, panel_id, ip, user_agent)
              VALUES (3, {other}, 'agent-of-theirs', 'ticket.closed_elsewhere', 'Closed', 2, '192.0.2.1', 'ua')"
    ))
    .await;
    let page = app.get("/activity", Some(&admin)).await;
    assert!(!page.body.contains("agent-of-theirs") && !page.body.contains("ticket.closed_elsewhere"));
    assert!(page.body.contains("<option value=\"2\">admin1</option>"), "their own name is a choice");
    let all = app.get("/activity", Some(&owner)).await;
    assert!(all.body.contains("agent-of-theirs") && all.body.contains("ticket.closed_elsewhere"));
}
