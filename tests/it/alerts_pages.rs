//! Settings → Alerts and Alerts → History as staff use them: channels added by form with their
//! secrets never shown again, "Send test" with its result, who may change which channel, and a
//! history scoped to the viewer's panels.

use axum::http::StatusCode;
use shared::auth::Role;
use testkit::receiver::ReceiverHandle;

use crate::alerts::{run, setup, sync_error, waiting_ticket, NOW};
use crate::helpers::TestApp;

fn channel_form<'a>(
    name: &'a str,
    kind: &'a str,
    target: &'a str,
    panels: &'a [&'a str],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("name", name), ("kind", kind), ("target", target), ("enabled", "1")];
    for r in ["service_critical", "stuck_orders", "sync_trouble", "waiting_ticket", "big_deposit"] {
        form.push(("rules", r));
    }
    if panels.is_empty() {
        form.push(("all_panels", "1"));
    }
    for p in panels {
        form.push(("panels", p));
    }
    form
}

#[tokio::test]
async fn an_owner_adds_a_channel_tests_it_and_never_sees_its_secrets_again() {
    let (app, rx) = setup().await;
    let owner = app.as_role("boss", Role::Owner, &[]).await;
    let url = format!("{}/hook/very-secret-path", rx.base_url);
    let res =
        app.post("/settings/alerts", Some(&owner), &channel_form("Ops hook", "webhook", &url, &[])).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("Copy the signing secret now"), "the secret is shown once");
    assert_eq!(res.headers.get("cache-control").unwrap(), "no-store");
    assert!(!res.body.contains("very-secret-path"));

    let page = app.get("/settings/alerts", Some(&owner)).await;
    assert!(page.body.contains("Ops hook") && page.body.contains("All panels"), "{}", page.body);
    assert!(!page.body.contains("very-secret-path") && !page.body.contains("Copy the signing secret"));

    // Send test: delivered, and the page says so.
    let res = app.post("/settings/alerts/1/test", Some(&owner), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = app.follow(&res, Some(&owner)).await;
    assert!(page.body.contains("Test sent to Ops hook: delivered."), "{}", page.body);
    assert_eq!(rx.received().len(), 1);
    assert_eq!(rx.received()[0].json()["event"], "test");
    assert_eq!(rx.received()[0].path, "/hook/very-secret-path");

    // A failing receiver: the result says why, and the channel's row shows it.
    rx.fail(500, None);
    let res = app.post("/settings/alerts/1/test", Some(&owner), &[]).await;
    let page = app.follow(&res, Some(&owner)).await;
    assert!(page.body.contains("Test to Ops hook failed: HTTP 500"), "{}", page.body);
    let page = app.get("/settings/alerts", Some(&owner)).await;
    assert!(page.body.contains("the stand-in was told to fail"), "{}", page.body);

    // A Telegram token is write-only too; editing without it keeps it.
    let res = app
        .post("/settings/alerts", Some(&owner), &{
            let mut f = channel_form("Owner chat", "telegram", "123456:SECRET-token", &[]);
            f.push(("chat_id", "-1001"));
            f
        })
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app.get("/settings/alerts?edit=2", Some(&owner)).await;
    assert!(!page.body.contains("SECRET-token") && page.body.contains("oken"), "{}", page.body);
    let mut edit = channel_form("Owner chat 2", "telegram", "", &[]);
    edit.push(("chat_id", "-1002"));
    let res = app.post("/settings/alerts/2", Some(&owner), &edit).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM alert_channels WHERE name = 'Owner chat 2' AND chat_id = '-1002'")
            .await,
        1
    );
    let conn = app.state.db.connect().await.unwrap();
    let c = panelops_reports::alerts::channels::get(&conn, 2).await.unwrap().unwrap();
    assert_eq!(c.target(&app.state.config.secret_key).unwrap(), "123456:SECRET-token");

    // Deleted.
    let res = app.post("/settings/alerts/2/delete", Some(&owner), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM alert_channels").await, 1);
}

#[tokio::test]
async fn an_admin_manages_channels_of_their_panels_only() {
    let (app, rx) = setup().await;
    let owner = app.as_role("boss", Role::Owner, &[]).await;
    let admin = app.as_role("ann", Role::Admin, &[1]).await;
    let url = format!("{}/hook", rx.base_url);
    let res =
        app.post("/settings/alerts", Some(&admin), &channel_form("Everything", "webhook", &url, &[])).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Only the owner adds a channel for every panel"), "{}", res.body);
    let res =
        app.post("/settings/alerts", Some(&admin), &channel_form("Panel two", "slack", &url, &["2"])).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("not yours"), "{}", res.body);
    let res =
        app.post("/settings/alerts", Some(&admin), &channel_form("One's Slack", "slack", &url, &["1"])).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = app.post("/settings/alerts", Some(&owner), &channel_form("Owner's", "slack", &url, &[])).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    // The owner's all-panel channel is listed to the admin but not theirs to change.
    let page = app.get("/settings/alerts", Some(&admin)).await;
    assert!(page.body.contains("One&#39;s Slack") || page.body.contains("One's Slack"), "{}", page.body);
    assert!(!page.body.contains("/settings/alerts/2/delete"));
    assert_eq!(app.post("/settings/alerts/2/delete", Some(&admin), &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post("/settings/alerts/2/test", Some(&admin), &[]).await.status, StatusCode::FORBIDDEN);
    // Rules' thresholds are the owner's.
    assert_eq!(
        app.post("/settings/alerts/rules", Some(&admin), &[("stuck_orders.threshold", "5")]).await.status,
        StatusCode::FORBIDDEN
    );
    let res = app
        .post(
            "/settings/alerts/rules",
            Some(&owner),
            &[("waiting_ticket.threshold", "300"), ("waiting_ticket.cooldown", "60")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        app.scalar("SELECT CAST(threshold AS INTEGER) FROM alert_rules WHERE rule = 'waiting_ticket'").await,
        300
    );
    // A ticket waiting two hours no longer fires at a threshold of five.
    waiting_ticket(&app, 1, 10).await;
    assert_eq!(run(&app, NOW).await.opened, 0);
}

#[tokio::test]
async fn history_lists_incidents_and_deliveries_of_the_viewers_panels() {
    let (app, rx) = setup().await;
    let other = ReceiverHandle::start().unwrap();
    let owner = app.as_role("boss", Role::Owner, &[]).await;
    let viewer = app.as_role("vic", Role::Viewer, &[1]).await;
    let ok = format!("{}/hook", rx.base_url);
    let bad = format!("{}/hook", other.base_url);
    app.post("/settings/alerts", Some(&owner), &channel_form("Good hook", "webhook", &ok, &[])).await;
    app.post("/settings/alerts", Some(&owner), &channel_form("Bad hook", "webhook", &bad, &[])).await;
    other.fail(500, None);
    waiting_ticket(&app, 1, 10).await;
    sync_error(&app, 2).await;
    let r = run(&app, NOW).await;
    assert_eq!((r.opened, r.sent, r.failed), (2, 2, 2), "{r:?}");

    let page = app.get("/alerts", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("ticket #10") && page.body.contains("sync trouble"), "{}", page.body);
    assert!(
        page.body.contains("Good hook") && page.body.contains("Bad hook") && page.body.contains("HTTP 500")
    );
    let page = app.get("/alerts", Some(&viewer)).await;
    assert!(page.body.contains("ticket #10"), "{}", page.body);
    assert!(!page.body.contains("sync trouble"), "panel 2's incident is not the viewer's");

    let page = app.get("/alerts?rule=sync_trouble", Some(&owner)).await;
    assert!(!page.body.contains("ticket #10") && page.body.contains("sync trouble"));
    let page = app.get("/alerts?state=resolved", Some(&owner)).await;
    assert!(page.body.contains("No alerts match these filters"), "{}", page.body);
    let page = app.get("/alerts?result=failed&channel=2", Some(&owner)).await;
    assert!(page.body.contains("ticket #10") && page.body.contains("sync trouble"));
    assert_eq!(app.get("/alerts?rule=nonsense", Some(&owner)).await.status, StatusCode::BAD_REQUEST);
}

/// The page's own budget: the history is one read batch after the session's.
#[tokio::test]
async fn history_and_settings_pages_render_for_a_fresh_console() {
    let app = TestApp::new().await;
    let owner = app.as_role("boss", Role::Owner, &[]).await;
    let page = app.get("/alerts", Some(&owner)).await;
    assert!(page.body.contains("No alerts yet"), "{}", page.body);
    let page = app.get("/settings/alerts", Some(&owner)).await;
    assert!(page.body.contains("No channels yet") && page.body.contains("Service critical"), "{}", page.body);
}

#[tokio::test]
async fn a_channel_keeps_its_time_zone_and_digests_from_the_form() {
    let (app, rx) = setup().await;
    let owner = app.as_role("boss", Role::Owner, &[]).await;
    let url = format!("{}/hook", rx.base_url);
    let mut form = channel_form("Berlin", "slack", &url, &["1"]);
    form.extend([
        ("time_zone", "Mars/Olympus"),
        ("quiet_start", "22:00"),
        ("quiet_end", "07:00"),
        ("digest_daily", "1"),
        ("digest_hour", "8"),
        ("digest_weekday", "5"),
    ]);
    let res = app.post("/settings/alerts", Some(&owner), &form).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Write the time zone by its name, like Europe/Berlin"), "{}", res.body);
    // What was typed is kept.
    assert!(
        res.body.contains("value=\"Mars/Olympus\"") && res.body.contains("value=\"8\" selected"),
        "{}",
        res.body
    );

    form.retain(|(k, _)| *k != "time_zone");
    form.push(("time_zone", "europe/berlin"));
    form.push(("digest_weekly", "1"));
    let res = app.post("/settings/alerts", Some(&owner), &form).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app.follow(&res, Some(&owner)).await;
    assert!(page.body.contains("22:00–07:00") && page.body.contains("Europe/Berlin"), "{}", page.body);
    assert!(page.body.contains("daily at 08:00, weekly on Fridays"), "{}", page.body);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM alert_channels WHERE time_zone = 'Europe/Berlin' AND digest_daily = 1
             AND digest_weekly = 1 AND digest_hour = 8 AND digest_weekday = 5 AND quiet_start = 1320"
        )
        .await,
        1
    );
    // The edit form starts from what is saved.
    let page = app.get("/settings/alerts?edit=1", Some(&owner)).await;
    assert!(
        page.body.contains("value=\"Europe/Berlin\"") && page.body.contains("value=\"5\" selected"),
        "{}",
        page.body
    );
}
