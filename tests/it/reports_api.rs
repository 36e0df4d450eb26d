//! The reports over the admin API: the same rows as their `.json` pages for the same parameters, the
//! `reports:read` scope, and a key's panels limiting the numbers exactly as a staff member's do.

use axum::http::StatusCode;
use serde_json::Value;
use shared::auth::{Role, Scope};

use crate::adminapi::{get, key};
use crate::helpers::TestApp;
use crate::reports_support::{json, list};

/// The `.json` page's `data` as `session` sees it, and the API's `data` for the same query.
async fn both(app: &TestApp, page: &str, api: &str, query: &str, token: &str) -> (Value, Value) {
    let owner = match app.scalar("SELECT COUNT(*) FROM staff WHERE username = 'owner'").await {
        0 => app.add_staff("owner", Role::Owner, &[]).await,
        _ => app.scalar("SELECT id FROM staff WHERE username = 'owner'").await,
    };
    let owner = app.session_for(owner).await;
    // A report's window ends at the current second: both answers must come from the same one (on a
    // slow machine the two requests can straddle a second, and the window's edge moves with it).
    for _ in 0..50 {
        let second = shared::time::now();
        let res = app.get(&format!("{page}.json?{query}"), Some(&owner)).await;
        assert_eq!(res.status, StatusCode::OK, "{page}: {}", res.body);
        let (status, v) = get(app, &format!("/adminapi/v2/reports/{api}?{query}&limit=1000"), token).await;
        assert_eq!(status, StatusCode::OK, "{api}: {v}");
        assert_eq!(v["error_code"], 0);
        if shared::time::now() == second {
            return (json(&res.body)["data"].clone(), v["data"].clone());
        }
    }
    panic!("{page}: the page and the API never answered within the same second");
}

fn same_list(page: &Value, api: &Value, what: &str) {
    assert_eq!(page["list"], api["list"], "{what}: the API's rows are the page's");
    assert_eq!(api["count"].as_u64(), page["list"].as_array().map(|l| l.len() as u64), "{what}: count");
}

#[tokio::test]
async fn ticket_reports_answer_as_their_json_pages() {
    let app = TestApp::new().await;
    crate::reports_tickets::seed(&app, shared::time::now()).await;
    let all = key(&app, &[Scope::ReportsRead], None).await;
    for query in ["panel=", "panel=&window_hours=48"] {
        let (p, a) = both(&app, "/reports/ticket-tracking/staff", "ticket-tracking/staff", query, &all).await;
        same_list(&p, &a, "staff");
        assert!(a["list"].as_array().unwrap().iter().any(|r| r["staff"] == "zed"), "all panels");
        let (p, a) =
            both(&app, "/reports/ticket-tracking/services", "ticket-tracking/services", query, &all).await;
        same_list(&p, &a, "services");
        assert_eq!(a["unresolved"], p["unresolved"]);
        let (p, a) = both(&app, "/reports/staff-statistics", "staff-statistics", query, &all).await;
        same_list(&p, &a, "staff statistics");
    }
}

#[tokio::test]
async fn service_and_user_tracking_answer_as_their_json_pages() {
    let app = TestApp::new().await;
    crate::reports_service::seed(&app, shared::time::now(), 600).await;
    let all = key(&app, &[Scope::ReportsRead], None).await;
    for query in ["panel=", "panel=&window_hours=72&min_orders=1&stuck_after_hours=6"] {
        let (p, a) = both(&app, "/reports/service-health", "service-health", query, &all).await;
        same_list(&p, &a, "service health");
        assert!(!a["list"].as_array().unwrap().is_empty());
    }
    let (status, v) = get(&app, "/adminapi/v2/reports/service-health?slow_multiplier=abc", &all).await;
    assert_eq!((status, v["error_code"].as_i64()), (StatusCode::BAD_REQUEST, Some(400)));

    let app = TestApp::new().await;
    crate::reports_users::seed(&app, shared::time::now()).await;
    let all = key(&app, &[Scope::ReportsRead], None).await;
    let (p, a) = both(&app, "/reports/top-spenders", "top-spenders", "panel=", &all).await;
    same_list(&p, &a, "top spenders");
    assert_eq!(Some(a["count"].clone()), p.get("total").cloned(), "count is every qualifying user");
    // Paging over the report: the second row alone, with the total and a link to the next page.
    let (_, v) = get(&app, "/adminapi/v2/reports/top-spenders?limit=1&offset=1", &all).await;
    assert_eq!(v["data"]["list"].as_array().unwrap().as_slice(), &p["list"].as_array().unwrap()[1..2]);
    assert_eq!(v["data"]["count"], p["total"]);
    assert!(v["pagination"]["next_page_href"].as_str().unwrap().contains("offset=2"));
    let (status, v) =
        get(&app, &format!("/adminapi/v2/reports/top-spenders?offset={}", i64::MAX), &all).await;
    assert_eq!(status, StatusCode::OK, "an offset past the end is an empty page: {v}");
    assert_eq!(v["data"]["list"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn competitor_report_answers_as_its_json_page() {
    let app = TestApp::new().await;
    let b = crate::competitors_report::build(&app, shared::time::now()).await;
    let all = key(&app, &[Scope::ReportsRead], None).await;
    let query = format!("panel={}&window_hours=24", b.panel);
    let (p, a) = both(&app, "/reports/competitors", "competitors", &query, &all).await;
    same_list(&p, &a, "competitors");
    assert_eq!(a["count"], 3);
    for k in ["panel_id", "window_hours", "changes", "notes"] {
        assert_eq!(a[k], p[k], "data.{k}");
    }
    // Every field sent is documented.
    let doc: Value = serde_json::from_str(&app.get("/adminapi/v2/openapi.json", None).await.body).unwrap();
    let data = &doc["paths"]["/reports/competitors"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"]["properties"]["data"]["properties"];
    for k in a.as_object().unwrap().keys() {
        assert!(data.get(k).is_some(), "data.{k} documented");
    }
    let rows = &data["list"]["items"]["properties"];
    for k in a["list"][0].as_object().unwrap().keys() {
        assert!(rows.get(k).is_some(), "competitors row field {k} documented");
    }
}

#[tokio::test]
async fn a_key_sees_only_its_panels_numbers_and_needs_reports_read() {
    let app = TestApp::new().await;
    let (a, b) = crate::reports_tickets::seed(&app, shared::time::now()).await;
    crate::reports_support::order(&app, b, 99, 10, "pending", 100, 5, 0, 0).await; // stuck on B only
    let none = key(&app, &[Scope::OrdersRead, Scope::TicketsRead], None).await;
    for path in [
        "service-health",
        "top-spenders",
        "ticket-tracking/staff",
        "ticket-tracking/services",
        "staff-statistics",
        "competitors",
    ] {
        let (status, v) = get(&app, &format!("/adminapi/v2/reports/{path}"), &none).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path} without reports:read");
        assert_ne!(v["error_code"], 0);
    }
    // A key of panel A gets exactly what a staff member of panel A gets.
    let only_a = key(&app, &[Scope::ReportsRead], Some(&[a])).await;
    let agent = app.as_role("agent", Role::Agent, &[a]).await;
    for (page, api) in [
        ("/reports/ticket-tracking/staff", "ticket-tracking/staff"),
        ("/reports/ticket-tracking/services", "ticket-tracking/services"),
        ("/reports/staff-statistics", "staff-statistics"),
        ("/reports/service-health", "service-health"),
        ("/reports/top-spenders", "top-spenders"),
    ] {
        let theirs = list(&app.get(&format!("{page}.json"), Some(&agent)).await.body);
        let (status, v) = get(&app, &format!("/adminapi/v2/reports/{api}"), &only_a).await;
        assert_eq!(status, StatusCode::OK, "{api}: {v}");
        assert_eq!(v["data"]["list"].as_array().unwrap(), &theirs, "{api}: as the agent of A sees it");
        let rows = v["data"]["list"].as_array().unwrap();
        assert!(rows.iter().all(|r| r.get("panel_id").is_none_or(|p| p == a)), "{api}: nothing of B");
        assert!(!v.to_string().contains("zed"), "{api}: B's staff stays out");
        let (status, _) = get(&app, &format!("/adminapi/v2/reports/{api}?panel={b}"), &only_a).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{api}: panel B is not the key's");
    }
    let (_, v) = get(&app, "/adminapi/v2/reports/ticket-tracking/services", &only_a).await;
    assert_eq!(v["data"]["unresolved"], 2, "A's unresolved tickets only");
    let (status, _) = get(&app, &format!("/adminapi/v2/reports/competitors?panel={b}"), &only_a).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
