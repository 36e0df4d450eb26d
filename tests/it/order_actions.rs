//! Order actions in the console: the confirmation says what will happen, each order is sent once and
//! its outcome shown, the orders are re-read at once, roles and panel scope are checked, a bulk action
//! spans panels and survives reloads, and everything goes to the activity log.

use std::time::Duration;

use shared::auth::Role;
use testkit::SimHandle;

use crate::helpers::{Res, Session, TestApp};
use crate::sync_support::{register, sim, sync_idle};

/// An app whose order writes wait 1 s for an answer (the fault tests hang longer).
pub async fn app() -> TestApp {
    TestApp::configured(|c| {
        c.action_write_timeout = Duration::from_secs(1);
        c.action_slice = Duration::from_secs(20);
    })
    .await
}

/// A simulated panel of 2,000 orders, registered and synced.
pub async fn panel(app: &TestApp, seed: u64) -> (SimHandle, i64) {
    let s = sim(seed, 2_000, false).await;
    s.faults(|f| f.hang_ms = 2_500);
    let p = register(app, &s).await;
    sync_idle(app, p).await;
    (s, p)
}

pub async fn ids(app: &TestApp, sql: &str) -> Vec<i64> {
    app.column(sql).await.iter().filter_map(|v| v.parse().ok()).collect()
}

/// `n` cached orders of `panel` whose status is in `statuses`, oldest first.
async fn orders_in(app: &TestApp, panel: i64, statuses: &[&str], n: usize) -> Vec<i64> {
    let list: Vec<String> = statuses.iter().map(|s| format!("'{s}'")).collect();
    let sql = format!(
        "SELECT id FROM orders_cache WHERE panel_id = {panel} AND status IN ({}) ORDER BY id LIMIT {n}",
        list.join(",")
    );
    let found = ids(app, &sql).await;
    assert_eq!(found.len(), n, "{n} orders {statuses:?} on panel {panel}");
    found
}

/// `n` cached orders of `panel` with this status.
pub async fn with_status(app: &TestApp, panel: i64, status: &str, n: usize) -> Vec<i64> {
    orders_in(app, panel, &[status], n).await
}

/// `n` cached open orders of `panel` (pending, in progress or processing).
pub async fn open_orders(app: &TestApp, panel: i64, n: usize) -> Vec<i64> {
    orders_in(app, panel, &["pending", "in_progress", "processing"], n).await
}

pub fn sim_status(sim: &SimHandle, id: i64) -> String {
    sim.with(|s| s.data.order(s.data.order_index(id).unwrap()).status.to_string())
}

pub async fn cached_status(app: &TestApp, panel: i64, id: i64) -> String {
    let sql = format!("SELECT status FROM orders_cache WHERE panel_id = {panel} AND id = {id}");
    app.column(&sql).await.concat()
}

/// How many writes reached the panel for this order.
pub fn writes_for(sim: &SimHandle, id: i64) -> usize {
    sim.with(|s| s.writes.iter().filter(|(_, o)| *o == id).count())
}

pub fn sel(pairs: &[(i64, i64)]) -> Vec<String> {
    pairs.iter().map(|(p, i)| format!("{p}:{i}")).collect()
}

pub fn confirm_url(action: &str, pairs: &[(i64, i64)]) -> String {
    let mut q: Vec<(&str, String)> = vec![("action", action.to_string())];
    q.extend(sel(pairs).into_iter().map(|s| ("sel", s)));
    format!("/actions/new?{}", serde_urlencoded::to_string(&q).unwrap())
}

/// Confirms `action` on `pairs` (with `extra` form fields) and follows to the action's page.
pub async fn run(
    app: &TestApp,
    who: &Session,
    action: &str,
    pairs: &[(i64, i64)],
    extra: &[(&str, &str)],
) -> Res {
    let sels = sel(pairs);
    let mut form: Vec<(&str, &str)> = vec![("action", action)];
    form.extend(sels.iter().map(|s| ("sel", s.as_str())));
    form.extend_from_slice(extra);
    let res = app.post("/actions", Some(who), &form).await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.body);
    assert!(res.location().starts_with("/actions/"), "{}", res.location());
    app.follow(&res, Some(who)).await
}

/// How many result cells on an action's page are in `state`.
pub fn count_state(page: &Res, state: &str) -> usize {
    page.body.matches(&format!("data-state=\"{state}\"")).count()
}

#[tokio::test]
async fn an_agent_resends_failed_orders_from_the_list_and_sees_each_result_at_once() {
    let app = app().await;
    let (sim, p) = panel(&app, 301).await;
    let agent = app.as_role("agent1", Role::Agent, &[p]).await;
    let failed = with_status(&app, p, "fail", 2).await;
    let done = with_status(&app, p, "completed", 1).await[0];
    // The list offers the agent's actions for the selection, but not the admin-only ones.
    let list = app.get("/orders", Some(&agent)).await;
    assert!(list.body.contains("formaction=\"/actions/new\"") && list.body.contains("value=\"resend\""));
    assert!(!list.body.contains("value=\"cancel\""), "cancel and refund is for admins");
    let pairs = [(p, failed[0]), (p, failed[1]), (p, done)];
    let confirm = app.get(&confirm_url("resend", &pairs), Some(&agent)).await;
    assert_eq!(confirm.status.as_u16(), 200, "{}", confirm.body);
    assert!(confirm.body.contains("2 orders"), "{}", confirm.body);
    assert!(confirm.body.contains("Not included (1)"));
    assert!(confirm.body.contains("only failed orders can be resent; this one is completed"));
    // Nothing is sent by the confirmation.
    assert_eq!(sim.with(|s| s.writes.len()), 0);
    let page = run(&app, &agent, "resend", &pairs, &[]).await;
    assert_eq!(count_state(&page, "done"), 2, "{}", page.body);
    assert!(!page.body.contains("http-equiv=\"refresh\""), "finished: no refresh");
    for id in &failed {
        assert_eq!(writes_for(&sim, *id), 1);
        // On the panel, and in the cache at once (re-read, not waiting for the sync).
        assert_eq!(sim_status(&sim, *id), "pending");
        assert_eq!(cached_status(&app, p, *id).await, "pending");
    }
    assert_eq!(writes_for(&sim, done), 0, "the completed order is never sent");
    // A resent order then progresses at the provider.
    sim.advance(3_600);
    assert_eq!(sim_status(&sim, failed[0]), "completed");
    // The activity log: the action, and each order's outcome.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'order.action'").await, 1);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM activity_log WHERE action = 'order.resend' AND details LIKE '%— done%'"
        )
        .await,
        2
    );
    let activity = app.get("/activity", Some(&app.as_role("adm", Role::Admin, &[p]).await)).await;
    assert!(activity.body.contains(&format!("Order #{}", failed[0])));
}

#[tokio::test]
async fn agents_and_viewers_are_refused_what_their_role_or_panels_do_not_allow() {
    let app = app().await;
    let (sim_a, a) = panel(&app, 302).await;
    let (_sim_b, b) = panel(&app, 303).await;
    let open_a = open_orders(&app, a, 1).await[0];
    let open_b = open_orders(&app, b, 1).await[0];
    let agent = app.as_role("agent1", Role::Agent, &[a]).await;
    let viewer = app.as_role("viewer1", Role::Viewer, &[a]).await;
    // Admin-only actions, page and post.
    for action in ["cancel", "set_partial", "change_status"] {
        let res = app.get(&confirm_url(action, &[(a, open_a)]), Some(&agent)).await;
        assert_eq!(res.status.as_u16(), 403, "{action}: {}", res.body);
        let res = app
            .post(
                "/actions",
                Some(&agent),
                &[
                    ("action", action),
                    ("sel", &format!("{a}:{open_a}")),
                    ("status", "completed"),
                    ("remains", "1"),
                ],
            )
            .await;
        assert_eq!(res.status.as_u16(), 403, "{action}");
    }
    // A viewer acts on nothing.
    let res = app.get(&confirm_url("resend", &[(a, open_a)]), Some(&viewer)).await;
    assert_eq!(res.status.as_u16(), 403);
    let res = app
        .post("/actions", Some(&viewer), &[("action", "request_cancel"), ("sel", &format!("{a}:{open_a}"))])
        .await;
    assert_eq!(res.status.as_u16(), 403);
    // One order of a panel outside the agent's scope refuses the whole selection, before anything is sent.
    let mixed = [(a, open_a), (b, open_b)];
    assert_eq!(app.get(&confirm_url("request_cancel", &mixed), Some(&agent)).await.status.as_u16(), 403);
    let sels = sel(&mixed);
    let res = app
        .post("/actions", Some(&agent), &[("action", "request_cancel"), ("sel", &sels[0]), ("sel", &sels[1])])
        .await;
    assert_eq!(res.status.as_u16(), 403);
    assert_eq!(sim_a.with(|s| s.writes.len()), 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM order_actions").await, 0);
    // An action on a panel outside the scope cannot be viewed (nor advanced).
    let admin = app.as_role_of_all_panels("boss", Role::Admin).await;
    let page = run(&app, &admin, "request_cancel", &[(b, open_b)], &[]).await;
    assert_eq!(count_state(&page, "done"), 1, "{}", page.body);
    let id = app.scalar("SELECT MAX(id) FROM order_actions").await;
    assert_eq!(app.get(&format!("/actions/{id}"), Some(&agent)).await.status.as_u16(), 403);
}

#[tokio::test]
async fn an_admin_cancels_and_refunds_orders_on_two_panels_in_one_action() {
    let app = app().await;
    let (sim_a, a) = panel(&app, 304).await;
    let (sim_b, b) = panel(&app, 305).await;
    let admin = app.as_role_of_all_panels("boss", Role::Admin).await;
    let on_a = open_orders(&app, a, 2).await;
    let on_b = open_orders(&app, b, 1).await;
    let finished = with_status(&app, b, "canceled", 1).await[0];
    let mut pairs: Vec<(i64, i64)> = on_a.iter().map(|i| (a, *i)).collect();
    pairs.push((b, on_b[0]));
    pairs.push((b, finished));
    let charge =
        |sim: &SimHandle, id: i64| sim.with(|s| s.data.order(s.data.order_index(id).unwrap()).charge);
    let refund: i64 = on_a.iter().map(|i| charge(&sim_a, *i)).sum::<i64>() + charge(&sim_b, on_b[0]);
    let confirm = app.get(&confirm_url("cancel", &pairs), Some(&admin)).await;
    assert_eq!(confirm.status.as_u16(), 200, "{}", confirm.body);
    let name = |p: i64| format!("Sim {}", if p == a { sim_a.addr.port() } else { sim_b.addr.port() });
    assert!(
        confirm.body.contains(&format!("{} (2)", name(a)))
            && confirm.body.contains(&format!("{} (1)", name(b))),
        "{}",
        confirm.body
    );
    let shown = shared::pp::money::display(refund, Some("USD"));
    assert!(
        confirm.body.contains("Refunds return") && confirm.body.contains(&shown),
        "{shown}: {}",
        confirm.body
    );
    assert!(confirm.body.contains("it is already canceled"));
    let balance = |sim: &SimHandle, id: i64| {
        sim.with(|s| s.data.users[s.data.order(s.data.order_index(id).unwrap()).user].balance)
    };
    let before: Vec<i64> = on_a.iter().map(|i| balance(&sim_a, *i)).collect();
    let page = run(&app, &admin, "cancel", &pairs, &[]).await;
    assert_eq!(count_state(&page, "done"), 3, "{}", page.body);
    for (k, id) in on_a.iter().enumerate() {
        assert_eq!(sim_status(&sim_a, *id), "canceled");
        assert_eq!(cached_status(&app, a, *id).await, "canceled");
        assert!(balance(&sim_a, *id) >= before[k] + charge(&sim_a, *id), "the customer was refunded");
    }
    assert_eq!(cached_status(&app, b, on_b[0]).await, "canceled");
    // The re-read went through the cache's upsert: the reports' roll-ups still sum the orders exactly.
    let conn = app.state.db.connect().await.unwrap();
    let drift = shared::cache::rollups::verify(&conn).await.unwrap();
    assert!(drift.iter().all(|d| d.buckets == 0), "{drift:?}");
    let logged = app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'order.action' AND details LIKE 'Cancel and refund on 3 order(s)%refunds%'").await;
    assert_eq!(logged, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'order.cancel'").await, 3);
}

#[tokio::test]
async fn a_bulk_action_goes_on_slice_by_slice_through_reloads_and_never_sends_twice() {
    let app = TestApp::configured(|c| {
        c.action_write_timeout = Duration::from_secs(2);
        // A short slice: the post sends a few, each load of the page a few more.
        c.action_slice = Duration::from_millis(700);
    })
    .await;
    let (sim, p) = panel(&app, 306).await;
    sim.faults(|f| f.slow_ms = 250);
    let agent = app.as_role("agent1", Role::Agent, &[p]).await;
    let open = open_orders(&app, p, 8).await;
    let pairs: Vec<(i64, i64)> = open.iter().map(|i| (p, *i)).collect();
    let mut page = run(&app, &agent, "request_cancel", &pairs, &[]).await;
    assert!(page.body.contains("http-equiv=\"refresh\""), "work remains: the page refreshes itself");
    assert!(count_state(&page, "pending") > 0, "{}", page.body);
    let id = app.scalar("SELECT MAX(id) FROM order_actions").await;
    // Two tabs at once: each order is still sent once.
    let mut loads = 0;
    while count_state(&page, "pending") > 0 {
        let url = format!("/actions/{id}");
        let (one, two) = tokio::join!(app.get(&url, Some(&agent)), app.get(&url, Some(&agent)));
        assert_eq!((one.status.as_u16(), two.status.as_u16()), (200, 200));
        page = one;
        loads += 1;
        assert!(loads < 40, "the action does not finish");
    }
    let page = app.get(&format!("/actions/{id}"), Some(&agent)).await;
    assert_eq!(count_state(&page, "done"), 8, "{}", page.body);
    assert!(!page.body.contains("http-equiv=\"refresh\""));
    for o in &open {
        assert_eq!(writes_for(&sim, *o), 1, "order {o} sent once");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'order.request_cancel'").await,
        8
    );
}

#[tokio::test]
async fn edit_link_set_partial_and_change_status_from_the_order_page() {
    let app = app().await;
    let (sim, p) = panel(&app, 307).await;
    let admin = app.as_role("adm", Role::Admin, &[p]).await;
    let open = open_orders(&app, p, 3).await;
    let detail = app.get(&format!("/orders/{p}/{}", open[0]), Some(&admin)).await;
    for a in ["edit_link", "set_partial", "change_status", "cancel", "request_cancel"] {
        assert!(detail.body.contains(&format!("name=\"action\" value=\"{a}\"")), "{a}");
    }
    // A link needs a value: the confirmation comes back with the error, nothing sent.
    let res = app
        .post("/actions", Some(&admin), &[("action", "edit_link"), ("sel", &format!("{p}:{}", open[0]))])
        .await;
    assert_eq!(res.status.as_u16(), 400);
    assert!(res.body.contains("Enter the new link"));
    let page = run(&app, &admin, "edit_link", &[(p, open[0])], &[("link", "https://example.com/new")]).await;
    assert_eq!(count_state(&page, "done"), 1, "{}", page.body);
    assert_eq!(
        sim.with(|s| s.data.link_overrides.get(&open[0]).cloned()),
        Some("https://example.com/new".into())
    );
    let page = run(&app, &admin, "set_partial", &[(p, open[1])], &[("remains", "10")]).await;
    assert_eq!(count_state(&page, "done"), 1, "{}", page.body);
    assert_eq!(cached_status(&app, p, open[1]).await, "partial");
    let page = run(&app, &admin, "change_status", &[(p, open[2])], &[("status", "completed")]).await;
    assert_eq!(count_state(&page, "done"), 1, "{}", page.body);
    assert_eq!(cached_status(&app, p, open[2]).await, "completed");
    // Edit link and set partial take one order at a time.
    let two = sel(&[(p, open[0]), (p, open[1])]);
    let res = app
        .post(
            "/actions",
            Some(&admin),
            &[("action", "edit_link"), ("sel", &two[0]), ("sel", &two[1]), ("link", "https://x.example")],
        )
        .await;
    assert_eq!(res.status.as_u16(), 400);
}

#[tokio::test]
async fn service_tracking_leads_from_a_critical_service_to_acting_on_its_stuck_orders() {
    let app = app().await;
    let (_sim, p) = panel(&app, 308).await;
    // Service 999 is failing today: 13 open orders stuck for 20 hours, and its one delivery was slow.
    let now = shared::time::now();
    let stuck = open_orders(&app, p, 13).await;
    let list: Vec<String> = stuck.iter().map(i64::to_string).collect();
    app.exec(&format!(
        "UPDATE orders_cache SET service_id = 999, service_name = 'Broken likes 1K/Day', quantity = 10, remains = 10,
           created = {}, last_update = {} WHERE panel_id = {p} AND id IN ({})",
        now - 20 * 3600,
        now - 20 * 3600,
        list.join(",")
    ))
    .await;
    let slow = with_status(&app, p, "completed", 1).await[0];
    app.exec(&format!(
        "UPDATE orders_cache SET service_id = 999, service_name = 'Broken likes 1K/Day', quantity = 1000, remains = 0,
           created = {}, last_update = {} WHERE panel_id = {p} AND id = {slow}",
        now - 3 * 86_400,
        now - 3600
    ))
    .await;
    app.exec(&format!("INSERT INTO services_cache (panel_id, id, name, checked_at) VALUES ({p}, 999, 'Broken likes 1K/Day', 0)")).await;
    let admin = app.as_role("adm", Role::Admin, &[p]).await;
    let report = app.get("/reports/service-health?window_hours=720", Some(&admin)).await;
    assert_eq!(report.status.as_u16(), 200);
    let stuck = app.get("/reports/service-health/orders?kind=stuck&window_hours=720", Some(&admin)).await;
    assert_eq!(stuck.status.as_u16(), 200, "{}", stuck.body);
    assert!(stuck.body.contains("name=\"sel\""), "stuck orders can be selected");
    assert!(stuck.body.contains("formaction=\"/actions/new\"") && stuck.body.contains("value=\"cancel\""));
    assert!(report.body.contains("class=\"redbar\""), "service 999 is critical");
    let fix = report.body.find("Fix their stuck orders").expect("the red bar leads to the fix");
    let start = report.body[..fix].rfind("href=\"").unwrap() + 6;
    let href = report.body[start..start + report.body[start..].find('"').unwrap()].replace("&amp;", "&");
    assert!(href.contains("svc="), "{href}");
    let page = app.get(&href, Some(&admin)).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    assert!(
        page.body.contains("Critical services: stuck") && page.body.contains("name=\"sel\""),
        "{}",
        page.body
    );
    // Tick the first stuck order and confirm: one flow from the report to the panel.
    let first = page.body.find("name=\"sel\" value=\"").unwrap() + 18;
    let value = &page.body[first..first + page.body[first..].find('"').unwrap()];
    let (pp, id) = value.split_once(':').unwrap();
    let pair = (pp.parse::<i64>().unwrap(), id.parse::<i64>().unwrap());
    let confirm = app.get(&confirm_url("cancel", &[pair]), Some(&admin)).await;
    assert_eq!(confirm.status.as_u16(), 200);
    let done = run(&app, &admin, "cancel", &[pair], &[]).await;
    assert_eq!(count_state(&done, "done"), 1, "{}", done.body);
    assert_eq!(cached_status(&app, pair.0, pair.1).await, "canceled");
}

#[tokio::test]
async fn the_refill_filter_and_the_confirmation_keep_the_page_round_trip_budget() {
    if !crate::hosted::enabled() {
        eprintln!("skipped: round trips are counted in the hosted tier (PANELOPS_TEST_BACKEND=sqld)");
        return;
    }
    let app = TestApp::new().await;
    let p = app.add_panel("One", "https://one.example", None).await;
    app.exec(&format!(
        "INSERT INTO services_cache (panel_id, id, name, checked_at) VALUES ({p}, 1, 'Likes R30', 0)"
    ))
    .await;
    app.exec(&format!(
        "INSERT INTO orders_cache (panel_id, id, service_id, service_name, status, created, checked_at) VALUES ({p}, 1, 1, 'Likes R30', 'completed', {}, 0)",
        shared::time::now() - 86_400
    ))
    .await;
    let admin = app.as_role_of_all_panels("boss", Role::Admin).await;
    for (path, budget) in [
        ("/orders?refill=eligible".to_string(), crate::round_trips::PAGE_BUDGET),
        (confirm_url("cancel", &[(p, 1)]), crate::round_trips::PAGE_BUDGET),
        (format!("/reports/service-health/orders?kind=stuck&svc={p}:1"), crate::round_trips::REPORT_BUDGET),
    ] {
        app.get(&path, Some(&admin)).await;
        let before = app.state.db.round_trips();
        let res = app.get(&path, Some(&admin)).await;
        assert_eq!(res.status.as_u16(), 200, "{path}: {}", res.body);
        let trips = app.state.db.round_trips() - before;
        assert!(trips <= budget, "{path}: {trips} round trips (budget {budget})");
    }
}

#[tokio::test]
async fn a_bulk_action_keeps_to_five_requests_a_second_and_takes_at_most_500_orders() {
    let app = app().await;
    let (sim, p) = panel(&app, 309).await;
    // The panel answers 429 above 5 requests per second: none may be lost to it.
    sim.faults(|f| f.rate_limit = true);
    // The count starts after the sync (which was unthrottled).
    sim.with(|s| s.requests.clear());
    let agent = app.as_role("agent1", Role::Agent, &[p]).await;
    let open = open_orders(&app, p, 12).await;
    let pairs: Vec<(i64, i64)> = open.iter().map(|i| (p, *i)).collect();
    let page = run(&app, &agent, "request_cancel", &pairs, &[]).await;
    assert_eq!(count_state(&page, "done"), 12, "{}", page.body);
    assert!(sim.max_requests_per_second() <= 5, "{} requests in a second", sim.max_requests_per_second());
    let many: Vec<(i64, i64)> = (0..501).map(|i| (p, 1_000_000 + i)).collect();
    let res = app.get(&confirm_url("request_cancel", &many), Some(&agent)).await;
    assert_eq!(res.status.as_u16(), 400);
    assert!(res.body.contains("at most 500"), "{}", res.body);
}
