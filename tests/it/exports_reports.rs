//! CSV of Margins, Providers and Competitor tracking: the rows and header the page shows for hand-made
//! orders and prices, money per currency as decimals beside its currency, the page's window honoured,
//! another panel's rows never reaching a viewer limited to one panel.

use axum::http::StatusCode;
use shared::auth::Role;

use crate::exports::{column, rows};
use crate::helpers::TestApp;

#[tokio::test]
async fn margins_export_each_service_per_currency_within_scope_and_window() {
    let app = TestApp::new().await;
    // Ten minutes ago, as the pages' test does: no order on a window's edge.
    let t = shared::time::now() - 600;
    let (a, b) = crate::reports_money::seed(&app, t).await;
    let agent = app.as_role("agent", Role::Agent, &[a]).await;

    let page = app.get("/reports/margins?window_hours=24", Some(&agent)).await.body;
    assert!(page.contains("/reports/margins.csv?window_hours=24") && page.contains("Export CSV"));
    let res = app.get("/reports/margins.csv", Some(&agent)).await;
    assert_eq!(res.status, StatusCode::OK);
    let table = rows(&res.body);
    assert_eq!(
        table[0].join(","),
        "Panel,Service ID,Service,Provider,Our rate /1000,Currency,Orders,Revenue,Cost,\
         Cost unknown,Margin,Margin %,Sold below cost"
    );
    assert_eq!(
        table[1..],
        [
            // Below cost first: 4 counted orders (the failed one left out), one without a provider charge.
            vec![
                "Alpha",
                "20",
                "Views [Speed: 100/Day]",
                "beta",
                "1.50",
                "USD",
                "4",
                "15.00",
                "11.00",
                "1",
                "-2.00",
                "-22.22",
                "yes"
            ],
            vec![
                "Alpha",
                "10",
                "Likes [Speed: 10K/Day]",
                "alpha",
                "",
                "USD",
                "2",
                "15.00",
                "6.00",
                "1",
                "4.00",
                "40",
                "no"
            ],
            vec![
                "Alpha",
                "30",
                "Followers",
                "alpha",
                "",
                "EUR",
                "1",
                "8.00",
                "2.00",
                "0",
                "6.00",
                "75",
                "no"
            ],
        ]
    );

    // The window: the last 2 hours hold one order of service 10.
    let table = rows(&app.get("/reports/margins.csv?window_hours=2", Some(&agent)).await.body);
    assert_eq!(table.len(), 2, "{table:?}");
    assert_eq!(
        &table[1][1..12],
        ["10", "Likes [Speed: 10K/Day]", "alpha", "", "USD", "1", "10.00", "6.00", "0", "4.00", "40"]
    );

    // Panel B is refused to A's agent; the owner gets both panels, B's money in its own line.
    let res = app.get(&format!("/reports/margins.csv?panel={b}"), Some(&agent)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let owner = app.as_role("owner", Role::Owner, &[]).await;
    let all = rows(&app.get("/reports/margins.csv", Some(&owner)).await.body);
    assert_eq!(all.len() - 1, 4);
    let beta: Vec<&Vec<String>> = all.iter().filter(|r| r[0] == "Beta").collect();
    assert_eq!(beta.len(), 1);
    assert_eq!(&beta[0][5..8], ["USD", "1", "500.00"]);
    let only_b = rows(&app.get(&format!("/reports/margins.csv?panel={b}"), Some(&owner)).await.body);
    assert_eq!(column(&only_b, "Panel"), ["Beta"]);
    let bad = app.get("/reports/margins.csv?window_hours=0", Some(&agent)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn providers_export_a_line_per_provider_and_currency_within_scope() {
    let app = TestApp::new().await;
    let t = shared::time::now() - 600;
    let (a, b) = crate::reports_money::seed(&app, t).await;
    let agent = app.as_role("agent", Role::Agent, &[a]).await;
    // The measured speeds the median reads, as the sync keeps them.
    let conn = app.state.db.connect().await.unwrap();
    shared::cache::speeds::refresh(&conn, a, t, true).await.unwrap();

    let page = app.get("/reports/providers", Some(&agent)).await.body;
    assert!(page.contains("/reports/providers.csv"), "the page links its export");
    let table = rows(&app.get("/reports/providers.csv", Some(&agent)).await.body);
    assert_eq!(
        table[0].join(","),
        "Provider,Panels,Services,Orders,Failed,Failed %,Stuck,Finished,Slow%,Median speed,\
         Currency,Revenue,Cost,Margin,Score,Status"
    );
    // Worst first, as on the page: beta in one currency, alpha in two (its counts on both lines).
    assert_eq!(
        table[1],
        [
            "beta", "Alpha", "1", "5", "2", "40", "1", "2", "50", "80", "USD", "15.00", "11.00", "-2.00",
            "45", "warning"
        ]
    );
    assert_eq!(table.len(), 4, "{table:?}");
    assert_eq!(column(&table, "Provider")[1..], ["alpha", "alpha"]);
    assert_eq!(column(&table, "Currency")[1..], ["EUR", "USD"]);
    assert_eq!(column(&table, "Revenue")[1..], ["8.00", "15.00"]);
    assert_eq!(column(&table, "Margin")[1..], ["6.00", "4.00"]);
    let orders = column(&table, "Orders");
    assert_eq!(orders[1], orders[2], "the provider's count on each of its lines");

    assert_eq!(
        app.get(&format!("/reports/providers.csv?panel={b}"), Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
    let owner = app.as_role("owner", Role::Owner, &[]).await;
    let all = rows(&app.get("/reports/providers.csv", Some(&owner)).await.body);
    let alpha_usd = all.iter().find(|r| r[0] == "alpha" && r[10] == "USD").expect("alpha USD");
    assert_eq!((alpha_usd[1].as_str(), alpha_usd[11].as_str()), ("Alpha, Beta", "515.00"));
    // The window: nothing was created in the last hour, and beta's stuck order still shows.
    let hour = rows(&app.get("/reports/providers.csv?window_hours=1", Some(&agent)).await.body);
    let beta = hour.iter().find(|r| r[0] == "beta").expect("beta's stuck order");
    assert_eq!(
        (beta[3].as_str(), beta[6].as_str(), beta[10].as_str(), beta[11].as_str()),
        ("0", "1", "", "")
    );
}

#[tokio::test]
async fn competitors_export_a_line_per_service_and_rival_within_scope() {
    let app = TestApp::new().await;
    let built = crate::competitors_report::build(&app, shared::time::now()).await;
    let other = app.add_panel("Other", "https://other.example", None).await;
    let viewer = app.as_role("viewer1", Role::Viewer, &[built.panel]).await;

    let page = app.get("/reports/competitors?window_hours=24", Some(&viewer)).await.body;
    assert!(page.contains("/reports/competitors.csv?window_hours=24"), "the page links its export");
    let res = app.get("/reports/competitors.csv?window_hours=24", Some(&viewer)).await;
    assert_eq!(res.status, StatusCode::OK);
    let table = rows(&res.body);
    assert_eq!(
        table[0].join(","),
        "Panel,Service ID,Our service,Our rate,Position,Cheapest rival,Cheapest rival rate,Rival,\
         Rival service ID,Rival service,Listed,Start,Now,Change,Change %,Us vs rival (start),\
         Us vs rival (start) %,Us vs rival (now),Us vs rival (now) %"
    );
    assert_eq!(
        table[1],
        [
            "Main",
            "100",
            "TikTok Likes [R30]",
            "1.00",
            "In between",
            "Alpha Rival",
            "0.90",
            "Alpha Rival",
            "500",
            "Rival service 500",
            "yes",
            "0.80",
            "0.90",
            "0.10",
            "12.5",
            "0.20",
            "25",
            "0.10",
            "11.11"
        ]
    );
    // Services 100 and 101 against both rivals, 102 against one.
    assert_eq!(column(&table, "Service ID"), ["100", "100", "101", "101", "102"]);
    assert_eq!(column(&table, "Rival")[..2], ["Alpha Rival", "Beta Rival"]);

    let res = app
        .get(
            &format!("/reports/competitors.csv?panel={}", built.panel),
            Some(&app.as_role("viewer2", Role::Viewer, &[other]).await),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "another panel's viewer gets none of its prices");
    let bad = app.get("/reports/competitors.csv?window_hours=abc", Some(&viewer)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}
