//! Digests and time zones: a daily digest arrives once at the chosen hour on the channel's clock (the
//! night Berlin moved its clocks), with numbers checked by hand and only the channel's panels; a weekly
//! one on its weekday for every panel; overlapping runs send it once; quiet hours follow daylight
//! saving.

use panelops_reports::alerts::channels::Kind;
use panelops_reports::alerts::digest::schedule::DigestSchedule;
use panelops_reports::alerts::rules::Rule;
use panelops_reports::alerts::zone::parse_zone;
use panelops_reports::alerts::{run_with, RunReport};
use shared::auth::Role;
use testkit::receiver::Received;

use crate::alerts::{add, critical_service_at, fast, input, setup};
use crate::helpers::TestApp;

/// 2025-03-31 00:00 UTC, a Monday. Berlin moved from UTC+1 to UTC+2 on Sunday at 01:00 UTC, so its
/// Sunday ran from Saturday 23:00 UTC to Sunday 22:00 UTC: 23 hours.
const MONDAY: i64 = 1_743_379_200;
const SUNDAY_START: i64 = MONDAY - 25 * 3600;
const SUNDAY_END: i64 = MONDAY - 2 * 3600;
const SATURDAY_START: i64 = MONDAY - 49 * 3600;

async fn run(app: &TestApp, at: i64) -> RunReport {
    run_with(&app.state, &fast(), at).await.expect("alerts run")
}

async fn order(app: &TestApp, panel: i64, id: i64, status: &str, charge: i64, created: i64) {
    app.exec(&format!(
        "INSERT INTO orders_cache (panel_id, id, service_id, status, quantity, remains, charge, currency, created, last_update, checked_at)
         VALUES ({panel}, {id}, 8, '{status}', 100, 0, {charge}, 'USD', {created}, {created}, 0)"
    ))
    .await;
}

async fn user(app: &TestApp, panel: i64, id: i64, created: i64) {
    app.exec(&format!(
        "INSERT INTO users_cache (panel_id, id, username, created, checked_at) VALUES ({panel}, {id}, 'u{id}', {created}, 0)"
    ))
    .await;
}

async fn deposit(app: &TestApp, panel: i64, id: i64, amount: i64, status: &str, created: i64) {
    app.exec(&format!(
        "INSERT INTO payments_cache (panel_id, id, user, amount, currency, status, created, checked_at)
         VALUES ({panel}, {id}, 'u1', {amount}, 'USD', '{status}', {created}, 0)"
    ))
    .await;
}

async fn reply(app: &TestApp, panel: i64, ticket: i64, staff: &str, asked: i64, after: i64) {
    app.exec(&format!(
        "INSERT INTO ticket_messages (panel_id, ticket_id, seq, sender_name, is_staff, message, created) VALUES
         ({panel}, {ticket}, 1, 'customer', 0, 'Where is my order 1234567?', {asked})"
    ))
    .await;
    app.exec(&format!(
        "INSERT INTO ticket_messages (panel_id, ticket_id, seq, sender_name, is_staff, message, created) VALUES
         ({panel}, {ticket}, 2, '{staff}', 1, 'It is on its way, it will be complete by tonight.', {})",
        asked + after
    ))
    .await;
}

fn digests(got: &[Received], path: &str) -> Vec<String> {
    got.iter().filter(|g| g.path == path && g.json()["event"] == "digest").map(|g| g.text()).collect()
}

#[tokio::test]
async fn a_daily_digest_arrives_once_at_its_hour_in_the_channels_zone_with_its_panels_only() {
    let (app, rx) = setup().await;
    let mut daily =
        input("Berlin daily", Kind::Webhook, &format!("{}/daily", rx.base_url), &Rule::ALL, Some(&[1]));
    daily.time_zone = parse_zone("Europe/Berlin");
    daily.digest = DigestSchedule { daily: true, hour: 9, ..DigestSchedule::default() };
    add(&app, &daily).await;
    let mut weekly =
        input("Owner weekly", Kind::Webhook, &format!("{}/weekly", rx.base_url), &[Rule::StuckOrders], None);
    weekly.digest = DigestSchedule { weekly: true, hour: 8, weekday: 1, ..DigestSchedule::default() };
    add(&app, &weekly).await;

    // Panel One's Sunday (Berlin): 3 orders, one canceled (no revenue), at the first and the last
    // second of the day; an order at Monday's first second is not Sunday's.
    order(&app, 1, 100, "completed", 1_000_000, SUNDAY_START).await;
    order(&app, 1, 101, "completed", 2_500_000, SUNDAY_END - 1).await;
    order(&app, 1, 102, "canceled", 4_000_000, SUNDAY_START + 3600).await;
    order(&app, 1, 103, "completed", 9_000_000, SUNDAY_END).await;
    // Saturday: 2 orders of 1.00.
    order(&app, 1, 104, "completed", 1_000_000, SATURDAY_START).await;
    order(&app, 1, 105, "partial", 1_000_000, SUNDAY_START - 1).await;
    user(&app, 1, 1, SUNDAY_START + 60).await;
    user(&app, 1, 2, SUNDAY_END - 60).await;
    user(&app, 1, 3, SATURDAY_START + 60).await;
    deposit(&app, 1, 1, 50_000_000, "completed", SUNDAY_START + 7200).await;
    deposit(&app, 1, 2, 70_000_000, "pending", SUNDAY_START + 7200).await;
    deposit(&app, 1, 3, 10_000_000, "completed", SATURDAY_START + 60).await;
    deposit(&app, 1, 4, 10_000_000, "completed", SATURDAY_START + 120).await;
    critical_service_at(&app, 1, MONDAY, MONDAY - 12 * 3600).await;
    reply(&app, 1, 50, "Alice", SUNDAY_START + 3600, 240).await;
    // Panel Two: its own numbers, a critical service and a staff member: none of it in One's digest.
    for id in 200..204 {
        order(&app, 2, id, "completed", 5_000_000, SUNDAY_START + 600).await;
    }
    critical_service_at(&app, 2, MONDAY, MONDAY - 12 * 3600).await;
    reply(&app, 2, 60, "Bora", SUNDAY_START + 3600, 60).await;

    // 08:59 in Berlin (06:59 UTC): the incidents open, no digest yet.
    let early = run(&app, MONDAY + 7 * 3600 - 60).await;
    assert_eq!(early.opened, 2, "{early:?}");
    assert!(digests(&rx.received(), "/daily").is_empty());
    // 09:00 in Berlin, two runs at once: one digest.
    let opts = fast();
    let (a, b) = tokio::join!(
        run_with(&app.state, &opts, MONDAY + 7 * 3600),
        run_with(&app.state, &opts, MONDAY + 7 * 3600)
    );
    assert_eq!(a.unwrap().sent + b.unwrap().sent, 1);
    let got = digests(&rx.received(), "/daily");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0],
        "Daily digest · Sunday 30 Mar 2025 (Europe/Berlin)\n\
         One: orders 3 (2 before, +50%) · revenue 3.50 USD (2.00 before, +75%) · new users 2 (1 before, +100%) · deposits 1 (2 before, -50%), 50.00 USD (20.00 before, +150%)\n\
         Worst services: One · Likes | 1K/D (#5) score 0, critical\n\
         Open incidents: 1 — Service critical · One: Likes | 1K/D (#5)\n\
         Staff (Ticket tracking): Alice 1 reply, avg response 4 min, score 100\n\
         /"
    );
    let hook =
        rx.received().into_iter().find(|g| g.path == "/daily" && g.json()["event"] == "digest").unwrap();
    let data = &hook.json()["digest"];
    assert_eq!(data["period"], "daily");
    assert_eq!((data["from"].as_i64(), data["to"].as_i64()), (Some(SUNDAY_START), Some(SUNDAY_END)));
    assert_eq!(data["panels"][0]["revenue"][0]["now"], 3_500_000);
    assert!(hook.header("x-panelops-delivery").unwrap().starts_with("digest-"));
    // Not again the same day (the weekly one is another channel's, at 08:00 UTC); the next morning,
    // Monday's.
    assert_eq!(run(&app, MONDAY + 7 * 3600 + 60).await.sent, 0);
    assert_eq!(run(&app, MONDAY + 8 * 3600).await.sent, 1);
    assert_eq!(run(&app, MONDAY + 12 * 3600).await.sent, 0);
    run(&app, MONDAY + 86_400 + 7 * 3600).await;
    let got = digests(&rx.received(), "/daily");
    assert_eq!(got.len(), 2);
    assert!(
        got[1]
            .starts_with("Daily digest · Monday 31 Mar 2025 (Europe/Berlin)\nOne: orders 1 (3 before, -67%)"),
        "{}",
        got[1]
    );

    // The weekly one came on Monday at 08:00 UTC, for every panel, Monday to Sunday (UTC).
    let weekly = digests(&rx.received(), "/weekly");
    assert_eq!(weekly.len(), 1, "{weekly:?}");
    assert!(
        weekly[0].starts_with("Weekly digest · 24 Mar – 30 Mar 2025 (UTC)\nOne: orders 6 (0 before, new)"),
        "{}",
        weekly[0]
    );
    assert!(
        weekly[0].contains("\nTwo: orders 4 (0 before, new) · revenue 20.00 USD (0.00 before, new)"),
        "{}",
        weekly[0]
    );
    assert!(weekly[0].contains("Bora 1 reply") && weekly[0].contains("Alice 1 reply"), "{}", weekly[0]);
    // Its channel takes only stuck orders: the open critical services are not its incidents.
    assert!(weekly[0].contains("Open incidents: none."), "{}", weekly[0]);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM alert_digests WHERE status = 'sent'").await, 3);

    // The history lists them; staff of panel Two see the digests of channels that cover it only.
    let owner = app.as_role("boss", Role::Owner, &[]).await;
    let page = app.get("/alerts", Some(&owner)).await;
    assert!(
        page.body.contains("Digests")
            && page.body.contains("Berlin daily")
            && page.body.contains("Owner weekly")
    );
    let two = app.as_role("tess", Role::Viewer, &[2]).await;
    let page = app.get("/alerts", Some(&two)).await;
    assert!(page.body.contains("Owner weekly") && !page.body.contains("Berlin daily"), "{}", page.body);
}

/// Saturday 2025-03-29 00:00 UTC (Berlin at UTC+1) and the Sunday after (UTC+2 from 01:00 UTC).
const SATURDAY: i64 = MONDAY - 2 * 86_400;
const SUNDAY: i64 = MONDAY - 86_400;

async fn waiting(app: &TestApp, id: i64, since: i64) {
    app.exec(&format!(
        "INSERT INTO tickets_cache (panel_id, id, user, subject, status, created, last_update, checked_at)
         VALUES (1, {id}, 'alice', 'Help', 'pending', {since}, {since}, 0)"
    ))
    .await;
}

#[tokio::test]
async fn quiet_hours_keep_the_local_clock_across_a_daylight_saving_change() {
    let (app, rx) = setup().await;
    let mut night = input("Night", Kind::Webhook, &format!("{}/hook", rx.base_url), &Rule::ALL, None);
    night.quiet = Some((22 * 60, 7 * 60));
    night.time_zone = parse_zone("Europe/Berlin");
    add(&app, &night).await;
    // No reminders in this test.
    app.exec("INSERT INTO alert_rules (rule, threshold, urgent, cooldown_minutes) VALUES ('waiting_ticket', 60, 0, 10000)")
        .await;

    // Saturday, winter time: 05:30 UTC is 06:30 in Berlin, quiet; 06:00 UTC is 07:00, not.
    waiting(&app, 1, SATURDAY + 3 * 3600).await;
    let r = run(&app, SATURDAY + 5 * 3600 + 1800).await;
    assert_eq!((r.opened, r.sent), (1, 0), "{r:?}");
    assert_eq!(run(&app, SATURDAY + 6 * 3600).await.sent, 1);
    // Sunday, summer time: 04:30 UTC is 06:30, quiet; 05:00 UTC is already 07:00 (a fixed UTC+1 would
    // still say 06:00 and hold it).
    waiting(&app, 2, SUNDAY + 2 * 3600).await;
    let r = run(&app, SUNDAY + 4 * 3600 + 1800).await;
    assert_eq!((r.opened, r.sent), (1, 0), "{r:?}");
    assert_eq!(run(&app, SUNDAY + 5 * 3600).await.sent, 1);
    // Sunday 20:00 UTC is 22:00 in Berlin: quiet again (a fixed UTC+1 would say 21:00).
    waiting(&app, 3, SUNDAY + 18 * 3600).await;
    let r = run(&app, SUNDAY + 20 * 3600).await;
    assert_eq!((r.opened, r.sent), (1, 0), "{r:?}");
    let texts: Vec<String> = rx.received().iter().map(|g| g.text()).collect();
    assert_eq!(texts.len(), 2);
    assert!(texts[0].contains("ticket #1") && texts[1].contains("ticket #2"), "{texts:?}");
}

/// Each statement of `sql` (one `execute` runs only the first).
async fn exec_all(app: &TestApp, sql: &str) {
    for stmt in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        app.exec(stmt.trim_end_matches(';')).await;
    }
}

#[tokio::test]
async fn channels_kept_at_a_fixed_offset_get_the_zone_of_that_offset() {
    let app = TestApp::new().await;
    // The schema before migration 21, with channels at a few offsets.
    exec_all(
        &app,
        "DROP TABLE alert_digests;
         ALTER TABLE alert_channels DROP COLUMN time_zone;
         ALTER TABLE alert_channels DROP COLUMN digest_daily;
         ALTER TABLE alert_channels DROP COLUMN digest_weekly;
         ALTER TABLE alert_channels DROP COLUMN digest_hour;
         ALTER TABLE alert_channels DROP COLUMN digest_weekday;
         ALTER TABLE alert_channels ADD COLUMN utc_offset INTEGER NOT NULL DEFAULT 0;
         DELETE FROM schema_migrations WHERE version = 21",
    )
    .await;
    for (id, offset) in [(1, 180), (2, -300), (3, 330), (4, 0), (5, 17), (6, 840)] {
        app.exec(&format!(
            "INSERT INTO alert_channels (id, name, kind, target_enc, target_hint, quiet_start, quiet_end, utc_offset, created_at)
             VALUES ({id}, 'c{id}', 'webhook', 'x', 'x', 1320, 420, {offset}, 0)"
        ))
        .await;
    }
    assert_eq!(shared::db::migrate(&app.state.db).await.unwrap(), 1);
    let conn = app.state.db.connect().await.unwrap();
    let mut rows = conn.query("SELECT time_zone FROM alert_channels ORDER BY id", ()).await.unwrap();
    let mut zones = Vec::new();
    while let Some(r) = rows.next().await.unwrap() {
        zones.push(r.get::<String>(0).unwrap());
    }
    assert_eq!(zones, ["Etc/GMT-3", "Etc/GMT+5", "Asia/Kolkata", "UTC", "UTC", "Etc/GMT-14"]);
    // Every one is a zone this build knows, and keeps the quiet hours' clock: 20:00 UTC is 23:00 at +3.
    for z in &zones {
        assert!(parse_zone(z).is_some(), "{z}");
    }
    let q = panelops_reports::alerts::zone::Quiet {
        start: 1320,
        end: 420,
        zone: parse_zone("Etc/GMT-3").unwrap(),
    };
    assert!(q.holds(20 * 3600) && !q.holds(5 * 3600));
}
