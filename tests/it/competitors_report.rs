//! The competitor tracking report on a hand-built price history: exact numbers, flags, catalogue
//! changes, profiles, JSON envelope, and panel scope.

use axum::http::StatusCode;
use serde_json::Value;
use shared::auth::{PanelScope, Role};
use shared::domain::competitors::matching::{self, Decision};
use shared::domain::competitors::profiles::{self, ProfileInput};
use shared::domain::competitors::{self, catalog, CompetitorInput};
use shared::pp::rows::{ServiceRow, ServiceTerms};

use crate::helpers::TestApp;

const M: i64 = 1_000_000;

fn svc(id: i64, rate: i64) -> ServiceRow {
    let terms = ServiceTerms {
        name: format!("Rival service {id}"),
        kind: None,
        category: None,
        rate: Some(rate),
        min: None,
        max: None,
        refill: None,
        cancel: None,
    };
    ServiceRow { id, terms, dripfeed: None }
}

type Change<'a> = (String, &'a str, i64, Option<i64>, Option<i64>);

pub struct Built {
    pub panel: i64,
    r1: i64,
    r2: i64,
}

/// Our services 100 ($1.00), 101 ($2.00), 102 ($5.00); rivals "Alpha Rival" and "Beta Rival" with
/// history around `t` (the report's "now").
pub async fn build(app: &TestApp, t: i64) -> Built {
    let panel = app.add_panel("Main", "https://main.example", None).await;
    for (id, name, rate) in
        [(100, "TikTok Likes [R30]", M), (101, "Instagram Followers", 2 * M), (102, "YouTube Views", 5 * M)]
    {
        app.exec(&format!(
            "INSERT INTO services_cache (panel_id, id, name, rate, checked_at) VALUES ({panel}, {id}, '{name}', {rate}, 0)"
        ))
        .await;
    }
    let mut ids = Vec::new();
    for (name, url) in
        [("Alpha Rival", "https://alpha-rival.example"), ("Beta Rival", "https://beta-rival.example")]
    {
        let input = CompetitorInput {
            panel_id: panel,
            name: name.into(),
            base_url: url.into(),
            api_key: Some("k-0000".into()),
            enabled: true,
        };
        ids.push(competitors::create(&app.state.db, &app.state.config.secret_key, &input).await.unwrap());
    }
    let (r1, r2) = (ids[0], ids[1]);
    let snaps: Vec<(i64, i64, Vec<ServiceRow>)> = vec![
        (r1, t - 200_000, vec![svc(500, 800_000), svc(501, 3 * M), svc(503, M)]),
        (r1, t - 40_000, vec![svc(500, 900_000), svc(501, 3 * M), svc(503, M)]),
        (r1, t - 7_200, vec![svc(500, 900_000), svc(501, 3 * M)]),
        (r1, t - 3_600, vec![svc(500, 900_000), svc(501, 3 * M), svc(502, 500_000)]),
        (r2, t - 100_000, vec![svc(700, 1_200_000), svc(701, 2_800_000), svc(702, 4 * M)]),
    ];
    let conn = app.state.db.connect().await.unwrap();
    for (c, at, rows) in snaps {
        catalog::apply_snapshot(&conn, c, at, &rows, Vec::new()).await.unwrap();
    }
    for (ours, c, theirs) in [(100, r1, 500), (100, r2, 700), (101, r1, 501), (101, r2, 701), (102, r2, 702)]
    {
        let d = Decision {
            panel_id: panel,
            service_id: ours,
            competitor_id: c,
            rival_service_id: theirs,
            confirmed: true,
            confidence: Some(90),
        };
        matching::decide(&app.state.db, &d, "owner").await.unwrap();
    }
    Built { panel, r1, r2 }
}

#[tokio::test]
async fn report_numbers_on_a_hand_built_history() {
    let app = TestApp::new().await;
    let t = 1_800_000_000;
    let b = build(&app, t).await;
    let q = panelops_reports::competitors::ReportQuery {
        panel: Some(b.panel),
        profile: None,
        window_hours: Some(24),
    };
    let r = panelops_reports::competitors::report(&app.state.db, &PanelScope::All, &q, t).await.unwrap();
    assert_eq!((r.from, r.to), (t - 86_400, t));
    assert_eq!(r.rows.iter().map(|s| s.service_id).collect::<Vec<_>>(), vec![100, 101, 102]);
    let s100 = &r.rows[0];
    assert_eq!(s100.our_rate, Some(M));
    assert_eq!(s100.position, "between");
    assert_eq!(
        (s100.cheapest_rival.as_deref(), s100.cheapest_rival_rate),
        (Some("Alpha Rival"), Some(900_000))
    );
    let a = &s100.rivals[0];
    assert_eq!(
        (a.competitor.as_str(), a.rate_start, a.rate_now),
        ("Alpha Rival", Some(800_000), Some(900_000))
    );
    assert_eq!((a.change_abs, a.change_pct), (Some(100_000), Some(12.5)));
    assert_eq!((a.vs_us_now_abs, a.vs_us_now_pct), (Some(100_000), Some(11.11)));
    assert_eq!((a.vs_us_start_abs, a.vs_us_start_pct), (Some(200_000), Some(25.0)));
    assert_eq!(a.start_at, Some(t - 86_400));
    let b100 = &s100.rivals[1];
    assert_eq!(
        (b100.rate_start, b100.rate_now, b100.change_abs),
        (Some(1_200_000), Some(1_200_000), Some(0))
    );
    assert_eq!(b100.vs_us_now_abs, Some(-200_000));
    assert_eq!(r.rows[1].position, "cheapest_by_far", "2.00 is more than 20% under 2.80");
    assert_eq!(r.rows[2].position, "most_expensive", "5.00 against 4.00");
    assert_eq!(r.rows[2].rivals.len(), 1);
    let changes: Vec<Change> = r
        .changes
        .iter()
        .map(|c| (c.competitor.clone(), c.kind, c.service_id, c.rate_before, c.rate_after))
        .collect();
    assert_eq!(
        changes,
        vec![
            ("Alpha Rival".into(), "new", 502, None, Some(500_000)),
            ("Alpha Rival".into(), "price_up", 500, Some(800_000), Some(900_000)),
            ("Alpha Rival".into(), "removed", 503, Some(M), None),
        ]
    );
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    // A window reaching before Beta's history says so; its start values are its first ones.
    let q = panelops_reports::competitors::ReportQuery {
        panel: Some(b.panel),
        profile: None,
        window_hours: Some(48),
    };
    let r = panelops_reports::competitors::report(&app.state.db, &PanelScope::All, &q, t).await.unwrap();
    assert!(r.notes.iter().any(|n| n.contains("Beta Rival")), "{:?}", r.notes);
    assert_eq!(r.rows[0].rivals[1].start_at, Some(t - 100_000));
    // A profile narrows competitors and services.
    let input = ProfileInput {
        panel_id: b.panel,
        name: "Beta only".into(),
        competitor_ids: vec![b.r2],
        service_ids: vec![101],
        window_hours: 24,
    };
    let pid = profiles::create(&app.state.db, &input, "owner").await.unwrap();
    let q =
        panelops_reports::competitors::ReportQuery { panel: None, profile: Some(pid), window_hours: None };
    let r = panelops_reports::competitors::report(&app.state.db, &PanelScope::All, &q, t).await.unwrap();
    assert_eq!(r.rows.len(), 1);
    assert_eq!((r.rows[0].service_id, r.rows[0].rivals.len(), r.window_hours), (101, 1, 24));
    assert_eq!(r.rows[0].rivals[0].rate_now, Some(2_800_000));
    assert!(r.changes.is_empty(), "Alpha's changes are outside this profile");
    let _ = b.r1;
}

#[tokio::test]
async fn report_page_json_and_scope() {
    let app = TestApp::new().await;
    let b = build(&app, shared::time::now()).await;
    let other = app.add_panel("Other", "https://other.example", None).await;
    let viewer = app.as_role("viewer1", Role::Viewer, &[b.panel]).await;
    let res =
        app.get(&format!("/reports/competitors.json?panel={}&window_hours=24", b.panel), Some(&viewer)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let v: Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!((v["error_code"].as_i64(), v["error_message"].as_str()), (Some(0), Some("")));
    assert_eq!(v["data"]["count"], 3);
    let list = v["data"]["list"].as_array().unwrap();
    assert_eq!(list[0]["service_id"], 100);
    assert_eq!(list[0]["rivals"][0]["rate_now"], 900_000);
    assert_eq!(list[0]["rivals"][0]["change_pct"], 12.5);
    assert_eq!(v["data"]["changes"].as_array().unwrap().len(), 3);
    // Bad params are a 400 in the envelope, not a 500.
    let bad = app.get("/reports/competitors.json?window_hours=abc", Some(&viewer)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("window_hours"));
    let bad = app.get("/reports/competitors.json?window_hours=0", Some(&viewer)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // The page: table, chart, changes and how to read it.
    let page = app.get("/reports/competitors?window_hours=24", Some(&viewer)).await;
    assert_eq!(page.status, StatusCode::OK);
    for want in [
        "How to read this report",
        "<svg",
        "polyline",
        "Most expensive",
        "Cheapest by far",
        "Alpha Rival",
        "Removed",
        "+12.5%",
    ] {
        assert!(page.body.contains(want), "page shows {want}");
    }
    // The chart's legend draws its colours: nothing for the CSP to block.
    assert_eq!(crate::security_headers::blocked_by_csp(&page.body), Vec::<String>::new());
    // Another panel's viewer sees neither the data nor the profile.
    let outsider = app.as_role("viewer2", Role::Viewer, &[other]).await;
    let res = app.get(&format!("/reports/competitors.json?panel={}", b.panel), Some(&outsider)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let input = ProfileInput {
        panel_id: b.panel,
        name: "P".into(),
        competitor_ids: vec![],
        service_ids: vec![],
        window_hours: 24,
    };
    let pid = profiles::create(&app.state.db, &input, "owner").await.unwrap();
    let res = app.get(&format!("/reports/competitors.json?profile={pid}"), Some(&outsider)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let own = app.get("/reports/competitors.json", Some(&outsider)).await;
    let v: Value = serde_json::from_str(&own.body).unwrap();
    assert_eq!(v["data"]["count"], 0, "its own panel has no matches");
    let page = app.get("/reports/competitors", Some(&outsider)).await;
    assert!(!page.body.contains("Alpha Rival"));
}
