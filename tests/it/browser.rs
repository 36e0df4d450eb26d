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

#[tokio::test]
async fn staff_member_signs_in_browses_and_signs_out() {
    let binary = chromium();
    let app = TestApp::new().await;
    app.add_panel("North Panel", "https://north.example", None).await;
    app.add_staff("owner1", Role::Owner, &[]).await;
    let (addr, _server) =
        panelops::server::spawn(&app.state, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let base = format!("http://{addr}");

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
        // A page may add to its label ("Ticket tracking — by staff"), never replace it.
        assert!(title.starts_with(label.as_str()), "{href}: {title:?} for {label:?}");
        assert!(client.title().await.unwrap().ends_with("· panelops"));
    }

    // The panel switcher applies at once (script) and is kept in the links.
    client.goto(&format!("{base}/panels")).await.unwrap();
    client.find(Locator::Id("panel-switch")).await.unwrap().select_by_label("North Panel").await.unwrap();
    client.wait().for_url(&url::Url::parse(&format!("{base}/panels?panel=1")).unwrap()).await.unwrap();
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
    client.close().await.unwrap();
    drop(driver);
}
