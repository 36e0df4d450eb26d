//! Stored secrets never appear in a rendered page, the database in clear, or a log line.

use axum::http::{Method, StatusCode};
use shared::auth::Role;

use crate::helpers::{LogCapture, TestApp};

const ADMIN_KEY: &str = "ppadm-SECRET-a1b2c3d4e5f6-7788";
const SERVICES_KEY: &str = "ppsvc-SECRET-0f9e8d7c6b5a-4455";

#[tokio::test]
async fn keys_are_never_rendered_stored_in_clear_or_logged() {
    let logs = LogCapture::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::new().await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let res = app
        .post(
            "/panels",
            Some(&owner),
            &[
                ("name", "Main"),
                ("base_url", "https://main.example/admin/adminapi/v2"),
                ("admin_key", ADMIN_KEY),
                ("services_key", SERVICES_KEY),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    // A form error must not echo a typed key back either.
    let bad = app
        .post(
            "/panels/1",
            Some(&owner),
            &[("name", ""), ("base_url", "https://main.example"), ("admin_key", ADMIN_KEY)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(!bad.body.contains(ADMIN_KEY));

    // Every page the owner can open.
    let specs = panelops::server::routes(&app.state).specs().to_vec();
    let mut pages = 0;
    for spec in specs.iter().filter(|s| s.method == Method::GET && !s.path.contains("{file}")) {
        let path = spec.path.replace("{id}", "1");
        let page = app.get(&path, Some(&owner)).await;
        for key in [ADMIN_KEY, SERVICES_KEY] {
            assert!(!page.body.contains(key), "{path} shows a key");
            assert!(!page.body.contains(&key[..20]), "{path} shows part of a key");
        }
        pages += 1;
    }
    assert!(pages >= 8);
    let edit = app.get("/panels/1", Some(&owner)).await;
    assert!(
        edit.body.contains("•••• 7788") && edit.body.contains("•••• 4455"),
        "only the last four are shown"
    );

    // The database holds ciphertext that decrypts with the key.
    let conn = app.state.db.connect().await.unwrap();
    let mut rows =
        conn.query("SELECT admin_key_enc, services_key_enc, base_url FROM panels", ()).await.unwrap();
    let row = rows.next().await.unwrap().unwrap();
    let (a, s, url): (String, String, String) =
        (row.get(0).unwrap(), row.get(1).unwrap(), row.get(2).unwrap());
    assert!(!a.contains("SECRET") && !s.contains("SECRET"));
    assert_eq!(url, "https://main.example", "the admin API suffix is normalised away");
    let (ka, ks) =
        shared::domain::panels::keys(&app.state.db, &app.state.config.secret_key, 1).await.unwrap();
    assert_eq!(ka.as_deref(), Some(ADMIN_KEY));
    assert_eq!(ks.as_deref(), Some(SERVICES_KEY));
    // Nothing in the activity log either.
    let conn = app.state.db.connect().await.unwrap();
    let mut rows = conn.query("SELECT details FROM activity_log", ()).await.unwrap();
    while let Some(r) = rows.next().await.unwrap() {
        let d: String = r.get(0).unwrap();
        assert!(!d.contains("SECRET"), "activity log: {d}");
    }
    let text = logs.text();
    assert!(!text.contains("SECRET"), "a log line shows a key");
}

/// The console restarted with another `PANELOPS_SECRET_KEY` than the panel's keys were saved with: the
/// sync stops the panel and says why (Panels, Settings → Sync, the header's note), `/healthz` answers
/// 503, and with the right key back the panel syncs again by itself.
#[tokio::test]
async fn a_wrong_secret_key_is_said_everywhere_and_the_right_one_resumes() {
    let mut app = TestApp::new().await;
    let sim = crate::sync_support::sim(71, 300, false).await;
    let panel = crate::sync_support::register(&app, &sim).await;
    assert_eq!(crate::sync_support::sync_idle(&app, panel).await.errors(), 0);
    let owner = app.as_role("owner1", Role::Owner, &[]).await;

    let mut wrong = app.state.config.clone();
    wrong.secret_key = shared::crypto::SecretKey::generate();
    let right = std::mem::replace(&mut app.state, shared::AppState::init(wrong).await.unwrap());
    app.router = panelops::server::router(&app.state);
    let report = crate::sync_support::sync_idle(&app, panel).await;
    assert!(report.errors() > 0, "{report:?}");
    assert_eq!(report.stopped.len(), 1);
    assert_eq!(report.stopped[0].reason, shared::domain::panels::KEYS_UNREADABLE);
    let words = "PANELOPS_SECRET_KEY cannot read this panel's stored API keys";
    let panels = app.get("/panels", Some(&owner)).await;
    assert!(panels.body.contains(words), "{}", panels.body);
    let sync_page = app.get("/settings/sync", Some(&owner)).await;
    assert!(
        sync_page.body.contains(words) && sync_page.body.contains("Set that key again"),
        "Settings → Sync"
    );
    let header = sync_page.text(".headright");
    assert!(header.contains(&format!("sync stopped: {words}")), "the header's note: {header}");
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(health.body, "PANELOPS_SECRET_KEY cannot read the stored secrets");

    // The right key again: the next run resumes the panel, and the console is healthy.
    app.state = right;
    app.router = panelops::server::router(&app.state);
    assert_eq!(crate::sync_support::sync_idle(&app, panel).await.errors(), 0);
    let p = shared::domain::panels::get(&app.state.db, panel).await.unwrap().unwrap();
    assert_eq!((p.status.as_str(), p.last_error), ("active", None));
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    assert!(!app.get("/settings/sync", Some(&owner)).await.body.contains("sync stopped"));
}
