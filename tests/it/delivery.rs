//! Promises kept: each service's measured speed (the median delivered units per day of its orders
//! completed in the last 7 days) and the share that kept the promised speed, on hand-built orders; on
//! the Services page and in Service tracking, within the viewer's panels; summed by the sync.

use panelops_reports::service_health;
use shared::auth::{PanelScope, Role};
use shared::cache::speeds::{self, Speed};

use crate::helpers::TestApp;
use crate::reports_support::*;
use crate::sync_support::{register, sim, sync_idle};

/// Panel A: S10 promises 1K/day, S20 promises nothing; panel B: S10 of its own. Answers below.
async fn seed(app: &TestApp, t: i64) -> (i64, i64) {
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Beta", "https://beta.example", None).await;
    service(app, a, 10, "Likes [Speed: 1K/Day] [R30]").await;
    service(app, a, 20, "Followers (no speed stated)").await;
    service(app, b, 10, "Beta likes 5K/Day").await;
    // S10, completed in the last 7 days: 500, 1000, 1000 (2000 in exactly 2 days) and 3000 per day.
    // Median (1000 + 1000) / 2 = 1000; kept the promise: 1000, 1000, 3000 → 3 of 4 = 75 %.
    order(app, a, 1, 10, "completed", 1_000, 0, t - 2 * D, t - D).await;
    order(app, a, 2, 10, "completed", 3_000, 0, t - 2 * D, t - D).await;
    order(app, a, 3, 10, "completed", 500, 0, t - 2 * D, t - D).await;
    order(app, a, 4, 10, "completed", 2_000, 0, t - 3 * D, t - D).await;
    // Not measured: partial, still open, completed 8 days ago.
    order(app, a, 5, 10, "partial", 100, 10, t - 2 * D, t - D).await;
    order(app, a, 7, 10, "completed", 10, 0, t - 9 * D, t - 8 * D).await;
    // Stuck (so Service tracking lists S10 in its 24 h window).
    order(app, a, 6, 10, "pending", 100, 100, t - 20 * H, t - 20 * H).await;
    // S20: 100, 300 and 900 per day (900 in a third of a day) → median 300; no promise to keep.
    order(app, a, 21, 20, "completed", 100, 0, t - 2 * D, t - D).await;
    order(app, a, 22, 20, "completed", 300, 0, t - 2 * D, t - D).await;
    order(app, a, 23, 20, "completed", 300, 0, t - D - 8 * H, t - D).await;
    // Panel B: 777 per day.
    order(app, b, 1, 10, "completed", 777, 0, t - 2 * D, t - D).await;
    order(app, b, 2, 10, "pending", 100, 100, t - 20 * H, t - 20 * H).await;
    (a, b)
}

async fn measured(app: &TestApp, panel: i64, service: i64) -> Option<Speed> {
    let conn = app.state.db.connect().await.unwrap();
    let sql =
        format!("SELECT {} FROM service_speeds WHERE panel_id = ?1 AND service_id = ?2", speeds::COLUMNS);
    let mut rows = conn.query(&sql, (panel, service)).await.unwrap();
    let r = rows.next().await.unwrap()?;
    speeds::speed_from(&r, 0).unwrap()
}

#[tokio::test]
async fn the_median_and_the_kept_share_follow_the_definition() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let (a, b) = seed(&app, t).await;
    let conn = app.state.db.connect().await.unwrap();
    for p in [a, b] {
        assert!(speeds::refresh(&conn, p, t, false).await.unwrap(), "the first refresh sums");
    }
    assert_eq!(measured(&app, a, 10).await, Some(Speed { orders: 4, median_per_day: 1_000, kept: Some(3) }));
    assert_eq!(measured(&app, a, 10).await.and_then(|s| s.kept_pct()), Some(75.0));
    assert_eq!(measured(&app, a, 20).await, Some(Speed { orders: 3, median_per_day: 300, kept: None }));
    assert_eq!(measured(&app, b, 10).await, Some(Speed { orders: 1, median_per_day: 777, kept: Some(0) }));

    // A second refresh within 10 minutes is skipped; a forced one (or a later one) sums again.
    order(&app, a, 8, 10, "completed", 100, 0, t - 2 * D, t - D).await;
    assert!(!speeds::refresh(&conn, a, t + 60, false).await.unwrap());
    assert_eq!(measured(&app, a, 10).await.map(|s| s.orders), Some(4));
    assert!(speeds::refresh(&conn, a, t + speeds::REFRESH_SECS, false).await.unwrap());
    // 100, 500, 1000, 1000, 3000 → median 1000, kept 3 of 5.
    assert_eq!(measured(&app, a, 10).await, Some(Speed { orders: 5, median_per_day: 1_000, kept: Some(3) }));

    // Service tracking carries the same numbers beside the promised speed.
    let p = crate::reports_service::params(None);
    let rows = service_health::service_health(&conn, &PanelScope::All, &p, t).await.unwrap();
    let s10 = rows.iter().find(|r| r.panel_id == a && r.service_id == 10).expect("S10 listed (stuck)");
    assert_eq!((s10.min_per_day, s10.kept_pct), (Some(1_000), Some(60.0)));
    assert_eq!(s10.measured.as_ref().map(|m| m.median_per_day), Some(1_000));
}

#[tokio::test]
async fn pages_show_the_measured_speed_of_the_viewers_panels_only() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let (a, b) = seed(&app, t).await;
    let conn = app.state.db.connect().await.unwrap();
    for p in [a, b] {
        speeds::refresh(&conn, p, t, true).await.unwrap();
    }
    let owner = app.as_role_of_all_panels("owner1", Role::Owner).await;
    let page = app.get("/services", Some(&owner)).await;
    assert!(page.body.contains("Measured/day") && page.body.contains("Kept"), "{}", page.body);
    assert!(page.body.contains("75%") && page.body.contains("3 of 4"), "S10 kept 3 of 4");
    assert!(page.body.contains(">777<"), "B's speed for the owner");

    let agent_a = app.as_role("agent_a", Role::Agent, &[a]).await;
    let page = app.get("/services", Some(&agent_a)).await;
    assert!(page.body.contains("75%"));
    assert!(!page.body.contains(">777<"), "panel B's speed never reaches panel A's staff");
    let json = app.get("/reports/service-health.json", Some(&agent_a)).await;
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    let list = v["data"]["list"].as_array().cloned().unwrap_or_default();
    assert!(list.iter().all(|r| r["panel_id"] == a), "{list:?}");
    let s10 = list.iter().find(|r| r["service_id"] == 10).expect("S10 in the JSON");
    assert_eq!(s10["measured"]["median_per_day"], 1_000);
    assert_eq!(s10["kept_pct"], 75.0);
    let html = app.get("/reports/service-health", Some(&agent_a)).await;
    assert!(html.body.contains("Measured/day") && html.body.contains("3 of 4"));
}

#[tokio::test]
async fn a_sync_cycle_measures_the_speeds() {
    let app = TestApp::new().await;
    let sim = sim(25, 300, false).await;
    let panel = register(&app, &sim).await;
    sync_idle(&app, panel).await;
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM service_speed_runs WHERE panel_id = {panel}")).await,
        1
    );
    let conn = app.state.db.connect().await.unwrap();
    // What the sync stored is what a fresh sum finds.
    let before =
        app.scalar(&format!("SELECT COALESCE(SUM(orders * 7 + median_per_day), -1) FROM service_speeds WHERE panel_id = {panel}")).await;
    let at =
        app.scalar(&format!("SELECT refreshed_at FROM service_speed_runs WHERE panel_id = {panel}")).await;
    speeds::refresh(&conn, panel, at, true).await.unwrap();
    let after =
        app.scalar(&format!("SELECT COALESCE(SUM(orders * 7 + median_per_day), -1) FROM service_speeds WHERE panel_id = {panel}")).await;
    assert_eq!(before, after);
}
