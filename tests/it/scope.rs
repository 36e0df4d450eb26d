use axum::http::StatusCode;
use shared::auth::Role;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_chosen_panel_is_remembered_and_kept_in_links() {
    let app = TestApp::new().await;
    app.add_panel("One", "https://one.example", None).await;
    app.add_panel("Two", "https://two.example", None).await;
    let admin = app.as_role("admin1", Role::Admin, &[1, 2]).await;
    // The switcher sends `switch` with the panel: only then is the choice remembered.
    let res = app.get("/panels?panel=2&switch=1", Some(&admin)).await;
    assert_eq!(res.status, StatusCode::OK);
    // Remembered: the next page without the parameter keeps panel 2 in its links.
    let next = app.get("/account", Some(&admin)).await;
    assert!(next.body.contains("href=\"/panels?panel=2\""), "links carry the panel");
    assert!(next.body.contains("<option value=\"2\" selected>"), "the switcher shows it");
    // A link (or an action's way back) naming another panel shows it for that page alone.
    let one = app.get("/panels?panel=1", Some(&admin)).await;
    assert!(one.body.contains("<option value=\"1\" selected>"), "that page shows panel 1");
    let again = app.get("/account", Some(&admin)).await;
    assert!(again.body.contains("<option value=\"2\" selected>"), "the choice is still panel 2");
    // "All panels" clears it.
    app.get("/account?panel=&switch=1", Some(&admin)).await;
    let all = app.get("/account", Some(&admin)).await;
    assert!(all.body.contains("href=\"/panels\""));
    // A remembered panel that leaves the scope is dropped, not used.
    app.get("/account?panel=2&switch=1", Some(&admin)).await;
    app.exec(&format!("DELETE FROM staff_panels WHERE staff_id = {} AND panel_id = 2", admin.staff_id)).await;
    let after = app.get("/account", Some(&admin)).await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(!after.body.contains("panel=2"));
}

#[tokio::test]
async fn a_bad_panel_parameter_is_a_clear_400() {
    let app = TestApp::new().await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let res = app.get("/panels?panel=abc", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("The panel must be a panel id."));
}

#[tokio::test]
async fn agents_and_viewers_see_panels_without_key_hints() {
    let app = TestApp::new().await;
    app.add_panel("One", "https://one.example", Some("abcdefgh-9876")).await;
    let viewer = app.as_role("viewer1", Role::Viewer, &[1]).await;
    let res = app.get("/panels", Some(&viewer)).await;
    assert!(res.body.contains("One"));
    assert!(!res.body.contains("9876"), "key hints are for admins");
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    assert!(app.get("/panels", Some(&owner)).await.body.contains("•••• 9876"));
}
