//! CSV of the records that only grow: Alerts → History, the activity log and AI flagged replies. Every
//! row the page's filters select across the 1,000-row pages of the stream (no row twice or lost where
//! rows share a time), the viewer's panels only, the page's role rule, and the page's link.

use axum::http::StatusCode;
use shared::auth::Role;

use crate::exports::{column, rows};
use crate::helpers::TestApp;

const T: i64 = 1_795_443_909; // 2026-11-23T14:25:09Z

#[tokio::test]
async fn alert_history_exports_every_incident_of_the_filters_in_scope() {
    let app = TestApp::new().await;
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Beta", "https://beta.example", None).await;
    app.exec(
        "INSERT INTO alert_channels (id, name, kind, target_enc, target_hint, created_at)
         VALUES (1, 'Ops hook', 'webhook', 'x', 'ops.example', 0)",
    )
    .await;
    // 1,500 resolved stuck-order incidents of panel A (ids 101…), and three by hand.
    app.exec(&format!(
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < 1500)
         INSERT INTO alert_incidents (id, rule, panel_id, subject, title, detail, link, opened_at, seen_at, resolved_at)
         SELECT 101 + i, 'stuck_orders', {a}, 's' || i, 'Stuck ' || i, '3 orders', '/orders', {T} - 7200 - i, 0, {T} - 3600 - i FROM k"
    ))
    .await;
    app.exec(&format!(
        "INSERT INTO alert_incidents (id, rule, panel_id, subject, title, detail, link, opened_at, seen_at, resolved_at) VALUES
         (5000, 'waiting_ticket', {a}, 't10', 'Ticket #10 waiting', '=2 hours, \"no reply\"', '/tickets/1/10', {T}, 0, NULL),
         (5001, 'big_deposit', {a}, 'p7', 'Deposit of 900.00', 'user bob', '/payments', {T} + 1, 0, {T} + 1),
         (5002, 'sync_trouble', {b}, '', 'Beta sync trouble', 'HTTP 502', '/settings/sync', {T} + 2, 0, NULL)"
    ))
    .await;
    app.exec(&format!(
        "INSERT INTO alert_deliveries (incident_id, channel_id, kind, seq, status, attempts, claimed_until, error, created_at, sent_at) VALUES
         (5000, 1, 'opened', 0, 'sent', 1, 0, NULL, {T}, {T}),
         (5000, 1, 'reminder', 1, 'failed', 3, 0, 'HTTP 500', {T} + 60, NULL),
         (5002, 1, 'opened', 0, 'sent', 1, 0, NULL, {T}, {T})"
    ))
    .await;
    let viewer = app.as_role("vic", Role::Viewer, &[a]).await;

    let page = app.get("/alerts?rule=waiting_ticket", Some(&viewer)).await.body;
    assert!(page.contains("/alerts.csv?rule=waiting_ticket") && page.contains("Export CSV"), "{page}");
    let res = app.get("/alerts.csv", Some(&viewer)).await;
    assert_eq!(res.status, StatusCode::OK);
    let table = rows(&res.body);
    assert_eq!(table[0], ["Panel", "Opened", "Rule", "What", "Detail", "State", "Resolved", "Sent to"]);
    assert_eq!(table.len() - 1, 1_502, "every incident of panel A, past the 1,000-row pages");
    let ids: std::collections::HashSet<&String> = table[1..].iter().map(|r| &r[3]).collect();
    assert_eq!(ids.len(), 1_502, "no incident twice at a page boundary");
    assert!(column(&table, "Panel").iter().all(|p| p == "Alpha"), "panel B's incident stays out");
    // Newest first, as on the page.
    assert_eq!(
        table[1][..7],
        ["Alpha", "2026-11-23T14:25:10Z", "Big deposit", "Deposit of 900.00", "user bob", "event", ""]
    );
    assert_eq!(
        table[2],
        [
            "Alpha",
            "2026-11-23T14:25:09Z",
            "Waiting ticket",
            "Ticket #10 waiting",
            "'=2 hours, \"no reply\"",
            "open",
            "",
            "Ops hook · opened · sent; Ops hook · reminder · failed (HTTP 500)"
        ]
    );
    let oldest = &table[table.len() - 1];
    assert_eq!(
        (oldest[3].as_str(), &oldest[5..7]),
        ("Stuck 0", &["resolved".to_string(), "2026-11-23T13:25:09Z".to_string()][..])
    );

    // The page's filters.
    let failed = rows(&app.get("/alerts.csv?result=failed", Some(&viewer)).await.body);
    assert_eq!(column(&failed, "What"), ["Ticket #10 waiting"]);
    let open = rows(&app.get("/alerts.csv?state=open", Some(&viewer)).await.body);
    assert_eq!(column(&open, "What"), ["Ticket #10 waiting"]);
    let stuck = rows(&app.get("/alerts.csv?rule=stuck_orders&before=200", Some(&viewer)).await.body);
    assert_eq!(stuck.len() - 1, 1_500, "the page's position is ignored");
    assert_eq!(app.get("/alerts.csv?rule=nonsense", Some(&viewer)).await.status, StatusCode::BAD_REQUEST);

    // Panel B: refused to A's viewer, its own line for the owner.
    assert_eq!(app.get(&format!("/alerts.csv?panel={b}"), Some(&viewer)).await.status, StatusCode::FORBIDDEN);
    let owner = app.as_role("boss", Role::Owner, &[]).await;
    let only_b = rows(&app.get(&format!("/alerts.csv?panel={b}"), Some(&owner)).await.body);
    assert_eq!(column(&only_b, "What"), ["Beta sync trouble"]);
}

#[tokio::test]
async fn activity_log_exports_what_an_admin_may_see_to_admins_only() {
    let app = TestApp::new().await;
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Beta", "https://beta.example", None).await;
    let owner_id = app.add_staff("owner1", Role::Owner, &[]).await;
    let admin_id = app.add_staff("admin1", Role::Admin, &[a]).await;
    app.exec(&format!(
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < 1200)
         INSERT INTO activity_log (at, staff_id, username, action, details, panel_id, ip, user_agent)
         SELECT {T} - 86400 - i, {admin_id}, 'admin1', 'order.resent', 'order ' || i, {a}, '203.0.113.9', 'ua' FROM k"
    ))
    .await;
    app.exec(&format!(
        "INSERT INTO activity_log (at, staff_id, username, action, details, panel_id, ip, user_agent) VALUES
         ({T}, {owner_id}, 'owner1', 'login', 'Signed in', NULL, '198.51.100.7', 'ua'),
         ({T}, {admin_id}, 'admin1', 'login', '+Signed in', NULL, '203.0.113.9', 'Firefox, on a phone'),
         ({T}, {owner_id}, 'owner1', 'panel.updated', 'Beta', {b}, '198.51.100.7', 'ua')"
    ))
    .await;
    let admin = app.session_for(admin_id).await;

    let page = app.get("/activity?action=login", Some(&admin)).await.body;
    assert!(page.contains("/activity.csv?action=login") && page.contains("Export CSV"), "{page}");
    let res = app.get("/activity.csv", Some(&admin)).await;
    assert_eq!(res.status, StatusCode::OK);
    let table = rows(&res.body);
    assert_eq!(table[0], ["When", "Staff", "Action", "Details", "Panel", "IP", "Device"]);
    // Their panel's entries and their own sign-in; neither panel B's nor the owner's sign-in.
    assert_eq!(table.len() - 1, 1_201, "every entry past the 1,000-row pages");
    assert_eq!(
        table[1],
        ["2026-11-23T14:25:09Z", "admin1", "login", "'+Signed in", "", "203.0.113.9", "Firefox, on a phone"]
    );
    assert!(!res.body.contains("198.51.100.7") && !res.body.contains("Beta"));
    assert_eq!(column(&table, "Panel")[1..].iter().filter(|p| *p == "Alpha").count(), 1_200);
    let details: std::collections::HashSet<&String> = table[1..].iter().map(|r| &r[3]).collect();
    assert_eq!(details.len(), 1_201, "no entry twice at a page boundary");

    // The page's filters: action, and a date range (`to` takes its whole day).
    let logins = rows(&app.get("/activity.csv?action=login&before=1", Some(&admin)).await.body);
    assert_eq!(logins.len() - 1, 1, "the page's position is ignored");
    let day = rows(&app.get("/activity.csv?from=2026-11-23&to=2026-11-23", Some(&admin)).await.body);
    assert_eq!(column(&day, "Action"), ["login"]);

    // Admins only, as the page; panel B refused to A's admin; the owner sees everything.
    let agent = app.as_role("agent1", Role::Agent, &[a]).await;
    assert_eq!(app.get("/activity.csv", Some(&agent)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&format!("/activity.csv?panel={b}"), Some(&admin)).await.status,
        StatusCode::FORBIDDEN
    );
    let owner = app.session_for(owner_id).await;
    let all = rows(&app.get("/activity.csv", Some(&owner)).await.body);
    assert_eq!(all.len() - 1, 1_203);
    assert_eq!(column(&all, "Panel").iter().filter(|p| *p == "Beta").count(), 1);
}

#[tokio::test]
async fn flagged_replies_export_every_reply_the_filters_select_in_scope() {
    let app = TestApp::new().await;
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Beta", "https://beta.example", None).await;
    let now = shared::time::now();
    // 1,100 flagged replies of panel A, three at each minute (ties on the time across page ends).
    app.exec(&format!(
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < 1100)
         INSERT INTO ai_reviews (panel_id, ticket_id, seq, status, staff_name, reply_at, verdict, flags, reasoning,
            suggestion, model, prompt_version, reviewed_at)
         SELECT {a}, 1000 + i / 3, i % 3, 'done', 'sam', {now} - 600 - (i / 3) * 60,
            CASE WHEN i = 0 THEN 'bad' ELSE 'mediocre' END, '[\"rude\",\"slow\"]', 'Too curt.', '=Thanks, we are on it',
            'gpt-test', 4, {now} FROM k"
    ))
    .await;
    app.exec(&format!(
        "INSERT INTO ai_reviews (panel_id, ticket_id, seq, status, staff_name, reply_at, verdict, flags, reviewed_at) VALUES
         ({b}, 1, 1, 'done', 'bob', {now} - 60, 'bad', '[]', {now}),
         ({a}, 9, 1, 'done', 'sam', {now} - 60, 'good', '[]', {now}),
         ({a}, 9, 2, 'done', 'sam', {now} - 40 * 86400, 'bad', '[]', {now})"
    ))
    .await;
    let viewer = app.as_role("vic", Role::Viewer, &[a]).await;

    let page = app.get("/ai/flagged?verdict=bad", Some(&viewer)).await.body;
    assert!(page.contains("/ai/flagged.csv?verdict=bad") && page.contains("Export CSV"), "{page}");
    let res = app.get("/ai/flagged.csv", Some(&viewer)).await;
    assert_eq!(res.status, StatusCode::OK);
    let table = rows(&res.body);
    assert_eq!(
        table[0].join(","),
        "Panel,Sent,Ticket,Staff,Reply,Verdict,Marked wrong,Flags,Reasoning,Suggested reply,Model,\
         Prompt version"
    );
    // Every mediocre or bad reply of the last 30 days (not only the newest 200 the page lists).
    assert_eq!(table.len() - 1, 1_100);
    let mut per_ticket: std::collections::HashMap<String, usize> = Default::default();
    for t in column(&table, "Ticket") {
        *per_ticket.entry(t).or_default() += 1;
    }
    // Tickets 1000…1365 three replies each, 1366 the last two: none twice or lost at a page's end.
    assert_eq!(per_ticket.len(), 367);
    assert!(per_ticket.iter().all(|(t, n)| *n == if t == "1366" { 2 } else { 3 }), "{per_ticket:?}");
    assert!(column(&table, "Panel").iter().all(|p| p == "Alpha"));
    assert_eq!(
        table[1][2..],
        [
            "1000",
            "sam",
            "",
            "bad",
            "no",
            "rude; slow",
            "Too curt.",
            "'=Thanks, we are on it",
            "gpt-test",
            "4"
        ]
    );

    // The page's filters.
    let bad = rows(&app.get("/ai/flagged.csv?verdict=bad", Some(&viewer)).await.body);
    assert_eq!(column(&bad, "Ticket"), ["1000"]);
    let all_time = rows(&app.get("/ai/flagged.csv?verdict=bad&window=all", Some(&viewer)).await.body);
    assert_eq!(column(&all_time, "Ticket"), ["1000", "9"]);
    assert_eq!(app.get("/ai/flagged.csv?verdict=good", Some(&viewer)).await.status, StatusCode::BAD_REQUEST);

    // Panel B: refused to A's viewer; the owner's export of B holds only B's.
    assert_eq!(
        app.get(&format!("/ai/flagged.csv?panel={b}"), Some(&viewer)).await.status,
        StatusCode::FORBIDDEN
    );
    let owner = app.as_role("boss", Role::Owner, &[]).await;
    let only_b = rows(&app.get(&format!("/ai/flagged.csv?panel={b}"), Some(&owner)).await.body);
    assert_eq!(column(&only_b, "Staff"), ["bob"]);
}
