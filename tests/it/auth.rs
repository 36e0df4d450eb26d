use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use shared::auth::Role;

use crate::helpers::{session_token, Session, TestApp, STRONG};

#[tokio::test]
async fn first_run_goes_to_setup_which_works_only_once() {
    let app = TestApp::new().await;
    let login = app.get("/login", None).await;
    assert_eq!(login.location(), "/setup");
    let page = app.get("/setup", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let token = page.hidden("csrf").unwrap();
    let form = serde_urlencoded::to_string([
        ("csrf", token.as_str()),
        ("username", "boss"),
        ("password", STRONG),
        ("confirm", STRONG),
    ])
    .unwrap();
    let req = TestApp::request(Method::POST, "/setup", None)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("po_login_csrf={token}"))
        .body(Body::from(form.clone()))
        .unwrap();
    let res = app.send(req).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let token_cookie = session_token(&res).expect("signed in after setup");
    let home = app.get("/", Some(&Session { staff_id: 1, token: token_cookie, csrf: String::new() })).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("boss"));
    // A second setup is refused and creates nobody.
    assert_eq!(app.get("/setup", None).await.location(), "/login");
    let req = TestApp::request(Method::POST, "/setup", None)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("po_login_csrf={token}"))
        .body(Body::from(form.replace("boss", "intruder")))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM staff").await, 1);
}

#[tokio::test]
async fn login_sets_a_safe_cookie_and_logout_ends_the_session() {
    let app = TestApp::new().await;
    app.add_staff("alice", Role::Agent, &[]).await;
    let res = app.login_form("alice", STRONG, "10.1.1.1").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/");
    let cookie = res.cookie("po_session").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain-http localhost gets no Secure flag: {cookie}");
    let token = session_token(&res).unwrap();
    let raw = app.scalar(&format!("SELECT COUNT(*) FROM sessions WHERE token_hash = '{token}'")).await;
    assert_eq!(raw, 0, "the token itself is never stored, only its hash");
    let csrf = {
        let conn = app.state.db.connect().await.unwrap();
        let mut rows = conn.query("SELECT csrf_token, staff_id FROM sessions", ()).await.unwrap();
        rows.next().await.unwrap().unwrap().get::<String>(0).unwrap()
    };
    let s = Session { staff_id: 1, token, csrf };
    assert_eq!(app.get("/account", Some(&s)).await.status, StatusCode::OK);
    let out = app.post("/logout", Some(&s), &[]).await;
    assert_eq!(out.location(), "/login?signed_out=1");
    assert!(out.cookie("po_session").unwrap().contains("Max-Age=0"));
    let after = app.get("/account", Some(&s)).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(after.location().starts_with("/login"));
    let log = app.scalar("SELECT COUNT(*) FROM activity_log WHERE action IN ('login','logout')").await;
    assert_eq!(log, 2);
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let app = TestApp::new().await;
    app.add_staff("alice", Role::Agent, &[]).await;
    let page = app
        .send(
            axum::http::Request::builder()
                .uri("/login")
                .header(header::HOST, "console.example.com")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(page.cookie("po_login_csrf").unwrap().contains("Secure"));
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let app = TestApp::new().await;
    app.add_staff("alice", Role::Agent, &[]).await;
    let wrong = app.login_form("alice", "not-the-password", "10.0.0.2").await;
    let unknown = app.login_form("nobody-here", "not-the-password", "10.0.0.3").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, unknown.status);
    assert!(wrong.body.contains("Wrong username or password."));
    assert!(unknown.body.contains("Wrong username or password."));
    assert!(wrong.cookie("po_session").is_none());
    let failed = app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'login.failed'").await;
    assert_eq!(failed, 2, "failed sign-ins are logged");
}

#[tokio::test]
async fn inactive_staff_cannot_sign_in() {
    let app = TestApp::new().await;
    let id = app.add_staff("alice", Role::Agent, &[]).await;
    app.exec(&format!("UPDATE staff SET active = 0 WHERE id = {id}")).await;
    assert_eq!(app.login_form("alice", STRONG, "10.0.0.9").await.status, StatusCode::UNAUTHORIZED);
}

/// Five wrong passwords for a username (any casing or padding) throttle the address they came from,
/// not the account: the real user, from an address that has not been failing, still gets in.
#[tokio::test]
async fn an_attackers_failures_do_not_lock_out_the_real_user() {
    let app = TestApp::new().await;
    app.add_staff("victim", Role::Owner, &[]).await;
    let attacker = "203.0.113.66";
    for name in ["victim", "VICTIM", " Victim ", "victim", "vIctim"] {
        assert_eq!(app.login_form(name, "bad-guess-000", attacker).await.status, StatusCode::UNAUTHORIZED);
    }
    // The attacker is throttled, even with the right password, with a clear message.
    let res = app.login_form("victim", STRONG, attacker).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.body.contains("Too many failed sign-in attempts"), "{}", res.body);
    assert!(res.headers.contains_key("retry-after"));
    // The victim, elsewhere, signs in.
    let res = app.login_form("victim", STRONG, "198.51.100.7").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.cookie("po_session").is_some());
    // Every failure and refusal is in the activity log.
    let failed = app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'login.failed'").await;
    let throttled = app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'login.throttled'").await;
    assert_eq!((failed, throttled), (5, 1));
}

/// Guessing spread over many addresses passes the username's ceiling: each address then gets two
/// failures instead of five. The real user, from an address that has not been failing, still gets in.
#[tokio::test]
async fn guessing_from_many_addresses_is_slowed_without_locking_anyone_out() {
    let app = TestApp::new().await;
    app.add_staff("victim", Role::Owner, &[]).await;
    for i in 0..20 {
        let res = app.login_form("victim", "bad-guess-000", &format!("203.0.113.{i}")).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{i}");
    }
    let next = "203.0.113.100";
    for _ in 0..2 {
        assert_eq!(app.login_form("victim", "bad-guess-000", next).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.login_form("victim", "bad-guess-000", next).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.login_form("victim", STRONG, "198.51.100.7").await.status, StatusCode::SEE_OTHER);
    // Another account is not affected: five tries as usual.
    app.add_staff("bob", Role::Agent, &[]).await;
    for _ in 0..4 {
        assert_eq!(
            app.login_form("bob", "bad-guess-000", "192.0.2.1").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(app.login_form("bob", STRONG, "192.0.2.1").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_parallel_guesses_gets_no_more_than_the_limit() {
    let app = TestApp::new().await;
    app.add_staff("alice", Role::Agent, &[]).await;
    // Each attempt is counted in the same transaction as its check: twelve at once, five answered.
    let app = std::sync::Arc::new(app);
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let app = app.clone();
        tries.spawn(async move { app.login_form("alice", "bad-guess-000", "10.0.2.1").await.status });
    }
    let statuses: Vec<StatusCode> = tries.join_all().await;
    let answered = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((answered, refused), (5, 7), "{statuses:?}");
    // A right password after a wrong one clears that address's count for the username.
    app.add_staff("carol", Role::Agent, &[]).await;
    assert_eq!(app.login_form("carol", "bad-guess-000", "10.0.3.1").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.login_form("carol", STRONG, "10.0.3.1").await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM login_failures WHERE scope LIKE 'pair:%|carol'").await, 0);
}

#[tokio::test]
async fn sign_in_is_throttled_per_address() {
    let app = TestApp::new().await;
    app.add_staff("alice", Role::Agent, &[]).await;
    for i in 0..20 {
        let res = app.login_form(&format!("guess{i}"), "bad-guess-000", "10.7.7.7").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.login_form("alice", STRONG, "10.7.7.7").await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.login_form("alice", STRONG, "10.7.7.8").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_forged_or_missing_csrf_token_is_rejected() {
    let app = TestApp::new().await;
    app.add_staff("alice", Role::Agent, &[]).await;
    // Sign-in without the double-submit cookie.
    let form = "csrf=abc&username=alice&password=lantern-river-7-maple";
    let req = TestApp::request(Method::POST, "/login", None)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let res = app.send(req).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.cookie("po_session").is_none());
    // A signed-in form post with a wrong token, and with none.
    let s = app.as_role("owner1", Role::Owner, &[]).await;
    let bad = app
        .post("/panels", Some(&s), &[("csrf", "forged"), ("name", "X"), ("base_url", "https://x.com")])
        .await;
    assert_eq!(bad.status, StatusCode::FORBIDDEN);
    assert!(bad.body.contains("This form has expired"));
    let req = TestApp::request(Method::POST, "/panels", Some(&s))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=X&base_url=https%3A%2F%2Fx.com"))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM panels").await, 0, "nothing was written");
    // The right token works.
    let ok = app.post("/panels", Some(&s), &[("name", "X"), ("base_url", "https://x.com")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn sessions_expire_when_idle_and_after_their_lifetime() {
    let app = TestApp::new().await;
    let idle = app.as_role("idle", Role::Viewer, &[]).await;
    let old = app.as_role("old", Role::Viewer, &[]).await;
    let idle_secs = app.state.config.session_idle_minutes * 60;
    app.exec(&format!(
        "UPDATE sessions SET last_seen_at = last_seen_at - {} WHERE staff_id = {}",
        idle_secs + 5,
        idle.staff_id
    ))
    .await;
    app.exec(&format!(
        "UPDATE sessions SET expires_at = strftime('%s','now') - 1 WHERE staff_id = {}",
        old.staff_id
    ))
    .await;
    for s in [&idle, &old] {
        let res = app.get("/account", Some(s)).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.location(), "/login?next=%2Faccount");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 0, "expired sessions are deleted");
}

#[tokio::test]
async fn next_after_sign_in_stays_on_site() {
    let app = TestApp::new().await;
    app.add_staff("alice", Role::Agent, &[]).await;
    let page = app.get("/login?next=//evil.example", None).await;
    assert_eq!(page.hidden("next").as_deref(), Some("/"));
    let page = app.get("/login?next=%2Fpanels", None).await;
    assert_eq!(page.hidden("next").as_deref(), Some("/panels"));
}
