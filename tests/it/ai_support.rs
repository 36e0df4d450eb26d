//! The AI tests' setup: the stand-in model wired into AI settings, tickets written straight into the
//! cache, and a reviewer run with quick timeouts.

use std::time::Duration;

use panelops_ai_review::client::ClientOptions;
use panelops_ai_review::settings::{self, SettingsInput};
use testkit::LlmHandle;

use crate::helpers::TestApp;

pub const GOOD: &str = "<p>Hello bob, thank you for waiting. We checked order 1000123 with our provider and requested a refill; it should complete within 24 hours.</p>";
pub const QUESTION: &str = "<p>Hi, my order 1000123 is not moving.</p><p>Please check it.</p>";

pub async fn configure(app: &TestApp, llm: &LlmHandle, max_replies: i64, max_tokens: i64) {
    point_at(app, llm.base_url.clone(), "sk-test-key-9876", max_replies, max_tokens).await;
}

/// Saves AI settings naming the provider at `base_url` with `key`, within the given budgets.
pub async fn point_at(app: &TestApp, base_url: String, key: &str, max_replies: i64, max_tokens_per_day: i64) {
    let input = SettingsInput {
        base_url,
        api_key: Some(key.into()),
        model: "gpt-4o-mini".into(),
        translation_language: "Turkish".into(),
        max_replies_per_run: max_replies,
        max_tokens_per_run: 1_000_000,
        max_tokens_per_day,
        analysis_prompt: String::new(),
    };
    settings::save(&app.state.db, &app.state.config.secret_key, &input).await.expect("ai settings");
}

/// A stand-in that accepts only the configured key, and an app pointed at it.
pub async fn setup(max_replies: i64) -> (TestApp, LlmHandle) {
    let app = TestApp::new().await;
    let llm = LlmHandle::start(Some("sk-test-key-9876")).expect("stand-in model");
    configure(&app, &llm, max_replies, 1_000_000).await;
    (app, llm)
}

/// Writes a ticket and its messages (is_staff, sender, html) one minute apart from `at`.
pub async fn ticket(app: &TestApp, panel: i64, id: i64, subject: &str, at: i64, msgs: &[(bool, &str, &str)]) {
    let conn = app.state.db.connect().await.unwrap();
    conn.execute(
        "INSERT INTO tickets_cache (panel_id, id, user, subject, status, created, checked_at)
         VALUES (?1, ?2, 'bob', ?3, 'pending', ?4, 0)",
        libsql::params![panel, id, subject, at],
    )
    .await
    .unwrap();
    for (seq, (staff, sender, text)) in msgs.iter().enumerate() {
        conn.execute(
            "INSERT INTO ticket_messages (panel_id, ticket_id, seq, sender_name, is_staff, message, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            libsql::params![panel, id, seq as i64, *sender, *staff as i64, *text, at + 60 * seq as i64],
        )
        .await
        .unwrap();
    }
}

/// A ticket in which bob asks about a stuck refill (`QUESTION`) and `staff` replies a minute later.
pub async fn answered(app: &TestApp, panel: i64, id: i64, at: i64, staff: &str, reply: &str) {
    ticket(app, panel, id, "Orders - Refill", at, &[(false, "bob", QUESTION), (true, staff, reply)]).await
}

pub fn quick() -> panelops_ai_review::RunOptions {
    panelops_ai_review::RunOptions {
        client: ClientOptions {
            timeout: Duration::from_millis(400),
            attempts: 3,
            backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            // Set from the app's configuration when the client is made.
            allow_private: false,
        },
        time_limit: Duration::from_secs(30),
    }
}

pub async fn review(app: &TestApp) -> panelops_ai_review::RunReport {
    panelops_ai_review::run_with(&app.state, &quick()).await.expect("review run")
}

pub async fn text(app: &TestApp, sql: &str) -> String {
    let conn = app.state.db.connect().await.unwrap();
    let mut rows = conn.query(sql, ()).await.unwrap();
    match rows.next().await.unwrap() {
        Some(r) => r.get::<Option<String>>(0).unwrap().unwrap_or_default(),
        None => String::new(),
    }
}
