//! Walks every registered route of every router — unauthenticated and as each role — and checks the
//! answer. Routes are only ever added through `shared::Routes`, so a route added later is walked too.

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use shared::auth::api_key::{self, NewKey};
use shared::auth::{Role, Scope};
use shared::Access;

use crate::helpers::{concrete, first_rows, Res, TestApp};

fn is_sign_in_redirect(res: &Res) -> bool {
    res.status == StatusCode::SEE_OTHER && res.location().starts_with("/login")
}

#[tokio::test]
async fn every_route_enforces_its_access_rule() {
    let app = TestApp::new().await;
    // Owner is staff 1; panels 1 and 2; every other role may see panel 1 only.
    let owner = app.add_staff("owner1", Role::Owner, &[]).await;
    app.add_panel("One", "https://one.example", Some("key-one-1111")).await;
    app.add_panel("Two", "https://two.example", None).await;
    let mut people = vec![(Role::Owner, owner)];
    for (name, role) in [("admin1", Role::Admin), ("agent1", Role::Agent), ("viewer1", Role::Viewer)] {
        people.push((role, app.add_staff(name, role, &[1]).await));
    }
    // Row 1 of panel 1 exists in every cache and settings table, so detail pages render (200).
    first_rows(&app).await;
    // A shared canned reply: the ticket page then offers its Insert.
    app.exec("INSERT INTO canned_replies (id, title, body, created, updated) VALUES (50, 'Thanks', 'Thank you.', 0, 0)")
        .await;
    let specs = panelops::server::routes(&app.state).specs().to_vec();
    assert!(specs.len() >= 20, "the walk sees every route ({} found)", specs.len());
    let mut checked = 0;
    for spec in &specs {
        let path = concrete(spec.path);
        // Unauthenticated.
        let res = send(&app, &spec.method, &path, None).await;
        match spec.access {
            Access::Public => {
                assert!(
                    !is_sign_in_redirect(&res) || spec.path == "/setup",
                    "{} {path} must be public",
                    spec.method
                );
                assert!(res.status.as_u16() < 500, "{} {path}: {}", spec.method, res.status);
            }
            Access::ApiKey(_) => {
                assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{} {path} without a key", spec.method);
                assert!(res.body.contains("\"error_code\":401"), "{} {path}: {}", spec.method, res.body);
            }
            Access::Staff(_) | Access::AllPanels(_) if path.ends_with(".json") => {
                assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{} {path}", spec.method)
            }
            Access::Staff(_) | Access::AllPanels(_) => {
                assert!(is_sign_in_redirect(&res), "{} {path} without a session: {}", spec.method, res.status)
            }
        }
        // As each role, with a fresh session (a POST may sign the session out).
        for (role, id) in &people {
            let s = app.session_for(*id).await;
            let res = send(&app, &spec.method, &path, Some(&s)).await;
            let what = format!("{} {path} as {role}: {} {}", spec.method, res.status, res.location());
            match spec.access {
                Access::Staff(min) | Access::AllPanels(min) if *role < min => {
                    assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}")
                }
                // A setting every panel shares: the walk's staff other than the owner see panel 1 only.
                Access::AllPanels(_) if *role != Role::Owner => {
                    assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}")
                }
                Access::Staff(_) | Access::AllPanels(_) => {
                    assert!(
                        res.status != StatusCode::FORBIDDEN && res.status != StatusCode::UNAUTHORIZED,
                        "{what}"
                    );
                    assert!(!is_sign_in_redirect(&res) || path == "/logout", "{what}");
                    assert!(res.status.as_u16() < 500, "{what}");
                    // Canned replies belong to their author: there is no row 1 any role may open.
                    if spec.method == Method::GET && !spec.path.starts_with("/canned-replies/") {
                        assert_eq!(res.status, StatusCode::OK, "{what}");
                    }
                    assert_eq!(token_in_address(&res.body), Vec::<String>::new(), "{what}");
                    assert_eq!(
                        crate::security_headers::blocked_by_csp(&res.body),
                        Vec::<String>::new(),
                        "{what}"
                    );
                }
                Access::Public => assert!(res.status.as_u16() < 500, "{what}"),
                // A staff session is no API key.
                Access::ApiKey(_) => assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{what}"),
            }
            checked += 1;
        }
        // API routes: a key lacking the scope is refused, one holding only that scope is let in.
        if let Access::ApiKey(need) = spec.access {
            let others: Vec<Scope> = Scope::ALL.into_iter().filter(|s| *s != need).collect();
            for (scopes, allowed) in [(others, false), (vec![need], true)] {
                let new = NewKey {
                    name: "walk",
                    scopes: &scopes,
                    all_panels: true,
                    panels: &[],
                    created_by: owner,
                };
                let (_, token) = api_key::create(&app.state.db, &new).await.unwrap();
                let res = send_key(&app, &spec.method, &path, &token).await;
                let what = format!("{} {path} with {scopes:?}: {} {}", spec.method, res.status, res.body);
                if allowed {
                    assert!(
                        ![401, 403].contains(&res.status.as_u16()) && res.status.as_u16() < 500,
                        "{what}"
                    );
                } else {
                    assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}");
                    assert!(res.body.contains("\"error_code\":403"), "{what}");
                }
            }
        }
    }
    assert_eq!(checked, specs.len() * people.len());
}

/// The opening tags of forms that would put the CSRF token into an address: a form sent by GET (the
/// default method) that carries it, or one with a button switching it to GET.
pub fn token_in_address(body: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("<form") {
        let from = &rest[start..];
        let (form, after) = from.split_at(from.find("</form>").map_or(from.len(), |e| e + "</form>".len()));
        let tag = &form[..form.find('>').unwrap_or(form.len())];
        let by_get = tag.contains("method=\"get\"") || !tag.contains("method=");
        if form.contains("name=\"csrf\"") && (by_get || form.contains("formmethod=\"get\"")) {
            found.push(tag.to_string());
        }
        rest = after;
    }
    found
}

async fn send_key(app: &TestApp, method: &Method, path: &str, token: &str) -> Res {
    app.send(
        TestApp::request(method.clone(), path, None)
            .header("x-api-key", token)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(if method == Method::POST { "{}" } else { "" }))
            .unwrap(),
    )
    .await
}

async fn send(app: &TestApp, method: &Method, path: &str, s: Option<&crate::helpers::Session>) -> Res {
    if method == Method::POST {
        // An empty form with the session's CSRF token: access is decided before validation.
        app.post(path, s, &[]).await
    } else {
        app.send(
            TestApp::request(method.clone(), path, s)
                .header(header::ACCEPT, "text/html")
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }
}

#[tokio::test]
async fn a_panel_outside_the_scope_is_forbidden_everywhere() {
    let app = TestApp::new().await;
    app.add_panel("One", "https://one.example", None).await;
    app.add_panel("Two", "https://two.example", None).await;
    let admin = app.as_role("admin1", Role::Admin, &[1]).await;
    // Direct pages of panel 2 and the switcher pointing at it.
    assert_eq!(app.get("/panels/2", Some(&admin)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post("/panels/2", Some(&admin), &[("name", "x"), ("base_url", "https://z.example")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/panels/2/status", Some(&admin), &[("status", "paused")]).await.status,
        StatusCode::FORBIDDEN
    );
    for path in ["/", "/panels", "/activity", "/account"] {
        let res = app.get(&format!("{path}?panel=2"), Some(&admin)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
    }
    let list = app.get("/panels", Some(&admin)).await;
    assert!(list.body.contains("One") && !list.body.contains("Two"), "only allowed panels are listed");
    assert!(!list.body.contains("two.example"));
}
