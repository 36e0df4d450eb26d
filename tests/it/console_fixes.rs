//! What a day of use in a real browser showed (issue 22), kept fixed at the HTTP level: canned replies
//! start shared, a broken panel shows as in error, actions keep the panel choice, the Overview counts
//! flagged replies over its page's window, Ticket tracking's flagged replies link tickets and offer
//! staff names, users are links, Copy is a visible button, money reads like money, a non-UTF-8 CSV
//! comes back on its form, the red bar names each id's panel, and the small things.

use axum::http::{header, StatusCode};
use shared::auth::Role;

use crate::helpers::TestApp;
use crate::reports_support::{message, order, service, ticket, user, D, H};

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.scalar(sql).await
}

#[tokio::test]
async fn a_new_canned_reply_starts_shared_and_the_box_makes_it_personal() {
    let app = TestApp::new().await;
    app.add_panel("A", "https://a.example", None).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let page = app.get("/canned-replies", Some(&owner)).await;
    let tick = page.body.split("name=\"personal\"").nth(1).unwrap_or_default();
    assert!(!tick.split('>').next().unwrap_or_default().contains("checked"), "the box starts unticked");
    // Added as usual: shared, so agents see it.
    app.post("/canned-replies", Some(&owner), &[("title", "Usual"), ("body", "Hello.")]).await;
    // Ticking the box makes one personal.
    app.post("/canned-replies", Some(&owner), &[("title", "Mine"), ("body", "Hi."), ("personal", "1")]).await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM canned_replies WHERE title = 'Usual' AND owner_id IS NULL").await,
        1
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM canned_replies WHERE title = 'Mine' AND owner_id = {}",
                owner.staff_id
            )
        )
        .await,
        1
    );
    let agent = app.as_role("agent1", Role::Agent, &[1]).await;
    let theirs = app.get("/canned-replies", Some(&agent)).await;
    assert!(theirs.body.contains("Usual") && !theirs.body.contains("Mine"));
}
