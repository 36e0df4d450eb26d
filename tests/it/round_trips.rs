//! The round-trip budget over the network (hosted tier): every console page a signed-in member opens
//! costs at most 3 requests to the database, every report and admin API call at most 6 — session,
//! member, frame and content included. Walks every GET route, so a page added later is held to it too.

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use shared::auth::api_key::{self, NewKey};
use shared::auth::{Role, Scope};
use shared::Access;

use crate::helpers::{concrete, first_rows, TestApp};

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
    first_rows(&app).await;
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
