//! The hosted tier: with `PANELOPS_TEST_BACKEND=sqld` (set by `scripts/test` when it finds sqld),
//! every `TestApp` runs on a libSQL server of its own (`testkit::sqld`, JWT auth like Turso) instead
//! of a local file, so whatever passes on a file must pass over the network.

use std::path::PathBuf;

/// The sqld binary when this run is the hosted tier.
pub fn sqld() -> Option<PathBuf> {
    if std::env::var("PANELOPS_TEST_BACKEND").ok()?.trim() != "sqld" {
        return None;
    }
    Some(testkit::sqld::find().expect(
        "PANELOPS_TEST_BACKEND=sqld, but no sqld was found (PANELOPS_SQLD, PATH, ../shared/tools/sqld)",
    ))
}

/// True in the hosted tier.
pub fn enabled() -> bool {
    sqld().is_some()
}

/// Skips a test that is about the remote backend alone when this run is the file tier.
macro_rules! hosted_only {
    () => {
        if !crate::hosted::enabled() {
            eprintln!("skipped: runs in the hosted tier (PANELOPS_TEST_BACKEND=sqld)");
            return;
        }
    };
}

use std::time::Duration;

use axum::http::StatusCode;
use shared::config::Config;
use shared::crypto::SecretKey;
use shared::AppState;

use crate::helpers::TestApp;
use crate::sync_support::{assert_mirrors, register, sim, until_idle};

/// A token the server does not accept (garbage, or one that has expired) stops a function at start
/// with a sentence that says so, and a running one answers its health check with 503.
#[tokio::test]
async fn a_wrong_or_expired_token_is_a_clear_error_and_a_failing_health_check() {
    hosted_only!();
    let bin = sqld().unwrap();
    let server = testkit::sqld::Sqld::start(&bin).unwrap();
    let Err(err) = AppState::init(Config::remote(&server.url(), "not-a-token", SecretKey::generate())).await
    else {
        panic!("a garbage token must not start")
    };
    assert!(err.to_string().contains("refused this deployment's token"), "{err}");
    let Err(err) = AppState::init(Config::remote(
        &server.url(),
        &testkit::sqld::expired_token(&bin).unwrap(),
        SecretKey::generate(),
    ))
    .await
    else {
        panic!("an expired token must not start")
    };
    assert!(err.to_string().contains("refused this deployment's token"), "{err}");
    // A running function whose token stops being accepted (the server's key rotated): its health check
    // fails, and a page says the database cannot be reached.
    let mut server = server;
    let state =
        AppState::init(Config::remote(&server.url(), &server.token, SecretKey::generate())).await.unwrap();
    let app = TestApp::with_router(state.clone(), panelops::server::router(&state));
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    server.restart_with_new_key().unwrap();
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    let page = app.get("/login", None).await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE, "{}", page.body);
    assert!(page.body.contains("database cannot be reached"), "{}", page.body);
}

/// With the database down, a page is a clear 503 (not a 500, not a panic) and the sync reports the
/// error; once it is back, both work again and the sync catches up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_a_clear_503_and_the_sync_retries() {
    hosted_only!();
    let mut app = TestApp::new().await;
    let sim = sim(21, 1_500, false).await;
    let panel = register(&app, &sim).await;
    let owner = app.as_role("boss", shared::auth::Role::Owner, &[panel]).await;
    app.sqld.as_mut().unwrap().stop();
    let page = app.get("/orders", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE, "{}", page.body);
    assert!(page.body.contains("database cannot be reached"), "{}", page.body);
    let api = app.get("/reports/service-health.json", Some(&owner)).await;
    assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE, "{}", api.body);
    assert!(
        panelops_sync::run_with(&app.state, &until_idle(panel, 0)).await.is_err(),
        "the run reports the database error"
    );
    app.sqld.as_mut().unwrap().restart().unwrap();
    let report = panelops_sync::run_with(&app.state, &until_idle(panel, 0)).await.unwrap();
    assert_eq!(report.errors(), 0, "{report:?}");
    assert_mirrors(&app, panel, &sim).await;
    assert_eq!(app.get("/orders", Some(&owner)).await.status, StatusCode::OK);
}

/// The server killed in the middle of a sync (a crash, a restart): every page is one atomic write, so
/// after it is back the next run resumes from the last stored page, losing and duplicating nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_sync_resumes_with_nothing_lost_or_duplicated() {
    hosted_only!();
    let mut app = TestApp::new().await;
    let sim = sim(22, 20_000, false).await;
    let panel = register(&app, &sim).await;
    let state = app.state.clone();
    let run = tokio::spawn(async move { panelops_sync::run_with(&state, &until_idle(panel, 0)).await });
    // Kill it once some orders are stored.
    let started = std::time::Instant::now();
    while app.scalar("SELECT COUNT(*) FROM orders_cache").await < 3_000
        && started.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.sqld.as_mut().unwrap().stop();
    let _ = run.await;
    app.sqld.as_mut().unwrap().restart().unwrap();
    let stored = app.scalar("SELECT COUNT(*) FROM orders_cache").await;
    assert!((3_000..20_000).contains(&stored), "killed part-way ({stored} stored)");
    // The killed run's hold lapses after its heartbeat; a new run takes over now.
    app.exec("UPDATE sync_state SET lease_until = 0").await;
    let report = panelops_sync::run_with(&app.state, &until_idle(panel, 0)).await.unwrap();
    assert_eq!(report.errors(), 0, "{report:?}");
    assert_mirrors(&app, panel, &sim).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM (SELECT panel_id, id FROM orders_cache GROUP BY panel_id, id HAVING COUNT(*) > 1)").await,
        0
    );
    // The stored count moved with each committed page: it is still exact.
    assert_eq!(
        app.scalar("SELECT cached FROM sync_state WHERE resource = 'orders'").await,
        app.scalar("SELECT COUNT(*) FROM orders_cache").await
    );
}
