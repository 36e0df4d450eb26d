//! A real browser (headless Chromium over WebDriver) signs in, opens every page in the navigation, uses
//! the panel switcher, and signs out.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use shared::auth::Role;

use crate::helpers::{TestApp, STRONG};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn chromium() -> &'static str {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("Chromium is missing: install Debian's chromium and chromium-driver (scripts/test does it)")
}

/// A headless Chromium session; chromedriver and the profile go away with it.
pub struct Browser {
    pub client: fantoccini::Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// Starts chromedriver on a free port and opens a headless Chromium session through it, a laptop's
/// 1366×900 (at a phone's width the navigation folds behind its menu button).
pub async fn start_browser() -> Browser {
    start_browser_sized(Some((1366, 900))).await
}

/// [`start_browser`] with the page's viewport exactly `width`×`height` CSS pixels (Chromium's device
/// metrics: a window may not shrink to a phone's width), keeping the console's messages readable.
pub async fn start_browser_sized(viewport: Option<(u32, u32)>) -> Browser {
    let binary = chromium();
    let port = free_port();
    let driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is missing: install Debian's chromium-driver (scripts/test does it)"),
    );
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": binary,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", format!("--user-data-dir={}", profile.path().display())]
        }),
    );
    if let Some((width, height)) = viewport {
        let opts = caps.get_mut("goog:chromeOptions").and_then(|o| o.as_object_mut()).unwrap();
        opts.insert(
            "mobileEmulation".into(),
            serde_json::json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0,
                                "mobile": width < 800, "touch": width < 800}}),
        );
    }
    // The console's messages, read by `console_errors` and `csp_violations`.
    caps.insert("goog:loggingPrefs".into(), serde_json::json!({ "browser": "ALL" }));
    let start = Instant::now();
    let client = loop {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => break c,
            Err(e) if start.elapsed() < Duration::from_secs(20) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("WebDriver session failed: {e}"),
        }
    };
    Browser { client, _driver: driver, _profile: profile }
}

/// chromedriver's log of the browser console since the last read.
#[derive(Debug)]
struct ConsoleLog;

impl fantoccini::wd::WebDriverCompatibleCommand for ConsoleLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

/// The console messages about the Content-Security-Policy since the last call: each is something a
/// page tried that the policy blocked (an inline style or script), so the page may not work.
/// The browser console's warnings and errors since the last read (a 404, a script error, a CSP
/// refusal).
pub async fn console_errors(client: &fantoccini::Client) -> Vec<String> {
    let log = client.issue_cmd(ConsoleLog).await.expect("browser log");
    log.as_array()
        .into_iter()
        .flatten()
        .filter(|e| matches!(e["level"].as_str(), Some("SEVERE") | Some("WARNING")))
        .filter_map(|e| e["message"].as_str())
        .map(str::to_string)
        .collect()
}

pub async fn csp_violations(client: &fantoccini::Client) -> Vec<String> {
    let log = client.issue_cmd(ConsoleLog).await.expect("browser log");
    log.as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["message"].as_str())
        .filter(|m| m.contains("Content Security Policy"))
        .map(str::to_string)
        .collect()
}

/// Serves the test app on loopback; returns its base URL (the server lives as long as the handle).
pub async fn serve(app: &TestApp) -> (String, impl Sized) {
    let (addr, server) =
        panelops::server::spawn(&app.state, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    (format!("http://{addr}"), server)
}

/// Signs in through the login form (the staff member's password is `STRONG`).
pub async fn sign_in(client: &fantoccini::Client, base: &str, username: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    client.find(Locator::Id("username")).await.unwrap().send_keys(username).await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(STRONG).await.unwrap();
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css("nav.sidebar")).await.unwrap();
}

#[tokio::test]
async fn staff_member_signs_in_browses_and_signs_out() {
    let app = TestApp::new().await;
    app.add_panel("North Panel", "https://north.example", None).await;
    app.add_staff("owner1", Role::Owner, &[]).await;
    let (base, _server) = serve(&app).await;
    let browser = start_browser().await;
    let client = &browser.client;

    client.goto(&format!("{base}/")).await.unwrap();
    assert!(client.current_url().await.unwrap().path().starts_with("/login"));
    client.find(Locator::Id("username")).await.unwrap().send_keys("owner1").await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(STRONG).await.unwrap();
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    let h1 = client.wait().for_element(Locator::Css("header.top h1")).await.unwrap();
    assert_eq!(h1.text().await.unwrap(), "Overview");

    // Every page in the navigation opens with its own title.
    let mut hrefs = Vec::new();
    for a in client.find_all(Locator::Css("nav.sidebar .navgroup a, nav.sidebar .navfoot a")).await.unwrap() {
        hrefs.push((a.text().await.unwrap(), a.attr("href").await.unwrap().unwrap()));
    }
    assert!(hrefs.len() >= 5, "{hrefs:?}");
    for (label, href) in &hrefs {
        client.goto(&format!("{base}{href}")).await.unwrap();
        let title = client.find(Locator::Css("header.top h1")).await.unwrap().text().await.unwrap();
        // A page may name its current tab after its title ("Ticket tracking — by staff").
        assert!(title == *label || title.starts_with(&format!("{label} — ")), "{href}: {title}");
        assert!(client.title().await.unwrap().ends_with("· panelops"));
    }
    assert_eq!(csp_violations(client).await, Vec::<String>::new());
    // The check sees what the policy blocks: a style attribute set by a script.
    client.execute("document.body.setAttribute('style', 'color: red')", vec![]).await.unwrap();
    assert_eq!(csp_violations(client).await.len(), 1, "the policy blocks inline style");

    // The panel switcher applies at once (script) and is kept in the links.
    client.goto(&format!("{base}/panels")).await.unwrap();
    client.find(Locator::Id("panel-switch")).await.unwrap().select_by_label("North Panel").await.unwrap();
    client
        .wait()
        .for_url(&url::Url::parse(&format!("{base}/panels?panel=1&switch=1")).unwrap())
        .await
        .unwrap();
    let staff_link = client.find(Locator::Css("nav.sidebar a[href^='/staff']")).await.unwrap();
    assert_eq!(staff_link.attr("href").await.unwrap().as_deref(), Some("/staff?panel=1"));

    // Sign out.
    client
        .find(Locator::Css("nav.sidebar form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = client.wait().for_element(Locator::Css(".flash")).await.unwrap();
    assert_eq!(notice.text().await.unwrap(), "You are signed out.");
    client.goto(&format!("{base}/staff")).await.unwrap();
    assert!(client.current_url().await.unwrap().path().starts_with("/login"));
    client.clone().close().await.unwrap();
}

/// Polls `f` until it yields a value (tiny polls, 15 s limit); `what` names the wait in a failure.
async fn until<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn texts(client: &fantoccini::Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in client.find_all(Locator::Css(css)).await.unwrap() {
        out.push(e.text().await.unwrap());
    }
    out
}

/// Submits the page's filter form and waits for the next page to load.
async fn submit_filters(client: &fantoccini::Client) {
    let old = client.find(Locator::Css("form.filters")).await.unwrap();
    client.find(Locator::Css("form.filters button[type=submit]")).await.unwrap().click().await.unwrap();
    // The old form goes stale once the new page replaces it.
    until("the filtered page", || {
        let old = old.clone();
        async move { old.attr("method").await.is_err().then_some(()) }
    })
    .await;
    client.wait().for_element(Locator::Css("form.filters")).await.unwrap();
}

/// Issue 4's browser checks over a synced simulator: filter and search orders, copy selected ids,
/// insert a canned reply into a ticket reply, import a CSV with an error line.
#[tokio::test]
async fn staff_filter_orders_copy_ids_insert_canned_reply_and_import_csv() {
    let app = TestApp::new().await;
    let sim = crate::sync_support::sim(71, 600, false).await;
    let panel = crate::sync_support::register(&app, &sim).await;
    crate::sync_support::sync_idle(&app, panel).await;
    app.add_staff("owner1", Role::Owner, &[]).await;
    let (base, _server) = serve(&app).await;
    let browser = start_browser().await;
    let client = &browser.client;
    sign_in(client, &base, "owner1").await;

    // (a) Search orders by a username, then narrow by a service: the rows, the chips and the URL follow.
    client.goto(&format!("{base}/orders")).await.unwrap();
    assert_eq!(client.find_all(Locator::Css("input[name=sel]")).await.unwrap().len(), 50);
    assert!(client.find_all(Locator::Css(".chips a.chip")).await.unwrap().is_empty(), "no filter yet");
    let user = app.column("SELECT user FROM orders_cache GROUP BY user ORDER BY COUNT(*) DESC LIMIT 1").await;
    let user = &user[0];
    let theirs = app
        .column(&format!("SELECT id FROM orders_cache WHERE user = '{user}' ORDER BY created DESC, id DESC"))
        .await;
    client.find(Locator::Id("f-q")).await.unwrap().send_keys(user).await.unwrap();
    submit_filters(client).await;
    let url = client.current_url().await.unwrap();
    assert_eq!(url.path(), "/orders");
    assert!(
        url.query_pairs().any(|(k, v)| k == "q" && v == user.as_str()),
        "the search is in the URL: {url}"
    );
    assert_eq!(texts(client, ".chips a.chip").await, vec![format!("Search: {user} ×")]);
    let shown: Vec<String> = {
        let mut v = Vec::new();
        for b in client.find_all(Locator::Css("input[name=sel]")).await.unwrap() {
            v.push(b.attr("data-id").await.unwrap().unwrap_or_default());
        }
        v
    };
    assert_eq!(
        shown,
        theirs.iter().take(50).cloned().collect::<Vec<_>>(),
        "exactly their orders, newest first"
    );

    let service = app.column(&format!("SELECT service_id FROM orders_cache WHERE user = '{user}' GROUP BY service_id ORDER BY COUNT(*) DESC LIMIT 1"),
    )
    .await;
    let both = app.column(&format!("SELECT id FROM orders_cache WHERE user = '{user}' AND service_id = {} ORDER BY created DESC, id DESC", service[0]),
    )
    .await;
    client.find(Locator::Id("f-service")).await.unwrap().select_by_value(&service[0]).await.unwrap();
    submit_filters(client).await;
    let url = client.current_url().await.unwrap();
    assert!(url.query_pairs().any(|(k, v)| k == "service" && v == service[0].as_str()), "{url}");
    assert!(url.query_pairs().any(|(k, v)| k == "q" && v == user.as_str()), "the search is kept: {url}");
    let chips = texts(client, ".chips a.chip").await;
    assert!(chips.contains(&format!("Service: {} ×", service[0])), "{chips:?}");
    assert_eq!(client.find_all(Locator::Css("input[name=sel]")).await.unwrap().len(), both.len().min(50));
    // Back returns to the search alone (the filters live in the URL).
    client.back().await.unwrap();
    until("the previous page", || async {
        let chips = texts(client, ".chips a.chip").await;
        (chips == vec![format!("Search: {user} ×")]).then_some(())
    })
    .await;
    // A bad value typed into the address is a clear message.
    client.goto(&format!("{base}/orders?service=abc")).await.unwrap();
    let body = client.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
    assert!(body.contains("Service must be a whole number"), "{body}");

    // (c) Copy the checked rows' ids (the clipboard may be blocked headless; the text stays in data-copied).
    client.goto(&format!("{base}/orders")).await.unwrap();
    let boxes = client.find_all(Locator::Css("form[data-selection] input[name=sel]")).await.unwrap();
    let mut picked = Vec::new();
    for b in boxes.iter().take(3) {
        b.click().await.unwrap();
        picked.push(b.attr("data-id").await.unwrap().unwrap_or_default());
    }
    let count = client.find(Locator::Css("[data-sel-count]")).await.unwrap();
    assert_eq!(count.text().await.unwrap(), "3 selected");
    client.find(Locator::Css("button[data-copy-sel=id]")).await.unwrap().click().await.unwrap();
    let form = client.find(Locator::Css("form[data-selection]")).await.unwrap();
    let copied = until("the copied ids", || {
        let form = form.clone();
        async move { form.attr("data-copied").await.ok().flatten() }
    })
    .await;
    assert_eq!(copied, picked.join("\n"));
    assert_eq!(count.text().await.unwrap(), "Copied 3");
    assert!(client.current_url().await.unwrap().path() == "/orders", "the script copies in place");

    // (b) Add a canned reply, open a ticket, insert it at the cursor of the reply box.
    client.goto(&format!("{base}/canned-replies")).await.unwrap();
    client.find(Locator::Id("title")).await.unwrap().send_keys("Refill started").await.unwrap();
    client.find(Locator::Id("body")).await.unwrap().send_keys("We started a refill for you.").await.unwrap();
    client.find(Locator::Css("form.card button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css(".flash")).await.unwrap();
    let ticket = app.column("SELECT id FROM tickets_cache ORDER BY id LIMIT 1").await;
    client.goto(&format!("{base}/tickets/{panel}/{}", ticket[0])).await.unwrap();
    let reply = client.wait().for_element(Locator::Id("reply-message")).await.unwrap();
    reply.send_keys("Hello! ").await.unwrap();
    client
        .find(Locator::Css("select[data-canned-insert]"))
        .await
        .unwrap()
        .select_by_label("Refill started")
        .await
        .unwrap();
    let value = until("the inserted reply", || {
        let reply = reply.clone();
        async move { reply.prop("value").await.ok().flatten().filter(|v| v.contains("refill")) }
    })
    .await;
    assert_eq!(value, "Hello! We started a refill for you.");
    let select = client.find(Locator::Css("select[data-canned-insert]")).await.unwrap();
    assert_eq!(
        select.prop("value").await.unwrap().as_deref(),
        Some(""),
        "the choice resets for the next one"
    );

    // (d) Import a CSV file whose line 3 is bad: counts and the rejected line are shown.
    let sid = app.column("SELECT id FROM services_cache ORDER BY id LIMIT 1").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("descriptions.csv");
    std::fs::write(
        &path,
        format!("panel_id,service_id,description,note\n{panel},{},Real likes from active accounts,a\n{panel},oops,Bad,b\n", sid[0]),
    )
    .unwrap();
    client.goto(&format!("{base}/services/descriptions")).await.unwrap();
    client.find(Locator::Id("file")).await.unwrap().send_keys(&path.display().to_string()).await.unwrap();
    client.find(Locator::Css("form.card button[type=submit]")).await.unwrap().click().await.unwrap();
    let summary = client.wait().for_element(Locator::Css("p.summary")).await.unwrap();
    assert_eq!(summary.text().await.unwrap(), "1 inserted · 0 updated · 1 rejected");
    let rejected = texts(client, "main table tbody tr").await;
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(
        rejected[0].starts_with('3') && rejected[0].contains("service_id “oops” is not a number"),
        "{rejected:?}"
    );
    client.goto(&format!("{base}/services")).await.unwrap();
    let services = client.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
    assert!(services.contains("Real likes from active accounts"), "the description shows on Services");
    assert_eq!(csp_violations(client).await, Vec::<String>::new());

    client.clone().close().await.unwrap();
}
