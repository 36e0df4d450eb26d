//! `panelops alerts channel add` and `panelops alerts run` as operators script them.

use crate::alerts::setup;

#[tokio::test]
async fn operators_script_a_channel_and_a_run_from_the_command_line() {
    let (app, rx) = setup().await;
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_panelops"))
            .args(args)
            .envs(app.db_env())
            .env("PANELOPS_LOG", "warn")
            .output()
            .expect("panelops runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let url = format!("{}/hook", rx.base_url);
    let (ok, out, err) = cli(&[
        "alerts",
        "channel",
        "add",
        "--name",
        "Ops",
        "--kind",
        "webhook",
        "--url",
        &url,
        "--rules",
        "waiting_ticket,sync_trouble",
        "--panels",
        "1",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("channel Ops added (id 1)") && out.contains("signing secret (shown only now): "),
        "{out}"
    );
    let (ok, _, err) = cli(&["alerts", "channel", "add", "--name", "Bad", "--kind", "pager", "--url", &url]);
    assert!(!ok && err.contains("--kind must be webhook, telegram, slack, discord or email"), "{err}");
    let (ok, _, err) = cli(&[
        "alerts",
        "channel",
        "add",
        "--name",
        "Bad",
        "--kind",
        "slack",
        "--url",
        &url,
        "--rules",
        "everything",
    ]);
    assert!(!ok && err.contains("no rule"), "{err}");
    // A channel's clock and digests from a script; a zone that is none is refused by name.
    let (ok, out, err) = cli(&[
        "alerts",
        "channel",
        "add",
        "--name",
        "Berlin",
        "--kind",
        "slack",
        "--url",
        &url,
        "--time-zone",
        "Europe/Berlin",
        "--digest",
        "both",
        "--digest-hour",
        "8",
    ]);
    assert!(ok && out.contains("channel Berlin added (id 2)"), "{out}{err}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM alert_channels WHERE time_zone = 'Europe/Berlin' AND digest_daily = 1 AND digest_weekly = 1 AND digest_hour = 8").await,
        1
    );
    let (ok, _, err) = cli(&[
        "alerts",
        "channel",
        "add",
        "--name",
        "Mars",
        "--kind",
        "slack",
        "--url",
        &url,
        "--time-zone",
        "Mars/Olympus",
    ]);
    assert!(!ok && err.contains("is not a time zone"), "{err}");
    app.exec("DELETE FROM alert_channels WHERE id = 2").await;

    // Real time: a ticket waiting two hours before now.
    let now = shared::time::now();
    app.exec(&format!(
        "INSERT INTO tickets_cache (panel_id, id, user, subject, status, created, last_update, checked_at)
         VALUES (1, 10, 'alice', 'Help', 'pending', {t}, {t}, 0)",
        t = now - 2 * 3600
    ))
    .await;
    let (ok, out, err) = cli(&["alerts", "run"]);
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(
        (report["opened"].as_u64(), report["sent"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(1), Some(0)),
        "{report}"
    );
    let (_, out, _) = cli(&["alerts", "run"]);
    assert!(out.contains("\"opened\":0") && out.contains("\"sent\":0"), "{out}");
    assert_eq!(rx.received().len(), 1);
}
