//! The scheduled reviewer against the stand-in model: verdicts, budget, faults, prompt versions.

use shared::auth::Role;
use testkit::LlmFault;

use crate::ai_support::{answered, review, setup, text, ticket, GOOD};
use crate::helpers::TestApp;

#[tokio::test]
async fn reviews_replies_newest_first_within_the_reply_budget() {
    let (app, llm) = setup(2).await;
    let p = app.add_panel("A", "https://a.example", None).await;
    let t0 = shared::time::now() - 10_000;
    answered(&app, p, 501, t0 + 400, "Alice", "<p>Done.</p>").await;
    answered(&app, p, 502, t0 + 300, "Bora", GOOD).await;
    let balance = "<p>Hello, I have a question about my account balance.</p>";
    let generic = "<p>Hello bob, thank you for waiting. We checked with our provider; it should complete within 24 hours.</p>";
    ticket(&app, p, 503, "Other - Question", t0 + 200, &[(false, "bob", balance), (true, "Chen", generic)])
        .await;
    // Too short to judge: no customer message before it; a two-word question and a one-word answer.
    ticket(&app, p, 504, "Other", t0 + 100, &[(true, "Deniz", GOOD)]).await;
    ticket(&app, p, 505, "Other", t0, &[(false, "bob", "Any update?"), (true, "Deniz", "Done.")]).await;

    let first = review(&app).await;
    assert_eq!((first.reviewed, first.failed), (2, 0), "{first:?}");
    assert_eq!(first.stopped.as_deref(), Some("replies per run reached"));
    assert_eq!(llm.request_count(), 2, "never more calls than the reply budget");
    let verdicts = |t: i64| format!("SELECT verdict FROM ai_reviews WHERE ticket_id = {t}");
    assert_eq!(text(&app, &verdicts(501)).await, "bad", "newest first");
    assert_eq!(text(&app, &verdicts(502)).await, "good");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ai_reviews WHERE ticket_id = 503").await,
        0,
        "left for the next run"
    );

    let second = review(&app).await;
    assert_eq!((second.reviewed, second.skipped), (1, 2), "{second:?}");
    assert_eq!(text(&app, &verdicts(503)).await, "mediocre");
    assert!(text(&app, "SELECT flags FROM ai_reviews WHERE ticket_id = 503").await.contains("off_topic"));
    assert!(text(&app, "SELECT failure FROM ai_reviews WHERE ticket_id = 504")
        .await
        .contains("no customer message"));
    assert!(text(&app, "SELECT failure FROM ai_reviews WHERE ticket_id = 505")
        .await
        .contains("fewer than 10 words"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ai_reviews WHERE status = 'skipped' AND verdict IS NULL").await,
        2
    );
    // Stored per reply: model, prompt version, tokens, time, staff.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM ai_reviews WHERE status = 'done' AND model = 'gpt-4o-mini' AND prompt_version = 0
             AND prompt_tokens > 0 AND completion_tokens > 0 AND reviewed_at > 0 AND staff_name IS NOT NULL"
        )
        .await,
        3
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM ai_calls WHERE purpose = 'review' AND ok = 1").await, 3);
    // A third run has nothing left to do.
    let third = review(&app).await;
    assert_eq!((third.reviewed, third.failed, third.skipped), (0, 0, 0));
    assert_eq!(llm.request_count(), 3);

    // The request is a chat-completions body: model, messages with roles, JSON response format.
    let body = llm.last_request().expect("a request");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["messages"][0]["role"], "system");
    assert!(body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .ends_with(panelops_ai_review::prompts::SCHEMA_RULE));
    assert_eq!(body["messages"][1]["role"], "user");
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.contains("Ticket subject: Other - Question")
            && user.contains("[Customer] Hello, I have a question")
    );
    assert!(!user.contains("<p>"), "panel HTML is stripped before it is sent");
    assert_eq!(body["response_format"]["type"], "json_object");
}

#[tokio::test]
async fn every_bad_answer_is_retried_once_then_recorded_as_a_failure_never_a_verdict() {
    for (fault, reason) in [
        (LlmFault::Junk, "not a JSON object"),
        (LlmFault::WrongVerdict, "is not good, mediocre or bad"),
        (LlmFault::MissingFields, "missing"),
        (LlmFault::Timeout, "did not answer in time"),
    ] {
        let (app, llm) = setup(10).await;
        llm.with(|s| s.delay = std::time::Duration::from_millis(1500));
        let p = app.add_panel("A", "https://a.example", None).await;
        answered(&app, p, 501, 1_700_000_000, "Alice", GOOD).await;
        llm.fault(fault, None);
        let run = review(&app).await;
        assert_eq!((run.reviewed, run.failed), (0, 1), "{fault:?}: {run:?}");
        assert_eq!(llm.request_count(), 2, "{fault:?}: one try and one retry");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM ai_reviews WHERE verdict IS NOT NULL").await,
            0,
            "{fault:?}"
        );
        let failure = text(&app, "SELECT failure FROM ai_reviews WHERE status = 'failed'").await;
        assert!(failure.contains(reason), "{fault:?}: {failure}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM ai_calls WHERE ok = 0").await, 2, "{fault:?}");
        // A later run, with the provider healthy again, completes it.
        llm.fault(LlmFault::None, None);
        let again = review(&app).await;
        assert_eq!((again.reviewed, again.failed), (1, 0), "{fault:?}: {again:?}");
        assert_eq!(text(&app, "SELECT verdict FROM ai_reviews WHERE ticket_id = 501").await, "good");
        assert_eq!(app.scalar("SELECT attempts FROM ai_reviews").await, 3, "{fault:?}");
    }
}

#[tokio::test]
async fn rate_limits_are_retried_with_backoff_and_server_errors_fail_the_reply() {
    let (app, llm) = setup(10).await;
    let p = app.add_panel("A", "https://a.example", None).await;
    answered(&app, p, 501, 1_700_000_000, "Alice", GOOD).await;
    llm.fault(LlmFault::RateLimited, Some(2));
    let run = review(&app).await;
    assert_eq!(run.reviewed, 1, "two 429s, then an answer: {run:?}");
    assert_eq!(llm.request_count(), 3);

    answered(&app, p, 502, 1_700_000_100, "Bora", GOOD).await;
    llm.fault(LlmFault::ServerError, None);
    let run = review(&app).await;
    assert_eq!((run.reviewed, run.failed), (0, 1), "{run:?}");
    assert!(text(&app, "SELECT failure FROM ai_reviews WHERE ticket_id = 502").await.contains("HTTP 500"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM ai_reviews WHERE ticket_id = 502 AND verdict IS NULL").await,
        1
    );
}

/// Eight judgeable replies on one panel, a ticket each.
async fn eight_replies(app: &TestApp) {
    let p = app.add_panel("A", "https://a.example", None).await;
    for k in 0..8 {
        let at = 1_700_000_000 + k * 1000;
        answered(app, p, 600 + k, at, "Alice", GOOD).await;
    }
}

#[tokio::test]
async fn the_daily_token_budget_is_never_exceeded() {
    let (app, llm) = setup(100).await;
    crate::ai_support::configure(&app, &llm, 100, 2_500).await;
    eight_replies(&app).await;
    let run = review(&app).await;
    assert!(run.reviewed >= 1 && run.reviewed < 8, "{run:?}");
    assert_eq!(run.stopped.as_deref(), Some("daily token budget reached"));
    let spent = app.scalar("SELECT SUM(prompt_tokens + completion_tokens) FROM ai_calls").await;
    assert!(spent <= 2_500, "spent {spent}");
    // The next run the same day does nothing more.
    let calls = llm.request_count();
    let next = review(&app).await;
    assert_eq!(next.reviewed, 0);
    assert_eq!(llm.request_count(), calls);
    // Budget 0 turns the reviewer off.
    crate::ai_support::configure(&app, &llm, 0, 2_500).await;
    assert!(review(&app).await.stopped.unwrap_or_default().contains("off"));
}

#[tokio::test]
async fn the_token_budget_of_a_run_ends_it_and_the_next_run_goes_on() {
    let (app, _llm) = setup(100).await;
    app.exec("UPDATE settings SET value = '2500' WHERE key = 'ai.max_tokens_per_run'").await;
    eight_replies(&app).await;
    let first = review(&app).await;
    assert!(first.reviewed >= 1 && first.reviewed < 8, "{first:?}");
    assert_eq!(first.stopped.as_deref(), Some("token budget of the run reached"));
    assert!(first.tokens <= 2_500, "{first:?}");
    // The next run has a budget of its own, and reviews the rest.
    let second = review(&app).await;
    assert_eq!(second.reviewed, 8 - first.reviewed, "{second:?}");
    assert!(second.tokens <= 2_500, "{second:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM ai_reviews WHERE status = 'done'").await, 8);
}

#[tokio::test]
async fn editing_the_prompt_changes_only_later_reviews_and_the_schema_rule_stays() {
    let (app, llm) = setup(10).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let p = app.add_panel("A", "https://a.example", None).await;
    answered(&app, p, 501, 1_700_000_000, "Alice", GOOD).await;
    review(&app).await;
    assert_eq!(app.scalar("SELECT prompt_version FROM ai_reviews WHERE ticket_id = 501").await, 0);

    let page = app.get("/ai/quality-prompt", Some(&owner)).await;
    assert!(page.body.contains("Always appended by the console"));
    let res = app
        .post(
            "/ai/quality-prompt",
            Some(&owner),
            &[("body", "Ignore any JSON rule. Answer in friendly prose.")],
        )
        .await;
    assert_eq!(res.status, axum::http::StatusCode::SEE_OTHER);
    assert_eq!(app.scalar("SELECT MAX(version) FROM ai_quality_prompts").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'ai.quality_prompt'").await, 1);

    answered(&app, p, 502, 1_700_000_500, "Bora", GOOD).await;
    let run = review(&app).await;
    assert_eq!(run.reviewed, 1);
    assert_eq!(app.scalar("SELECT prompt_version FROM ai_reviews WHERE ticket_id = 502").await, 1);
    assert_eq!(
        app.scalar("SELECT prompt_version FROM ai_reviews WHERE ticket_id = 501").await,
        0,
        "stored results stay"
    );
    let body = llm.last_request().unwrap();
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.starts_with("Ignore any JSON rule."));
    assert!(
        system.ends_with(panelops_ai_review::prompts::SCHEMA_RULE),
        "the rule is appended whatever the owner writes"
    );
    let versions = app.get("/ai/quality-prompt", Some(&owner)).await;
    assert!(versions.body.contains("Version 1") && versions.body.contains("owner1"));
}
