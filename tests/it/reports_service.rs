//! Service tracking: stuck, finished, slow, score, colours and the listing rule on hand-built orders;
//! JSON equals the page; panel scope; snooze; drill-down.

use axum::http::StatusCode;
use panelops_reports::service_health::{self, ServiceHealthParams, ServiceHealthRow};
use shared::auth::{PanelScope, Role};

use crate::helpers::TestApp;
use crate::reports_support::*;

/// Panel 1 and 2 with services whose answers are worked out below. `e` moves the rows that sit exactly
/// on a boundary (stuck threshold, slow limit) e seconds to the safe side, for tests whose clock runs.
pub async fn seed(app: &TestApp, t: i64, e: i64) -> (i64, i64) {
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Beta", "https://beta.example", None).await;
    service(app, a, 10, "Instagram Likes [Speed: 5-10K/Day]").await;
    service(app, a, 20, "Followers no speed stated").await;
    service(app, a, 30, "Views 1K/Day").await;
    for s in [40, 41, 42, 43, 44] {
        service(app, a, s, &format!("Service {s} 1K/Day")).await;
    }
    // S10: stuck = 3 (pending 12h+1s, awaiting, processing 100h); not stuck: exactly 12h, remains 0, completed.
    order(app, a, 1001, 10, "pending", 100, 5, t - 12 * H - 1, t).await;
    order(app, a, 1002, 10, "pending", 100, 5, t - 12 * H + e, t).await;
    order(app, a, 1003, 10, "in_progress", 100, 0, t - 13 * H, t).await;
    order(app, a, 1004, 10, "awaiting", 100, 3, t - 13 * H, t).await;
    order(app, a, 1005, 10, "processing", 100, 1, t - 100 * H, t).await;
    order(app, a, 1006, 10, "canceled", 100, 100, t - 100 * H, t - H).await;
    // S10 finished in 24h: 10,000 at 5,000/day × 2 = 4 days. Exactly 4 days: not slow; 1 s more: slow.
    order(app, a, 1010, 10, "completed", 10_000, 0, t - H - 4 * D + e, t - H).await;
    order(app, a, 1011, 10, "completed", 10_000, 0, t - H - 4 * D - 1, t - H).await;
    order(app, a, 1012, 10, "partial", 10_000, 10, t - 2 * H, t - H).await;
    order(app, a, 1013, 10, "completed", 10, 0, t - 30 * H, t - 25 * H).await; // outside the window
                                                                               // S20: 5 finished, very slow, but no speed in the name → never slow. Healthy 100.
    for k in 0..5 {
        order(app, a, 2000 + k, 20, "completed", 1_000_000, 0, t - 80 * D, t - 2 * H).await;
    }
    // S30: 4 finished < min orders 5, no stuck → not listed.
    for k in 0..4 {
        order(app, a, 3000 + k, 30, "completed", 1, 0, t - 3 * H, t - 2 * H).await;
    }
    // S40: 13 stuck → 100 − 60 = 40 → warning (edge).
    for k in 0..13 {
        order(app, a, 4000 + k, 40, "pending", 10, 10, t - 20 * H, t - 20 * H).await;
    }
    // S41: 8 stuck (−40) + 2 finished, 1 slow (−50) → 10 → critical.
    for k in 0..8 {
        order(app, a, 4100 + k, 41, "in_progress", 10, 10, t - 20 * H, t - 20 * H).await;
    }
    order(app, a, 4120, 41, "completed", 1000, 0, t - 3 * D, t - H).await; // 1000 at 1K/day × 2 = 2 days → slow
    order(app, a, 4121, 41, "completed", 1000, 0, t - 2 * H, t - H).await;
    // S42: 12 stuck (−60) + 1 finished slow (−100) → floor 0.
    for k in 0..12 {
        order(app, a, 4200 + k, 42, "pending", 10, 10, t - 20 * H, t - 20 * H).await;
    }
    order(app, a, 4220, 42, "completed", 1000, 0, t - 3 * D, t - H).await;
    // S43: 6 stuck → 70 → warning (edge).
    for k in 0..6 {
        order(app, a, 4300 + k, 43, "pending", 10, 10, t - 20 * H, t - 20 * H).await;
    }
    // S44: 4 stuck (−20), 10 finished none slow → 80 → healthy.
    for k in 0..4 {
        order(app, a, 4400 + k, 44, "pending", 10, 10, t - 20 * H, t - 20 * H).await;
    }
    for k in 0..10 {
        order(app, a, 4410 + k, 44, "completed", 1000, 0, t - 2 * H, t - H).await;
    }
    // Panel B: one stuck service only B's viewers may see.
    service(app, b, 10, "Beta likes 1K/Day").await;
    order(app, b, 1001, 10, "pending", 10, 10, t - 20 * H, t - 20 * H).await;
    (a, b)
}

pub fn params(panel: Option<i64>) -> ServiceHealthParams {
    ServiceHealthParams {
        panel,
        window_hours: 24,
        stuck_after_hours: 12,
        slow_multiplier: 2.0,
        min_orders: 5,
        services: vec![],
        include_snoozed: false,
    }
}

fn find(rows: &[ServiceHealthRow], panel: i64, s: i64) -> Option<&ServiceHealthRow> {
    rows.iter().find(|r| r.panel_id == panel && r.service_id == s)
}

#[tokio::test]
async fn numbers_follow_the_definitions_on_every_boundary() {
    let app = TestApp::new().await;
    let t = 1_700_000_000;
    let (a, b) = seed(&app, t, 0).await;
    let conn = app.state.db.connect().await.unwrap();
    let rows = service_health::service_health(&conn, &PanelScope::All, &params(None), t).await.unwrap();

    let s10 = find(&rows, a, 10).expect("S10 listed");
    assert_eq!((s10.stuck, s10.finished, s10.slow), (3, 3, 1));
    assert_eq!(s10.min_per_day, Some(5_000));
    assert_eq!(s10.slow_pct, 33.33);
    assert_eq!(s10.score, 51.67);
    assert_eq!(s10.status, "warning");

    let s20 = find(&rows, a, 20).expect("S20 listed with 5 finished");
    assert_eq!((s20.stuck, s20.finished, s20.slow, s20.score, s20.status), (0, 5, 0, 100.0, "healthy"));
    assert_eq!(s20.min_per_day, None);
    assert!(find(&rows, a, 30).is_none(), "4 finished and nothing stuck is below Min orders 5");

    let s40 = find(&rows, a, 40).unwrap();
    assert_eq!((s40.stuck, s40.score, s40.status), (13, 40.0, "warning"));
    let s41 = find(&rows, a, 41).unwrap();
    assert_eq!(
        (s41.stuck, s41.finished, s41.slow, s41.slow_pct, s41.score, s41.status),
        (8, 2, 1, 50.0, 10.0, "critical")
    );
    let s42 = find(&rows, a, 42).unwrap();
    assert_eq!((s42.score, s42.status), (0.0, "critical"));
    let s43 = find(&rows, a, 43).unwrap();
    assert_eq!((s43.score, s43.status), (70.0, "warning"));
    let s44 = find(&rows, a, 44).unwrap();
    assert_eq!((s44.score, s44.status), (80.0, "healthy"));
    assert!(find(&rows, b, 10).is_some());
    // Worst first.
    assert_eq!(rows[0].service_id, 42);

    // Stuck ignores the window; finished does not.
    let mut p2 = params(Some(a));
    p2.window_hours = 2;
    let short = service_health::service_health(&conn, &PanelScope::All, &p2, t).await.unwrap();
    let s10 = find(&short, a, 10).unwrap();
    assert_eq!((s10.stuck, s10.finished), (3, 3));
    assert!(find(&short, b, 10).is_none(), "the chosen panel only");
    // Overrides: a lower multiplier makes the 4-day order slow too; stuck after 200h leaves S10 unlisted.
    let mut p3 = params(Some(a));
    p3.slow_multiplier = 1.0;
    let r3 = service_health::service_health(&conn, &PanelScope::All, &p3, t).await.unwrap();
    assert_eq!(find(&r3, a, 10).unwrap().slow, 2);
    let mut p4 = params(Some(a));
    p4.stuck_after_hours = 200;
    let r4 = service_health::service_health(&conn, &PanelScope::All, &p4, t).await.unwrap();
    assert!(find(&r4, a, 10).is_none(), "3 finished < 5 and nothing stuck for 200h");

    // Drill-down: exactly the stuck and slow orders behind the numbers.
    let stuck = service_health::orders(
        &conn,
        &PanelScope::All,
        &params(None),
        Some((a, 10)),
        service_health::Kind::Stuck,
        t,
        100,
    )
    .await
    .unwrap();
    assert_eq!(stuck.iter().map(|o| o.id).collect::<Vec<_>>(), vec![1005, 1004, 1001]);
    let slow = service_health::orders(
        &conn,
        &PanelScope::All,
        &params(None),
        Some((a, 10)),
        service_health::Kind::Slow,
        t,
        100,
    )
    .await
    .unwrap();
    assert_eq!(slow.iter().map(|o| o.id).collect::<Vec<_>>(), vec![1011]);
}

#[tokio::test]
async fn json_equals_the_page_and_scope_limits_both() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let (a, _b) = seed(&app, t, 600).await;
    let owner = app.as_role("owner", Role::Owner, &[]).await;
    let res = app.get("/reports/service-health.json?panel=", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let rows = list(&res.body);
    let s10 = rows.iter().find(|r| r["panel_id"] == a && r["service_id"] == 10).unwrap();
    assert_eq!(
        (s10["stuck"].as_i64(), s10["finished"].as_i64(), s10["slow"].as_i64()),
        (Some(3), Some(3), Some(1))
    );
    assert_eq!(s10["score"].as_f64(), Some(51.67));
    assert_eq!(s10["status"], "warning");
    assert!(rows.iter().any(|r| r["panel_id"] == 2), "owner sees panel B");
    let page = app.get("/reports/service-health?panel=", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("How to read this report"));
    assert!(page.body.contains("100 − min(60, stuck × 5) − slow%"));
    for r in &rows {
        let score = r["score"].as_f64().unwrap();
        assert!(page.body.contains(&format!("<strong>{score}</strong>")), "page shows score {score}");
    }
    assert!(page.body.contains("class=\"redbar\""), "critical services raise the red bar");
    assert!(page.body.contains("<svg class=\"spark\""), "trend charts");

    // Overrides through the query; bad values are a 400 envelope.
    let res = app
        .get(
            "/reports/service-health.json?panel=&slow_multiplier=1&min_orders=0&stuck_after_hours=200",
            Some(&owner),
        )
        .await;
    let rows = list(&res.body);
    assert_eq!(rows.iter().find(|r| r["service_id"] == 10 && r["panel_id"] == a).unwrap()["slow"], 2);
    for bad in ["window_hours=abc", "window_hours=0", "slow_multiplier=x", "min_orders=-1", "profile=999"] {
        let res = app.get(&format!("/reports/service-health.json?{bad}"), Some(&owner)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}");
        let v = json(&res.body);
        assert_eq!(v["error_code"], 400, "{bad}");
        assert!(!v["error_message"].as_str().unwrap_or("").is_empty());
    }
    let page = app.get("/reports/service-health?window_hours=abc", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);

    // An agent limited to panel A: nothing of B, in rows or in the totals.
    let agent = app.as_role("agent", Role::Agent, &[a]).await;
    let rows = list(&app.get("/reports/service-health.json", Some(&agent)).await.body);
    assert!(!rows.is_empty() && rows.iter().all(|r| r["panel_id"] == a));
    assert_eq!(
        app.get("/reports/service-health.json?panel=2", Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
    let drill =
        app.get("/reports/service-health/orders?service_panel=2&service=10&kind=stuck", Some(&agent)).await;
    assert_eq!(drill.status, StatusCode::FORBIDDEN);
    let drill = app.get("/reports/service-health/orders?kind=stuck", Some(&agent)).await;
    assert!(drill.body.contains("1001") && !drill.body.contains("Beta"));
    let drill = app
        .get(&format!("/reports/service-health/orders?service_panel={a}&service=10&kind=stuck"), Some(&agent))
        .await;
    assert!(drill.body.contains("1005") && drill.body.contains("1004") && !drill.body.contains(">1002<"));
}

#[tokio::test]
async fn snooze_hides_for_everyone_and_is_logged() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let (a, _) = seed(&app, t, 600).await;
    let agent = app.as_role("agent", Role::Agent, &[a]).await;
    let viewer = app.as_role("viewer", Role::Viewer, &[a]).await;
    let key = format!("{a}:41");
    let res = app.post("/reports/service-health/snooze", Some(&viewer), &[("key", &key)]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "viewers cannot snooze");
    let res = app
        .post("/reports/service-health/snooze", Some(&agent), &[("key", &key), ("key", &format!("{a}:42"))])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let rows = list(&app.get("/reports/service-health.json", Some(&viewer)).await.body);
    assert!(
        rows.iter().all(|r| r["service_id"] != 41 && r["service_id"] != 42),
        "snoozed services are hidden"
    );
    let page = app.get("/reports/service-health", Some(&viewer)).await;
    assert!(page.body.contains("Snoozed"), "snoozes are shown with their expiry");
    let logged = app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'service.snoozed'").await;
    assert_eq!(logged, 2);
    // Outside the scope: refused.
    let res = app.post("/reports/service-health/snooze", Some(&agent), &[("key", "2:10")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app.post("/reports/service-health/snooze", Some(&agent), &[]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    // Rows are selected with checkboxes and snoozed together; a row's own button snoozes that row alone.
    let listed: Vec<String> = list(&app.get("/reports/service-health.json", Some(&viewer)).await.body)
        .iter()
        .map(|r| format!("{a}:{}", r["service_id"]))
        .collect();
    assert!(listed.len() >= 3, "{listed:?}");
    let page = app.get("/reports/service-health", Some(&agent)).await;
    assert!(
        page.body.contains(&format!("name=\"sel\" value=\"{}\"", listed[0]))
            && page.body.contains("Snooze selected 24h")
    );
    let res = app
        .post("/reports/service-health/snooze", Some(&agent), &[("sel", &listed[0]), ("sel", &listed[1])])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = app
        .post(
            "/reports/service-health/snooze",
            Some(&agent),
            &[("key", &listed[2]), ("sel", &listed[3.min(listed.len() - 1)])],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let still: Vec<String> = list(&app.get("/reports/service-health.json", Some(&viewer)).await.body)
        .iter()
        .map(|r| format!("{a}:{}", r["service_id"]))
        .collect();
    assert_eq!(still, listed[3..].to_vec(), "the two selected and the one row's button, nothing else");
    // include_snoozed shows them with the expiry.
    let rows = list(&app.get("/reports/service-health.json?include_snoozed=1", Some(&viewer)).await.body);
    let s41 = rows.iter().find(|r| r["service_id"] == 41).unwrap();
    assert!(s41["snoozed_until"].as_i64().unwrap() >= t + 24 * H);
}

#[tokio::test]
async fn profiles_have_a_default_and_change_the_numbers() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let (a, _) = seed(&app, t, 600).await;
    // Profiles are shared by every panel: an admin of one panel may not change them.
    let limited = app.as_role("admin-a", Role::Admin, &[a]).await;
    let res = app.post("/reports/service-health/profiles", Some(&limited), &[("name", "Mine")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body.contains("shared by every panel"), "{}", res.body);
    let admin = app.as_role_of_all_panels("admin", Role::Admin).await;
    let res = app
        .post(
            "/reports/service-health/profiles",
            Some(&admin),
            &[
                ("name", "Only S10"),
                ("services", "10"),
                ("stuck_after_hours", "12"),
                ("slow_multiplier", "1"),
                ("min_orders", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let id = app.scalar("SELECT MAX(id) FROM service_profiles").await;
    let rows = list(
        &app.get(&format!("/reports/service-health.json?profile={id}&panel={a}"), Some(&admin)).await.body,
    );
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0]["service_id"].as_i64(), rows[0]["slow"].as_i64()), (Some(10), Some(2)));
    let bad = app
        .post("/reports/service-health/profiles", Some(&admin), &[("name", ""), ("slow_multiplier", "zero")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let del = app.post("/reports/service-health/profiles/1/delete", Some(&admin), &[]).await;
    assert_eq!(del.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM service_profiles WHERE id = 1").await,
        1,
        "the default stays"
    );
    let del = app.post(&format!("/reports/service-health/profiles/{id}/delete"), Some(&admin), &[]).await;
    assert_eq!(del.status, StatusCode::SEE_OTHER);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM service_profiles").await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activity_log WHERE action LIKE 'service_profile.%'").await,
        2
    );
}

#[tokio::test]
async fn a_staff_member_without_panels_sees_empty_reports() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    seed(&app, t, 600).await;
    let nobody = app.as_role("nobody", Role::Viewer, &[]).await;
    for path in [
        "/reports/service-health.json",
        "/reports/top-spenders.json",
        "/reports/ticket-tracking/staff.json",
        "/reports/ticket-tracking/services.json",
        "/reports/staff-statistics.json",
    ] {
        let res = app.get(path, Some(&nobody)).await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
        assert!(list(&res.body).is_empty(), "{path}");
    }
    for path in [
        "/reports/service-health",
        "/reports/service-health/orders?kind=stuck",
        "/reports/ticket-tracking/services",
    ] {
        assert_eq!(app.get(path, Some(&nobody)).await.status, StatusCode::OK, "{path}");
    }
}

/// The last second of a UTC day a little ahead: the trend's days are calendar days, so a 24-hour
/// window ending then covers the same finished orders as the trend's last day.
fn end_of_day() -> i64 {
    (shared::time::now() / 86_400 + 1) * 86_400 + 86_399
}

#[tokio::test]
async fn the_trends_last_day_is_the_24_hour_score() {
    let app = TestApp::new().await;
    let t = end_of_day();
    let (a, b) = seed(&app, t, 600).await;
    let conn = app.state.db.connect().await.unwrap();
    let p = ServiceHealthParams { window_hours: 24, ..params(None) };
    let scope = PanelScope::Only(vec![a, b]);
    // Before and after the catalogue's speeds are stored (the orders, then the roll-up).
    for stored in [false, true] {
        if stored {
            shared::cache::rollups::rebuild(&conn).await.unwrap();
        }
        let (rows, trend) = service_health::with_trend(&conn, &scope, &p, t, 7).await.unwrap();
        assert!(!rows.is_empty());
        for r in &rows {
            let series = trend.get(&(r.panel_id, r.service_id)).expect("every listed service has a trend");
            assert_eq!(series.len(), 7);
            // The last day covers the same orders as the 24-hour window: finished in it, stuck by its end.
            assert_eq!(
                series[6].map(|s| (s * 100.0).round() / 100.0),
                Some(r.score),
                "service {}",
                r.service_id
            );
        }
    }
}

/// The trend read from `rollup_service_days` against the same trend counted from the orders, through
/// what moves an order between days or in and out of "slow", a service whose promised speed changes,
/// and profiles whose multipliers come and go.
#[tokio::test]
async fn the_trend_from_the_roll_up_equals_the_one_from_the_orders() {
    let app = TestApp::new().await;
    let t = end_of_day();
    let (a, b) = seed(&app, t, 600).await;
    // A week of finished orders, some slow (10,000 at 5,000/day × 2 = 4 days).
    for day in 1..7 {
        for k in 0..4 {
            let took = if k % 2 == 0 { 4 * D + 60 } else { D };
            let end = t - day * D - k * H;
            order(&app, a, 9000 + day * 10 + k, 10, "completed", 10_000, 0, end - took, end).await;
            order(&app, a, 9500 + day * 10 + k, 41, "partial", 1000, 10, end - took, end).await;
        }
    }
    let conn = app.state.db.connect().await.unwrap();
    shared::cache::rollups::rebuild(&conn).await.unwrap();
    let scope = PanelScope::Only(vec![a, b]);
    let check = |m: f64, what: &'static str| {
        let (app, conn, scope) = (&app, &conn, &scope);
        async move {
            let p = ServiceHealthParams { window_hours: 24, slow_multiplier: m, ..params(None) };
            let (rows, rolled) = service_health::with_trend(conn, scope, &p, t, 7).await.unwrap();
            let keys: Vec<((i64, i64), Option<u64>)> =
                rows.iter().map(|r| ((r.panel_id, r.service_id), r.min_per_day)).collect();
            let counted = service_health::score_trend(conn, scope, &p, &keys, 7, t).await.unwrap();
            assert_eq!(rolled, counted, "{what} (multiplier {m})");
            assert!(
                rolled.values().any(|s| s.iter().flatten().any(|v| *v < 100.0)),
                "{what}: some slow days"
            );
            let drift = shared::cache::rollups::verify(conn).await.unwrap();
            assert!(drift.iter().all(|d| d.buckets == 0), "{what}: {drift:?}");
            let held: Vec<String> =
                app.column("SELECT printf('%g', multiplier) FROM slow_multipliers ORDER BY multiplier").await;
            held
        }
    };
    assert_eq!(check(2.0, "as stored").await, ["2"]);
    // An order finishes later (another day), one is canceled, one's quantity shrinks (now slow), one goes.
    app.exec(&format!(
        "UPDATE orders_cache SET last_update = last_update + {D} WHERE panel_id = {a} AND id = 9031"
    ))
    .await;
    app.exec(&format!("UPDATE orders_cache SET status = 'canceled' WHERE panel_id = {a} AND id = 9041"))
        .await;
    app.exec(&format!("UPDATE orders_cache SET quantity = 10 WHERE panel_id = {a} AND id = 9051")).await;
    app.exec(&format!("DELETE FROM orders_cache WHERE panel_id = {a} AND id = 9520")).await;
    check(2.0, "after order changes").await;
    // The catalogue renames a service with another speed: its days are counted again at it.
    app.exec(&format!(
        "UPDATE services_cache SET name = 'Instagram Likes [Speed: 20K/Day]', min_per_day = 20000 WHERE panel_id = {a} AND id = 10"
    ))
    .await;
    check(2.0, "after a new speed").await;
    // A profile with its own multiplier: its rows are summed when it is saved and go with it.
    app.exec("INSERT INTO service_profiles (name, slow_multiplier, created) VALUES ('Strict', 1.5, 0)").await;
    assert_eq!(check(1.5, "a saved multiplier").await, ["1.5", "2"]);
    // A multiplier no profile holds (a query's override): counted from the orders.
    check(3.0, "an override").await;
    app.exec("UPDATE service_profiles SET slow_multiplier = 1.25 WHERE name = 'Strict'").await;
    assert_eq!(check(1.25, "a changed multiplier").await, ["1.25", "2"]);
    app.exec("DELETE FROM service_profiles WHERE name = 'Strict'").await;
    assert_eq!(check(2.0, "a deleted profile").await, ["2"]);
    // The report's trend is the roll-up's: a roll-up without slow orders shows none, until rebuilt.
    app.exec("UPDATE rollup_service_days SET slow = 0").await;
    let p = ServiceHealthParams { window_hours: 24, ..params(None) };
    let (rows, trend) = service_health::with_trend(&conn, &scope, &p, t, 7).await.unwrap();
    let keys: Vec<((i64, i64), Option<u64>)> =
        rows.iter().map(|r| ((r.panel_id, r.service_id), r.min_per_day)).collect();
    assert_ne!(trend, service_health::score_trend(&conn, &scope, &p, &keys, 7, t).await.unwrap());
    let drift = shared::cache::rollups::verify(&conn).await.unwrap();
    assert!(drift.iter().any(|d| d.table == "rollup_service_days" && d.buckets > 0), "{drift:?}");
    shared::cache::rollups::rebuild(&conn).await.unwrap();
    check(2.0, "rebuilt").await;
}
