//! Every answer carries the security headers: pages, the admin API, errors, static files, redirects.

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use shared::auth::{Role, Scope};

use crate::helpers::{Res, TestApp};

/// What the Content-Security-Policy would block in a page: `style` attributes and elements, inline
/// scripts, `on…` handlers, `javascript:` addresses. Empty when the page works under it.
pub fn blocked_by_csp(body: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let tag = after[..close].to_ascii_lowercase();
        let attrs: Vec<&str> = tag.split_whitespace().skip(1).collect();
        let blocked = tag.starts_with("style")
            || (tag.starts_with("script") && !attrs.iter().any(|a| a.starts_with("src=")))
            || attrs.iter().any(|a| a.starts_with("style=") || (a.starts_with("on") && a.contains('=')))
            || tag.contains("javascript:");
        if blocked {
            found.push(tag);
        }
        rest = &after[close..];
    }
    found
}

fn assert_headers(res: &Res, what: &str) {
    let h = |name: &str| res.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let csp = h("content-security-policy");
    for part in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"] {
        assert!(csp.contains(part), "{what}: CSP {csp:?} lacks {part}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{what}: {csp}");
    assert_eq!(h("x-frame-options"), "DENY", "{what}");
    assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(h("referrer-policy"), "same-origin", "{what}");
    // Plain http on loopback: no HSTS (a browser would ignore it there anyway).
    assert_eq!(h("strict-transport-security"), "", "{what}");
}

#[tokio::test]
async fn every_kind_of_answer_carries_the_security_headers() {
    let app = TestApp::new().await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let page = app.get("/panels", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_headers(&page, "a page");
    assert_eq!(blocked_by_csp(&page.body), Vec::<String>::new());
    let login = app.get("/login", None).await;
    assert_headers(&login, "the sign-in page");
    let redirect = app.get("/orders", None).await;
    assert_eq!(redirect.status, StatusCode::SEE_OTHER);
    assert_headers(&redirect, "a redirect");
    let missing = app.get("/no-such-page", Some(&owner)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_headers(&missing, "an error page");
    let forbidden = app.get("/panels/new", Some(&app.as_role("viewer1", Role::Viewer, &[]).await)).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_headers(&forbidden, "a refusal");
    let css = app.get(shared::ui::assets::css_path(), None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_headers(&css, "the stylesheet");
    let js = app.get(shared::ui::assets::js_path(), None).await;
    assert_headers(&js, "the script");
    assert_headers(&app.get("/healthz", None).await, "the health check");
    // The admin API: an answer and an error.
    let token = crate::adminapi::key(&app, &[Scope::OrdersRead], None).await;
    let api = |t: Option<String>| {
        let mut b = TestApp::request(Method::GET, "/adminapi/v2/orders", None);
        if let Some(t) = t {
            b = b.header("x-api-key", t);
        }
        b.body(Body::empty()).unwrap()
    };
    let ok = app.send(api(Some(token))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_headers(&ok, "an admin API answer");
    let refused = app.send(api(None)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_headers(&refused, "an admin API error");
}

#[tokio::test]
async fn https_answers_ask_for_https_from_then_on() {
    let app = TestApp::new().await;
    let req = TestApp::request(Method::GET, "/login", None)
        .header(header::HOST, "console.example.com")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .unwrap();
    let res = app.send(req).await;
    let hsts = res.headers.get("strict-transport-security").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(hsts.starts_with("max-age="), "{hsts:?}");
}
