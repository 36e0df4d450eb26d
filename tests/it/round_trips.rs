//! The round-trip budget over the network (hosted tier): every console page a signed-in member opens
//! costs at most 3 requests to the database, every report and admin API call at most 6 — session,
//! member, frame and content included. Walks every GET route, so a page added later is held to it too.

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use shared::auth::api_key::{self, NewKey};
use shared::auth::{Role, Scope};
use shared::Access;

use crate::helpers::{concrete, TestApp};

pub const PAGE_BUDGET: u64 = 3;
pub const REPORT_BUDGET: u64 = 6;

fn budget(path: &str) -> u64 {
    if path.starts_with("/reports/") || path.starts_with("/adminapi/") || path.ends_with(".json") {
        REPORT_BUDGET
    } else {
        PAGE_BUDGET
    }
}

#[tokio::test]
async fn every_page_report_and_api_call_keeps_its_round_trip_budget() {
    if !crate::hosted::enabled() {
        eprintln!("skipped: round trips are counted in the hosted tier (PANELOPS_TEST_BACKEND=sqld)");
        return;
    }
    let app = TestApp::new().await;
    let owner_id = app.add_staff("owner1", Role::Owner, &[]).await;
    app.add_panel("One", "https://one.example", None).await;
    app.add_panel("Two", "https://two.example", None).await;
    for sql in [
        "INSERT INTO orders_cache (panel_id, id, status, created, checked_at) VALUES (1, 1, 'pending', 1700000000, 0)",
        "INSERT INTO tickets_cache (panel_id, id, subject, created, checked_at) VALUES (1, 1, 'Hi', 1700000000, 0)",
        "INSERT INTO users_cache (panel_id, id, username, checked_at) VALUES (1, 1, 'u1', 0)",
        "INSERT INTO services_cache (panel_id, id, name, checked_at) VALUES (1, 1, 'Likes', 0)",
        "INSERT INTO payment_methods (id, internal_name, display_name, created) VALUES (1, 'pm', 'PM', 0)",
        "INSERT INTO service_reports (id, panel_id, service_id, reason, reported_at) VALUES (1, 1, 1, 'x', 0)",
        // A finished order action on panel 1, its order re-read: its page sends and reads nothing.
        "INSERT INTO order_actions (id, kind, actor, created_at, finished_at) VALUES (1, 'resend', 'owner1', 0, 0)",
        "INSERT INTO order_action_items (action_id, seq, panel_id, order_id, state, status_after) VALUES (1, 0, 1, 1, 'done', 'pending')",
    ] {
        app.exec(sql).await;
    }
    let owner = app.session_for(owner_id).await;
    let (_, token) = api_key::create(
        &app.state.db,
        &NewKey { name: "rt", scopes: &Scope::ALL, all_panels: true, panels: &[], created_by: owner_id },
    )
    .await
    .unwrap();
    let specs = panelops::server::routes(&app.state).specs().to_vec();
    let mut over = Vec::new();
    let mut table = String::new();
    for spec in specs.iter().filter(|s| s.method == Method::GET) {
        let path = concrete(spec.path);
        let build = || {
            let req = TestApp::request(Method::GET, &path, None);
            let req = match spec.access {
                Access::Public => req,
                Access::ApiKey(_) => req.header("x-api-key", &token),
                Access::Staff(_) | Access::AllPanels(_) => {
                    req.header(header::COOKIE, format!("po_session={}", owner.token))
                }
            };
            req.header(header::ACCEPT, "text/html").body(Body::empty()).unwrap()
        };
        // Once to warm what a function keeps between requests, then counted.
        let first = app.send(build()).await;
        let before = app.state.db.round_trips();
        let res = app.send(build()).await;
        let trips = app.state.db.round_trips() - before;
        table.push_str(&format!("{trips:>3}  {path}  ({})\n", res.status));
        assert!(first.status.as_u16() < 500 && res.status.as_u16() < 500, "{path}: {}", res.status);
        if res.status == StatusCode::OK && trips > budget(&path) {
            over.push(format!("{path}: {trips} round trips (budget {})", budget(&path)));
        }
    }
    eprintln!("round trips per request:\n{table}");
    assert!(over.is_empty(), "over budget:\n{}", over.join("\n"));
}
