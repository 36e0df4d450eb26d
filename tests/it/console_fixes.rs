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

/// A reply sent at `reply_at` that the reviewer judged bad at `reviewed_at`.
async fn verdict(app: &TestApp, panel: i64, ticket: i64, seq: i64, reply_at: i64, reviewed_at: i64) {
    crate::reports_tickets::verdict(app, panel, ticket, seq, "bob", reply_at, "bad").await;
    app.exec(&format!(
        "UPDATE ai_reviews SET reviewed_at = {reviewed_at} WHERE panel_id = {panel} AND ticket_id = {ticket}"
    ))
    .await;
}

#[tokio::test]
async fn a_new_canned_reply_starts_shared_and_the_box_makes_it_personal() {
    let app = TestApp::new().await;
    app.add_panel("A", "https://a.example", None).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let page = app.get("/canned-replies", Some(&owner)).await;
    assert_eq!(page.attrs("input[name=personal]", "type"), ["checkbox"]);
    assert!(page.attrs("input[name=personal]", "checked").is_empty(), "the box starts unticked");
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

/// Panel 1 whose every resource's sync has failed for ten minutes, and a healthy panel 2.
async fn broken_panel(app: &TestApp) -> (i64, i64) {
    let broken = app.add_panel("Broken", "https://broken.example", Some("key-broken")).await;
    let fine = app.add_panel("Fine", "https://fine.example", Some("key-fine")).await;
    let now = shared::time::now();
    for p in [broken, fine] {
        shared::domain::sync::ensure_rows(&app.state.db, p).await.unwrap();
    }
    app.exec(&format!("UPDATE panels SET created_at = {}", now - D)).await;
    app.exec(&format!(
        "UPDATE sync_state SET status = 'error', message = 'connection refused by broken.example',
         failures = 12, last_ok_at = {}, last_fetched_at = {} WHERE panel_id = {broken}",
        now - 10 * 60,
        now - 30
    ))
    .await;
    app.exec(&format!("UPDATE sync_state SET status = 'ok', last_ok_at = {now} WHERE panel_id = {fine}"))
        .await;
    (broken, fine)
}

#[tokio::test]
async fn a_panel_whose_every_sync_fails_shows_as_in_error_with_why() {
    let app = TestApp::new().await;
    let (broken, _fine) = broken_panel(&app).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let panels = app.get("/panels", Some(&owner)).await;
    let rows = panels.texts("tbody tr");
    let row = rows.iter().find(|r| r.contains("Broken")).cloned().unwrap_or_default();
    assert!(row.contains("error") && row.contains("connection refused by broken.example"), "{row}");
    let fine = rows.iter().find(|r| r.contains("Fine")).cloned().unwrap_or_default();
    assert!(fine.contains("active"), "{fine}");
    let overview = app.get("/", Some(&owner)).await;
    let cards = overview.text("main");
    assert!(cards.contains("1 active · 0 paused · 1 in error"), "{cards}");
    assert!(overview.body.contains("connection refused by broken.example"), "Needs attention says why");
    // The header's note says it in words, not only in a tooltip.
    let note = overview.text(".freshness.late");
    assert!(note.contains("sync in error: Broken: ") && note.contains("connection refused"), "{note}");
    // Only the broken panel in view: the same; the fine one alone: healthy.
    let one = app.get(&format!("/?panel={broken}"), Some(&owner)).await;
    assert!(one.body.contains("0 active · 0 paused · 1 in error"));
    let other = app.get("/?panel=2", Some(&owner)).await;
    assert!(other.body.contains("1 active · 0 paused · 0 in error") && !other.body.contains("sync in error"));
    // A sync that failed only a minute ago after a good run is not yet an error.
    app.exec(&format!(
        "UPDATE sync_state SET last_ok_at = {} WHERE panel_id = {broken}",
        shared::time::now() - 60
    ))
    .await;
    let later = app.get("/?panel=", Some(&owner)).await;
    assert!(later.body.contains("2 active · 0 paused · 0 in error"), "{}", later.body);
}

#[tokio::test]
async fn reporting_or_refreshing_services_keeps_the_panel_choice() {
    let app = TestApp::new().await;
    let a = app.add_panel("A", "https://a.example", None).await;
    let b = app.add_panel("B", "https://b.example", None).await;
    app.exec(&format!(
        "UPDATE panels SET services_key_enc = admin_key_enc, services_key_last4 = 'abcd' WHERE id = {a}"
    ))
    .await;
    let agent = app.as_role("agent1", Role::Agent, &[a, b]).await;
    app.get("/services?panel=&switch=1", Some(&agent)).await;
    let res = app.post(&format!("/services/{b}/7/report"), Some(&agent), &[("reason", "Drops")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/services", "back to the page as it was: all panels");
    let after = app.get("/orders", Some(&agent)).await;
    assert!(after.body.contains("<option value=\"\" selected>All panels</option>"), "still all panels");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM staff WHERE id = {} AND current_panel IS NULL", agent.staff_id)
        )
        .await,
        1
    );
    // With panel A chosen, a report on it returns to panel A.
    app.get(&format!("/services?panel={a}&switch=1"), Some(&agent)).await;
    let res = app.post(&format!("/services/{a}/7/report"), Some(&agent), &[("reason", "Slow")]).await;
    assert_eq!(res.location(), format!("/services?panel={a}"));
    // Refresh names only the panel without a Services API key.
    app.get("/services?panel=&switch=1", Some(&agent)).await;
    let res = app.post("/services/refresh", Some(&agent), &[]).await;
    assert_eq!(res.location(), "/services");
    let page = app.follow(&res, Some(&agent)).await;
    assert!(page.body.contains("B has no Services API key"), "{}", page.body);
    assert!(!page.body.contains("Without a Services API key"));
    app.exec(&format!(
        "UPDATE panels SET services_key_enc = admin_key_enc, services_key_last4 = 'efgh' WHERE id = {b}"
    ))
    .await;
    let res = app.post("/services/refresh", Some(&agent), &[]).await;
    let page = app.follow(&res, Some(&agent)).await;
    assert!(page.body.contains("Catalogue refresh started; reload in a moment.</div>"), "{}", page.body);
}

#[tokio::test]
async fn the_overview_counts_flagged_replies_as_its_page_does() {
    let app = TestApp::new().await;
    let a = app.add_panel("A", "https://a.example", None).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let now = shared::time::now();
    // Two replies sent today; five older replies reviewed today (a catch-up).
    verdict(&app, a, 1, 1, now - H, now - 60).await;
    verdict(&app, a, 2, 1, now - 2 * H, now - 60).await;
    for k in 0..5 {
        verdict(&app, a, 10 + k, 1, now - 5 * D, now - 60).await;
    }
    let overview = app.get("/", Some(&owner)).await;
    assert!(overview.body.contains("href=\"/ai/flagged?window=24h\">2</a>"), "{}", overview.body);
    let page = app.get("/ai/flagged?window=24h", Some(&owner)).await;
    assert!(page.body.contains("Last 24h: <strong>2</strong> flagged"), "{}", page.body);
}

#[tokio::test]
async fn ticket_tracking_flagged_replies_link_tickets_offer_staff_names_and_show_the_window() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let (a, _b) = crate::reports_tickets::seed(&app, t).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let page = app.get("/reports/ticket-tracking/flagged", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("href=\"/tickets/{a}/1\"")), "the ticket is a link");
    assert!(page.body.contains("<select id=\"staff\" name=\"staff\">"), "staff is a choice");
    for name in ["ann", "bob", "zed"] {
        assert!(page.body.contains(&format!("<option value=\"{name}\">{name}</option>")), "{name}");
    }
    assert!(page.body.contains("aria-label=\"Window\""), "the window tabs");
    assert!(page.body.contains("replies in the last 24 hours"), "the window is said");
    let bob = app.get("/reports/ticket-tracking/flagged?staff=bob&window_hours=48", Some(&owner)).await;
    assert!(bob.body.contains("<option value=\"bob\" selected>bob</option>"));
    assert!(bob.body.contains("replies in the last 48 hours"));
    // The user is a link on the ticket page and on the order page.
    let ticket_page = app.get(&format!("/tickets/{a}/1"), Some(&owner)).await;
    assert!(ticket_page.body.contains(&format!("href=\"/users/{a}/named?username=cust\"")), "ticket user");
    order(&app, a, 3000001, 10, "pending", 10, 10, t - H, t - H).await;
    app.exec("UPDATE orders_cache SET user = 'cust' WHERE id = 3000001").await;
    let order_page = app.get(&format!("/orders/{a}/3000001"), Some(&owner)).await;
    assert!(order_page.body.contains(&format!("href=\"/users/{a}/named?username=cust\"")), "order user");
    // Its Copy button is a visible button, not the sidebar's light text on white.
    assert!(order_page.body.contains("class=\"secondary copy\" type=\"button\" data-copy=\"3000001\""));
    assert!(!order_page.body.contains("linkish\" type=\"button\""));
}

#[tokio::test]
async fn money_is_written_in_its_currency_decimals_with_separators() {
    let app = TestApp::new().await;
    let a = app.add_panel("A", "https://a.example", None).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let t = shared::time::now();
    user(&app, a, 5000, "whale", t - 30 * D, 3_820_285_000).await;
    app.exec("UPDATE users_cache SET balance = 1562500, currency = 'USD' WHERE id = 5000").await;
    app.exec(&format!(
        "INSERT INTO payments_cache (panel_id, id, user, amount, currency, method, status, created, checked_at)
         VALUES ({a}, 1, 'whale', 1234567890, 'USD', 'stripe_v2', 'completed', {t}, 0)"
    ))
    .await;
    app.post(
        "/payment-methods",
        Some(&owner),
        &[("internal_name", "stripe_v2"), ("display_name", "Card (Stripe)"), ("min", ""), ("max", "")],
    )
    .await;
    let page = app.get(&format!("/users/{a}/5000"), Some(&owner)).await;
    assert!(page.body.contains("1.56 <span class=\"cur\">USD</span>"), "balance");
    assert!(page.body.contains("3,820.29 <span class=\"cur\">USD</span>"), "spent");
    assert!(page.body.contains("1,234.57 <span class=\"cur\">USD</span>"), "payment");
    assert!(!page.body.contains("1.5625") && !page.body.contains("3820.285"));
    // The payment's method by the name staff know.
    assert!(page.body.contains("<span title=\"stripe_v2\">Card (Stripe)</span>"), "method display name");
    // Ticket tracking's averages of counts are whole numbers.
    service(&app, a, 10, "Likes").await;
    ticket(&app, a, 1, "Orders - Refill", t - H).await;
    message(&app, a, 1, 0, None, "help", t - H).await;
    message(&app, a, 1, 1, Some("ann"), &"a".repeat(130), t - H + 60).await;
    message(&app, a, 1, 2, None, "more", t - H + 120).await;
    message(&app, a, 1, 3, Some("ann"), &"b".repeat(131), t - H + 180).await;
    let staff = app.get("/reports/ticket-tracking/staff", Some(&owner)).await;
    assert!(staff.body.contains(">131</td>") && !staff.body.contains("130.5"), "avg length 130.5 → 131");
}

#[tokio::test]
async fn a_csv_that_is_not_utf8_comes_back_on_the_form_with_the_reason() {
    let app = TestApp::new().await;
    app.add_panel("A", "https://a.example", None).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    // "Café" in Windows-1252, as Excel saves "CSV" on many machines.
    let res =
        crate::data_pages::upload(&app, &owner, b"panel_id,service_id,description\n1,10,Caf\xe9 likes\n")
            .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("The file is not UTF-8 text"), "{}", res.body);
    assert!(res.body.contains("Nothing was imported."));
    assert!(res.body.contains("name=\"file\"") && res.body.contains("<nav class=\"sidebar\""), "on the form");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM service_descriptions").await, 0);
}

#[tokio::test]
async fn the_red_bar_names_the_panel_of_each_critical_id() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let (_a, b) = crate::reports_service::seed(&app, t, 600).await;
    // Service 41 is critical on Beta too: 12 stuck and a slow finished order.
    service(&app, b, 41, "Beta 41 1K/Day").await;
    for k in 0..12 {
        order(&app, b, 9100 + k, 41, "pending", 10, 10, t - 20 * H, t - 20 * H).await;
    }
    order(&app, b, 9120, 41, "completed", 1000, 0, t - 3 * D, t - H).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let page = app.get("/reports/service-health?panel=", Some(&owner)).await;
    let bar = page.text(".redbar");
    assert!(bar.contains("Alpha: 42, 41 · Beta: 41"), "{bar}");
    assert_eq!(page.attrs(".redbar [data-copy]", "data-copy"), ["Alpha: 42,41\nBeta: 41"]);
}

#[tokio::test]
async fn the_api_docs_show_code_not_backticks() {
    let app = TestApp::new().await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let page = app.get("/settings/api-keys/docs", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    let main = page.text("main");
    assert!(!main.contains('`'), "raw backticks: {}", main.split('`').nth(1).unwrap_or_default());
    assert!(page.texts("main code").iter().any(|c| c == "_timestamp"));
}

#[tokio::test]
async fn the_console_has_a_favicon() {
    let app = TestApp::new().await;
    let res = app.get("/favicon.ico", None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.headers[header::CONTENT_TYPE], "image/x-icon");
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    assert!(app.get("/", Some(&owner)).await.body.contains("<link rel=\"icon\" href=\"/favicon.ico\">"));
}
