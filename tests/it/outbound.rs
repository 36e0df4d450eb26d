//! Where the console's keys go: never on through a redirect, never to a private or local address
//! unless the configuration allows it, never credentials typed into a provider URL.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Router;

use shared::auth::Role;
use shared::domain::competitors::{self, CompetitorInput};
use shared::domain::panels::{self, PanelInput, PanelStatus};

use crate::ai_support::{answered, point_at, GOOD};
use crate::helpers::TestApp;
use crate::sync_support::until_idle;

/// One request as a loopback server saw it: its line, headers and body in one text.
type Seen = Arc<Mutex<Vec<String>>>;

/// Serves `app` on a free loopback port; returns its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A server that records every request it gets and answers an empty JSON object.
async fn recorder() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .fallback(|State(seen): State<Seen>, req: Request| async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
            let text = format!(
                "{} {}\n{:?}\n{}",
                parts.method,
                parts.uri,
                parts.headers,
                String::from_utf8_lossy(&body)
            );
            seen.lock().unwrap().push(text);
            axum::Json(serde_json::json!({}))
        })
        .with_state(seen.clone());
    (serve(app).await, seen)
}

/// A server that answers every request with `307` to the same path on `target`.
async fn redirector(target: &str) -> String {
    let target = target.to_string();
    let app = Router::new().fallback(move |req: Request| {
        let to = format!("{target}{}", req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/"));
        async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, to)]).into_response() }
    });
    serve(app).await
}

const ADMIN_KEY: &str = "admin-key-never-elsewhere-1";
const SERVICES_KEY: &str = "services-key-never-elsewhere-2";
const RIVAL_KEY: &str = "rival-key-never-elsewhere-3";
const AI_KEY: &str = "sk-ai-key-never-elsewhere-4";

fn leaked(seen: &Seen) -> Vec<String> {
    seen.lock().unwrap().clone()
}

#[tokio::test]
async fn a_redirect_never_carries_a_key_to_another_address() {
    let app = TestApp::new().await;
    let (elsewhere, seen) = recorder().await;
    let redirecting = redirector(&elsewhere).await;
    let input = PanelInput {
        name: "Moved".into(),
        base_url: redirecting.clone(),
        status: PanelStatus::Active,
        admin_key: Some(ADMIN_KEY.into()),
        services_key: Some(SERVICES_KEY.into()),
    };
    let panel = panels::create(&app.state.db, &app.state.config.secret_key, &input).await.unwrap();
    let rival = CompetitorInput {
        panel_id: panel,
        name: "Rival".into(),
        base_url: redirecting.clone(),
        api_key: Some(RIVAL_KEY.into()),
        enabled: true,
    };
    competitors::create(&app.state.db, &app.state.config.secret_key, &rival).await.unwrap();
    let report = panelops_sync::run_with(&app.state, &until_idle(panel, 0)).await.unwrap();
    assert!(report.errors() > 0, "{report:?}");
    assert_eq!(leaked(&seen), Vec::<String>::new(), "the other address saw requests");
    // The sync row says where the panel pointed.
    let owner = app.as_role("owner", Role::Owner, &[]).await;
    let page = app.get("/settings/sync", Some(&owner)).await;
    assert!(page.body.contains(&format!("redirect to {elsewhere}/adminapi/v2/")), "{}", page.body);

    // The AI provider's key stays home too.
    point_at(&app, format!("{redirecting}/v1"), AI_KEY, 5, 100_000).await;
    let t0 = shared::time::now() - 1000;
    answered(&app, panel, 1, t0, "Alice", GOOD).await;
    let run = crate::ai_support::review(&app).await;
    let stopped = run.stopped.unwrap_or_default();
    assert!(stopped.contains(&format!("redirect to {elsewhere}/v1/chat/completions")), "{stopped}");
    assert_eq!(leaked(&seen), Vec::<String>::new(), "the other address saw requests");
}

/// The value of a field's error paragraph (`<p class="error" id="{field}-error">…</p>`).
fn field_error(body: &str, field: &str) -> Option<String> {
    let marker = format!("id=\"{field}-error\">");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find("</p>")?;
    Some(body[start..start + end].to_string())
}

/// As on AWS: no private addresses allowed.
async fn public_only() -> TestApp {
    TestApp::configured(|c| c.allow_private_urls = false).await
}

const PRIVATE: [&str; 9] = [
    "http://169.254.169.254",
    "http://[fd00:ec2::254]",
    "http://0x7f000001",
    "http://2130706433:8080",
    "http://[::ffff:127.0.0.1]",
    "https://10.20.30.40",
    "https://192.168.1.10/admin",
    "http://0.0.0.0:3000",
    "http://localhost:3000",
];

#[tokio::test]
async fn forms_refuse_private_addresses_next_to_the_field() {
    let app = public_only().await;
    let owner = app.as_role_of_all_panels("owner", Role::Owner).await;
    for url in PRIVATE {
        let res = app.post("/panels", Some(&owner), &[("name", "Inside"), ("base_url", url)]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{url}");
        let err = field_error(&res.body, "base_url").unwrap_or_default();
        assert!(err.contains("a private or local address"), "{url}: {err:?}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM panels").await, 0);
    // A rival and the AI provider likewise.
    let panel = app.add_panel("Ours", "https://ours.example", None).await;
    let form = [
        ("panel_id", panel.to_string()),
        ("name", "Rival".to_string()),
        ("base_url", "http://169.254.169.254".to_string()),
        ("api_key", "rival-key".to_string()),
        ("enabled", "on".to_string()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app.post("/competitors", Some(&owner), &form).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let err = field_error(&res.body, "base_url").unwrap_or_default();
    assert!(err.contains("169.254.169.254 is a private or local address"), "{err:?}");
    let res = app.post("/ai/settings", Some(&owner), &[("base_url", "http://127.0.0.1:11434/v1")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let err = field_error(&res.body, "base_url").unwrap_or_default();
    assert!(err.contains("127.0.0.1 is a private or local address"), "{err:?}");
    // Where the operator allows them (the local demo, a provider on this machine), they are saved.
    let local = TestApp::new().await;
    let owner = local.as_role_of_all_panels("owner", Role::Owner).await;
    let res = local.post("/panels", Some(&owner), &[("name", "Inside"), ("base_url", PRIVATE[1])]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

/// A panel or provider saved before (or written straight into the database) is refused when called:
/// a written-out address per request, a name after resolving it, before any connection.
#[tokio::test]
async fn calls_to_private_addresses_are_refused_before_connecting() {
    let app = public_only().await;
    let (base, seen) = recorder().await;
    let port = base.rsplit(':').next().unwrap_or_default().to_string();
    for url in [base.clone(), format!("http://localhost:{port}"), format!("http://2130706433:{port}")] {
        let input = PanelInput {
            name: format!("Inside {url}"),
            base_url: url.clone(),
            status: PanelStatus::Active,
            admin_key: Some(ADMIN_KEY.into()),
            services_key: Some(SERVICES_KEY.into()),
        };
        let panel = panels::create(&app.state.db, &app.state.config.secret_key, &input).await.unwrap();
        let report = panelops_sync::run_with(&app.state, &until_idle(panel, 0)).await.unwrap();
        assert!(report.errors() > 0, "{url}: {report:?}");
        let state = shared::domain::sync::get(&app.state.db, panel, shared::domain::sync::Resource::Orders)
            .await
            .unwrap()
            .unwrap();
        let message = state.message.unwrap_or_default();
        assert!(message.contains("a private or local address"), "{url}: {message}");
    }
    point_at(&app, format!("http://localhost:{port}/v1"), AI_KEY, 5, 100_000).await;
    let t0 = shared::time::now() - 1000;
    answered(&app, 1, 1, t0, "Alice", GOOD).await;
    let run = crate::ai_support::review(&app).await;
    let stopped = run.stopped.unwrap_or_default();
    assert!(stopped.contains("localhost is") && stopped.contains("a private or local address"), "{stopped}");
    assert_eq!(leaked(&seen), Vec::<String>::new(), "a private address was called");
}

#[tokio::test]
async fn credentials_in_the_ai_provider_address_are_never_shown_logged_or_sent() {
    let app = TestApp::new().await;
    let owner = app.as_role_of_all_panels("owner", Role::Owner).await;
    let (base, seen) = recorder().await;
    let typed = base.replacen("http://", "http://robot:s3cret-pass@", 1) + "/v1";
    // A form coming back for another reason does not echo them either.
    let mut form = vec![
        ("base_url", typed.as_str()),
        ("model", "two words"),
        ("api_key", AI_KEY),
        ("max_replies_per_run", "5"),
        ("max_tokens_per_run", "100000"),
        ("max_tokens_per_day", "100000"),
    ];
    let res = app.post("/ai/settings", Some(&owner), &form).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("model-error"), "{}", res.body);
    assert!(!res.body.contains("s3cret-pass") && !res.body.contains("robot"), "echoed");
    form[1].1 = "gpt-4o-mini";
    let res = app.post("/ai/settings", Some(&owner), &form).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let stored = crate::ai_support::text(&app, "SELECT value FROM settings WHERE key = 'ai.base_url'").await;
    assert_eq!(stored, format!("{base}/v1"));
    for page in ["/ai/settings", "/activity"] {
        let body = app.get(page, Some(&owner)).await.body;
        assert!(body.contains(&format!("{base}/v1")), "{page}");
        assert!(!body.contains("s3cret-pass") && !body.contains("robot"), "{page} shows them");
    }
    // An address saved with them before they were taken out is neither shown nor sent.
    app.exec(&format!("UPDATE settings SET value = '{typed}' WHERE key = 'ai.base_url'")).await;
    assert!(!app.get("/ai/settings", Some(&owner)).await.body.contains("s3cret-pass"));
    let panel = app.add_panel("Ours", "https://ours.example", None).await;
    let t0 = shared::time::now() - 1000;
    answered(&app, panel, 1, t0, "Alice", GOOD).await;
    crate::ai_support::review(&app).await;
    let sent = leaked(&seen);
    assert!(!sent.is_empty(), "the provider was called");
    for request in sent {
        let lower = request.to_lowercase();
        assert!(!lower.contains("basic ") && !lower.contains("s3cret-pass"), "{request}");
        assert!(lower.contains(&format!("bearer {}", AI_KEY.to_lowercase())), "{request}");
    }
}
