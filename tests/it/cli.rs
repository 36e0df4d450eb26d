//! The binary as a new user runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn panelops(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_panelops"));
    c.env("DATABASE_URL", dir.join("cli.db"))
        .env("PANELOPS_LOG", "warn")
        .env_remove("PANELOPS_SECRET_KEY")
        .env_remove("PANELOPS_ALLOW_PRIVATE_URLS");
    c
}

#[test]
fn create_owner_refuses_weak_and_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let weak = panelops(dir.path())
        .args(["create-owner", "--username", "boss", "--password", "abc"])
        .output()
        .unwrap();
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("Use at least 10 characters"));
    let ok = panelops(dir.path())
        .args(["create-owner", "--username", "boss", "--password", "quiet-harbor-2026"])
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let again = panelops(dir.path())
        .args(["create-owner", "--username", "boss", "--password", "quiet-harbor-2026"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already taken"));
    // The generated key file is private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("secret.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let m = panelops(dir.path()).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&m.stdout).contains("migrations applied: 0"));
}

#[tokio::test]
async fn serve_demo_prints_a_working_owner_login() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = panelops(dir.path())
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let (mut base, mut login) = (None, None);
    let start = Instant::now();
    while (base.is_none() || login.is_none()) && start.elapsed() < Duration::from_secs(60) {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(u) = line.strip_prefix("panelops console: ") {
                base = Some(u.trim_end_matches('/').to_string());
            }
            if let Some(rest) = line.strip_prefix("owner login: username ") {
                let parts: Vec<&str> = rest.split_whitespace().collect();
                login = Some((parts[0].to_string(), parts[2].to_string()));
            }
        }
    }
    let base = base.expect("address printed");
    let (user, password) = login.expect("owner login printed");
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    let page = http.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let marker = "name=\"csrf\" value=\"";
    let i = page.find(marker).unwrap() + marker.len();
    let csrf = &page[i..i + page[i..].find('"').unwrap()];
    let res = http
        .post(format!("{base}/login"))
        .form(&[("csrf", csrf), ("username", &user), ("password", &password), ("next", "/panels")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let panels = http.get(format!("{base}/panels")).send().await.unwrap().text().await.unwrap();
    assert!(panels.contains("Demo Panel A"), "demo data is there");
    child.kill().ok();
    child.wait().ok();
}

#[test]
fn service_name_prints_the_promise_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = panelops(dir.path())
        .args(["service-name", "Instagram Followers [5K] [With PP & Posts] [1H - 500/Hour]"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["min_per_day"], 12_000);
    assert_eq!(v["refill_days"], serde_json::Value::Null);
}

/// `panel add` takes the URL in the forms owners paste; `sync --panel <name> --until-idle` mirrors the
/// panel and prints its summary; a refused key makes `sync` exit non-zero and say which panel.
#[test]
fn panel_add_and_sync_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let sim = testkit::SimHandle::start_in_thread(
        testkit::SimConfig::new(61, 200, crate::sync_support::NOW),
        false,
    )
    .expect("simulator");
    let add_as = |url: &str, allow_private: &str| {
        panelops(dir.path())
            .args(["panel", "add", "--name", "Main", "--url", url, "--admin-key", &sim.admin_key])
            .args(["--services-key", &sim.services_key])
            .env("PANELOPS_ALLOW_PRIVATE_URLS", allow_private)
            .output()
            .unwrap()
    };
    // The simulator is on loopback: refused unless the operator allows private addresses.
    let refused = add_as(&sim.base_url, "0");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("127.0.0.1 is a private or local address"));
    let add = |url: &str| add_as(url, "1");
    let first = add(&format!("{}/admin/adminapi/v2", sim.base_url));
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains(&format!("{}\n", sim.base_url)));
    // The other forms are the same panel.
    for url in [format!("{}/adminapi/v2", sim.base_url), format!("{}/", sim.base_url)] {
        let again = add(&url);
        assert!(!again.status.success());
        assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"), "{url}");
    }
    let sync = panelops(dir.path())
        .args(["sync", "--panel", "main", "--until-idle"])
        .env("PANELOPS_ALLOW_PRIVATE_URLS", "1")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&sync.stdout);
    assert!(sync.status.success(), "{out}\n{}", String::from_utf8_lossy(&sync.stderr));
    let visible = sim.with(|s| s.data.visible_count());
    assert!(
        out.lines().any(|l| l.contains("orders") && l.contains(&format!(" {visible} ")) && l.ends_with("ok")),
        "{out}"
    );
    let unknown = panelops(dir.path()).args(["sync", "--panel", "Other"]).output().unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("1 (Main)"));
    // The panel revokes the key: the run fails, and later runs say the panel is stopped.
    sim.faults(|f| f.revoked = true);
    for _ in 0..2 {
        let failed = panelops(dir.path())
            .args(["sync", "--panel", "1"])
            .env("PANELOPS_ALLOW_PRIVATE_URLS", "1")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&failed.stdout);
        assert!(!failed.status.success(), "{out}");
        assert!(out.contains("rejected the API key"), "{out}");
    }
}

/// Another `PANELOPS_SECRET_KEY` than the panel's keys were saved with: `sync` says so and exits
/// non-zero, instead of succeeding with nothing fetched.
#[test]
fn sync_with_the_wrong_secret_key_fails_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let add = panelops(dir.path())
        .args(["panel", "add", "--name", "Main", "--url", "https://main.example", "--admin-key", "k-123456"])
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let other = shared::crypto::SecretKey::generate().to_base64();
    let sync = panelops(dir.path()).env("PANELOPS_SECRET_KEY", &other).arg("sync").output().unwrap();
    let out = String::from_utf8_lossy(&sync.stdout);
    assert!(!sync.status.success(), "{out}");
    assert!(
        out.contains(
            "panel 1 (Main) not synced: PANELOPS_SECRET_KEY cannot read this panel's stored API keys"
        ),
        "{out}"
    );
}
