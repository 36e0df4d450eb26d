//! The single-event rules end to end: a new whale, a risky payment (the Payments page's fraud risk) and
//! a rival undercut on a confirmed match each fire once, stay single while they are news, send no
//! reminder after the cooldown and never "resolve"; a deeper cut is news again.

use panelops_reports::alerts::channels::Kind;
use panelops_reports::alerts::rules::Rule;

use crate::alerts::{add, input, run, setup, NOW};
use crate::helpers::TestApp;

const EVENTS: [Rule; 3] = [Rule::NewWhale, Rule::RiskyPayment, Rule::RivalUndercut];

async fn user(app: &TestApp, panel: i64, id: i64, name: &str, created: i64) {
    app.exec(&format!(
        "INSERT INTO users_cache (panel_id, id, username, created, checked_at) VALUES ({panel}, {id}, '{name}', {created}, 0)"
    ))
    .await;
}

async fn payment(app: &TestApp, panel: i64, id: i64, user: &str, amount: i64, at: i64) {
    app.exec(&format!(
        "INSERT INTO payments_cache (panel_id, id, user, amount, currency, method, status, created, checked_at)
         VALUES ({panel}, {id}, '{user}', {amount}, 'USD', 'stripe', 'completed', {at}, 0)"
    ))
    .await;
}

/// Each statement of `sql` (one `execute` runs only the first).
async fn exec_all(app: &TestApp, sql: &str) {
    for stmt in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        app.exec(stmt.trim_end_matches(';')).await;
    }
}

/// A rival of panel 1 whose service 900 (matched to our service 5 at 1.00 per 1000) went from 1.20
/// to `now_rate` at NOW - 600, and whose service 901 (matched, rejected) was cut too.
async fn rival(app: &TestApp, now_rate: i64) {
    exec_all(app, &format!(
        "INSERT INTO competitors (id, panel_id, name, base_url, api_key_enc, api_key_last4, created_at, updated_at)
         VALUES (1, 1, 'RivalCo', 'https://rival.example', 'x', 'abcd', 0, 0);
         INSERT INTO services_cache (panel_id, id, name, rate, checked_at) VALUES (1, 5, 'Likes', 1000000, 0), (1, 6, 'Views', 1000000, 0);
         INSERT INTO competitor_services (competitor_id, service_id, valid_from, valid_to, name, rate) VALUES
           (1, 900, {old}, {cut}, 'Rival likes', 1200000), (1, 900, {cut}, NULL, 'Rival likes', {now_rate}),
           (1, 901, {old}, {cut}, 'Rival views', 1200000), (1, 901, {cut}, NULL, 'Rival views', 500000);
         INSERT INTO competitor_matches (panel_id, service_id, competitor_id, rival_service_id, status, decided_at) VALUES
           (1, 5, 1, 900, 'confirmed', 0), (1, 6, 1, 901, 'rejected', 0);",
        old = NOW - 10 * 86_400,
        cut = NOW - 600
    ))
    .await;
}

#[tokio::test]
async fn whales_risky_payments_and_undercuts_are_told_once_each() {
    let (app, rx) = setup().await;
    add(&app, &input("Events", Kind::Webhook, &format!("{}/hook", rx.base_url), &EVENTS, None)).await;
    // A sign-up five hours ago who deposited 120 + 100 since: a whale at the default 200.
    user(&app, 1, 7, "whale", NOW - 5 * 3600).await;
    payment(&app, 1, 30, "whale", 120_000_000, NOW - 4 * 3600).await;
    payment(&app, 1, 31, "whale", 100_000_000, NOW - 3600).await;
    // An hour's fifth attempt, still pending: a high risk whatever its status.
    user(&app, 1, 12, "tester", NOW - 100 * 86_400).await;
    for (id, minutes) in [(50, 50), (51, 40), (52, 30), (53, 20), (54, 10)] {
        app.exec(&format!(
            "INSERT INTO payments_cache (panel_id, id, user, amount, currency, method, status, created, checked_at)
             VALUES (1, {id}, 'tester', 5000000, 'USD', 'stripe', 'failed', {}, 0)",
            NOW - minutes * 60
        ))
        .await;
    }
    app.exec(&format!(
        "INSERT INTO payments_cache (panel_id, id, user, amount, currency, method, status, created, checked_at)
         VALUES (1, 55, 'tester', 5000000, 'USD', 'stripe', 'pending', {}, 0)",
        NOW - 300
    ))
    .await;
    // Two hours old, a first deposit of 600: a whale, and a high fraud risk.
    user(&app, 2, 8, "fresh", NOW - 2 * 3600).await;
    payment(&app, 2, 40, "fresh", 600_000_000, NOW - 3600).await;
    // Not news: 150 only; a sign-up of three days ago; an old customer's big deposit.
    user(&app, 1, 9, "small", NOW - 3600).await;
    payment(&app, 1, 32, "small", 150_000_000, NOW - 600).await;
    user(&app, 1, 10, "early", NOW - 3 * 86_400).await;
    payment(&app, 1, 33, "early", 900_000_000, NOW - 3 * 86_400 + 60).await;
    user(&app, 1, 11, "regular", NOW - 300 * 86_400).await;
    payment(&app, 1, 34, "regular", 900_000_000, NOW - 600).await;
    rival(&app, 850_000).await;

    let r = run(&app, NOW).await;
    // Seven events: these five, and two big deposits (600 and 900) this channel does not take.
    assert_eq!((r.opened, r.sent, r.failed), (7, 5, 0), "{r:?}");
    let texts: Vec<String> = rx.received().iter().map(|g| g.text()).collect();
    let all = texts.join("\n---\n");
    for needle in [
        "New whale · One: whale deposited 220.00 USD within a day of signing up\n2 completed payments, the last 4 h after signing up\n/users/1/7",
        "New whale · Two: fresh deposited 600.00 USD within a day of signing up\n1 completed payment, the last 1 h after signing up",
        "Risky payment · Two: payment #40 of 600.00 USD from fresh\nhigh fraud risk: first deposit of 600.00 from an account less than a day old\n/payments?panel=2&q=40",
        "Risky payment · One: payment #55 of 5.00 USD from tester (pending)\nhigh fraud risk: 5 other deposits in the hour before",
        "Rival undercut · One: RivalCo cut Rival likes to 0.85 (15% below our 1.00 for #5 Likes)\nrate per 1000 from 1.20 to 0.85; ours is 1.00\n/reports/competitors?panel=1",
    ] {
        assert!(all.contains(needle), "{needle:?} in\n{all}");
    }
    assert!(!all.contains("small") && !all.contains("early") && !all.contains("regular"), "{all}");
    assert!(!all.contains("Rival views"), "a rejected match is not ours to compare");
    // Told once: the next minute, and after the reminder cooldown, nothing; events never resolve.
    let again = run(&app, NOW + 60).await;
    assert_eq!((again.opened, again.sent, again.resolved), (0, 0, 0), "{again:?}");
    let later = run(&app, NOW + 7 * 3600).await;
    assert_eq!((later.opened, later.sent, later.resolved), (0, 0, 0), "{later:?}");
    assert_eq!(rx.received().len(), 5);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM alert_incidents WHERE resolved_at = opened_at").await, 7);

    // A deeper cut is news again; a rise is not.
    let t = NOW + 7 * 3600 + 60;
    exec_all(&app, &format!(
        "UPDATE competitor_services SET valid_to = {t} WHERE service_id = 900 AND valid_to IS NULL;
         INSERT INTO competitor_services (competitor_id, service_id, valid_from, name, rate) VALUES (1, 900, {t}, 'Rival likes', 700000);"
    ))
    .await;
    let r = run(&app, t + 60).await;
    assert_eq!((r.opened, r.sent), (1, 1), "{r:?}");
    let last = rx.received().last().map(|g| g.text()).unwrap_or_default();
    assert!(last.contains("cut Rival likes to 0.70 (30% below our 1.00"), "{last}");
}

#[tokio::test]
async fn an_undercut_below_the_threshold_and_a_paused_panel_say_nothing() {
    let (app, rx) = setup().await;
    add(&app, &input("Events", Kind::Webhook, &format!("{}/hook", rx.base_url), &EVENTS, None)).await;
    // 0.95 is 5% below our 1.00: under the default 10%.
    rival(&app, 950_000).await;
    user(&app, 2, 8, "fresh", NOW - 2 * 3600).await;
    payment(&app, 2, 40, "fresh", 600_000_000, NOW - 3600).await;
    app.exec("UPDATE panels SET status = 'paused' WHERE id = 2").await;
    let r = run(&app, NOW).await;
    assert_eq!((r.opened, r.sent), (0, 0), "{r:?}");
    // The owner lowers the threshold to 5%: the same cut is news.
    app.exec("INSERT INTO alert_rules (rule, threshold, urgent, cooldown_minutes) VALUES ('rival_undercut', 5, 0, 360)")
        .await;
    let r = run(&app, NOW + 60).await;
    assert_eq!((r.opened, r.sent), (1, 1), "{r:?}");
    assert!(rx.received()[0].text().contains("(5% below our 1.00"), "{}", rx.received()[0].text());
}
