//! Each fault switch of the simulator: the run records the error, loses and duplicates nothing, and a
//! later run completes.

use shared::domain::sync::{self, Resource};

use crate::helpers::TestApp;
use crate::sync_support::{assert_mirrors, register, sim, sync_idle};

async fn state_of(app: &TestApp, panel: i64, r: Resource) -> sync::SyncRow {
    sync::get(&app.state.db, panel, r).await.unwrap().unwrap()
}

/// The resource's interval has passed: the next run reads it again.
async fn due_again(app: &TestApp, resource: &str) {
    app.exec(&format!(
        "UPDATE sync_state SET cycle_done_at = 0, last_fetched_at = 0 WHERE resource = '{resource}'"
    ))
    .await;
}

async fn no_duplicates(app: &TestApp) {
    for t in ["orders_cache", "users_cache", "payments_cache", "tickets_cache"] {
        let dup = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM {t} GROUP BY panel_id, id HAVING COUNT(*) > 1)"
            ))
            .await;
        assert_eq!(dup, 0, "{t}");
    }
}

/// Runs with the fault on, checks the recorded error, then clears it and checks full recovery.
async fn recovers_from(seed: u64, set: impl Fn(&mut testkit::Faults), expect_error: &str) {
    let app = TestApp::new().await;
    let sim = sim(seed, 2_500, false).await;
    let panel = register(&app, &sim).await;
    sim.faults(&set);
    let report = sync_idle(&app, panel).await;
    assert!(report.errors() > 0, "the fault shows as an error: {report:?}");
    let orders = state_of(&app, panel, Resource::Orders).await;
    assert_eq!(orders.status.as_str(), "error");
    let msg = orders.message.clone().unwrap_or_default();
    assert!(msg.contains(expect_error), "message {msg:?} should mention {expect_error:?}");
    assert!(orders.next_retry_at.is_some(), "a retry is scheduled");
    no_duplicates(&app).await;
    sim.faults(|f| *f = testkit::Faults { rate_limit: false, hang_ms: 15_000, ..Default::default() });
    app.exec("UPDATE panels SET status = 'active'").await;
    let report = sync_idle(&app, panel).await;
    assert_eq!(report.errors(), 0, "{report:?}");
    assert_mirrors(&app, panel, &sim).await;
    no_duplicates(&app).await;
}

#[tokio::test]
async fn http_500s() {
    recovers_from(31, |f| f.errors_500 = 1_000, "HTTP 500").await;
}

#[tokio::test]
async fn bursts_of_429() {
    recovers_from(32, |f| f.burst_429 = 1_000, "429").await;
}

#[tokio::test]
async fn timeouts() {
    recovers_from(
        33,
        |f| {
            f.timeouts = 1_000;
            f.hang_ms = 2_500;
        },
        "did not answer",
    )
    .await;
}

#[tokio::test]
async fn malformed_json() {
    recovers_from(34, |f| f.malformed = 1_000, "not valid JSON").await;
}

#[tokio::test]
async fn error_code_with_http_200() {
    recovers_from(35, |f| f.error_code = 1_000, "error_code 100").await;
}

#[tokio::test]
async fn revoked_key_marks_the_panel() {
    let app = TestApp::new().await;
    let sim = sim(36, 500, false).await;
    let panel = register(&app, &sim).await;
    sim.faults(|f| f.revoked = true);
    let before = sim.request_count();
    let report = sync_idle(&app, panel).await;
    assert!(report.errors() > 0);
    let p = shared::domain::panels::get(&app.state.db, panel).await.unwrap().unwrap();
    assert_eq!(p.status.as_str(), "error");
    assert!(p.last_error.unwrap_or_default().contains("rejected the API key"));
    // A rejected key is not retried request after request.
    assert!(sim.request_count() - before <= 6, "{} requests", sim.request_count() - before);
    // Staff see it on the Panels page.
    let owner = app.as_role("owner1", shared::auth::Role::Owner, &[]).await;
    let page = app.get("/panels", Some(&owner)).await;
    assert!(page.body.contains("rejected the API key"));
    // And on Settings → Sync, without a retry time that would never come; Sync now says why not.
    let sync_page = app.get("/settings/sync", Some(&owner)).await;
    assert!(sync_page.body.contains("stopped until the key is fixed in Panels"), "{}", sync_page.body);
    assert!(!sync_page.body.contains("next retry"));
    let res = app.post(&format!("/settings/sync/{panel}/run"), Some(&owner), &[]).await;
    let after = app.follow(&res, Some(&owner)).await;
    assert!(
        after.body.contains("is not synced: Admin API key: the panel rejected the API key"),
        "{}",
        after.body
    );
    // Fixed key: saving the panel as active resumes it.
    sim.faults(|f| f.revoked = false);
    app.exec("UPDATE panels SET status = 'active', last_error = NULL").await;
    assert_eq!(sync_idle(&app, panel).await.errors(), 0);
    assert_mirrors(&app, panel, &sim).await;
}

#[tokio::test]
async fn a_refused_services_key_stops_only_the_catalogue() {
    let app = TestApp::new().await;
    let sim = sim(38, 300, false).await;
    let panel = register(&app, &sim).await;
    let key = app.state.config.secret_key.encrypt("not-the-services-key").unwrap();
    app.exec(&format!("UPDATE panels SET services_key_enc = '{key}' WHERE id = {panel}")).await;
    let report = sync_idle(&app, panel).await;
    let failed: Vec<&str> = report
        .resources
        .iter()
        .filter(|r| r.outcome == panelops_sync::Outcome::Error)
        .map(|r| r.resource)
        .collect();
    assert_eq!(failed, vec!["services"], "{report:?}");
    let row = sync::get(&app.state.db, panel, Resource::Services).await.unwrap().unwrap();
    assert!(row.message.unwrap_or_default().starts_with("Services API key:"), "the message names the key");
    let p = shared::domain::panels::get(&app.state.db, panel).await.unwrap().unwrap();
    assert_eq!(p.status.as_str(), "active", "orders, users, payments and tickets keep syncing");
    let visible = sim.with(|s| s.data.visible_count()) as i64;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM orders_cache").await, visible);
}

#[tokio::test]
async fn short_faults_are_absorbed_by_retries() {
    let app = TestApp::new().await;
    let sim = sim(37, 1_500, false).await;
    let panel = register(&app, &sim).await;
    sim.faults(|f| {
        f.burst_429 = 1;
        f.errors_500 = 1;
        f.malformed = 1;
    });
    let report = sync_idle(&app, panel).await;
    assert_eq!(report.errors(), 0, "{report:?}");
    assert_mirrors(&app, panel, &sim).await;
}

#[tokio::test]
async fn a_row_with_wrong_types_is_skipped_and_counted() {
    let app = TestApp::new().await;
    let sim = sim(38, 1_500, false).await;
    let panel = register(&app, &sim).await;
    sim.faults(|f| f.wrong_type_row = true);
    let report = sync_idle(&app, panel).await;
    assert_eq!(report.errors(), 0, "a bad row never fails the page: {report:?}");
    let orders = state_of(&app, panel, Resource::Orders).await;
    assert!(orders.skipped >= 1);
    let visible = sim.with(|s| s.data.visible_count()) as i64;
    // Every row but the bad ones (one per page) is stored.
    let cached = app.scalar("SELECT COUNT(*) FROM orders_cache").await;
    assert!(cached >= visible - orders.skipped && cached < visible, "{cached} of {visible}");
}

#[tokio::test]
async fn orders_arriving_while_paging_are_not_lost() {
    let app = TestApp::new().await;
    let sim = sim(39, 8_000, false).await;
    let panel = register(&app, &sim).await;
    sim.faults(|f| f.advance_per_request = 600);
    let report = sync_idle(&app, panel).await;
    assert_eq!(report.errors(), 0, "{report:?}");
    sim.faults(|f| f.advance_per_request = 0);
    // One more catch-up run at the final clock, as the next interval would do.
    sync_idle(&app, panel).await;
    assert_mirrors(&app, panel, &sim).await;
}

#[tokio::test]
async fn slow_answers_within_the_timeout_still_sync() {
    let app = TestApp::new().await;
    let sim = sim(40, 1_200, false).await;
    let panel = register(&app, &sim).await;
    // Every answer takes 300 ms (the client waits up to 800 ms).
    sim.faults(|f| f.slow_ms = 300);
    let report = sync_idle(&app, panel).await;
    assert_eq!(report.errors(), 0, "{report:?}");
    assert_mirrors(&app, panel, &sim).await;
}

/// A ticket the panel answers without its messages keeps its stored conversation and is set aside a
/// while; the conversations behind it are read in the same run.
#[tokio::test]
async fn a_ticket_without_its_messages_holds_up_nothing_and_loses_nothing() {
    let app = TestApp::new().await;
    let sim = sim(38, 600, false).await;
    let panel = register(&app, &sim).await;
    sync_idle(&app, panel).await;
    // The most recently active ticket: the first one a re-read asks for.
    let first =
        app.scalar("SELECT id FROM tickets_cache ORDER BY COALESCE(last_update, created) DESC LIMIT 1").await;
    let kept = app.scalar(&format!("SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = {first}")).await;
    assert!(kept > 0);
    sim.faults(|f| f.ticket_without_messages = Some(first));
    app.exec("UPDATE tickets_cache SET messages_synced = NULL").await;
    let report = sync_idle(&app, panel).await;
    assert_eq!(report.errors(), 0, "{report:?}");
    let unread = app.scalar("SELECT COUNT(*) FROM tickets_cache WHERE messages_synced IS NULL").await;
    assert_eq!(unread, 1, "every other conversation was read");
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = {first}")).await,
        kept
    );
    let state = state_of(&app, panel, Resource::TicketMessages).await;
    assert!(state.skipped >= 1, "counted: {state:?}");
    // The panel answers again; once its wait is over, the ticket is read.
    sim.faults(|f| f.ticket_without_messages = None);
    app.exec("UPDATE tickets_cache SET messages_failed_at = messages_failed_at - 901").await;
    due_again(&app, "ticket_messages").await;
    sync_idle(&app, panel).await;
    assert_mirrors(&app, panel, &sim).await;
}

/// An empty catalogue answer is not a panel without services: the last good catalogue stays on sale.
#[tokio::test]
async fn an_empty_catalogue_keeps_the_last_good_one() {
    let app = TestApp::new().await;
    let sim = sim(39, 300, false).await;
    let panel = register(&app, &sim).await;
    sync_idle(&app, panel).await;
    let listed = "SELECT COUNT(*) FROM services_cache WHERE removed_at IS NULL";
    let before = app.scalar(listed).await;
    assert!(before > 0);
    sim.faults(|f| f.empty_services = true);
    due_again(&app, "services").await;
    sync_idle(&app, panel).await;
    assert_eq!(app.scalar(listed).await, before, "nothing marked removed");
    let row = state_of(&app, panel, Resource::Services).await;
    assert_eq!(row.status.as_str(), "error");
    assert!(row.message.unwrap_or_default().contains("last good catalogue is kept"));
}

/// An order listed with an unreadable creation time is skipped — and not lost behind the orders
/// position: each later cycle asks for it by id until it reads.
#[tokio::test]
async fn an_order_skipped_for_an_unreadable_time_is_fetched_again_once_it_reads() {
    let app = TestApp::new().await;
    let sim = sim(17, 2_000, false).await;
    let odd = sim.with(|s| s.data.order(s.data.visible_count() / 2).id);
    sim.faults(|f| f.garbled_created_order = Some(odd));
    let panel = register(&app, &sim).await;
    let held = format!("SELECT COUNT(*) FROM orders_cache WHERE id = {odd}");
    let first = sync_idle(&app, panel).await;
    assert_eq!(first.errors(), 0, "{first:?}");
    assert!(first.resources.iter().any(|r| r.resource == "orders" && r.skipped == 1), "{first:?}");
    assert_eq!(app.scalar(&held).await, 0);
    // Still garbled a cycle later: still missing, still asked for, counted once.
    assert_eq!(sync_idle(&app, panel).await.errors(), 0);
    assert_eq!(app.scalar(&held).await, 0);
    assert_eq!(state_of(&app, panel, Resource::Orders).await.skipped, 1);
    // The panel mends the row: the next cycle stores it, and the cache mirrors the panel.
    sim.faults(|f| f.garbled_created_order = None);
    assert_eq!(sync_idle(&app, panel).await.errors(), 0);
    assert_eq!(app.scalar(&held).await, 1);
    assert_mirrors(&app, panel, &sim).await;
    let orders = state_of(&app, panel, Resource::Orders).await;
    assert_eq!(orders.cached, sim.with(|s| s.data.visible_count()) as i64, "the count follows");
}
