//! Ticket tracking → Response times on hand-built tickets: median and P90 first response, median
//! resolution, reopen rate, replies per ticket and tickets over each panel's target, per staff member
//! and per panel; the panel's target edited on its settings page; panel scope on the page, JSON and CSV.

use axum::http::StatusCode;
use panelops_reports::response_times::response_times;
use panelops_reports::tickets::TicketParams;
use shared::auth::{PanelScope, Role};

use crate::helpers::TestApp;
use crate::reports_support::*;

const M: i64 = 60;

async fn ticket_at(app: &TestApp, panel: i64, id: i64, status: &str, created: i64, last_update: i64) {
    app.exec(&format!(
        "INSERT INTO tickets_cache (panel_id, id, user, subject, status, created, last_update, checked_at)
         VALUES ({panel}, {id}, 'cust', 'Help', '{status}', {created}, {last_update}, 0)"
    ))
    .await;
}

/// Panel A (target 60 min) and B; the answers are worked out beside each ticket.
async fn seed(app: &TestApp, t: i64) -> (i64, i64) {
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Beta", "https://beta.example", None).await;
    let say = |p, tk, seq, who: Option<&'static str>, at| async move {
        message(app, p, tk, seq, who, "words", at).await
    };
    // T1: alice after 30 min, again later; closed 2 h after creation.
    ticket_at(app, a, 1, "closed", t - 10 * H, t - 8 * H).await;
    say(a, 1, 1, None, t - 10 * H).await;
    say(a, 1, 2, Some("alice"), t - 10 * H + 30 * M).await;
    say(a, 1, 3, None, t - 9 * H).await;
    say(a, 1, 4, Some("alice"), t - 9 * H + 10 * M).await;
    // T2: bob after 2 h (over target); the customer writes again 24 h after his quiet reply: reopened.
    ticket_at(app, a, 2, "answered", t - 50 * H, t - 23 * H).await;
    say(a, 2, 1, None, t - 50 * H).await;
    say(a, 2, 2, Some("bob"), t - 48 * H).await;
    say(a, 2, 3, None, t - 24 * H).await;
    say(a, 2, 4, Some("bob"), t - 23 * H).await;
    // T3: alice after 10 min; the customer answers an hour later (not quiet for 24 h).
    ticket_at(app, a, 3, "answered", t - 5 * H, t - 4 * H).await;
    say(a, 3, 1, None, t - 5 * H).await;
    say(a, 3, 2, Some("alice"), t - 5 * H + 10 * M).await;
    say(a, 3, 3, None, t - 4 * H).await;
    // T4: unanswered for 3 h (over target); T5: unanswered for 30 min (not yet).
    ticket_at(app, a, 4, "pending", t - 3 * H, t - 3 * H).await;
    say(a, 4, 1, None, t - 3 * H).await;
    ticket_at(app, a, 5, "pending", t - 30 * M, t - 30 * M).await;
    // T7: alice after 4000 s (over 60 min); closed 4 h after creation; the customer writes after the close.
    ticket_at(app, a, 7, "closed", t - 6 * H, t - 2 * H).await;
    say(a, 7, 1, None, t - 6 * H).await;
    say(a, 7, 2, Some("alice"), t - 6 * H + 4000).await;
    say(a, 7, 3, None, t - H).await;
    // Outside the 72 h window.
    ticket_at(app, a, 6, "closed", t - 100 * H, t - 99 * H).await;
    say(a, 6, 1, Some("alice"), t - 100 * H + 5).await;
    // Panel B: carol after 40 min.
    ticket_at(app, b, 1, "answered", t - 2 * H, t - 2 * H + 40 * M).await;
    say(b, 1, 1, None, t - 2 * H).await;
    say(b, 1, 2, Some("carol"), t - 2 * H + 40 * M).await;
    (a, b)
}

fn params() -> TicketParams {
    TicketParams { panel: None, window_hours: 72 }
}

#[tokio::test]
async fn numbers_follow_the_definitions() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let (a, b) = seed(&app, t).await;
    let conn = app.state.db.connect().await.unwrap();
    let (staff, panels) = response_times(&conn, &PanelScope::All, &params(), t).await.unwrap();

    let alice = staff.iter().find(|r| r.staff.as_deref() == Some("alice")).expect("alice");
    // First responses 600, 1800, 4000 s; closed after 7200 and 14400 s; T7 reopened; 4 replies in 3 tickets.
    assert_eq!((alice.tickets, alice.answered), (3, 3));
    assert_eq!(alice.median_first_response_seconds, Some(1800.0));
    assert_eq!(alice.p90_first_response_seconds, Some(4000.0));
    assert_eq!((alice.resolved, alice.median_resolution_seconds), (2, Some(10_800.0)));
    assert_eq!((alice.reopened, alice.reopen_rate), (1, 33.33));
    assert_eq!(alice.replies_per_ticket, 1.33);
    assert_eq!(alice.over_target, 1);
    assert_eq!(staff[0].staff.as_deref(), Some("alice"), "most tickets first");

    let bob = staff.iter().find(|r| r.staff.as_deref() == Some("bob")).expect("bob");
    assert_eq!(
        (bob.tickets, bob.median_first_response_seconds, bob.p90_first_response_seconds, bob.resolved),
        (1, Some(7200.0), Some(7200.0), 0)
    );
    assert_eq!(
        (bob.median_resolution_seconds, bob.reopen_rate, bob.replies_per_ticket, bob.over_target),
        (None, 100.0, 2.0, 1)
    );

    let pa = panels.iter().find(|r| r.panel_id == Some(a)).expect("panel A");
    // Six tickets (T6 is outside the window), four answered: 600, 1800, 4000, 7200.
    assert_eq!((pa.tickets, pa.answered), (6, 4));
    assert_eq!(
        (pa.median_first_response_seconds, pa.p90_first_response_seconds),
        (Some(2900.0), Some(7200.0))
    );
    assert_eq!(pa.median_resolution_seconds, Some(10_800.0));
    assert_eq!((pa.reopened, pa.reopen_rate, pa.replies_per_ticket), (2, 33.33, 1.0));
    assert_eq!(pa.over_target, 3, "T2 and T7 answered late, T4 still waiting");

    // B's target is 60 min by default: carol's 40 min is on time; at 30 min it is late.
    let pb = panels.iter().find(|r| r.panel_id == Some(b)).expect("panel B");
    assert_eq!(pb.over_target, 0);
    app.exec(&format!("UPDATE panels SET response_target_minutes = 30 WHERE id = {b}")).await;
    let (staff, panels) = response_times(&conn, &PanelScope::All, &params(), t).await.unwrap();
    assert_eq!(panels.iter().find(|r| r.panel_id == Some(b)).map(|r| r.over_target), Some(1));
    assert_eq!(staff.iter().find(|r| r.staff.as_deref() == Some("carol")).map(|r| r.over_target), Some(1));
}

#[tokio::test]
async fn the_target_is_edited_with_the_panel_by_its_admins() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let (a, b) = seed(&app, t).await;
    let admin_b = app.as_role("admin_b", Role::Admin, &[b]).await;
    let page = app.get(&format!("/panels/{b}"), Some(&admin_b)).await;
    assert!(
        page.body.contains("Support response target") && page.body.contains("value=\"60\""),
        "{}",
        page.body
    );
    let res = app.post(&format!("/panels/{b}/response-target"), Some(&admin_b), &[("minutes", "30")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(app.scalar(&format!("SELECT response_target_minutes FROM panels WHERE id = {b}")).await, 30);
    let res = app.post(&format!("/panels/{b}/response-target"), Some(&admin_b), &[("minutes", "0")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    // Refused: a panel outside the admin's scope, and an agent.
    let res = app.post(&format!("/panels/{a}/response-target"), Some(&admin_b), &[("minutes", "5")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let agent = app.as_role("agent_b", Role::Agent, &[b]).await;
    let res = app.post(&format!("/panels/{b}/response-target"), Some(&agent), &[("minutes", "5")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.scalar(&format!("SELECT response_target_minutes FROM panels WHERE id = {a}")).await, 60);

    let owner = app.as_role_of_all_panels("owner1", Role::Owner).await;
    let json = json(
        &app.get("/reports/ticket-tracking/response-times.json?window_hours=72", Some(&owner)).await.body,
    );
    let carol =
        json["data"]["list"].as_array().unwrap().iter().find(|r| r["staff"] == "carol").cloned().unwrap();
    assert_eq!(carol["over_target"], 1);
}

#[tokio::test]
async fn page_json_and_csv_stay_in_the_viewers_panels() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let (a, _b) = seed(&app, t).await;
    let agent = app.as_role("agent_a", Role::Agent, &[a]).await;
    let path = "/reports/ticket-tracking/response-times";
    let page = app.get(&format!("{path}?window_hours=72"), Some(&agent)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("alice") && page.body.contains("Alpha") && page.body.contains("30m 00s"));
    assert!(!page.body.contains("carol") && !page.body.contains("Beta"), "panel B stays hidden");
    assert!(page.body.contains("response-times.csv?window_hours=72"));

    let v = json(&app.get(&format!("{path}.json?window_hours=72"), Some(&agent)).await.body);
    assert_eq!(v["data"]["count"], 2);
    assert_eq!(v["data"]["panels"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["data"]["panels"][0]["panel_id"], a);
    assert_eq!(v["data"]["list"][0]["median_first_response_seconds"], 1800.0);

    let csv = app.get(&format!("{path}.csv?window_hours=72"), Some(&agent)).await.body;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "Staff,Panel,Tickets,Answered,Median first response,P90 first response,Resolved,Median resolution,Reopen rate,Replies/ticket,Over target");
    assert_eq!(lines[1], "alice,,3,3,1800,4000,2,10800,33.33,1.33,1");
    assert_eq!(lines[2], "bob,,1,1,7200,7200,0,,100,2,1");
    assert_eq!(lines[3], ",Alpha,6,4,2900,7200,2,10800,33.33,1,3");
    assert!(!csv.contains("carol") && !csv.contains("Beta"), "{csv}");
    assert_eq!(lines.len(), 4, "alice, bob, panel A: {csv}");
}
