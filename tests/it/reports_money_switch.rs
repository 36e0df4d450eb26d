//! A service moved from one provider to another inside the window: Margins lists both providers on
//! the service's row, Providers splits its orders, failed and stuck ones by the provider each went to,
//! and gives the service's finished and slow orders and its measured speed to the provider serving it now.

use panelops_reports::margins::{self, MarginParams};
use panelops_reports::providers;
use shared::auth::PanelScope;

use crate::helpers::TestApp;
use crate::reports_money::{provider_params, store, Money};
use crate::reports_support::{service, H};

const M: i64 = 1_000_000;

#[tokio::test]
async fn a_switched_service_counts_under_both_providers() {
    let app = TestApp::new().await;
    let t = 1_700_000_000;
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    service(&app, a, 10, "Likes [Speed: 1K/Day]").await;
    let o = |id, provider, status, created: i64| Money {
        panel: a,
        id,
        service: 10,
        provider,
        status,
        currency: "USD",
        charge: 5 * M,
        cost: Some(2 * M),
        quantity: 100,
        remains: 0,
        created,
        last_update: created + H,
    };
    // Three orders at "old" (one failed, one stuck), then the switch: two at "new", the newest order.
    for order in [
        o(1, "old", "completed", t - 20 * H),
        o(2, "old", "fail", t - 19 * H),
        Money { remains: 40, ..o(3, "old", "in_progress", t - 18 * H) },
        o(4, "new", "completed", t - 3 * H),
        o(5, "new", "completed", t - 2 * H),
    ] {
        store(&app, order).await;
    }
    let conn = app.state.db.connect().await.unwrap();
    shared::cache::rollups::rebuild(&conn).await.unwrap();
    shared::cache::speeds::refresh(&conn, a, t, true).await.unwrap();
    let scope = PanelScope::Only(vec![a]);

    let m =
        margins::margins(&conn, &scope, &MarginParams { panel: None, window_hours: 24 }, t).await.unwrap();
    assert_eq!(m.services.len(), 1, "one row for the service");
    assert_eq!(m.services[0].providers, vec!["new".to_string(), "old".to_string()]);
    assert_eq!(m.services[0].sums.orders, 4, "the failed order is not counted");
    let by: Vec<(&str, i64)> = m.providers.iter().map(|g| (g.key.as_str(), g.sums.revenue)).collect();
    assert_eq!(by, vec![("new", 10 * M), ("old", 10 * M)]);

    let rows = providers::providers(&conn, &scope, &provider_params(None), t).await.unwrap();
    let got: Vec<(&str, i64, i64, i64, i64, usize)> = rows
        .iter()
        .map(|r| (r.provider.as_str(), r.orders, r.failed, r.stuck, r.finished, r.services))
        .collect();
    // The stuck order keeps "old" at 95; all three completions (the service's, finished in the window)
    // belong to "new", which serves it now.
    assert_eq!(got, vec![("old", 3, 1, 1, 0, 1), ("new", 2, 0, 0, 3, 1)]);
    // 100 units in an hour is 2,400 a day against 1,000 promised: the service's measured speed is the
    // provider's that serves it now.
    assert_eq!(rows[1].median_speed_pct, Some(240.0));
    assert_eq!(rows[0].median_speed_pct, None);
}
