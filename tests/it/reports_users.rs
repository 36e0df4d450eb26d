//! User tracking: window spend (canceled and fail excluded), completed payments, the new badge,
//! minimums, sort order and top services on hand-built rows; JSON equals the page; scope.

use axum::http::StatusCode;
use panelops_reports::top_spenders::{self, TopSpendersParams};
use shared::auth::{PanelScope, Role};

use crate::helpers::TestApp;
use crate::reports_support::*;

const M: i64 = 1_000_000;

pub async fn seed(app: &TestApp, t: i64) -> (i64, i64) {
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Beta", "https://beta.example", None).await;
    user(app, a, 101, "alice", t - 10 * D, 500 * M).await;
    user(app, a, 102, "bob", t - 2 * H, 30 * M).await; // signed up inside the window
    user(app, a, 103, "carol", t - 40 * D, 7 * M).await;
    // alice: 10 + 5 (S10) + 2 (S20) count; canceled 100 (S30) and fail 50 (S40) do not; 1000 is outside.
    order_by(app, a, 1, 10, "completed", 1, 0, t - H, t, "alice", 10 * M).await;
    order_by(app, a, 2, 10, "in_progress", 1, 0, t - 2 * H, t, "alice", 5 * M).await;
    order_by(app, a, 3, 20, "partial", 1, 0, t - 3 * H, t, "alice", 2 * M).await;
    order_by(app, a, 4, 30, "canceled", 1, 0, t - 3 * H, t, "alice", 100 * M).await;
    order_by(app, a, 5, 40, "fail", 1, 0, t - 3 * H, t, "alice", 50 * M).await;
    order_by(app, a, 6, 10, "completed", 1, 0, t - 25 * H, t, "alice", 1000 * M).await;
    // bob: 30 spend; completed 50 counts; pending 20 and an older completed 40 do not.
    order_by(app, a, 7, 50, "completed", 1, 0, t - H, t, "bob", 30 * M).await;
    payment(app, a, 1, "bob", 50 * M, "completed", t - H).await;
    payment(app, a, 2, "bob", 20 * M, "pending", t - H).await;
    payment(app, a, 3, "bob", 40 * M, "completed", t - 30 * H).await;
    // carol: two completed payments of 5, no orders.
    payment(app, a, 4, "carol", 5 * M, "completed", t - 5 * H).await;
    payment(app, a, 5, "carol", 5_500_000, "completed", t - 6 * H).await;
    // Panel B: a whale only B's viewers may see.
    user(app, b, 101, "whale", t - 100 * D, 9999 * M).await;
    order_by(app, b, 1, 10, "completed", 1, 0, t - H, t, "whale", 900 * M).await;
    (a, b)
}

fn params(panel: Option<i64>) -> TopSpendersParams {
    TopSpendersParams { panel, window_hours: 24, min_payments: 0, min_spend: 0, user_ids: vec![], limit: 100 }
}

#[tokio::test]
async fn spend_payments_badge_and_order() {
    let app = TestApp::new().await;
    let t = 1_700_000_000;
    let (a, _) = seed(&app, t).await;
    let conn = app.state.db.connect().await.unwrap();
    let (rows, total) =
        top_spenders::top_spenders(&conn, &PanelScope::All, &params(Some(a)), t).await.unwrap();
    assert_eq!(total, 3);
    let names: Vec<&str> = rows.iter().map(|r| r.username.as_str()).collect();
    assert_eq!(names, vec!["bob", "alice", "carol"], "sorted by window spend, descending");
    let (bob, alice, carol) = (&rows[0], &rows[1], &rows[2]);
    assert_eq!((alice.spend_window, alice.payments_count, alice.payments_total), (17 * M, 0, 0));
    assert_eq!(alice.top_services, vec![10, 20, 30]);
    assert_eq!(alice.lifetime_spent, Some(500 * M));
    assert_eq!((alice.user_id, alice.is_new), (Some(101), false));
    assert_eq!(
        (bob.spend_window, bob.payments_count, bob.payments_total, bob.is_new),
        (30 * M, 1, 50 * M, true)
    );
    assert_eq!((carol.spend_window, carol.payments_count, carol.payments_total), (0, 2, 10_500_000));

    let mut p = params(Some(a));
    p.min_payments = 1;
    let (rows, _) = top_spenders::top_spenders(&conn, &PanelScope::All, &p, t).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.username.as_str()).collect::<Vec<_>>(), vec!["bob", "carol"]);
    p.min_spend = 30 * M;
    let (rows, _) = top_spenders::top_spenders(&conn, &PanelScope::All, &p, t).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.username.as_str()).collect::<Vec<_>>(),
        vec!["bob"],
        "spend exactly at the minimum stays"
    );
    let mut p = params(Some(a));
    p.user_ids = vec![103];
    let (rows, _) = top_spenders::top_spenders(&conn, &PanelScope::All, &p, t).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.username.as_str()).collect::<Vec<_>>(), vec!["carol"]);
    // A 96h window brings alice's older order in.
    let mut p = params(Some(a));
    p.window_hours = 96;
    let (rows, _) = top_spenders::top_spenders(&conn, &PanelScope::All, &p, t).await.unwrap();
    assert_eq!(rows[0].username, "alice");
    assert_eq!(rows[0].spend_window, 1017 * M);
}

#[tokio::test]
async fn json_equals_the_page_and_scope_limits_both() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let (a, b) = seed(&app, t).await;
    let owner = app.as_role("owner", Role::Owner, &[]).await;
    let rows = list(&app.get("/reports/top-spenders.json?panel=", Some(&owner)).await.body);
    assert_eq!(rows[0]["username"], "whale");
    assert_eq!(rows[0]["spend_window"], "900.00");
    let agent = app.as_role("agent", Role::Agent, &[a]).await;
    let res = app.get("/reports/top-spenders.json?min_payments=1", Some(&agent)).await;
    let rows = list(&res.body);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["panel_id"] == a));
    assert_eq!(rows[0]["username"], "bob");
    assert_eq!(rows[0]["payments_total"], "50.00");
    assert_eq!(rows[0]["is_new"], true);
    assert_eq!(rows[1]["payments_total"], "10.50");
    let page = app.get("/reports/top-spenders?min_payments=1", Some(&agent)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("$30.00") && page.body.contains("$50.00") && page.body.contains("🆕"));
    assert!(page.body.contains(&format!("/users/{a}/102")), "a user opens their user page");
    assert!(!page.body.contains(" whale<"), "panel B's user is not shown");
    assert!(page.body.contains("How to read this report"));
    assert_eq!(
        app.get(&format!("/reports/top-spenders.json?panel={b}"), Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
    for bad in ["min_spend=abc", "min_payments=x", "window_hours=99999"] {
        let res = app.get(&format!("/reports/top-spenders.json?{bad}"), Some(&agent)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(json(&res.body)["error_code"], 400);
    }
    let detail =
        app.get(&format!("/reports/top-spenders/user?user_panel={a}&username=alice"), Some(&agent)).await;
    assert!(detail.body.contains("spend $17.00"), "{}", detail.body);
    let detail =
        app.get(&format!("/reports/top-spenders/user?user_panel={b}&username=whale"), Some(&agent)).await;
    assert_eq!(detail.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_profile_is_created_edited_made_default_and_changes_the_list() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let (a, _) = seed(&app, t).await;
    let admin = app.as_role_of_all_panels("admin", Role::Admin).await;
    let viewer = app.as_role("viewer", Role::Viewer, &[a]).await;
    let form = |min_payments: &'static str, default: bool| {
        let mut f =
            vec![("name", "Payers"), ("user_ids", ""), ("min_payments", min_payments), ("min_spend", "0")];
        if default {
            f.push(("is_default", "1"));
        }
        f
    };
    let res = app.post("/reports/top-spenders/profiles", Some(&viewer), &form("2", false)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "a viewer cannot create profiles");
    let res = app.post("/reports/top-spenders/profiles", Some(&admin), &form("2", false)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let id = app.scalar("SELECT MAX(id) FROM user_profiles").await;
    let names = |body: &str| {
        list(body).iter().map(|r| r["username"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>()
    };
    let body =
        app.get(&format!("/reports/top-spenders.json?profile={id}&panel={a}"), Some(&viewer)).await.body;
    assert_eq!(names(&body), vec!["carol"], "only carol has 2 completed payments in the window");
    // A wrong value re-renders the form with its error and keeps what was typed.
    let bad =
        app.post(&format!("/reports/top-spenders/profiles/{id}"), Some(&admin), &form("many", false)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("Enter a whole number from 0 to 1000000.") && bad.body.contains("value=\"many\"")
    );
    let res = app.post(&format!("/reports/top-spenders/profiles/{id}"), Some(&admin), &form("1", true)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // The new default is what the report reads without a profile.
    let body = app.get(&format!("/reports/top-spenders.json?panel={a}"), Some(&viewer)).await.body;
    assert_eq!(names(&body), vec!["bob", "carol"]);
    let page = app.get("/reports/top-spenders/profiles", Some(&viewer)).await;
    assert!(page.body.contains("User tracking profiles") && page.body.contains("Payers"));
    assert!(!page.body.contains("/reports/top-spenders/profiles/new"), "viewers get no New button");
    let del = app.post(&format!("/reports/top-spenders/profiles/{id}/delete"), Some(&admin), &[]).await;
    assert_eq!(del.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM user_profiles WHERE id = {id}")).await,
        1,
        "the default stays"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activity_log WHERE action LIKE 'user_profile.%'").await, 2);
}
