//! The Overview as a worklist: each count (critical services, failing providers, sync trouble, waiting
//! tickets, high-risk payments) against hand-built rows, the money of today against the same hours of the
//! last 7 days per currency, and staff of one panel never counting another's.

use axum::http::StatusCode;
use shared::auth::Role;

use crate::helpers::TestApp;
use crate::reports_money::{store, Money};
use crate::reports_support::{payment, service, ticket, user, D, H};

const M: i64 = 1_000_000;

fn order<'a>(
    panel: i64,
    id: i64,
    service: i64,
    provider: &'a str,
    status: &'a str,
    created: i64,
) -> Money<'a> {
    Money {
        panel,
        id,
        service,
        provider,
        status,
        currency: "EUR",
        charge: M,
        cost: None,
        quantity: 100,
        remains: 0,
        created,
        last_update: created + 60,
    }
}

async fn seed(app: &TestApp, now: i64) -> (i64, i64) {
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Beta", "https://beta.example", None).await;
    // A critical service: one stuck order and one finished 5 days after it was created at 100/day.
    service(app, a, 50, "Likes [Speed: 100/Day]").await;
    store(app, Money { remains: 10, ..order(a, 1, 50, "alpha", "pending", now - 20 * H) }).await;
    store(app, Money { last_update: now - H, ..order(a, 2, 50, "alpha", "completed", now - 5 * D) }).await;
    // A failing provider on each panel: 4 of gamma's 10 orders of the last hour failed, all of delta's.
    for i in 0..10 {
        let status = if i < 4 { "fail" } else { "completed" };
        store(app, order(a, 100 + i, 60, "gamma", status, now - 30 * 60)).await;
        store(app, order(b, 100 + i, 60, "delta", "fail", now - 30 * 60)).await;
    }
    // Sync trouble on A.
    for p in [a, b] {
        shared::domain::sync::ensure_rows(&app.state.db, p).await.unwrap();
    }
    app.exec(&format!(
        "UPDATE sync_state SET status = 'error', message = 'refused by alpha.example' WHERE panel_id = {a} AND resource = 'orders'"
    ))
    .await;
    // Tickets waiting: 2 h on A, 3 h on B; one of 10 minutes on A is not waiting long yet.
    ticket(app, a, 7, "Where is my order", now - 2 * H).await;
    ticket(app, a, 8, "Just asked", now - 600).await;
    ticket(app, b, 9, "Beta customer", now - 3 * H).await;
    // A first deposit of 600 from an account an hour old: high risk.
    user(app, a, 1, "newbie", now - H, 0).await;
    payment(app, a, 1, "newbie", 600 * M, "completed", now - 1800).await;
    user(app, b, 1, "otherbie", now - H, 0).await;
    payment(app, b, 1, "otherbie", 900 * M, "completed", now - 1800).await;
    // Dollars today and on the same hours of earlier days; the order after yesterday's same second is not.
    let midnight = now - now.rem_euclid(D);
    let today = now - (now - midnight) / 2;
    let usd = |id, charge, cost, created| Money {
        currency: "USD",
        charge,
        cost,
        ..order(a, id, 70, "alpha", "completed", created)
    };
    store(app, usd(200, 10 * M, Some(4 * M), today)).await;
    store(app, usd(201, 5 * M, None, today)).await;
    store(app, usd(202, 7 * M, Some(7 * M), today - D)).await;
    store(app, usd(203, 7 * M, Some(0), today - 3 * D)).await;
    store(app, usd(204, 100 * M, Some(0), now - D + 60)).await;
    store(app, Money { currency: "USD", charge: 500 * M, ..order(b, 200, 70, "delta", "completed", today) })
        .await;
    (a, b)
}

#[tokio::test]
async fn the_overview_lists_what_needs_attention_with_counts_that_link_to_the_rows() {
    let app = TestApp::new().await;
    let now = shared::time::now();
    let (a, b) = seed(&app, now).await;
    // The alerts score the services (as their schedule does every minute): the Overview reads the
    // incidents they keep open.
    panelops_reports::alerts::run_with(&app.state, &panelops_reports::alerts::Options::default(), now)
        .await
        .unwrap();
    let agent = app.as_role("agent", Role::Agent, &[a]).await;
    let res = app.get("/", Some(&agent)).await;
    assert_eq!(res.status, StatusCode::OK);
    let body = &res.body;
    for (count, what) in [
        ("href=\"/reports/service-health\">1</a> critical services", "critical"),
        ("href=\"/reports/providers?window_hours=1\">1</a> failing providers", "failing"),
        ("href=\"/settings/sync\">1</a> panels with sync trouble", "sync"),
        ("href=\"/tickets?status=pending\">1</a> tickets waiting more than 60 min", "waiting"),
        ("href=\"/payments\">1</a> high-risk payments", "risk"),
        ("href=\"/ai/flagged?window=24h\">0</a> replies flagged", "flagged"),
    ] {
        assert!(body.contains(count), "{what}: {body}");
    }
    assert!(body.contains("gamma") && body.contains("4 of 10 failed") && !body.contains("delta"));
    assert!(body.contains("Likes [Speed: 100/Day] (#50)"), "the critical service by name");
    assert!(body.contains("refused by alpha.example"));
    assert!(body.contains(&format!("/tickets/{a}/7")) && !body.contains(&format!("/tickets/{b}/9")));
    // Today's dollars against the same hours of the last 7 days: 2 orders, 15 revenue, margin 6 (one
    // order's cost unknown); before, 14 revenue and 7 margin in 7 days: 2 and 1 a day.
    let row = body.split("<tr").find(|r| r.contains(">USD</td>")).unwrap_or_default();
    assert!(row.contains(">2<span"), "{row}");
    assert!(
        row.contains("15.00 <span class=\"cur\">USD</span>")
            && row.contains("6.00 <span class=\"cur\">USD</span>"),
        "{row}"
    );
    assert!(row.contains("1 with cost unknown") && row.contains("0.3"), "{row}");
    assert!(
        row.contains("2.00 <span class=\"cur\">USD</span>")
            && row.contains("1.00 <span class=\"cur\">USD</span>"),
        "{row}"
    );
    assert!(!row.contains("500.00"), "panel B's dollars stay out: {row}");
    assert!(body.contains("class=\"spark\""), "orders per hour");

    // The owner counts both panels.
    let owner = app.as_role("owner", Role::Owner, &[]).await;
    let body = app.get("/", Some(&owner)).await.body;
    assert!(body.contains("href=\"/reports/providers?window_hours=1\">2</a> failing providers"), "{body}");
    assert!(body.contains("href=\"/tickets?status=pending\">2</a> tickets waiting"));
    assert!(body.contains("href=\"/payments\">2</a> high-risk payments"));
    // A staff member without panels sees none of it.
    let nobody = app.as_role("viewer0", Role::Viewer, &[]).await;
    let res = app.get("/", Some(&nobody)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(!res.body.contains("gamma") && res.body.contains("No panels are shared with you yet"));
}

/// The same hours of an earlier day end at that day's same second, whichever half of the hour it falls
/// in (the first half reads the orders of its partial hour, the second the whole hour less the rest).
#[tokio::test]
async fn the_same_hours_end_at_the_same_second_in_either_half_of_the_hour() {
    for past_hour in [600, 1800, 1801, 3000] {
        let app = TestApp::new().await;
        let a = app.add_panel("Alpha", "https://alpha.example", None).await;
        let now = (shared::time::now() / H - 3) * H + past_hour;
        let to = now - D;
        let at = |id, currency, created| Money {
            currency,
            charge: (id - 300) * M,
            ..order(a, id, 70, "alpha", "completed", created)
        };
        // Yesterday: the hour's start, the second before `to` and `to` itself count (the window is
        // closed); later ones do not, nor a euro order only in the part after it.
        for (id, currency, created) in [
            (301, "USD", to - to.rem_euclid(H)),
            (302, "USD", to - 1),
            (304, "USD", to),
            (308, "USD", to + 1),
            (316, "EUR", to + 5),
            (332, "USD", to - to.rem_euclid(H) + H - 1),
        ] {
            store(&app, at(id, currency, created)).await;
        }
        let conn = app.state.db.connect().await.unwrap();
        let mut reads = shared::db::Reads::new();
        let read =
            panelops_reports::margins::same_hours_read(&mut reads, &format!("panel_id IN ({a})"), 1, now);
        let mut done = reads.run(&conn).await.unwrap();
        let rows: Vec<(i64, String, i64, i64)> = done
            .all(read)
            .await
            .unwrap()
            .into_iter()
            .map(|(d, s)| (d, s.currency.clone(), s.orders, s.revenue))
            .collect();
        assert_eq!(rows, [(1, "USD".to_string(), 3, 7 * M)], "{past_hour} s into the hour");
    }
}
