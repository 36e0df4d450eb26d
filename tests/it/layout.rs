//! The console on a laptop (1366×900) and a phone (390×844) in a real browser: every page in the
//! navigation fits its width, tables show every column header on the laptop, the phone's navigation
//! folds behind a menu button (no script needed) so the page's heading is on the first screen, and
//! nothing writes to the console.

use fantoccini::Locator;
use shared::auth::Role;

use crate::browser::{console_errors, serve, sign_in, start_browser_sized};
use crate::helpers::TestApp;

/// What the page measures of itself: sideways overflow, header cells and row buttons past the
/// viewport, where the heading starts.
const MEASURE: &str = r#"
document.querySelectorAll("details").forEach((d) => { d.open = true; });
const w = document.documentElement.clientWidth;
const overflow = Math.max(0, document.documentElement.scrollWidth - w);
// The outermost elements past the right edge, to say what overflows.
const wide = [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > w + 1 && !(e.parentElement.getBoundingClientRect().right > w + 1))
  .slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.className ? "." + e.className : ""));
const clipped = [];
document.querySelectorAll("main table").forEach((t) => {
  const box = t.closest(".tablewrap") || t.parentElement;
  const right = Math.min(w, box.getBoundingClientRect().right);
  // Header cells, and the buttons in the rows (Snooze 24h), inside the table's box.
  t.querySelectorAll("thead th, tbody button").forEach((c) => {
    const r = c.getBoundingClientRect();
    if (r.width > 0 && r.right > right + 1) clipped.push(c.textContent.trim() || "(blank)");
  });
});
const h1 = document.querySelector("header.top h1");
return { width: window.innerWidth, overflow, wide: overflow > 0 ? wide : [], clipped, h1_top: h1 ? h1.getBoundingClientRect().top : -1 };
"#;

/// A synced panel (orders, tickets, users, payments, services) and its owner, served on loopback.
async fn console() -> (TestApp, testkit::SimHandle, i64) {
    let app = TestApp::new().await;
    let sim = crate::sync_support::sim(72, 400, false).await;
    let panel = crate::sync_support::register(&app, &sim).await;
    crate::sync_support::sync_idle(&app, panel).await;
    app.add_staff("owner1", Role::Owner, &[]).await;
    (app, sim, panel)
}

/// Every navigation page and a few work pages (an order, a ticket, a user).
async fn pages(app: &TestApp, client: &fantoccini::Client, panel: i64) -> Vec<String> {
    let mut hrefs = Vec::new();
    for a in client.find_all(Locator::Css("nav.sidebar .navgroup a, nav.sidebar .navfoot a")).await.unwrap() {
        hrefs.push(a.attr("href").await.unwrap().unwrap());
    }
    assert!(hrefs.len() >= 20, "{hrefs:?}");
    let order = app.scalar("SELECT id FROM orders_cache ORDER BY id LIMIT 1").await;
    let ticket = app.scalar("SELECT id FROM tickets_cache ORDER BY id LIMIT 1").await;
    // A long AI answer with a line that never breaks on its own (a URL, a JSON blob).
    let (url, words) = ("https://example.com/".repeat(30), "word ".repeat(200));
    app.exec(&format!(
        "INSERT INTO ai_results (panel_id, ticket_id, kind, title, model, output, created_at)
         VALUES ({panel}, {ticket}, 'analysis', 'AI Analysis', 'test-model',
                 'The customer wants a refill.\n{url}\n{words}', 1)"
    ))
    .await;
    let user = app.scalar("SELECT id FROM users_cache ORDER BY id LIMIT 1").await;
    hrefs.extend([
        "/ai/quality-prompt".to_string(),
        format!("/orders/{panel}/{order}"),
        format!("/tickets/{panel}/{ticket}"),
        format!("/users/{panel}/{user}"),
    ]);
    hrefs
}

async fn measure(client: &fantoccini::Client, base: &str, href: &str) -> serde_json::Value {
    client.goto(&format!("{base}{href}")).await.unwrap();
    client.wait().for_element(Locator::Css("header.top h1")).await.unwrap();
    client.execute(MEASURE, vec![]).await.unwrap()
}

#[tokio::test]
async fn every_page_fits_a_laptop_with_its_table_headers_in_view() {
    let (app, _sim, panel) = console().await;
    let (base, _server) = serve(&app).await;
    let browser = start_browser_sized(Some((1366, 900))).await;
    let client = &browser.client;
    sign_in(client, &base, "owner1").await;
    let mut bad = Vec::new();
    for href in pages(&app, client, panel).await {
        let m = measure(client, &base, &href).await;
        assert_eq!(m["width"], 1366, "the viewport is a laptop's");
        if m["overflow"].as_i64() != Some(0) || !m["clipped"].as_array().unwrap().is_empty() {
            bad.push(format!("{href}: {m}"));
        }
        let errors = console_errors(client).await;
        if !errors.is_empty() {
            bad.push(format!("{href} wrote to the console: {errors:?}"));
        }
    }
    assert!(bad.is_empty(), "pages wider than the laptop or with headers out of view:\n{}", bad.join("\n"));
    // The header row stays in view while the table scrolls.
    client.goto(&format!("{base}/orders")).await.unwrap();
    let sticky: String = client
        .execute("return getComputedStyle(document.querySelector('main table thead th')).position", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(sticky, "sticky");
    client.clone().close().await.unwrap();
}

#[tokio::test]
async fn every_page_fits_a_phone_behind_a_menu_button() {
    let (app, _sim, panel) = console().await;
    let (base, _server) = serve(&app).await;
    let browser = start_browser_sized(Some((390, 844))).await;
    let client = &browser.client;
    sign_in(client, &base, "owner1").await;

    // The navigation is folded: its links are hidden until the menu button opens it (a checkbox and
    // its label, no script).
    let first = client.find(Locator::Css("nav.sidebar .navgroup a[href^='/orders']")).await.unwrap();
    assert!(!first.is_displayed().await.unwrap(), "the menu starts closed");
    client.find(Locator::Css("nav.sidebar label.menubutton")).await.unwrap().click().await.unwrap();
    assert!(first.is_displayed().await.unwrap(), "the menu button opens the navigation");

    let mut bad = Vec::new();
    for href in pages(&app, client, panel).await {
        let m = measure(client, &base, &href).await;
        // Wider than the phone: the page overflowed and the browser zoomed out to show it.
        if m["width"] != 390 {
            bad.push(format!("{href}: {m}"));
        }
        let h1_top = m["h1_top"].as_f64().unwrap_or(-1.0);
        if m["overflow"].as_i64() != Some(0) || !(0.0..400.0).contains(&h1_top) {
            bad.push(format!("{href}: {m}"));
        }
        let errors = console_errors(client).await;
        if !errors.is_empty() {
            bad.push(format!("{href} wrote to the console: {errors:?}"));
        }
    }
    assert!(
        bad.is_empty(),
        "pages wider than the phone or with the heading below the navigation:\n{}",
        bad.join("\n")
    );
    // A table row reads as label: value pairs.
    client.goto(&format!("{base}/orders")).await.unwrap();
    let labels: Vec<String> = client
        .execute(
            "return [...document.querySelectorAll('main table tbody tr:first-child td')].map((td) => getComputedStyle(td, '::before').content)",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    assert!(labels.contains(&"\"Status\"".to_string()), "{labels:?}");
    // The Users list writes its sortable header by hand; its rows are labelled all the same.
    client.goto(&format!("{base}/users")).await.unwrap();
    let user_label = client
        .execute(
            "return getComputedStyle(document.querySelector('main table tbody tr td:nth-child(2)'), '::before').content",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(user_label.as_str(), Some("\"Username\""));
    client.clone().close().await.unwrap();
}

/// The reports with the widest tables, over hand-built data: Service tracking (its red bar, trend
/// charts and row buttons) and Competitor tracking (rates against rivals, price charts).
#[tokio::test]
async fn the_widest_reports_fit_a_laptop_and_a_phone() {
    let app = TestApp::new().await;
    let t = shared::time::now();
    let built = crate::competitors_report::build(&app, t).await;
    crate::reports_service::seed(&app, t, 600).await;
    app.add_staff("owner1", Role::Owner, &[]).await;
    let (base, _server) = serve(&app).await;
    let pages =
        ["/reports/service-health?panel=".to_string(), format!("/reports/competitors?panel={}", built.panel)];
    for (width, height) in [(1366, 900), (390, 844)] {
        let browser = start_browser_sized(Some((width, height))).await;
        let client = &browser.client;
        sign_in(client, &base, "owner1").await;
        for href in &pages {
            let m = measure(client, &base, href).await;
            let body = client.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
            assert!(body.contains("Snooze 24h") || body.contains("Price history"), "{href}: the data shows");
            let fits = m["overflow"].as_i64() == Some(0) && m["width"] == width;
            let clipped = width > 800 && !m["clipped"].as_array().unwrap().is_empty();
            assert!(fits && !clipped, "{href} at {width} px: {m}");
            let errors = console_errors(client).await;
            assert!(errors.is_empty(), "{href} wrote to the console: {errors:?}");
        }
        // Price charts are small and scaled to the data.
        let chart_height = client
            .execute("const c = document.querySelector('svg.pricechart'); return c ? c.getBoundingClientRect().height : -1", vec![])
            .await
            .unwrap();
        let h = chart_height.as_f64().unwrap_or(-1.0);
        assert!((20.0..=130.0).contains(&h), "price chart {h} px tall at {width} px");
        client.clone().close().await.unwrap();
    }
}
