//! Margins and Providers on hand-built orders: two currencies, orders without a provider charge, a
//! service sold below cost, canceled and failed orders, a stuck and a slow order, the window's exact
//! edges; JSON, pages and the admin API; staff and keys of one panel never see another's.

use axum::http::StatusCode;
use panelops_reports::margins::{self, MarginParams, Sums};
use panelops_reports::providers::{self, ProviderParams};
use shared::auth::{PanelScope, Role, Scope};
use shared::cache::rollups;

use crate::adminapi::{get, key};
use crate::helpers::TestApp;
use crate::reports_support::{json, list, service, H};

const M: i64 = 1_000_000;

/// An order with its provider, currency and charges (None = the panel sent none).
pub struct Money<'a> {
    pub panel: i64,
    pub id: i64,
    pub service: i64,
    pub provider: &'a str,
    pub status: &'a str,
    pub currency: &'a str,
    pub charge: i64,
    pub cost: Option<i64>,
    pub quantity: i64,
    pub remains: i64,
    pub created: i64,
    pub last_update: i64,
}

pub async fn store(app: &TestApp, o: Money<'_>) {
    let conn = app.state.db.connect().await.unwrap();
    conn.execute(
        "INSERT INTO orders_cache (panel_id, id, user, charge, currency, provider_charge, provider, quantity, remains,
         service_id, service_name, status, created, last_update, checked_at)
         VALUES (?1, ?2, 'buyer', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 0)",
        libsql::params![
            o.panel,
            o.id,
            o.charge,
            o.currency,
            o.cost,
            o.provider,
            o.quantity,
            o.remains,
            o.service,
            format!("Order-side name {}", o.service),
            o.status,
            o.created,
            o.last_update
        ],
    )
    .await
    .unwrap();
}

/// Panel A: services 10 (alpha, 10K/day), 20 (beta, 100/day, sold below cost, one stuck and one slow
/// order, a failed and an errored one) and 30 (alpha, EUR, no speed); panel B: one big alpha order.
/// `t` should not be on an hour, so both ends of a window are partial hours read from the orders.
pub async fn seed(app: &TestApp, t: i64) -> (i64, i64) {
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Beta", "https://beta.example", None).await;
    service(app, a, 10, "Likes [Speed: 10K/Day]").await;
    service(app, a, 20, "Views [Speed: 100/Day]").await;
    service(app, a, 30, "Followers").await;
    service(app, b, 10, "Likes [Speed: 10K/Day]").await;
    app.exec(&format!("UPDATE services_cache SET rate = 1500000 WHERE panel_id = {a} AND id = 20")).await;
    let o = |panel, id, service, provider, status, currency, charge, cost, created: i64| Money {
        panel,
        id,
        service,
        provider,
        status,
        currency,
        charge,
        cost,
        quantity: 1000,
        remains: 0,
        created,
        last_update: created + H / 2,
    };
    for order in [
        o(a, 1, 10, "alpha", "completed", "USD", 10 * M, Some(6 * M), t - H),
        Money { remains: 500, ..o(a, 2, 10, "alpha", "in_progress", "USD", 5 * M, None, t - 2 * H) },
        o(a, 3, 10, "alpha", "canceled", "USD", 100 * M, Some(50 * M), t - 3 * H),
        Money {
            quantity: 10,
            last_update: t - H,
            ..o(a, 4, 20, "beta", "completed", "USD", 4 * M, Some(7 * M), t - 4 * H)
        },
        // Slow: 5 at 100/day × 2 may take 2.4 h; it took 4 h 55 min.
        Money {
            quantity: 5,
            last_update: t - 300,
            ..o(a, 5, 20, "beta", "partial", "USD", 2 * M, Some(3 * M), t - 5 * H)
        },
        o(a, 6, 30, "alpha", "completed", "EUR", 8 * M, Some(2 * M), t - 6 * H),
        o(a, 7, 10, "alpha", "completed", "USD", 1000 * M, Some(M), t - 30 * H),
        o(a, 8, 20, "beta", "fail", "USD", 9 * M, Some(9 * M), t - 7 * H),
        o(a, 9, 20, "beta", "error", "USD", 3 * M, Some(M), t - 8 * H),
        // Stuck: open with remains, older than the default profile's 12 h.
        Money { remains: 50, ..o(a, 10, 20, "beta", "pending", "USD", 6 * M, None, t - 20 * H) },
        o(b, 11, 10, "alpha", "completed", "USD", 500 * M, Some(100 * M), t - H),
        // The window's first second is in, the one before it out.
        o(a, 12, 10, "alpha", "completed", "USD", M, Some(M / 2), t - 24 * H),
        o(a, 13, 10, "alpha", "completed", "USD", 77 * M, Some(M), t - 24 * H - 1),
    ] {
        store(app, order).await;
    }
    // Stores every catalogue speed (the median speed reads them) and checks the kept roll-ups on the way.
    let conn = app.state.db.connect().await.unwrap();
    rollups::rebuild(&conn).await.unwrap();
    for d in rollups::verify(&conn).await.unwrap() {
        assert_eq!(d.buckets, 0, "{} drifted", d.table);
    }
    (a, b)
}

fn sums(currency: &str, orders: i64, revenue: i64, cost: i64, unknown: i64, costed: i64) -> Sums {
    let margin = costed - cost;
    Sums {
        currency: currency.into(),
        orders,
        revenue,
        cost,
        cost_unknown: unknown,
        costed_revenue: costed,
        margin,
        margin_pct: (costed != 0).then(|| ((margin as f64 * 100.0 / costed as f64) * 100.0).round() / 100.0),
    }
}

#[tokio::test]
async fn margins_per_service_panel_provider_and_currency() {
    let app = TestApp::new().await;
    let t = 1_700_000_000;
    let (a, _) = seed(&app, t).await;
    let conn = app.state.db.connect().await.unwrap();
    let m = margins::margins(
        &conn,
        &PanelScope::Only(vec![a]),
        &MarginParams { panel: None, window_hours: 24 },
        t,
    )
    .await
    .unwrap();
    let got: Vec<(i64, &str, &Sums, bool)> =
        m.services.iter().map(|s| (s.service_id, s.service_name.as_str(), &s.sums, s.below_cost)).collect();
    // 20 first: sold below cost (costed 4 + 2 + 3 against 7 + 3 + 1; the stuck order's 6 has no cost;
    // the failed one is left out, the errored one was charged). Then by margin: 10 (4.5 USD), 30 (6 EUR).
    let s20 = sums("USD", 4, 15 * M, 11 * M, 1, 9 * M);
    let s10 = sums("USD", 3, 16 * M, 6 * M + M / 2, 1, 11 * M);
    let s30 = sums("EUR", 1, 8 * M, 2 * M, 0, 8 * M);
    assert_eq!(
        got,
        vec![
            (20, "Views [Speed: 100/Day]", &s20, true),
            (10, "Likes [Speed: 10K/Day]", &s10, false),
            (30, "Followers", &s30, false)
        ]
    );
    assert_eq!((s20.margin, s20.margin_pct, s10.margin_pct), (-2 * M, Some(-22.22), Some(40.91)));
    assert_eq!(m.services[0].rate, Some(1_500_000));
    assert_eq!(m.services[0].providers, vec!["beta".to_string()]);
    // Never summed across currencies.
    assert_eq!(m.totals, vec![s30.clone(), sums("USD", 7, 31 * M, 17 * M + M / 2, 2, 20 * M)]);
    assert_eq!(m.totals[1].margin_pct, Some(12.5));
    let providers: Vec<(&str, &str, i64)> =
        m.providers.iter().map(|g| (g.key.as_str(), g.sums.currency.as_str(), g.sums.margin)).collect();
    assert_eq!(
        providers,
        vec![("alpha", "EUR", 6 * M), ("alpha", "USD", 4 * M + M / 2), ("beta", "USD", -2 * M)]
    );
    assert_eq!(m.panels.len(), 2, "one panel, two currencies");

    // The provider's charge on the last orders of the service sold below cost, newest first.
    let last = margins::last_costed(&conn, &[(a, 20)], 3).await.unwrap();
    let ids: Vec<(i64, i64, i64)> = last.iter().map(|o| (o.id, o.charge, o.provider_charge)).collect();
    assert_eq!(ids, vec![(4, 4 * M, 7 * M), (5, 2 * M, 3 * M), (9, 3 * M, M)]);

    // A longer window takes the older order in; any clock, any window: the roll-up equals the orders.
    let m = margins::margins(
        &conn,
        &PanelScope::Only(vec![a]),
        &MarginParams { panel: None, window_hours: 48 },
        t,
    )
    .await
    .unwrap();
    let s10 = m.services.iter().find(|s| s.service_id == 10).unwrap();
    assert_eq!(
        (s10.sums.orders, s10.sums.revenue, s10.sums.margin),
        (5, 1093 * M, 4 * M + M / 2 + 76 * M + 999 * M)
    );

    // The day chart: every counted order of the last 30 days by day.
    let mut reads = shared::db::Reads::new();
    let days = margins::by_day_read(&mut reads, &format!("panel_id = {a}"), 30, t);
    let days = reads.run(&conn).await.unwrap().all(days).await.unwrap();
    let usd: i64 = days.iter().filter(|d| d.sums.currency == "USD").map(|d| d.sums.revenue).sum();
    assert_eq!(usd, 31 * M + 1000 * M + 77 * M);
}

/// Providers read with Service tracking's parameters as its tests use them.
pub fn provider_params(panel: Option<i64>) -> ProviderParams {
    ProviderParams::new(crate::reports_service::params(panel))
}

#[tokio::test]
async fn providers_count_failed_stuck_slow_speed_and_money() {
    let app = TestApp::new().await;
    let t = 1_700_000_000;
    let (a, b) = seed(&app, t).await;
    let conn = app.state.db.connect().await.unwrap();
    // The measured speeds, as the sync sums them after its orders cycle.
    shared::cache::speeds::refresh(&conn, a, t, true).await.unwrap();
    let rows =
        providers::providers(&conn, &PanelScope::Only(vec![a]), &provider_params(None), t).await.unwrap();
    type Line<'a> = (&'a str, i64, i64, i64, i64, i64, f64, &'a str);
    let got: Vec<Line> = rows
        .iter()
        .map(|r| (r.provider.as_str(), r.orders, r.failed, r.stuck, r.finished, r.slow, r.score, r.status))
        .collect();
    // beta: 5 orders, 2 failed (fail, error), 1 stuck, 2 finished of which 1 slow: 100 − 5 − 50 = 45.
    // alpha finished 4: the order created just before the window finished inside it.
    assert_eq!(
        got,
        vec![("beta", 5, 2, 1, 2, 1, 45.0, "warning"), ("alpha", 5, 0, 0, 4, 0, 100.0, "healthy")]
    );
    let (beta, alpha) = (&rows[0], &rows[1]);
    assert_eq!(beta.failed_pct, 40.0);
    assert_eq!(beta.money, vec![sums("USD", 4, 15 * M, 11 * M, 1, 9 * M)]);
    assert_eq!(
        alpha.money,
        vec![sums("EUR", 1, 8 * M, 2 * M, 0, 8 * M), sums("USD", 3, 16 * M, 6 * M + M / 2, 1, 11 * M)]
    );
    // Measured speed (completed orders of the last 7 days) against the promise: alpha's service 10
    // delivers 1000 in 30 min at 10K/day = 480 % (service 30 promises none); beta's service 20 its one
    // completed order, 10 in 3 h at 100/day = 80 % (the partial one is not a completion).
    assert_eq!(alpha.median_speed_pct, Some(480.0));
    assert_eq!(beta.median_speed_pct, Some(80.0));
    let services: Vec<(i64, i64, i64)> =
        beta.detail.iter().map(|s| (s.service_id, s.orders, s.stuck)).collect();
    assert_eq!(services, vec![(20, 5, 1)]);

    // The orders behind beta's numbers.
    let (stuck, failed) =
        providers::orders(&conn, &PanelScope::Only(vec![a]), &provider_params(None), "beta", t, 100)
            .await
            .unwrap();
    assert_eq!(stuck.iter().map(|o| o.id).collect::<Vec<_>>(), vec![10]);
    assert_eq!(failed.iter().map(|o| o.id).collect::<Vec<_>>(), vec![8, 9]);

    // Both panels: panel B's alpha order joins alpha's; panel B alone shows only it.
    let both =
        providers::providers(&conn, &PanelScope::Only(vec![a, b]), &provider_params(None), t).await.unwrap();
    let alpha = both.iter().find(|r| r.provider == "alpha").unwrap();
    assert_eq!((alpha.orders, alpha.panels.clone()), (6, vec![a, b]));
    let only_b = providers::providers(&conn, &PanelScope::Only(vec![a, b]), &provider_params(Some(b)), t)
        .await
        .unwrap();
    assert_eq!(only_b.len(), 1);
    assert_eq!(only_b[0].money, vec![sums("USD", 1, 500 * M, 100 * M, 0, 500 * M)]);
}

#[tokio::test]
async fn pages_and_json_keep_to_the_viewers_panels() {
    let app = TestApp::new().await;
    // Ten minutes ago: the pages' own clock runs on, so no order sits on a window's edge here (the
    // two edge orders fall outside the 24 h window).
    let t = shared::time::now() - 600;
    let (a, b) = seed(&app, t).await;
    let agent = app.as_role("agent", Role::Agent, &[a]).await;

    // Margins: JSON and page, panel A only.
    let res = app.get("/reports/margins.json", Some(&agent)).await;
    assert_eq!(res.status, StatusCode::OK);
    let rows = list(&res.body);
    assert_eq!(rows[0]["service_id"], 20);
    assert_eq!(rows[0]["below_cost"], true);
    assert_eq!(rows[0]["margin"], "-2.00");
    assert_eq!(rows[0]["cost_unknown"], 1);
    assert!(rows.iter().all(|r| r["panel_id"] == a), "panel B's orders stay out");
    let groups = &json(&res.body)["data"]["groups"];
    assert_eq!(groups["totals"][1]["revenue"], "30.00");
    assert_eq!(groups["last_orders_below_cost"][0]["provider_charge"], "7.00");
    let page = app.get("/reports/margins", Some(&agent)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("class=\"loss\"") && page.body.contains("Sold below cost"));
    assert!(page.body.contains("1 service sold below cost"));
    assert!(page.body.contains("How to read this report") && page.body.contains("<svg"));
    assert!(!page.body.contains("500.00"), "panel B's order is not on A's page");

    // Providers: the list items carry what an API client needs.
    let res = app.get("/reports/providers.json", Some(&agent)).await;
    let rows = list(&res.body);
    assert_eq!(rows[0]["provider"], "beta");
    for key in ["provider", "orders", "failed", "stuck", "revenue", "cost", "margin"] {
        assert!(rows[0].get(key).is_some(), "{key}");
    }
    assert_eq!(
        (rows[0]["orders"].as_i64(), rows[0]["failed"].as_i64(), rows[0]["stuck"].as_i64()),
        (Some(5), Some(2), Some(1))
    );
    assert_eq!(rows[0]["revenue"]["USD"], "15.00");
    assert_eq!(rows[0]["margin"]["USD"], "-2.00");
    let alpha = rows.iter().find(|r| r["provider"] == "alpha").unwrap();
    assert_eq!(alpha["revenue"]["USD"], "15.00", "panel B's 500 stays out");
    let page = app.get("/reports/providers", Some(&agent)).await;
    assert!(page.body.contains("/reports/providers/detail?provider=beta"));
    let detail = app.get("/reports/providers/detail?provider=beta", Some(&agent)).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(
        detail.body.contains(&format!("/orders/{a}/10")) && detail.body.contains(&format!("/orders/{a}/8"))
    );

    // Panel B refused to A's agent everywhere; the owner sees both panels.
    for path in [
        "/reports/margins",
        "/reports/margins.json",
        "/reports/providers",
        "/reports/providers.json",
        "/reports/providers/detail?provider=alpha",
    ] {
        let sep = if path.contains('?') { '&' } else { '?' };
        let res = app.get(&format!("{path}{sep}panel={b}"), Some(&agent)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
    }
    let owner = app.as_role("owner", Role::Owner, &[]).await;
    let rows = list(&app.get("/reports/providers.json", Some(&owner)).await.body);
    let alpha = rows.iter().find(|r| r["provider"] == "alpha").unwrap();
    assert_eq!(alpha["revenue"]["USD"], "515.00");
    let unnamed = app.get("/reports/providers/detail", Some(&agent)).await;
    assert!(unnamed.status == StatusCode::OK && unnamed.body.contains("Name a provider"));
    for bad in ["/reports/margins.json?window_hours=0", "/reports/providers.json?window_hours=x"] {
        assert_eq!(app.get(bad, Some(&agent)).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn the_admin_api_serves_both_reports_within_the_keys_panels() {
    let app = TestApp::new().await;
    let t = shared::time::now() - 600;
    let (a, b) = seed(&app, t).await;
    let only_a = key(&app, &[Scope::ReportsRead], Some(&[a])).await;
    let (status, v) = get(&app, "/adminapi/v2/reports/providers", &only_a).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let rows = v["data"]["list"].as_array().cloned().unwrap_or_default();
    let alpha = rows.iter().find(|r| r["provider"] == "alpha").unwrap();
    assert_eq!((alpha["orders"].as_i64(), alpha["revenue"]["USD"].as_str()), (Some(4), Some("15.00")));
    let (status, v) = get(&app, "/adminapi/v2/reports/margins?window_hours=24", &only_a).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["list"][0]["service_id"], 20);
    assert_eq!(v["data"]["groups"]["totals"][1]["margin"], "2.00");
    for path in ["/adminapi/v2/reports/margins", "/adminapi/v2/reports/providers"] {
        let (status, _) = get(&app, &format!("{path}?panel={b}"), &only_a).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let no_scope = key(&app, &[Scope::OrdersRead], None).await;
    assert_eq!(get(&app, "/adminapi/v2/reports/margins", &no_scope).await.0, StatusCode::FORBIDDEN);
}
