//! Order actions against a panel that misbehaves: an endpoint it lacks (404, "unknown method"), a
//! per-order refusal, `error_code` ≠ 0 with HTTP 200, and a timeout after the panel applied the write
//! (never sent again; the order re-read).

use shared::auth::Role;

use crate::order_actions::{
    app, cached_status, count_state, open_orders, panel, run, sim_status, with_status, writes_for,
};

fn requests_to(sim: &testkit::SimHandle, route: &str) -> usize {
    sim.with(|s| s.requests.iter().filter(|(_, p)| p == route).count())
}

#[tokio::test]
async fn a_missing_change_status_path_falls_back_to_the_other_form_and_is_remembered() {
    let app = app().await;
    let (sim, p) = panel(&app, 401).await;
    sim.faults(|f| f.missing_writes = vec!["/orders/change-status"]);
    let admin = app.as_role("adm", Role::Admin, &[p]).await;
    let open = open_orders(&app, p, 3).await;
    let pairs: Vec<(i64, i64)> = open.iter().map(|i| (p, *i)).collect();
    let page = run(&app, &admin, "change_status", &pairs, &[("status", "completed")]).await;
    assert_eq!(count_state(&page, "done"), 3, "{}", page.body);
    for o in &open {
        assert_eq!(sim_status(&sim, *o), "completed");
    }
    // The missing form was tried once, for the first order only, then remembered for the panel.
    assert_eq!(requests_to(&sim, "/adminapi/v2/orders/change-status"), 1);
    assert_eq!(requests_to(&sim, "/adminapi/v2/orders/{id}/change-status"), 3);
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM panel_write_support WHERE panel_id = {p} AND form = '/orders/change-status'")).await,
        1
    );
}

#[tokio::test]
async fn an_endpoint_the_panel_does_not_offer_is_shown_as_such_and_not_retried_per_order() {
    let app = app().await;
    let (sim, p) = panel(&app, 402).await;
    sim.faults(|f| f.unknown_method_writes = vec!["/orders/request-cancel"]);
    let agent = app.as_role("agent1", Role::Agent, &[p]).await;
    let open = open_orders(&app, p, 3).await;
    let pairs: Vec<(i64, i64)> = open.iter().map(|i| (p, *i)).collect();
    let page = run(&app, &agent, "request_cancel", &pairs, &[]).await;
    assert_eq!(count_state(&page, "not_offered"), 3, "{}", page.body);
    assert!(
        page.body.contains("not offered by this panel")
            && page.body.contains("does not offer POST /orders/request-cancel")
    );
    assert_eq!(requests_to(&sim, "/adminapi/v2/orders/request-cancel"), 1, "asked once, not once per order");
    // Later actions know it without asking, and their confirmation says so; a 404 reads the same way.
    let confirm = app.get(&crate::order_actions::confirm_url("request_cancel", &pairs), Some(&agent)).await;
    assert!(confirm.body.contains("does not offer this action"), "{}", confirm.body);
    sim.faults(|f| f.missing_writes = vec!["/orders/resend"]);
    let failed = with_status(&app, p, "fail", 2).await;
    let page = run(&app, &agent, "resend", &[(p, failed[0]), (p, failed[1])], &[]).await;
    assert_eq!(count_state(&page, "not_offered"), 2, "{}", page.body);
    assert_eq!(requests_to(&sim, "/adminapi/v2/orders/resend"), 1);
    let page = run(&app, &agent, "request_cancel", &pairs[..1], &[]).await;
    assert_eq!(count_state(&page, "not_offered"), 1);
    assert_eq!(requests_to(&sim, "/adminapi/v2/orders/request-cancel"), 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'order.request_cancel' AND details LIKE '%not offered by this panel%'").await,
        4
    );
}

#[tokio::test]
async fn a_refusal_per_order_and_an_error_code_with_http_200_are_refusals_with_the_panels_words() {
    let app = app().await;
    let (sim, p) = panel(&app, 403).await;
    let admin = app.as_role("adm", Role::Admin, &[p]).await;
    let open = open_orders(&app, p, 3).await;
    sim.faults(|f| {
        f.refuse_orders = vec![open[1]];
        // The first write is answered HTTP 200 with error_code ≠ 0 (the three reads of the orders'
        // flags before the writes take the first three; a flag unread leaves the order in).
        f.error_code = 4;
    });
    let was = sim_status(&sim, open[0]);
    let pairs: Vec<(i64, i64)> = open.iter().map(|i| (p, *i)).collect();
    let page = run(&app, &admin, "cancel", &pairs, &[]).await;
    assert_eq!(count_state(&page, "refused"), 2, "{}", page.body);
    assert_eq!(count_state(&page, "done"), 1);
    assert!(page.body.contains("Service temporarily unavailable (error_code 100)"), "{}", page.body);
    assert!(page.body.contains(&format!("Order {} is locked by the provider", open[1])));
    assert_eq!(sim_status(&sim, open[0]), was, "a refusal changed nothing");
    assert_eq!(sim_status(&sim, open[2]), "canceled");
    // Refused orders are not sent again.
    let id = app.scalar("SELECT MAX(id) FROM order_actions").await;
    app.get(&format!("/actions/{id}"), Some(&admin)).await;
    assert_eq!(writes_for(&sim, open[1]), 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'order.cancel' AND details LIKE '%refused by the panel%'").await,
        2
    );
}

#[tokio::test]
async fn a_timeout_after_the_panel_applied_is_unknown_never_sent_again_and_re_read() {
    let app = app().await;
    let (sim, p) = panel(&app, 404).await;
    let admin = app.as_role("adm", Role::Admin, &[p]).await;
    let open = open_orders(&app, p, 2).await;
    // The panel applies the first write, then its answer never comes within the 1 s timeout.
    sim.faults(|f| f.apply_then_hang = 1);
    let pairs: Vec<(i64, i64)> = open.iter().map(|i| (p, *i)).collect();
    let page = run(&app, &admin, "cancel", &pairs, &[]).await;
    assert_eq!(count_state(&page, "unknown"), 1, "{}", page.body);
    assert_eq!(count_state(&page, "done"), 1);
    assert!(page.body.contains("unknown — re-read") && page.body.contains("got no answer in time"));
    // It was applied; the console re-read it and shows what the panel now says.
    assert_eq!(sim_status(&sim, open[0]), "canceled");
    assert_eq!(cached_status(&app, p, open[0]).await, "canceled");
    let id = app.scalar("SELECT MAX(id) FROM order_actions").await;
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM order_action_items WHERE action_id = {id} AND state = 'unknown' AND status_after = 'canceled'")).await,
        1
    );
    // Reloads never send it again.
    for _ in 0..3 {
        app.get(&format!("/actions/{id}"), Some(&admin)).await;
    }
    assert_eq!(writes_for(&sim, open[0]), 1);
    assert_eq!(writes_for(&sim, open[1]), 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'order.cancel' AND details LIKE '%unknown — re-read%'").await,
        1
    );
}

#[tokio::test]
async fn an_order_left_sending_by_a_request_that_died_becomes_unknown_not_resent() {
    let app = app().await;
    let (sim, p) = panel(&app, 405).await;
    let admin = app.as_role("adm", Role::Admin, &[p]).await;
    let open = open_orders(&app, p, 1).await;
    let page = run(&app, &admin, "request_cancel", &[(p, open[0])], &[]).await;
    assert_eq!(count_state(&page, "done"), 1);
    // As if a request had claimed an order and died before recording its answer.
    let id = app.scalar("SELECT MAX(id) FROM order_actions").await;
    app.exec(&format!(
        "UPDATE order_action_items SET state = 'sending', status_after = NULL WHERE action_id = {id}"
    ))
    .await;
    app.exec(&format!("UPDATE order_actions SET finished_at = NULL, lease_until = 0 WHERE id = {id}")).await;
    let page = app.get(&format!("/actions/{id}"), Some(&admin)).await;
    assert_eq!(count_state(&page, "unknown"), 1, "{}", page.body);
    assert_eq!(writes_for(&sim, open[0]), 1, "never sent a second time");
}

#[tokio::test]
async fn the_panels_own_actions_flags_leave_out_what_it_does_not_allow_now() {
    let app = app().await;
    let (sim, p) = panel(&app, 406).await;
    let agent = app.as_role("agent1", Role::Agent, &[p]).await;
    let open = open_orders(&app, p, 2).await;
    // Its cancel was already requested: still open in the cache, but the panel's flag is off.
    sim.with(|s| s.data.cancel_requested.insert(open[0]));
    let pairs: Vec<(i64, i64)> = open.iter().map(|i| (p, *i)).collect();
    let confirm = app.get(&crate::order_actions::confirm_url("request_cancel", &pairs), Some(&agent)).await;
    assert!(confirm.body.contains("Not included (1)"), "{}", confirm.body);
    assert!(confirm.body.contains("the panel does not allow it on this order now"));
    let page = run(&app, &agent, "request_cancel", &pairs, &[]).await;
    assert_eq!(count_state(&page, "done"), 1, "{}", page.body);
    assert_eq!(writes_for(&sim, open[0]), 0, "left out, never sent");
}
