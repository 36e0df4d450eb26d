//! Alerts end to end: rules open incidents from the cache, channels receive one message per incident
//! on loopback stand-ins of their services (generic webhook, Telegram, Slack, Discord), reminders
//! after the cooldown, one "resolved", quiet hours, scope, retries, and overlapping runs.

use std::time::Duration;

use panelops_reports::alerts::channels::{self, ChannelInput, Kind};
use panelops_reports::alerts::rules::Rule;
use panelops_reports::alerts::zone::{parse_zone, Quiet};
use panelops_reports::alerts::{run_with, send, Options, RunReport};
use testkit::receiver::{Received, ReceiverHandle};

use crate::helpers::TestApp;

/// A fixed clock: 2025-06-15 12:00 UTC.
pub const NOW: i64 = 1_749_988_800;

pub fn fast() -> Options {
    Options {
        timeout: Duration::from_secs(3),
        attempts: 3,
        backoff: Duration::from_millis(20),
        budget: Duration::from_secs(20),
        spacing: false,
    }
}

pub async fn run(app: &TestApp, at: i64) -> RunReport {
    run_with(&app.state, &fast(), at).await.expect("alerts run")
}

/// Two panels and a receiver.
pub async fn setup() -> (TestApp, ReceiverHandle) {
    let app = TestApp::new().await;
    app.add_panel("One", "https://one.example", None).await;
    app.add_panel("Two", "https://two.example", None).await;
    (app, ReceiverHandle::start().expect("receiver"))
}

pub fn input(name: &str, kind: Kind, target: &str, rules: &[Rule], panels: Option<&[i64]>) -> ChannelInput {
    ChannelInput {
        name: name.into(),
        kind: Some(kind),
        target: Some(target.into()),
        chat_id: (kind == Kind::Telegram).then(|| "-1001".to_string()),
        api_base: None,
        rules: rules.to_vec(),
        all_panels: panels.is_none(),
        panels: panels.unwrap_or(&[]).to_vec(),
        enabled: true,
        ..ChannelInput::default()
    }
}

/// Adds a channel, made long before any test's clock; its id and (webhook) signing secret.
pub async fn add(app: &TestApp, input: &ChannelInput) -> (i64, Option<String>) {
    let conn = app.state.db.connect().await.unwrap();
    channels::create(&conn, &app.state.config.secret_key, input, None, 0).await.expect("channel")
}

/// Panel `panel`'s service 5 critical: five finished orders, each far slower than "1K/D" promises.
pub async fn critical_service(app: &TestApp, panel: i64) {
    critical_service_at(app, panel, NOW, NOW - 3600).await
}

/// As `critical_service`, the orders made a month before `now` and finished at `finished`.
pub async fn critical_service_at(app: &TestApp, panel: i64, now: i64, finished: i64) {
    app.exec(&format!(
        "INSERT INTO services_cache (panel_id, id, name, checked_at) VALUES ({panel}, 5, 'Likes | 1K/D', 0)"
    ))
    .await;
    for id in 1..=5 {
        app.exec(&format!(
            "INSERT INTO orders_cache (panel_id, id, service_id, status, quantity, remains, created, last_update, checked_at)
             VALUES ({panel}, {id}, 5, 'completed', 10000, 0, {}, {finished}, 0)",
            now - 30 * 86_400
        ))
        .await;
    }
}

/// 51 orders of service 7 stuck for 13 hours (more than the default 50).
pub async fn stuck_orders(app: &TestApp, panel: i64) {
    for id in 100..151 {
        app.exec(&format!(
            "INSERT INTO orders_cache (panel_id, id, service_id, status, quantity, remains, created, checked_at)
             VALUES ({panel}, {id}, 7, 'pending', 100, 100, {}, 0)",
            NOW - 13 * 3600
        ))
        .await;
    }
}

pub async fn sync_error(app: &TestApp, panel: i64) {
    app.exec(&format!(
        "INSERT INTO sync_state (panel_id, resource, interval_secs, page_size, status, message, last_ok_at)
         VALUES ({panel}, 'orders', 60, 100, 'error', 'the panel answered HTTP 500', {})",
        NOW - 600
    ))
    .await;
}

pub async fn waiting_ticket(app: &TestApp, panel: i64, id: i64) {
    app.exec(&format!(
        "INSERT INTO tickets_cache (panel_id, id, user, subject, status, created, last_update, checked_at)
         VALUES ({panel}, {id}, 'alice', 'Where is my order?', 'pending', {t}, {t}, 0)",
        t = NOW - 2 * 3600
    ))
    .await;
}

pub async fn big_deposit(app: &TestApp, panel: i64) {
    app.exec(&format!(
        "INSERT INTO payments_cache (panel_id, id, user, amount, currency, method, status, created, checked_at)
         VALUES ({panel}, 20, 'bob', 750000000, 'USD', 'Stripe', 'completed', {}, 0)",
        NOW - 600
    ))
    .await;
}

fn texts(got: &[Received]) -> Vec<String> {
    got.iter().map(|r| r.text()).collect()
}

fn count(got: &[Received], needle: &str) -> usize {
    texts(got).iter().filter(|t| t.contains(needle)).count()
}

#[tokio::test]
async fn each_rule_fires_once_reminds_after_its_cooldown_and_resolves_once() {
    let (app, rx) = setup().await;
    let (_, secret) =
        add(&app, &input("Ops hook", Kind::Webhook, &format!("{}/hook", rx.base_url), &Rule::ALL, None))
            .await;
    let secret = secret.expect("a webhook has a signing secret");
    critical_service(&app, 1).await;
    stuck_orders(&app, 1).await;
    sync_error(&app, 1).await;
    waiting_ticket(&app, 1, 10).await;
    big_deposit(&app, 1).await;
    // Reminders after 30 minutes for this test.
    for r in Rule::ALL {
        app.exec(&format!(
            "INSERT INTO alert_rules (rule, threshold, urgent, cooldown_minutes) VALUES ('{}', {}, 0, 30)",
            r.as_str(),
            r.default_threshold()
        ))
        .await;
    }

    let first = run(&app, NOW).await;
    assert_eq!((first.opened, first.sent, first.failed, first.resolved), (5, 5, 0, 0), "{first:?}");
    let got = rx.received();
    assert_eq!(got.len(), 5);
    let all = texts(&got).join("\n---\n");
    for needle in [
        "Service critical · One: Likes | 1K/D (#5)",
        "score 0",
        "Stuck orders · One: 51 stuck orders",
        "Sync trouble · One",
        "orders in error (the panel answered HTTP 500)",
        "Waiting ticket · One: ticket #10 from alice: Where is my order?",
        "waiting 2 h for a staff reply",
        "Big deposit · One: 750.00 USD from bob",
        "/reports/service-health?panel=1",
    ] {
        assert!(all.contains(needle), "{needle:?} in\n{all}");
    }
    // The signature verifies with the secret shown at creation, over the timestamp and the body.
    let hook = &got[0];
    let ts: i64 = hook.header(send::TIMESTAMP_HEADER).unwrap().parse().unwrap();
    assert_eq!(ts, NOW);
    let expected = format!(
        "sha256={}",
        send::hmac_sha256_hex(secret.as_bytes(), format!("{ts}.{}", hook.body).as_bytes())
    );
    assert_eq!(hook.header(send::SIGNATURE_HEADER), Some(expected.as_str()));
    let tampered = send::signature(&secret, ts, &hook.body.replace("One", "Evil"));
    assert_ne!(hook.header(send::SIGNATURE_HEADER), Some(tampered.as_str()));
    assert_eq!(hook.json()["event"], "opened");
    assert!(hook.header(send::DELIVERY_HEADER).is_some());

    // Still open a minute later: nothing new.
    let again = run(&app, NOW + 60).await;
    assert_eq!((again.opened, again.sent, again.resolved), (0, 0, 0), "{again:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM alert_incidents").await, 5);

    // After the cooldown: one reminder per open incident (not for the deposit, an event).
    let later = run(&app, NOW + 31 * 60).await;
    assert_eq!((later.opened, later.sent), (0, 4), "{later:?}");
    assert_eq!(count(&rx.received(), "Still open after 31 min"), 4);
    assert_eq!(run(&app, NOW + 32 * 60).await.sent, 0, "one reminder per cooldown");

    // Fixed: each state incident resolves and says so once.
    app.exec("DELETE FROM orders_cache").await;
    app.exec(&format!("UPDATE sync_state SET status = 'ok', message = NULL, last_ok_at = {}", NOW + 33 * 60))
        .await;
    app.exec("UPDATE tickets_cache SET status = 'answered'").await;
    let fixed = run(&app, NOW + 33 * 60).await;
    assert_eq!((fixed.resolved, fixed.sent), (4, 4), "{fixed:?}");
    assert_eq!(count(&rx.received(), "Resolved after 33 min"), 4);
    let quiet = run(&app, NOW + 34 * 60).await;
    assert_eq!((quiet.opened, quiet.resolved, quiet.sent), (0, 0, 0), "{quiet:?}");
    assert_eq!(rx.received().len(), 13);
    assert_eq!(count(&rx.received(), "Big deposit"), 1, "an event is told once, never resolved");
}

#[tokio::test]
async fn quiet_hours_hold_back_and_urgent_rules_break_through() {
    let (app, rx) = setup().await;
    // Quiet from an hour before NOW to an hour after, in Moscow (UTC+3 all year).
    let local = ((NOW / 60 + 180) % 1440 + 1440) % 1440;
    let moscow = parse_zone("Europe/Moscow").unwrap();
    let mut quiet = input("Night", Kind::Webhook, &format!("{}/hook", rx.base_url), &Rule::ALL, None);
    quiet.quiet = Some(((local + 1380) % 1440, (local + 60) % 1440));
    quiet.time_zone = Some(moscow);
    add(&app, &quiet).await;
    let q = Quiet { start: (local + 1380) % 1440, end: (local + 60) % 1440, zone: moscow };
    assert!(q.holds(NOW) && !q.holds(NOW + 2 * 3600));
    stuck_orders(&app, 1).await; // not urgent
    sync_error(&app, 1).await; // urgent by default

    let night = run(&app, NOW).await;
    assert_eq!((night.opened, night.sent), (2, 1), "{night:?}");
    assert_eq!(count(&rx.received(), "Sync trouble"), 1);
    assert_eq!(count(&rx.received(), "Stuck orders"), 0, "held back during quiet hours");

    let morning = run(&app, NOW + 2 * 3600).await;
    assert_eq!(morning.sent, 1, "{morning:?}");
    assert_eq!(count(&rx.received(), "Stuck orders"), 1);
    assert_eq!(rx.received().len(), 2);
}

#[tokio::test]
async fn a_channel_only_receives_incidents_of_its_panels_and_rules() {
    let (app, rx) = setup().await;
    let slack =
        input("Slack One", Kind::Slack, &format!("{}/slack/T0/B0/xyz", rx.base_url), &Rule::ALL, Some(&[1]));
    let discord = input(
        "Discord Two",
        Kind::Discord,
        &format!("{}/discord/api/webhooks/1/abc", rx.base_url),
        &[Rule::WaitingTicket],
        Some(&[2]),
    );
    add(&app, &slack).await;
    add(&app, &discord).await;
    waiting_ticket(&app, 1, 10).await;
    waiting_ticket(&app, 2, 11).await;
    sync_error(&app, 2).await; // panel 2, but Discord Two takes only waiting tickets

    let r = run(&app, NOW).await;
    assert_eq!((r.opened, r.sent), (3, 2), "{r:?}");
    let got = rx.received();
    let slack_got: Vec<&Received> = got.iter().filter(|g| g.path.starts_with("/slack/")).collect();
    let discord_got: Vec<&Received> = got.iter().filter(|g| g.path.starts_with("/discord/")).collect();
    assert_eq!(slack_got.len(), 1);
    assert!(slack_got[0].json()["text"].as_str().unwrap().contains("ticket #10"), "{:?}", slack_got[0]);
    assert_eq!(discord_got.len(), 1);
    let content = discord_got[0].json()["content"].as_str().unwrap().to_string();
    assert!(content.contains("Two: ticket #11"), "{content}");
    assert_eq!(discord_got[0].json()["allowed_mentions"]["parse"], serde_json::json!([]));
    assert_eq!(count(&got, "Sync trouble"), 0);
}

#[tokio::test]
async fn telegram_gets_the_bot_apis_send_message() {
    let (app, rx) = setup().await;
    let mut tg = input("Owner chat", Kind::Telegram, "123456:ABC-def", &Rule::ALL, None);
    tg.api_base = Some(rx.base_url.clone());
    add(&app, &tg).await;
    big_deposit(&app, 2).await;
    let r = run(&app, NOW).await;
    assert_eq!(r.sent, 1, "{r:?}");
    let got = rx.received();
    assert_eq!(got[0].path, "/bot123456:ABC-def/sendMessage");
    let body = got[0].json();
    assert_eq!(body["chat_id"], "-1001");
    assert!(body["text"].as_str().unwrap().starts_with("Big deposit · Two: 750.00 USD from bob"), "{body}");
    // The token never shows on the page's hint.
    let conn = app.state.db.connect().await.unwrap();
    let c = channels::list(&conn).await.unwrap();
    assert_eq!(c[0].target_hint, "token •••• -def");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_recorded_and_never_blocks_another_channel() {
    let (app, rx) = setup().await;
    let other = ReceiverHandle::start().unwrap();
    add(&app, &input("Flaky", Kind::Webhook, &format!("{}/hook", rx.base_url), &Rule::ALL, None)).await;
    add(&app, &input("Steady", Kind::Webhook, &format!("{}/hook", other.base_url), &Rule::ALL, None)).await;

    // One failure: retried within the run, delivered.
    rx.fail(503, Some(1));
    waiting_ticket(&app, 1, 10).await;
    let r = run(&app, NOW).await;
    assert_eq!((r.sent, r.failed), (2, 0), "{r:?}");
    assert_eq!(rx.with(|s| s.failed), 1);
    assert_eq!(rx.received().len(), 1);

    // Down for good: recorded on the channel, the other channel still gets its message.
    rx.fail(500, None);
    waiting_ticket(&app, 1, 11).await;
    let r = run(&app, NOW + 60).await;
    assert_eq!((r.sent, r.failed), (1, 1), "{r:?}");
    assert!(r.errors[0].starts_with("Flaky: HTTP 500"), "{:?}", r.errors);
    assert_eq!(other.received().len(), 2);
    let conn = app.state.db.connect().await.unwrap();
    let flaky = channels::list(&conn).await.unwrap().into_iter().find(|c| c.name == "Flaky").unwrap();
    assert!(flaky.last_error.as_deref().unwrap().contains("HTTP 500"), "{:?}", flaky.last_error);
    assert_eq!(app.scalar("SELECT attempts FROM alert_deliveries WHERE status = 'failed'").await, 3);

    // Not again before its wait is over; after it, retried and delivered once.
    assert_eq!(run(&app, NOW + 90).await.failed, 0);
    rx.with(|s| s.fail_status = None);
    let r = run(&app, NOW + 60 + 4 * 60).await;
    assert_eq!((r.sent, r.failed), (1, 0), "{r:?}");
    assert_eq!(count(&rx.received(), "ticket #11"), 1);
    assert_eq!(run(&app, NOW + 60 * 60).await.sent, 0);

    // A receiver that does not answer in time.
    rx.with(|s| s.delay = Some(Duration::from_secs(2)));
    waiting_ticket(&app, 1, 12).await;
    let opts = Options { timeout: Duration::from_millis(300), attempts: 2, ..fast() };
    let r = run_with(&app.state, &opts, NOW + 61 * 60).await.unwrap();
    assert_eq!((r.sent, r.failed), (1, 1), "{r:?}");
    assert!(r.errors[0].contains("timed out"), "{:?}", r.errors);
}

#[tokio::test]
async fn two_runs_at_once_send_each_message_once() {
    let (app, rx) = setup().await;
    add(&app, &input("Hook", Kind::Webhook, &format!("{}/hook", rx.base_url), &Rule::ALL, None)).await;
    stuck_orders(&app, 1).await;
    waiting_ticket(&app, 1, 10).await;
    waiting_ticket(&app, 2, 11).await;
    big_deposit(&app, 2).await;
    let opts = fast();
    let (a, b) = tokio::join!(run_with(&app.state, &opts, NOW), run_with(&app.state, &opts, NOW));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 4, "{a:?} {b:?}");
    assert_eq!(rx.received().len(), 4);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM alert_incidents").await, 4);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM alert_deliveries").await, 4);
}

#[tokio::test]
async fn a_backlog_of_old_tickets_brings_no_flood_and_an_open_one_stays_open_until_answered() {
    let (app, rx) = setup().await;
    add(&app, &input("Hook", Kind::Webhook, &format!("{}/hook", rx.base_url), &Rule::ALL, None)).await;
    // Two tickets left unanswered for five days: backlog.
    for id in [30, 31] {
        app.exec(&format!(
            "INSERT INTO tickets_cache (panel_id, id, user, subject, status, created, last_update, checked_at)
             VALUES (1, {id}, 'old', 'Old', 'pending', {t}, {t}, 0)",
            t = NOW - 5 * 86_400
        ))
        .await;
    }
    waiting_ticket(&app, 1, 10).await;
    let r = run(&app, NOW).await;
    assert_eq!((r.opened, r.sent), (1, 1), "{r:?}");
    // Four days on, ticket 10 is backlog too, but its incident stays open until it is answered.
    let r = run(&app, NOW + 4 * 86_400).await;
    assert_eq!((r.opened, r.resolved), (0, 0), "{r:?}");
    app.exec("UPDATE tickets_cache SET status = 'answered' WHERE id = 10").await;
    let r = run(&app, NOW + 4 * 86_400 + 60).await;
    assert_eq!((r.resolved, r.sent), (1, 1), "{r:?}");
    assert_eq!(count(&rx.received(), "ticket #3"), 0);
}

#[tokio::test]
async fn a_failing_provider_fires_and_resolves_and_a_bad_reply_is_told_once() {
    let (app, rx) = setup().await;
    add(&app, &input("Hook", Kind::Webhook, &format!("{}/hook", rx.base_url), &Rule::ALL, None)).await;
    // Provider "bulkfollows": 4 of 10 orders of the last hour failed (40 % ≥ 30 %); "cheap": 9 orders.
    for id in 1..=10 {
        let status = if id <= 4 { "fail" } else { "completed" };
        app.exec(&format!(
            "INSERT INTO orders_cache (panel_id, id, service_id, provider, status, quantity, remains, created, checked_at)
             VALUES (1, {id}, 9, 'bulkfollows', '{status}', 100, 0, {}, 0)",
            NOW - 600
        ))
        .await;
    }
    for id in 20..29 {
        app.exec(&format!(
            "INSERT INTO orders_cache (panel_id, id, service_id, provider, status, quantity, remains, created, checked_at)
             VALUES (1, {id}, 9, 'cheap', 'fail', 100, 0, {}, 0)",
            NOW - 600
        ))
        .await;
    }
    app.exec(&format!(
        "INSERT INTO ai_reviews (panel_id, ticket_id, seq, status, staff_name, reply_at, verdict, reasoning, reviewed_at)
         VALUES (2, 40, 3, 'done', 'sam', {t}, 'bad', 'Answered a refund question with a greeting.', {t})",
        t = NOW - 300
    ))
    .await;
    let r = run(&app, NOW).await;
    assert_eq!((r.opened, r.sent), (2, 2), "{r:?}");
    let all = texts(&rx.received()).join("\n");
    assert!(
        all.contains(
            "Provider failing · One: provider bulkfollows\n4 of 10 orders of the last hour failed (40%"
        ),
        "{all}"
    );
    assert!(all.contains("/orders?panel=1&provider=bulkfollows"), "{all}");
    assert!(all.contains("Bad reply · Two: sam's reply on ticket #40\nAnswered a refund question"), "{all}");
    assert!(!all.contains("cheap"), "fewer than 10 orders say nothing");
    assert_eq!(run(&app, NOW + 60).await.sent, 0);
    // An hour on, the failures are out of the window: resolved; the bad reply never "resolves".
    let r = run(&app, NOW + 3600).await;
    assert_eq!((r.resolved, r.sent), (1, 1), "{r:?}");
    assert_eq!(count(&rx.received(), "Resolved after 1 h: Provider failing"), 1);
    assert_eq!(count(&rx.received(), "Bad reply"), 1);
}

#[tokio::test]
async fn email_goes_through_an_smtp_server() {
    let (app, _rx) = setup().await;
    let smtp = testkit::smtp::SmtpHandle::start().expect("smtp stand-in");
    let mut mail = input("Owner mail", Kind::Email, &smtp.url, &Rule::ALL, None);
    mail.mail_from = Some("alerts@panelops.example".into());
    mail.mail_to = Some("owner@example.com, ops@example.com".into());
    add(&app, &mail).await;
    waiting_ticket(&app, 1, 10).await;
    let r = run(&app, NOW).await;
    assert_eq!((r.sent, r.failed), (1, 0), "{r:?}");
    let got = smtp.mails();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].from, "<alerts@panelops.example>");
    assert_eq!(got[0].to, vec!["<owner@example.com>", "<ops@example.com>"]);
    let text = got[0].text();
    assert!(text.contains("Subject:") && text.contains("ticket #10 from alice"), "{text}");

    // A permanent refusal is recorded at once, not retried.
    smtp.refuse(true);
    waiting_ticket(&app, 1, 11).await;
    let r = run(&app, NOW + 60).await;
    assert_eq!((r.sent, r.failed), (0, 1), "{r:?}");
    assert!(r.errors[0].contains("the mail server refused"), "{:?}", r.errors);
    assert_eq!(app.scalar("SELECT attempts FROM alert_deliveries WHERE status = 'failed'").await, 9);
}
