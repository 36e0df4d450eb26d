//! CSV exports of the lists: every row the filters match across pages, only the viewer's panels,
//! the page's column names, numbers as numbers and times in ISO 8601 UTC, hostile text quoted and
//! defused; each page links its export with its current filters.

use axum::http::{header, StatusCode};
use shared::auth::Role;

use crate::helpers::TestApp;
use crate::reports_support::*;

/// The CSV's rows as a spreadsheet reads them (header first).
pub fn rows(body: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(body.as_bytes());
    r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect()
}

pub fn column(table: &[Vec<String>], name: &str) -> Vec<String> {
    let at =
        table[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}: {:?}", table[0]));
    table[1..].iter().map(|r| r[at].clone()).collect()
}

/// `n` orders of panel `panel` (ids from `first`), one a minute back from `t`, half completed.
async fn many_orders(app: &TestApp, panel: i64, first: i64, n: i64, t: i64) {
    app.exec(&format!(
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < {n})
         INSERT INTO orders_cache (panel_id, id, user, charge, currency, quantity, remains, service_id, status, created,
            last_update, checked_at)
         SELECT {panel}, {first} + i, 'user' || i, 1500000, 'USD', 100, 0, 7,
            CASE WHEN i % 2 = 0 THEN 'completed' ELSE 'pending' END, {t} - i * 60, {t}, 0 FROM k"
    ))
    .await;
}

#[tokio::test]
async fn orders_export_every_filtered_row_across_pages_in_scope() {
    let app = TestApp::new().await;
    let t = 1_795_443_909; // 2026-11-23T14:25:09Z
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Beta", "https://beta.example", None).await;
    many_orders(&app, a, 1, 2_501, t).await;
    many_orders(&app, b, 1, 30, t).await;
    let owner = app.as_role_of_all_panels("owner1", Role::Owner).await;

    let res = app.get("/orders.csv", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("orders.csv"));
    // The header line as a spreadsheet receives it: the page's column names.
    let header = "Panel,ID,User,Charge,Currency,Link,Start count,Quantity,Service ID,Service,Status,Remains,Created,Mode\r\n";
    assert!(res.body.starts_with(header), "{}", &res.body[..200.min(res.body.len())]);
    let table = rows(&res.body);
    assert_eq!(table.len() - 1, 2_531, "every order of both panels, past the 1,000-row pages");
    // Newest first as on the page; numbers as numbers; times ISO 8601 UTC.
    assert_eq!(&table[1][..5], ["Beta", "1", "user0", "1.50", "USD"]);
    assert_eq!(column(&table, "Created")[0], "2026-11-23T14:25:09Z");
    let ids: std::collections::HashSet<(String, String)> =
        table[1..].iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    assert_eq!(ids.len(), 2_531, "no row twice at a page boundary");

    // The page's filters: completed orders of panel A only (the switcher's panel in the address).
    let res = app.get(&format!("/orders.csv?panel={a}&status=completed"), Some(&owner)).await;
    let table = rows(&res.body);
    assert_eq!(table.len() - 1, 1_251);
    assert!(column(&table, "Status").iter().all(|s| s == "completed"));
    assert!(column(&table, "Panel").iter().all(|p| p == "Alpha"));

    // Staff of panel A never get a row of panel B, whatever they ask for.
    let agent = app.as_role("agent_a", Role::Agent, &[a]).await;
    let table = rows(&app.get("/orders.csv", Some(&agent)).await.body);
    assert_eq!(table.len() - 1, 2_501);
    assert!(column(&table, "Panel").iter().all(|p| p == "Alpha"));
    let res = app.get(&format!("/orders.csv?panel={b}"), Some(&agent)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "a panel outside the scope is refused");
    // Signed out: no export.
    let res = app.get("/orders.csv", None).await;
    assert!(res.status == StatusCode::SEE_OTHER || res.status == StatusCode::UNAUTHORIZED, "{}", res.status);
}

#[tokio::test]
async fn hostile_text_is_quoted_and_defused() {
    let app = TestApp::new().await;
    let t = 1_795_443_909;
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let hostile = [
        (1, "=HYPERLINK(\"http://evil\",\"x\")"),
        (2, "+1+cmd|' /C calc'!A0"),
        (3, "-2"),
        (4, "@SUM(A1:A9)"),
        (5, "comma, \"quote\"\nand newline"),
    ];
    for (id, text) in hostile {
        app.exec(&format!(
            "INSERT INTO orders_cache (panel_id, id, user, link, status, created, checked_at, charge, currency)
             VALUES ({a}, {id}, '{u}', '{u}', 'pending', {t} - {id}, 0, -2500000, 'EUR')",
            u = text.replace('\'', "''")
        ))
        .await;
        ticket(&app, a, id, text, t - id).await;
        payment(&app, a, id, text, 1_000_000, "completed", t - id).await;
        user(&app, a, id, text, t - id, 0).await;
    }
    let owner = app.as_role_of_all_panels("owner1", Role::Owner).await;
    for (path, col) in [
        ("/orders.csv", "Link"),
        ("/orders.csv", "User"),
        ("/tickets.csv", "Subject"),
        ("/payments.csv", "User"),
        ("/users.csv", "Username"),
    ] {
        let body = app.get(path, Some(&owner)).await.body;
        let table = rows(&body);
        let mut cells = column(&table, col);
        cells.sort();
        let mut want = vec![
            "'+1+cmd|' /C calc'!A0".to_string(),
            "'-2".into(),
            "'=HYPERLINK(\"http://evil\",\"x\")".into(),
            "'@SUM(A1:A9)".into(),
            "comma, \"quote\"\nand newline".into(),
        ];
        want.sort();
        assert_eq!(
            cells, want,
            "{path} {col}: every formula defused, quotes and line breaks kept in one cell"
        );
        assert!(
            !body.contains("\n=") && !body.contains(",=") && !body.contains(",@") && !body.contains(",+"),
            "{body}"
        );
    }
    // A negative number stays a number.
    let table = rows(&app.get("/orders.csv", Some(&owner)).await.body);
    assert!(column(&table, "Charge").iter().all(|c| c == "-2.50"));
}

#[tokio::test]
async fn every_list_exports_its_own_columns_within_scope() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Beta", "https://beta.example", None).await;
    for (p, tag) in [(a, "alpha"), (b, "beta")] {
        user(&app, p, 1, &format!("{tag}-user"), t - D, 5_000_000).await;
        payment(&app, p, 1, &format!("{tag}-user"), 2_000_000, "completed", t - H).await;
        ticket(&app, p, 1, &format!("{tag} subject"), t - H).await;
        service(&app, p, 10, &format!("{tag} likes [1K/Day] [R30]")).await;
    }
    let agent = app.as_role("agent_a", Role::Agent, &[a]).await;
    let owner = app.as_role_of_all_panels("owner1", Role::Owner).await;
    // Each list's first columns, as the header line names them.
    for (path, header) in [
        ("/users.csv", "Panel,ID,Username,Email,Balance,Spent"),
        ("/payments.csv", "Panel,ID,User,Balance,Amount,Currency,Method,Status,Fraud risk"),
        ("/tickets.csv", "Panel,ID,User,Subject,Status,Assignee,Created,Last update"),
        ("/services.csv", "Panel,ID,Name,Promise,Type,Category,Rate,Min,Max,Measured/day,Kept"),
    ] {
        let table = rows(&app.get(path, Some(&agent)).await.body);
        let header: Vec<&str> = header.split(',').collect();
        assert_eq!(&table[0][..header.len()], header.as_slice(), "{path}");
        assert_eq!(table.len(), 2, "{path}: the one row of panel A");
        assert!(!table[1].join(",").contains("beta"), "{path}: panel B's row never reaches panel A's staff");
        let all = rows(&app.get(path, Some(&owner)).await.body);
        assert_eq!(all.len(), 3, "{path}: the owner gets both panels");
    }
    let table = rows(&app.get("/users.csv", Some(&agent)).await.body);
    assert_eq!(column(&table, "Spent"), ["5.00"]);
    let table = rows(&app.get("/services.csv", Some(&agent)).await.body);
    assert_eq!(column(&table, "Promise"), ["1K/day · refill 30 days"]);
}

#[tokio::test]
async fn each_page_links_its_export_with_its_filters() {
    let app = TestApp::new().await;
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let owner = app.as_role_of_all_panels("owner1", Role::Owner).await;
    for (page, link) in [
        (
            format!("/orders?status=completed&panel={a}"),
            format!("/orders.csv?status=completed&amp;panel={a}"),
        ),
        ("/tickets?status=pending".to_string(), "/tickets.csv?status=pending".to_string()),
        ("/users?status=active&page=2".to_string(), "/users.csv?status=active\"".to_string()),
        ("/payments?method=card".to_string(), "/payments.csv?method=card".to_string()),
        ("/services?q=likes".to_string(), "/services.csv?q=likes".to_string()),
    ] {
        let body = app.get(&page, Some(&owner)).await.body;
        assert!(body.contains(&link), "{page} links {link}: {body}");
        assert!(body.contains("Export CSV"));
    }
}

#[tokio::test]
async fn reports_export_their_rows_within_scope() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let (a, b) = crate::reports_service::seed(&app, t, 600).await;
    for (p, staff) in [(a, "alice"), (b, "=bob")] {
        ticket(&app, p, 1, "Help", t - 3 * H).await;
        message(&app, p, 1, 1, None, "where is my order", t - 3 * H).await;
        message(&app, p, 1, 2, Some(staff), "It is on its way, sorry for the wait", t - 2 * H).await;
        user(&app, p, 1, "someone", t - 100 * D, 0).await;
    }
    let agent = app.as_role("agent_a", Role::Agent, &[a]).await;
    let owner = app.as_role_of_all_panels("owner1", Role::Owner).await;

    let page = app.get("/reports/service-health", Some(&agent)).await.body;
    assert!(page.contains("/reports/service-health.csv"), "the page links its export");
    let table = rows(&app.get("/reports/service-health.csv", Some(&agent)).await.body);
    assert_eq!(&table[0][..4], ["Panel", "Service ID", "Service", "Min/day"]);
    assert!(column(&table, "Panel").iter().all(|p| p == "Alpha"), "{table:?}");
    let json = json(&app.get("/reports/service-health.json", Some(&agent)).await.body);
    assert_eq!(table.len() - 1, json["data"]["count"].as_u64().unwrap_or(0) as usize, "the JSON's rows");
    let s10 = table.iter().find(|r| r[1] == "10").expect("S10");
    assert_eq!(&s10[6..12], ["3", "3", "1", "33.33", "51.67", "warning"]);
    let all = rows(&app.get("/reports/service-health.csv", Some(&owner)).await.body);
    assert!(column(&all, "Panel").iter().any(|p| p == "Beta"));

    let staff = rows(&app.get("/reports/ticket-tracking/staff.csv?window_hours=24", Some(&agent)).await.body);
    assert_eq!(column(&staff, "Staff"), ["alice"]);
    assert_eq!(column(&staff, "Avg response"), ["3600"]);
    let staff = app.get("/reports/ticket-tracking/staff.csv?window_hours=24", Some(&owner)).await.body;
    assert!(staff.contains("\"'=bob\""), "a staff name starting with = is defused: {staff}");
    let stats = rows(&app.get("/reports/staff-statistics.csv?window_hours=24", Some(&agent)).await.body);
    assert_eq!(stats[1], ["alice", "1", "60"]);
    let by_service = app.get("/reports/ticket-tracking/services.csv?window_hours=24", Some(&agent)).await;
    assert_eq!(by_service.status, StatusCode::OK);
    assert_eq!(
        rows(&by_service.body)[0],
        ["Panel", "Service ID", "Service", "Tickets", "Orders", "Top complaint"]
    );
    let spenders = app.get("/reports/top-spenders.csv", Some(&agent)).await;
    assert_eq!(spenders.status, StatusCode::OK);
    assert!(rows(&spenders.body)[0].starts_with(&["Panel".to_string(), "User ID".to_string()]));
    assert!(!spenders.body.contains("Beta"));
}

#[tokio::test]
async fn service_reports_export_their_tab_within_scope() {
    let app = TestApp::new().await;
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Beta", "https://beta.example", None).await;
    for (id, panel, reason, resolved) in
        [(1, a, "=cmd, \"quoted\"", "NULL"), (2, a, "slow", "1795443909"), (3, b, "beta only", "NULL")]
    {
        app.exec(&format!(
            "INSERT INTO service_reports (id, panel_id, service_id, reason, reported_at, resolved_at)
             VALUES ({id}, {panel}, 10, '{reason}', 1795440000, {resolved})"
        ))
        .await;
    }
    let agent = app.as_role("agent_a", Role::Agent, &[a]).await;
    let page = app.get("/service-reports", Some(&agent)).await.body;
    assert!(page.contains("/service-reports.csv?status=open"), "{page}");
    let open = rows(&app.get("/service-reports.csv", Some(&agent)).await.body);
    assert_eq!(column(&open, "Reason"), ["'=cmd, \"quoted\""]);
    assert_eq!(column(&open, "Reported at"), ["2026-11-23T13:20:00Z"]);
    let all = rows(&app.get("/service-reports.csv?status=all", Some(&agent)).await.body);
    assert_eq!(all.len() - 1, 2, "both of panel A, none of panel B");
    assert!(column(&all, "Panel").iter().all(|p| p == "Alpha"));
    assert_eq!(column(&all, "Resolved"), ["2026-11-23T14:25:09Z", ""], "newest first, as on the page");
}
