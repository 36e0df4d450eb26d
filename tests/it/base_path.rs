//! The console under a path prefix: `cargo lambda watch`'s `/lambda-url/<bin>`, or `PANELOPS_BASE_PATH`.
//! Its links, form actions, assets, redirects and the URLs it hands to API clients carry the prefix.

use axum::http::{header, StatusCode};
use lambda_http::lambda_runtime::Context;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, LambdaEvent, Service};
use serde_json::{json, Value};
use shared::auth::{Role, Scope};

use crate::helpers::{Session, TestApp};

/// A request as `cargo lambda watch` hands it to a function served at `/lambda-url/<function>`: an
/// HTTP API (2.0) event with the prefix taken off the path, domain `localhost`, the function's name as
/// the domain prefix.
fn watch_event(function: &str, path: &str, session: Option<&Session>) -> LambdaRequest {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let cookies: Vec<String> = session.map(|s| format!("po_session={}", s.token)).into_iter().collect();
    serde_json::from_value(json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "cookies": cookies,
        "headers": {"host": "127.0.0.1:9000", "user-agent": "test"},
        "requestContext": {
            "domainName": "localhost", "domainPrefix": function, "stage": "$default", "requestId": "r1",
            "routeKey": "$default", "timeEpoch": 0,
            "http": {"method": "GET", "path": path, "protocol": "http", "sourceIp": "127.0.0.1", "userAgent": "cargo-lambda"}
        },
        "isBase64Encoded": false
    }))
    .expect("an HTTP API event")
}

/// The function's answer as the Lambda runtime sends it back.
async fn invoke(router: &axum::Router, request: LambdaRequest) -> Value {
    let mut adapter = Adapter::from(router.clone());
    let res = adapter.call(LambdaEvent::new(request, Context::default())).await.expect("answered");
    serde_json::to_value(res).expect("json")
}

#[tokio::test]
async fn under_cargo_lambda_watch_links_forms_assets_and_redirects_keep_the_function_prefix() {
    let app = TestApp::new().await;
    let console = panelops_api::app(&app.state);
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    // Signed out: the redirect to the sign-in page stays under the console's prefix.
    let res = invoke(&console, watch_event("panelops-api", "/panels", None)).await;
    assert_eq!(res["statusCode"], 303, "{res}");
    let to = res["headers"]["location"].as_str().unwrap_or_default();
    assert!(to.starts_with("/lambda-url/panelops-api/login"), "{to}");
    let login = invoke(&console, watch_event("panelops-api", "/login", None)).await;
    assert_eq!(login["statusCode"], 200, "{login}");
    let body = login["body"].as_str().unwrap_or_default();
    assert!(body.contains(r#"action="/lambda-url/panelops-api/login""#), "{body}");

    let page = invoke(&console, watch_event("panelops-api", "/panels", Some(&owner))).await;
    assert_eq!(page["statusCode"], 200, "{page}");
    let body = page["body"].as_str().unwrap_or_default();
    let css = shared::ui::assets::css_path();
    for expected in [
        format!(r#"href="/lambda-url/panelops-api{css}""#),
        format!(r#"src="/lambda-url/panelops-api{}""#, shared::ui::assets::js_path()),
        r#"href="/lambda-url/panelops-api/orders""#.to_string(),
        r#"action="/lambda-url/panelops-api/logout""#.to_string(),
        r#"action="/lambda-url/panelops-api/panels""#.to_string(),
        // Another function's pages under that function's prefix, as template.yaml routes them.
        r#"href="/lambda-url/panelops-reports/reports/service-health""#.to_string(),
        r#"href="/lambda-url/panelops-ai-review/ai/flagged""#.to_string(),
    ] {
        assert!(body.contains(&expected), "{expected} in {body}");
    }
    for attr in [" href=\"/", " action=\"/", " src=\"/"] {
        let bare =
            body.match_indices(attr).filter(|(at, _)| !body[at + attr.len()..].starts_with("lambda-url/"));
        assert_eq!(bare.count(), 0, "every{attr} carries the prefix");
    }
    // The stylesheet is there under that address.
    let asset = invoke(&console, watch_event("panelops-api", css, None)).await;
    assert_eq!(asset["statusCode"], 200);

    // The OpenAPI document's server is the admin API under the prefix.
    let doc = invoke(&console, watch_event("panelops-api", "/adminapi/v2/openapi.json", None)).await;
    let doc: Value = serde_json::from_str(doc["body"].as_str().unwrap_or_default()).expect("json");
    assert_eq!(doc["servers"][0]["url"], "/lambda-url/panelops-api/adminapi/v2");

    // A report page, served by its own function, links back to the console's.
    let reports = panelops_reports::app(&app.state);
    let page =
        invoke(&reports, watch_event("panelops-reports", "/reports/service-health", Some(&owner))).await;
    let body = page["body"].as_str().unwrap_or_default();
    assert!(body.contains(r#"href="/lambda-url/panelops-api/panels""#), "{body}");
}

#[tokio::test]
async fn a_configured_base_path_is_on_every_link_and_in_the_api_s_urls() {
    let app = TestApp::configured(|c| c.base_path = Some("/console".into())).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    // The proxy may leave the prefix on the path or take it off: the same page either way.
    for path in ["/console/settings/api-keys", "/settings/api-keys"] {
        let page = app.get(path, Some(&owner)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body.contains(r#"href="/console/orders""#)
                && page.body.contains(r#"action="/console/logout""#)
        );
        assert!(
            page.body.contains(r#"href="/console/reports/service-health""#),
            "one prefix for every function"
        );
        assert!(
            page.body.contains("http://127.0.0.1:3000/console/adminapi/v2/orders?order_status=fail"),
            "the example"
        );
    }
    let signed_out = app.get("/console/orders", None).await;
    assert!(signed_out.location().starts_with("/console/login"), "{}", signed_out.location());

    let panel = app.add_panel("A", "https://a.example", None).await;
    for id in 1..=3 {
        app.exec(&format!(
            "INSERT INTO users_cache (panel_id, id, username, checked_at) VALUES ({panel}, {id}, 'u{id}', 0)"
        ))
        .await;
    }
    let token = crate::adminapi::key(&app, &[Scope::UsersRead], None).await;
    let req = TestApp::request(axum::http::Method::GET, "/console/adminapi/v2/users?limit=1", None)
        .header("x-api-key", &token)
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.send(req).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.headers.get(header::CONTENT_TYPE).unwrap(), "application/json");
    let v: Value = serde_json::from_str(&res.body).unwrap();
    let next = v["pagination"]["next_page_href"].as_str().unwrap_or_default();
    assert!(next.starts_with("http://127.0.0.1:3000/console/adminapi/v2/users?"), "{next}");
}

/// Under watch a link goes to the function template.yaml routes its path to: the table the layer
/// uses must say what the template says.
#[test]
fn the_watch_prefixes_follow_the_template_s_routes() {
    use crate::template::routed_to;
    for (prefix, function) in shared::base_path::OWNERS {
        assert_eq!(
            routed_to(&axum::http::Method::GET, &format!("{prefix}x")).as_deref(),
            Some(function),
            "{prefix}"
        );
    }
    // Every other path goes to the console's $default route.
    assert_eq!(routed_to(&axum::http::Method::GET, "/orders").as_deref(), Some(shared::base_path::CONSOLE));
}
