//! The AI pages: settings and the key, prompts, flagged replies with wrong marks, ticket analysis and
//! translation, and panel scope on each.

use axum::http::StatusCode;
use shared::auth::{PanelScope, Role};

use crate::ai_support::{answered, review, setup, text, ticket, GOOD, QUESTION};
use crate::helpers::TestApp;

fn settings_form(key: &str) -> Vec<(&str, &str)> {
    vec![
        ("base_url", "https://api.openai.com/v1"),
        ("api_key", key),
        ("model", "gpt-4o-mini"),
        ("translation_language", "Turkish"),
        ("max_replies_per_run", "20"),
        ("max_tokens_per_run", "20000"),
        ("max_tokens_per_day", "50000"),
        ("analysis_prompt", ""),
    ]
}

#[tokio::test]
async fn the_key_is_encrypted_shown_as_last_four_and_a_dash_clears_it() {
    let app = TestApp::new().await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let res = app.post("/ai/settings", Some(&owner), &settings_form("sk-live-secret-abcd1234")).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let stored = text(&app, "SELECT value FROM settings WHERE key = 'ai.api_key_enc'").await;
    assert!(stored.starts_with("v1.") && !stored.contains("abcd1234"), "encrypted at rest");
    let page = app.get("/ai/settings", Some(&owner)).await;
    assert!(page.body.contains("•••• 1234"));
    assert!(!page.body.contains("sk-live-secret"), "never rendered back");
    assert!(page.body.contains("value=\"Turkish\""));
    // Blank keeps the key; a single dash clears it.
    app.post("/ai/settings", Some(&owner), &settings_form("")).await;
    assert!(app.get("/ai/settings", Some(&owner)).await.body.contains("•••• 1234"));
    app.post("/ai/settings", Some(&owner), &settings_form("-")).await;
    assert_eq!(text(&app, "SELECT value FROM settings WHERE key = 'ai.api_key_enc'").await, "");
    assert!(!app.get("/ai/settings", Some(&owner)).await.body.contains("••••"));
    // Admins edit the rest but never the key; a bad value is explained next to its field.
    let admin = app.as_role_of_all_panels("admin1", Role::Admin).await;
    let admin_page = app.get("/ai/settings", Some(&admin)).await;
    assert!(!admin_page.body.contains("name=\"api_key\""));
    let denied = app.post("/ai/settings", Some(&admin), &settings_form("sk-other-0000")).await;
    assert_eq!(denied.status, StatusCode::BAD_REQUEST);
    assert!(
        denied.body.contains("Only an owner can change the AI key.") && !denied.body.contains("sk-other")
    );
    let mut bad = settings_form("");
    bad[4] = ("max_replies_per_run", "lots");
    let res = app.post("/ai/settings", Some(&admin), &bad).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Enter a whole number from 0 to 1000."));
    // Nor where the key is sent: a provider address of their own would receive the owner's key.
    let mut moved = settings_form("");
    moved[0] = ("base_url", "https://collector.example/v1");
    let res = app.post("/ai/settings", Some(&admin), &moved).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Only an owner can change the provider address"));
    assert_eq!(
        text(&app, "SELECT value FROM settings WHERE key = 'ai.base_url'").await,
        "https://api.openai.com/v1"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'ai.settings'").await, 3);
    let details =
        text(&app, "SELECT group_concat(details, ' | ') FROM activity_log WHERE action = 'ai.settings'")
            .await;
    assert!(details.contains("API key cleared") && !details.contains("abcd"), "{details}");
    // Agents do not reach AI settings.
    let agent = app.as_role("agent1", Role::Agent, &[]).await;
    assert_eq!(app.get("/ai/settings", Some(&agent)).await.status, StatusCode::FORBIDDEN);
}

/// Two panels with reviewed replies: A has a bad (Alice), a mediocre (Chen) and a good one (Bora);
/// B has a bad one by Zed.
async fn reviewed_two_panels() -> (TestApp, i64, i64) {
    let (app, _llm) = setup(50).await;
    let a = app.add_panel("Panel A", "https://a.example", None).await;
    let b = app.add_panel("Panel B", "https://b.example", None).await;
    let now = shared::time::now();
    let balance = "<p>Hello, I have a question about my account balance.</p>";
    let generic =
        "<p>Hello bob, thank you for waiting. We checked with our provider; it should complete soon.</p>";
    answered(&app, a, 501, now - 3 * 3600, "Alice", "Done.").await;
    answered(&app, a, 502, now - 2 * 3600, "Bora", GOOD).await;
    ticket(&app, a, 503, "Other - Question", now - 3600, &[(false, "bob", balance), (true, "Chen", generic)])
        .await;
    // Old: outside a 24h window.
    answered(&app, a, 504, now - 5 * 86_400, "Alice", "Ok.").await;
    ticket(
        &app,
        b,
        901,
        "Orders - Refill",
        now - 3600,
        &[(false, "eve", QUESTION), (true, "Zed", "Checked.")],
    )
    .await;
    let run = review(&app).await;
    assert_eq!(run.reviewed, 5, "{run:?}");
    (app, a, b)
}

#[tokio::test]
async fn flagged_replies_filter_and_an_owners_wrong_marks_count_as_disagreement() {
    let (app, a, _b) = reviewed_two_panels().await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let page = app.get("/ai/flagged", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    for t in ["#501", "#503", "#504", "#901"] {
        assert!(page.body.contains(t), "{t} is flagged");
    }
    assert!(!page.body.contains("#502"), "good replies are not flagged");
    assert!(page.body.contains("Greet the customer, name the order"), "the suggested reply is shown");
    assert!(page.body.contains(&format!("/tickets/{a}/501")), "links to the ticket page");
    let only = |path: &'static str| {
        let app = &app;
        let owner = owner.clone();
        async move { app.get(path, Some(&owner)).await.body }
    };
    let bad = only("/ai/flagged?verdict=bad").await;
    assert!(bad.contains("#501") && !bad.contains("#503"));
    let chen = only("/ai/flagged?staff=Chen").await;
    assert!(chen.contains("#503") && !chen.contains("#501"));
    let flag = only("/ai/flagged?flag=off_topic").await;
    assert!(flag.contains("#503") && !flag.contains("#501"));
    let day = only("/ai/flagged?window=24h").await;
    assert!(day.contains("#501") && !day.contains("#504"), "the window applies to the reply time");
    let panel_b = only("/ai/flagged?panel=2").await;
    assert!(panel_b.contains("#901") && !panel_b.contains("#501"));
    assert_eq!(app.get("/ai/flagged?verdict=great", Some(&owner)).await.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("Reviewer disagreement: <strong>0.0%</strong>"));

    // An owner marks a verdict wrong: kept, shown, counted (1 of 5 verdicts).
    let res = app.post(&format!("/ai/flagged/{a}/501/1/wrong"), Some(&owner), &[("wrong", "1")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // `?panel=` goes back to all panels (the switcher remembered panel B above).
    let after = app.get("/ai/flagged?panel=", Some(&owner)).await;
    assert!(after.body.contains("marked wrong") && after.body.contains("Undo wrong"));
    assert!(after.body.contains("Reviewer disagreement: <strong>20.0%</strong>"), "1 of 5");
    assert_eq!(
        text(&app, "SELECT verdict FROM ai_reviews WHERE ticket_id = 501").await,
        "bad",
        "the verdict is kept"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'ai.verdict.wrong'").await, 1);
    // A way back with a line break in it is no address: the mark is kept and the answer goes home.
    let res = app
        .post(
            &format!("/ai/flagged/{a}/501/1/wrong"),
            Some(&owner),
            &[("wrong", "0"), ("back", "/ai/flagged\r\nX: 1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.headers.get("location").and_then(|v| v.to_str().ok()), Some("/"));
    app.post(&format!("/ai/flagged/{a}/501/1/wrong"), Some(&owner), &[("wrong", "1")]).await;
    // Only owners mark; a missing verdict is a 404.
    let admin = app.as_role("admin1", Role::Admin, &[]).await;
    assert_eq!(
        app.post(&format!("/ai/flagged/{a}/502/1/wrong"), Some(&admin), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&format!("/ai/flagged/{a}/777/1/wrong"), Some(&owner), &[]).await.status,
        StatusCode::NOT_FOUND
    );
    // Verdict counts per staff for the ticket tracking report.
    let now = shared::time::now();
    let counts =
        panelops_ai_review::verdict_counts(&app.state.db, &PanelScope::All, None, now - 86_400 * 30, now + 1)
            .await
            .unwrap();
    assert_eq!(counts["Alice"].bad, 2);
    assert_eq!(counts["Bora"].good, 1);
    assert_eq!(counts["Chen"].mediocre, 1);
}

#[tokio::test]
async fn an_agent_of_panel_a_sees_nothing_of_panel_b() {
    let (app, a, b) = reviewed_two_panels().await;
    let agent = app.as_role("agent1", Role::Agent, &[a]).await;
    let page = app.get("/ai/flagged", Some(&agent)).await;
    assert!(page.body.contains("#501"));
    assert!(!page.body.contains("#901") && !page.body.contains("Zed") && !page.body.contains("Panel B"));
    assert!(page.body.contains("0 of 4 verdicts"), "counts stay inside the scope");
    assert_eq!(app.get(&format!("/ai/flagged?panel={b}"), Some(&agent)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post(&format!("/ai/tickets/{b}/901/analyze"), Some(&agent), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&format!("/ai/tickets/{b}/901/translate"), Some(&agent), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let counts =
        panelops_ai_review::verdict_counts(&app.state.db, &PanelScope::Only(vec![a]), None, 0, i64::MAX)
            .await
            .unwrap();
    assert!(!counts.contains_key("Zed"));
    // Viewers read flagged replies but run nothing.
    let viewer = app.as_role("viewer1", Role::Viewer, &[a]).await;
    assert_eq!(app.get("/ai/flagged", Some(&viewer)).await.status, StatusCode::OK);
    assert!(!app.get("/ai/flagged", Some(&viewer)).await.body.contains("Mark wrong"));
    assert_eq!(
        app.post(&format!("/ai/tickets/{a}/501/analyze"), Some(&viewer), &[]).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn ticket_analysis_translation_and_draft_are_shown_stored_and_logged() {
    let (app, llm) = setup(10).await;
    let a = app.add_panel("A", "https://a.example", None).await;
    let agent = app.as_role("agent1", Role::Agent, &[a]).await;
    answered(&app, a, 501, 1_700_000_000, "Alice", GOOD).await;

    let res = app.post(&format!("/ai/tickets/{a}/501/analyze"), Some(&agent), &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("Summary (stand-in model)"));
    assert!(res.body.contains(&format!("href=\"/tickets/{a}/501\"")), "a way back to the ticket");
    let user = llm.last_request().unwrap()["messages"][1]["content"].as_str().unwrap().to_string();
    assert!(
        user.contains("Subject: Orders - Refill")
            && user.contains("Customer: bob")
            && user.contains("Status: pending")
    );
    assert!(user.contains("[Customer] Hi, my order 1000123 is not moving. Please check it."), "{user}");
    assert!(!user.contains("<p>") && !user.contains("{{"), "placeholders filled, HTML stripped");

    // An owner's own analysis prompt with placeholders.
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let mut form = vec![
        ("base_url", llm.base_url.as_str()),
        ("model", "gpt-4o-mini"),
        ("translation_language", "Turkish"),
        ("max_replies_per_run", "10"),
        ("max_tokens_per_run", "20000"),
        ("max_tokens_per_day", "100000"),
    ];
    form.push(("analysis_prompt", "Ticket {{subject}} from {{customer}} ({{status}}):\n{{conversation}}"));
    assert_eq!(app.post("/ai/settings", Some(&owner), &form).await.status, StatusCode::SEE_OTHER);
    app.post(&format!("/ai/tickets/{a}/501/analyze"), Some(&agent), &[("prompt_id", "")]).await;
    let user = llm.last_request().unwrap()["messages"][1]["content"].as_str().unwrap().to_string();
    assert!(user.starts_with("Ticket Orders - Refill from bob (pending):\n[Customer] Hi"), "{user}");

    // A named prompt with its own model.
    let admin = app.as_role_of_all_panels("admin1", Role::Admin).await;
    let res = app
        .post(
            "/ai/prompts",
            Some(&admin),
            &[("title", "Tone check"), ("model", "gpt-4o"), ("system_prompt", "Judge the tone.")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let id = app.scalar("SELECT id FROM ai_prompts WHERE title = 'Tone check'").await.to_string();
    let res = app.post(&format!("/ai/tickets/{a}/501/analyze"), Some(&agent), &[("prompt_id", &id)]).await;
    assert_eq!(res.status, StatusCode::OK);
    let body = llm.last_request().unwrap();
    assert_eq!(body["model"], "gpt-4o");
    assert_eq!(body["messages"][0]["content"], "Judge the tone.");
    assert!(body.get("response_format").is_none(), "free text, not the review schema");
    assert_eq!(
        app.post(&format!("/ai/tickets/{a}/501/analyze"), Some(&agent), &[("prompt_id", "x")]).await.status,
        StatusCode::BAD_REQUEST
    );

    let res = app.post(&format!("/ai/tickets/{a}/501/translate"), Some(&agent), &[]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("[Turkish] [Customer] Hi, my order 1000123"));
    let res = app
        .post(
            &format!("/ai/tickets/{a}/501/translate-draft"),
            Some(&agent),
            &[("draft", "We <b>refilled</b> it.")],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("[customer's language] We &lt;b&gt;refilled&lt;/b&gt; it."), "rendered inert");
    let empty =
        app.post(&format!("/ai/tickets/{a}/501/translate-draft"), Some(&agent), &[("draft", " ")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.post(&format!("/ai/tickets/{a}/999/translate"), Some(&agent), &[]).await.status,
        StatusCode::NOT_FOUND
    );

    assert_eq!(app.scalar("SELECT COUNT(*) FROM ai_results WHERE panel_id = 1 AND ticket_id = 501").await, 5);
    let results = panelops_ai_review::ticket_ai::ticket_results(&app.state.db, a, 501, 10).await.unwrap();
    assert_eq!(results[0].kind, "translate-draft");
    // The box the ticket page embeds: forms to the routes, stored answers.
    let agent_viewer = viewer_of(&app, &agent).await;
    let html = panelops_ai_review::pages::ticket::ticket_box(&app.state, &agent_viewer, a, 501)
        .await
        .unwrap()
        .into_string();
    assert!(
        html.contains(&format!("action=\"/ai/tickets/{a}/501/analyze\""))
            && html.contains("name=\"prompt_id\"")
    );
    assert!(html.contains("name=\"draft\"") && html.contains("Tone check") && html.contains("[Turkish]"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activity_log WHERE action IN ('ai.analysis', 'ai.prompt', 'ai.translate', 'ai.translate-draft')").await,
        5
    );

    // A provider failure is explained, nothing is stored.
    llm.fault(testkit::LlmFault::ServerError, None);
    let res = app.post(&format!("/ai/tickets/{a}/501/translate"), Some(&agent), &[]).await;
    assert_eq!(res.status, StatusCode::BAD_GATEWAY);
    assert!(res.body.contains("HTTP 500") && res.body.contains("Nothing was stored"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM ai_results").await, 5);
    // A draft that could not be translated comes back in its box, ready to send again.
    let res = app
        .post(
            &format!("/ai/tickets/{a}/501/translate-draft"),
            Some(&agent),
            &[("draft", "Refill is on its way.")],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_GATEWAY);
    assert!(res.body.contains(">Refill is on its way.</textarea>"), "{}", res.body);
    let long = "y".repeat(8001);
    let res =
        app.post(&format!("/ai/tickets/{a}/501/translate-draft"), Some(&agent), &[("draft", &long)]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("this one has 8001") && res.body.contains(&format!(">{long}</textarea>")));
}

#[tokio::test]
async fn prompts_are_listed_for_agents_and_edited_by_admins() {
    let app = TestApp::new().await;
    let admin = app.as_role_of_all_panels("admin1", Role::Admin).await;
    let agent = app.as_role("agent1", Role::Agent, &[]).await;
    let list = app.get("/ai/prompts", Some(&agent)).await;
    assert!(
        list.body.contains("Suggest a reply") && list.body.contains("api.openai.com / gpt-4o-mini (default)")
    );
    assert!(!list.body.contains("Add prompt"));
    assert_eq!(app.get("/ai/prompts/new", Some(&agent)).await.status, StatusCode::FORBIDDEN);
    let res = app.post("/ai/prompts", Some(&admin), &[("title", ""), ("system_prompt", "")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Enter a title"));
    app.post(
        "/ai/prompts",
        Some(&admin),
        &[("title", "Refund <policy>"), ("model", ""), ("system_prompt", "Explain refunds.")],
    )
    .await;
    let list = app.get("/ai/prompts", Some(&admin)).await;
    assert!(list.body.contains("Refund &lt;policy&gt;") && list.body.contains("Explain refunds."));
    app.post(
        "/ai/prompts/2",
        Some(&admin),
        &[("title", "Refunds"), ("model", "gpt-4o"), ("system_prompt", "Explain.")],
    )
    .await;
    assert!(app.get("/ai/prompts", Some(&admin)).await.body.contains("api.openai.com / gpt-4o"));
    app.post("/ai/prompts/2/delete", Some(&admin), &[]).await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM ai_prompts").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activity_log WHERE action LIKE 'ai.prompt.%'").await, 3);
}

/// The `Viewer` a handler would get for this session.
async fn viewer_of(app: &TestApp, s: &crate::helpers::Session) -> shared::auth::Viewer {
    let staff = shared::auth::staff::get(&app.state.db, s.staff_id).await.unwrap().unwrap();
    let panels = shared::domain::panels::refs_in_scope(&app.state.db, &staff.scope()).await.unwrap();
    shared::auth::Viewer {
        staff,
        session_id: 0,
        csrf: s.csrf.clone(),
        panel: None,
        panels,
        flash: None,
        path: "/tickets".into(),
        freshness: None,
        panel_errors: Vec::new(),
    }
}

/// API Gateway ends a request at 30 s: a model slower than the page's wait gets a clear answer from the
/// console in time, not a bare 503 from the gateway, and nothing is stored.
#[tokio::test]
async fn a_slow_model_gets_a_clear_answer_before_the_gateway_gives_up() {
    let app = TestApp::configured(|c| c.ai_page_timeout = std::time::Duration::from_secs(1)).await;
    let llm = testkit::LlmHandle::start(Some("sk-test-key-9876")).expect("stand-in model");
    crate::ai_support::configure(&app, &llm, 10, 1_000_000).await;
    let a = app.add_panel("A", "https://a.example", None).await;
    let agent = app.as_role("agent1", Role::Agent, &[a]).await;
    answered(&app, a, 501, 1_700_000_000, "Alice", GOOD).await;
    // It would answer after a minute; the page waits one second.
    llm.with(|s| s.delay = std::time::Duration::from_secs(60));
    llm.fault(testkit::LlmFault::Timeout, None);
    let res = app.post(&format!("/ai/tickets/{a}/501/analyze"), Some(&agent), &[]).await;
    assert_eq!(res.status, StatusCode::GATEWAY_TIMEOUT, "{}", res.body);
    assert!(res.body.contains("did not answer in time"), "{}", res.body);
    assert!(res.body.contains("A page waits at most 1 s for the model"), "{}", res.body);
    assert!(res.body.contains("Nothing was stored"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM ai_results").await, 0);
}
