//! Ticket tracking against the simulator: tickets whose messages are missing are fetched live (at most
//! 80 per request) and stored, so the next request makes no panel call; By service then matches the
//! panel's own data.

use std::collections::{HashMap, HashSet};

use panelops_reports::tickets::{self, fetch, TicketParams};
use shared::auth::{PanelScope, Role};
use shared::domain::sync::Resource;
use shared::domain::text::{order_ids, plain_text};

use crate::helpers::TestApp;
use crate::reports_support::list;
use crate::sync_support::{client, register, sim, until_idle, NOW};

async fn sync_without_messages(app: &TestApp, panel: i64) {
    let opts = panelops_sync::RunOptions {
        resources: Some(vec![Resource::Orders, Resource::Tickets]),
        ..until_idle(panel, 0)
    };
    panelops_sync::run_with(&app.state, &opts).await.expect("sync");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ticket_messages").await,
        0,
        "messages are left to the report"
    );
}

#[tokio::test]
async fn live_fetch_is_capped_at_80_stored_and_not_repeated() {
    let app = TestApp::new().await;
    let sim = sim(41, 15_000, false).await;
    let panel = register(&app, &sim).await;
    sync_without_messages(&app, panel).await;
    let p = TicketParams { panel: Some(panel), window_hours: 2160 };
    let conn = app.state.db.connect().await.unwrap();
    let missing = fetch::missing(&conn, &PanelScope::All, &p, NOW).await.unwrap().len();
    assert!(missing > 80, "the simulator has more than 80 tickets in the window ({missing})");

    let before = sim.request_count();
    let out = fetch::fetch_missing(&app.state, &PanelScope::All, &p, NOW, fetch::LIVE_FETCH_CAP, &client(0))
        .await
        .unwrap();
    assert_eq!(out.fetched, 80);
    assert_eq!(out.still_missing, missing - 80);
    assert_eq!(sim.request_count() - before, 80, "one panel call per fetched ticket, at most 80");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM tickets_cache WHERE panel_id = {panel} AND messages_synced IS NOT NULL"
        ))
        .await,
        80
    );
    assert!(app.scalar("SELECT COUNT(*) FROM ticket_messages").await >= 80);

    let out = fetch::fetch_missing(&app.state, &PanelScope::All, &p, NOW, fetch::LIVE_FETCH_CAP, &client(0))
        .await
        .unwrap();
    assert_eq!((out.fetched, out.still_missing), (missing - 80, 0));
    let before = sim.request_count();
    let out = fetch::fetch_missing(&app.state, &PanelScope::All, &p, NOW, fetch::LIVE_FETCH_CAP, &client(0))
        .await
        .unwrap();
    assert_eq!((out.fetched, out.still_missing), (0, 0));
    assert_eq!(sim.request_count(), before, "everything is in the database now");

    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM tickets_cache t WHERE order_ids IS NULL
             AND EXISTS (SELECT 1 FROM ticket_messages m WHERE m.panel_id = t.panel_id AND m.ticket_id = t.id)"
        )
        .await,
        0,
        "each stored conversation has its order ids worked out"
    );

    // By service equals the panel's own data: ids in the visible messages, looked up in the cache.
    let report = tickets::by_service(&conn, &PanelScope::All, &p, NOW).await.unwrap();
    let mut cached: HashMap<i64, i64> = HashMap::new();
    let mut rows = conn
        .query(&format!("SELECT id, service_id FROM orders_cache WHERE panel_id = {panel}"), ())
        .await
        .unwrap();
    while let Some(r) = rows.next().await.unwrap() {
        cached.insert(r.get(0).unwrap(), r.get(1).unwrap());
    }
    let (mut unresolved, mut per_service): (i64, HashMap<i64, HashSet<i64>>) = (0, HashMap::new());
    sim.with(|s| {
        let d = &s.data;
        for t in d.tickets.iter().filter(|t| t.created <= d.now && t.created >= NOW - 2160 * 3600) {
            let mut ids = Vec::new();
            for m in t.messages.iter().filter(|m| m.created <= d.now) {
                ids.extend(order_ids(&plain_text(&m.message)));
            }
            let services: HashSet<i64> = ids.iter().filter_map(|i| cached.get(i).copied()).collect();
            if services.is_empty() {
                unresolved += 1;
            }
            for s in services {
                per_service.entry(s).or_default().insert(t.id);
            }
        }
    });
    assert_eq!(report.unresolved, unresolved);
    assert_eq!(report.rows.len(), per_service.len());
    for r in &report.rows {
        assert_eq!(r.tickets, per_service[&r.service_id].len() as i64, "service {}", r.service_id);
    }
}

#[tokio::test]
async fn the_page_fetches_once_then_reads_only_the_database() {
    let app = TestApp::new().await;
    let sim = sim(42, 15_000, false).await;
    let panel = register(&app, &sim).await;
    sync_without_messages(&app, panel).await;
    // Three tickets moved into a window ending now (the simulator's clock is elsewhere).
    let now = shared::time::now();
    app.exec(&format!(
        "UPDATE tickets_cache SET created = {} WHERE panel_id = {panel} AND id IN (SELECT id FROM tickets_cache WHERE panel_id = {panel} ORDER BY id LIMIT 3)",
        now - 3600
    ))
    .await;
    let owner = app.as_role("owner", Role::Owner, &[]).await;
    let before = sim.request_count();
    let res = app
        .get(&format!("/reports/ticket-tracking/services.json?panel={panel}&window_hours=2"), Some(&owner))
        .await;
    let first = list(&res.body);
    assert_eq!(sim.request_count() - before, 3, "the three tickets were fetched");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(DISTINCT ticket_id) FROM ticket_messages WHERE panel_id = {panel}"
        ))
        .await,
        3
    );
    let before = sim.request_count();
    let res2 = app
        .get(&format!("/reports/ticket-tracking/services.json?panel={panel}&window_hours=2"), Some(&owner))
        .await;
    assert_eq!(sim.request_count(), before, "the second request makes no panel call");
    assert_eq!(list(&res2.body), first);
    assert_eq!(
        crate::reports_support::json(&res2.body)["data"]["unresolved"],
        crate::reports_support::json(&res.body)["data"]["unresolved"]
    );
}
