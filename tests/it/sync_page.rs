//! Settings → Sync as staff use it.

use axum::http::StatusCode;
use shared::auth::Role;
use shared::domain::sync::{self, Resource};

use crate::helpers::TestApp;
use crate::sync_support::{register, sim, sync_idle};

#[tokio::test]
async fn shows_every_resource_and_edits_with_validation() {
    let app = TestApp::new().await;
    let sim = sim(51, 1_200, false).await;
    let panel = register(&app, &sim).await;
    sync_idle(&app, panel).await;
    let admin = app.as_role("admin1", Role::Admin, &[panel]).await;
    let page = app.get("/settings/sync", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    for label in ["Orders", "Users", "Payments", "Tickets", "Ticket messages", "Services", "Currently cached"]
    {
        assert!(page.body.contains(label), "{label}");
    }
    let orders = sim.with(|s| s.data.visible_count());
    assert!(page.body.contains(&format!("class=\"num\">{orders}</td>")), "cached count shown");
    assert!(page.body.contains("cache updated"), "freshness note in the header");
    // A wrong value is refused in words and changes nothing.
    let path = format!("/settings/sync/{panel}/edit");
    let bad = app
        .post(
            &path,
            Some(&admin),
            &[("resource", "orders"), ("interval", "5"), ("page_size", "1000"), ("enabled", "1")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("between 30 seconds and 7 days"));
    let big = app
        .post(&path, Some(&admin), &[("resource", "orders"), ("interval", "120"), ("page_size", "5000")])
        .await;
    assert!(big.body.contains("Records per fetch must be between 1 and 1000"));
    // What was typed stays in the row's fields, marked, for the correction.
    assert!(
        big.body.contains("name=\"page_size\" value=\"5000\"") && big.body.contains("aria-invalid=\"true\"")
    );
    assert_eq!(sync::get(&app.state.db, panel, Resource::Orders).await.unwrap().unwrap().interval_secs, 60);
    let ok = app
        .post(
            &path,
            Some(&admin),
            &[("resource", "orders"), ("interval", "120"), ("page_size", "500"), ("enabled", "1")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let row = sync::get(&app.state.db, panel, Resource::Orders).await.unwrap().unwrap();
    assert_eq!((row.interval_secs, row.page_size, row.enabled), (120, 500, true));
    // Sync now marks the work and is logged.
    let run = app.post(&format!("/settings/sync/{panel}/run"), Some(&admin), &[("resource", "users")]).await;
    assert_eq!(run.status, StatusCode::SEE_OTHER);
    assert!(sync::get(&app.state.db, panel, Resource::Users).await.unwrap().unwrap().run_requested);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM activity_log WHERE action IN ('sync.settings_changed', 'sync.requested')"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn errors_show_in_words_with_the_next_retry() {
    let app = TestApp::new().await;
    let sim = sim(52, 600, false).await;
    let panel = register(&app, &sim).await;
    sim.faults(|f| f.errors_500 = 10_000);
    sync_idle(&app, panel).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let page = app.get("/settings/sync", Some(&owner)).await;
    assert!(page.body.contains("the panel answered HTTP 500"));
    assert!(page.body.contains("next retry"));
    assert!(page.body.contains("freshness late"), "the note turns amber");
}

#[tokio::test]
async fn agents_read_but_do_not_edit_and_see_only_their_panels() {
    let app = TestApp::new().await;
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Bravo", "https://bravo.example", None).await;
    let agent = app.as_role("agent1", Role::Agent, &[a]).await;
    let page = app.get("/settings/sync", Some(&agent)).await;
    assert!(page.body.contains("Alpha") && !page.body.contains("Bravo"));
    assert!(!page.body.contains("Sync now"));
    let res = app.post(&format!("/settings/sync/{a}/run"), Some(&agent), &[]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let admin = app.as_role("admin1", Role::Admin, &[a]).await;
    let res = app.post(&format!("/settings/sync/{b}/run"), Some(&admin), &[]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "a panel outside the scope");
    let res = app
        .post(
            "/settings/sync/engine",
            Some(&admin),
            &[("paused", "1"), ("concurrency", "2"), ("retention_days", "0")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "engine settings are the owner's");
}

#[tokio::test]
async fn paused_engine_skips_scheduled_runs() {
    let app = TestApp::new().await;
    let sim = sim(53, 300, false).await;
    let panel = register(&app, &sim).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let res = app
        .post(
            "/settings/sync/engine",
            Some(&owner),
            &[("paused", "1"), ("concurrency", "9"), ("retention_days", "0")],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Concurrency must be between 1 and 8"));
    assert!(res.body.contains("name=\"concurrency\" min=\"1\" max=\"8\" value=\"9\""), "typed value kept");
    app.post(
        "/settings/sync/engine",
        Some(&owner),
        &[("paused", "1"), ("concurrency", "2"), ("retention_days", "0")],
    )
    .await;
    let report = panelops_sync::run(&app.state).await.unwrap();
    assert!(report.paused && report.resources.is_empty());
    assert_eq!(sim.request_count(), 0);
    let _ = panel;
}

/// Counts schedule updates instead of calling AWS.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<u64>>);

impl shared::schedule::SyncSchedule for Recorder {
    fn set_every(&self, secs: u64) -> shared::schedule::BoxFuture<'_, shared::AppResult<()>> {
        self.0.lock().unwrap().push(secs);
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn changing_intervals_updates_the_schedule_once() {
    let app = TestApp::new().await;
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    sync::ensure_rows(&app.state.db, a).await.unwrap();
    let rec = Recorder::default();
    assert_eq!(panelops_sync::schedule::reconcile(&app.state, &rec).await.unwrap(), 60);
    assert_eq!(panelops_sync::schedule::reconcile(&app.state, &rec).await.unwrap(), 60);
    assert_eq!(*rec.0.lock().unwrap(), vec![60], "applied once, not on every run");
    // Every interval raised to 10 minutes through the page: the schedule follows.
    let admin = app.as_role("admin1", Role::Admin, &[a]).await;
    for r in Resource::ALL {
        let ps = r.default_page_size().to_string();
        let res = app
            .post(
                &format!("/settings/sync/{a}/edit"),
                Some(&admin),
                &[("resource", r.as_str()), ("interval", "600"), ("page_size", &ps), ("enabled", "1")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", r.as_str());
    }
    assert_eq!(panelops_sync::schedule::reconcile(&app.state, &rec).await.unwrap(), 600);
    assert_eq!(*rec.0.lock().unwrap(), vec![60, 600]);
}
