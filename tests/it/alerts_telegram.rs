//! Telegram as an owner meets it: connected on Settings → Alerts in a few form posts, a test message,
//! a critical service in the chat on the first run after the cache shows it, nothing more while it
//! stays critical, one "resolved"; and the Bot API's limits kept: one message per second per chat
//! (whichever channel posts to it), a 429's retry_after waited for.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use panelops_reports::alerts::channels::Kind;
use panelops_reports::alerts::rules::Rule;
use panelops_reports::alerts::{run_with, Options};
use shared::auth::Role;
use testkit::receiver::{Received, ReceiverHandle};

use crate::alerts::{add, critical_service, fast, input, run, setup, waiting_ticket, NOW};

fn sent_to_chat(got: &[Received]) -> Vec<(String, String)> {
    got.iter()
        .filter(|g| g.path.ends_with("/sendMessage"))
        .map(|g| {
            let v = g.json();
            (v["chat_id"].as_str().unwrap_or("").to_string(), v["text"].as_str().unwrap_or("").to_string())
        })
        .collect()
}

/// The channel form for the owner's Telegram chat through the stand-in at `tg`, every panel, enabled.
fn owner_chat(tg: &ReceiverHandle) -> Vec<(&'static str, &str)> {
    vec![
        ("name", "Owner chat"),
        ("kind", "telegram"),
        ("target", "7000001:AAH-owner-bot-token"),
        ("chat_id", "-1009876"),
        ("api_base", tg.base_url.as_str()),
        ("all_panels", "1"),
        ("enabled", "1"),
    ]
}

#[tokio::test]
async fn an_owner_connects_a_telegram_chat_and_hears_of_a_critical_service_once_until_it_resolves() {
    let (app, tg) = setup().await;
    let owner = app.as_role("boss", Role::Owner, &[]).await;

    // Connect: the bot token, the chat, every rule, every panel — one form.
    let mut form = owner_chat(&tg);
    form.push(("time_zone", "Europe/Istanbul"));
    for r in Rule::ALL {
        form.push(("rules", r.as_str()));
    }
    let res = app.post("/settings/alerts", Some(&owner), &form).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app.follow(&res, Some(&owner)).await;
    assert!(page.body.contains("Channel Owner chat added. Send a test to check it."), "{}", page.body);
    assert!(page.body.contains("Europe/Istanbul") && !page.body.contains("AAH-owner-bot-token"));
    // Send test: it arrives, and the page says so.
    let res = app.post("/settings/alerts/1/test", Some(&owner), &[]).await;
    let page = app.follow(&res, Some(&owner)).await;
    assert!(page.body.contains("Test sent to Owner chat: delivered."), "{}", page.body);
    let got = tg.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/bot7000001:AAH-owner-bot-token/sendMessage");
    assert!(sent_to_chat(&got)[0].1.starts_with("Test from panelops: the channel Owner chat works."));

    // The cache shows a critical service: the next run (every minute) brings it to the chat.
    critical_service(&app, 1).await;
    let r = run(&app, NOW).await;
    assert_eq!((r.opened, r.sent, r.failed), (1, 1, 0), "{r:?}");
    let chat = sent_to_chat(&tg.received());
    assert_eq!(chat.len(), 2);
    assert_eq!(chat[1].0, "-1009876");
    assert!(
        chat[1].1.starts_with("Service critical · One: Likes | 1K/D (#5)\nscore 0 (below 40): 0 stuck, 100% slow of 5 finished in 24 h\n/reports/service-health?panel=1"),
        "{}",
        chat[1].1
    );
    // Every minute for an hour while it stays critical: nothing more.
    for minute in 1..=60 {
        let r = run(&app, NOW + minute * 60).await;
        assert_eq!((r.opened, r.sent), (0, 0), "minute {minute}: {r:?}");
    }
    assert_eq!(tg.received().len(), 2);
    // Fixed: one message says so, then silence.
    app.exec("DELETE FROM orders_cache WHERE panel_id = 1").await;
    let r = run(&app, NOW + 61 * 60).await;
    assert_eq!((r.resolved, r.sent), (1, 1), "{r:?}");
    let chat = sent_to_chat(&tg.received());
    assert!(
        chat[2].1.starts_with("Resolved after 1 h 1 min: Service critical · One: Likes | 1K/D (#5)"),
        "{}",
        chat[2].1
    );
    assert_eq!(run(&app, NOW + 62 * 60).await.sent, 0);
    assert_eq!(tg.received().len(), 3);
    // The history shows it with its two deliveries.
    let page = app.get("/alerts", Some(&owner)).await;
    assert!(
        page.body.contains("Likes | 1K/D (#5)") && page.body.contains("Owner chat · resolved"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn one_message_per_second_per_chat_and_no_wait_for_other_channels() {
    let (app, tg) = setup().await;
    let hook = ReceiverHandle::start().unwrap();
    // Two bots posting to the same chat share its limit.
    for token in ["111:first-bot", "222:second-bot"] {
        let mut c = input(token, Kind::Telegram, token, &[Rule::WaitingTicket], None);
        c.api_base = Some(tg.base_url.clone());
        add(&app, &c).await;
    }
    add(&app, &input("Hook", Kind::Webhook, &format!("{}/hook", hook.base_url), &Rule::ALL, None)).await;
    waiting_ticket(&app, 1, 10).await;
    waiting_ticket(&app, 2, 11).await;
    let started = Instant::now();
    let opts = Options { spacing: true, ..fast() };
    let r = run_with(&app.state, &opts, NOW).await.unwrap();
    assert_eq!((r.sent, r.failed), (6, 0), "{r:?}");
    let mut at: Vec<Instant> = tg.received().iter().map(|g| g.at).collect();
    at.sort();
    assert_eq!(at.len(), 4);
    for pair in at.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(1000), "{:?}", pair[1] - pair[0]);
    }
    // The webhook's two messages did not wait for the chat.
    let hook_at: Vec<Instant> = hook.received().iter().map(|g| g.at).collect();
    assert_eq!(hook_at.len(), 2);
    assert!(hook_at.iter().all(|t| *t - started < Duration::from_millis(900)), "{:?}", hook_at);
}

#[tokio::test]
async fn a_429_is_retried_after_the_wait_telegram_asks_for() {
    let (app, tg) = setup().await;
    let mut c = input("Owner chat", Kind::Telegram, "111:bot", &Rule::ALL, None);
    c.api_base = Some(tg.base_url.clone());
    add(&app, &c).await;
    tg.with(|s| s.retry_after = Some(1));
    tg.fail(429, Some(1));
    waiting_ticket(&app, 1, 10).await;
    let started = Instant::now();
    let r = run(&app, NOW).await;
    assert_eq!((r.sent, r.failed), (1, 0), "{r:?}");
    assert!(started.elapsed() >= Duration::from_secs(1), "waited {:?}", started.elapsed());
    assert_eq!(tg.with(|s| s.failed), 1);
    assert_eq!(app.scalar("SELECT attempts FROM alert_deliveries").await, 2);

    // Asked to wait longer than a run should: given up for this run, taken again after that wait.
    tg.with(|s| s.retry_after = Some(120));
    tg.fail(429, Some(1));
    waiting_ticket(&app, 1, 11).await;
    let r = run(&app, NOW + 60).await;
    assert_eq!((r.sent, r.failed), (0, 1), "{r:?}");
    assert!(r.errors[0].contains("HTTP 429"), "{:?}", r.errors);
    assert_eq!(run(&app, NOW + 120).await.sent, 0, "not before the wait it asked for");
    assert_eq!(run(&app, NOW + 60 + 120).await.sent, 1);
}

/// The same flow with the real sync: a service of a simulated panel turns critical (its catalogue
/// name now promises a speed no order meets, so every finished order is slow); the sync notices, the
/// next run brings one message to the chat, further syncs and runs bring nothing, and when the name
/// is back the next run says it resolved.
#[tokio::test]
async fn the_chat_hears_of_a_service_the_sync_finds_critical_once_until_it_resolves() {
    use crate::sync_support::{register, sim, sync_idle, NOW as SIM_NOW};
    use panelops_reports::service_health::{self, ServiceHealthParams, ServiceProfile};
    use shared::auth::PanelScope;

    let app = crate::helpers::TestApp::new().await;
    let tg = ReceiverHandle::start().unwrap();
    let sim = sim(24, 6_000, false).await;
    let panel = register(&app, &sim).await;
    let owner = app.as_role("boss", Role::Owner, &[]).await;
    let mut form = owner_chat(&tg);
    form.push(("rules", "service_critical"));
    let res = app.post("/settings/alerts", Some(&owner), &form).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    // What the panel looks like now: whatever is critical already is told first.
    sync_idle(&app, panel).await;
    let before = run(&app, SIM_NOW).await;
    assert_eq!(before.failed, 0, "{before:?}");
    let baseline = tg.received().len();
    // A healthy service with enough finished orders in the last 24 h to judge.
    let conn = app.state.db.connect().await.unwrap();
    let (profile, _) = panelops_reports::profiles::chosen::<ServiceProfile>(&conn, None).await.unwrap();
    let params = ServiceHealthParams::from_profile(&profile, None, 24);
    let rows = service_health::service_health(&conn, &PanelScope::All, &params, SIM_NOW).await.unwrap();
    let pick = rows
        .iter()
        .find(|r| r.status == "healthy" && r.stuck == 0 && r.finished >= 5)
        .expect("a healthy service to break");
    let idx = (pick.service_id - testkit::data::FIRST_SERVICE_ID) as usize;
    sim.with(|s| s.data.service_names.insert(idx, "Fast likes [Speed: 100M/Day]".into()));

    // The sync notices; the next run (a minute later) brings it to the chat, once.
    sync_idle(&app, panel).await;
    let r = run(&app, SIM_NOW + 60).await;
    assert_eq!((r.opened, r.sent), (1, 1), "{r:?}");
    let chat = sent_to_chat(&tg.received());
    assert_eq!(chat.len(), baseline + 1);
    let expected = format!(
        "Service critical · Sim {}: Fast likes [Speed: 100M/Day] (#{})",
        sim.addr.port(),
        pick.service_id
    );
    assert!(chat[baseline].1.starts_with(&expected), "{}", chat[baseline].1);
    for minute in 2..=6 {
        sync_idle(&app, panel).await;
        let r = run(&app, SIM_NOW + minute * 60).await;
        assert_eq!((r.opened, r.sent), (0, 0), "minute {minute}: {r:?}");
    }
    // Its name back, the sync notices, one "resolved".
    sim.with(|s| s.data.service_names.remove(&idx));
    sync_idle(&app, panel).await;
    let r = run(&app, SIM_NOW + 7 * 60).await;
    assert_eq!((r.resolved, r.sent), (1, 1), "{r:?}");
    let chat = sent_to_chat(&tg.received());
    assert!(
        chat[baseline + 1].1.starts_with("Resolved after 6 min: Service critical"),
        "{}",
        chat[baseline + 1].1
    );
    assert_eq!(run(&app, SIM_NOW + 8 * 60).await.sent, 0);
}
