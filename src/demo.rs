//! `serve --demo`: two simulated panels synced into the console, and logins printed on the console.
//! Accounts are (re)created with fresh random passwords on every start, so the printed ones work.

use shared::auth::staff::{self, NewStaff};
use shared::auth::{session, Role};
use shared::crypto::random_token;
use shared::domain::panels::{self, PanelInput, PanelStatus};
use shared::{AppError, AppResult, AppState};
use testkit::{LlmHandle, ReceiverHandle, SimConfig, SimHandle};

pub struct DemoLogin {
    pub username: String,
    pub password: String,
    /// (username, role, password) of the other demo accounts.
    pub others: Vec<(String, &'static str, String)>,
}

fn demo_password() -> String {
    // 256-bit random token cut to 20 url-safe characters: strong, and easy to copy.
    random_token().chars().take(20).collect()
}

async fn ensure_account(state: &AppState, username: &str, role: Role, panels: &[i64]) -> AppResult<String> {
    let password = demo_password();
    let all_panels = panels.is_empty();
    let new = NewStaff { username, password: &password, role, all_panels, panels, only_if_first: false };
    match staff::create(&state.db, new).await {
        Ok(_) => {}
        Err(AppError::Conflict(_)) => {
            let (member, _) = staff::find_for_login(&state.db, username)
                .await?
                .ok_or_else(|| AppError::internal("demo account vanished"))?;
            staff::update_access(&state.db, member.id, role, all_panels, true, panels).await?;
            staff::set_password(&state.db, member.id, username, &password).await?;
            session::delete_all_for(&state.db, member.id, None).await?;
        }
        Err(e) => return Err(e),
    }
    Ok(password)
}

/// Registers (or re-points, since the simulator's port changes each start) a demo panel at a simulator.
async fn ensure_panel(state: &AppState, name: &str, sim: &SimHandle) -> AppResult<i64> {
    let input = PanelInput {
        name: name.into(),
        base_url: sim.base_url.clone(),
        status: PanelStatus::Active,
        admin_key: Some(sim.admin_key.clone()),
        services_key: Some(sim.services_key.clone()),
    };
    let existing = panels::list(&state.db, &shared::auth::PanelScope::All).await?;
    let id = match existing.iter().find(|p| p.name == name) {
        Some(p) => {
            panels::update(&state.db, &state.config.secret_key, p.id, &input).await?;
            p.id
        }
        None => panels::create(&state.db, &state.config.secret_key, &input).await?,
    };
    shared::domain::sync::ensure_rows(&state.db, id).await?;
    // The new address means new connections: let the first run take everything at once.
    shared::domain::sync::request_run(&state.db, id, None).await?;
    Ok(id)
}

/// Two simulated Perfect Panels on loopback whose clocks follow the wall clock: orders keep arriving
/// and moving while the console runs.
pub async fn start_simulators() -> AppResult<Vec<SimHandle>> {
    let now = chrono::Utc::now().timestamp();
    let mut sims = Vec::new();
    for (seed, orders) in [(11u64, 30_000u64), (23, 12_000)] {
        let sim = SimHandle::start(SimConfig::new(seed, orders, now), true)
            .await
            .map_err(|e| AppError::internal(format!("cannot start a simulated panel: {e}")))?;
        sims.push(sim);
    }
    Ok(sims)
}

pub async fn seed(state: &AppState, sims: &[SimHandle]) -> AppResult<DemoLogin> {
    let (Some(sim_a), Some(sim_b)) = (sims.first(), sims.get(1)) else {
        return Err(AppError::internal("the demo needs two simulated panels"));
    };
    let a = ensure_panel(state, "Demo Panel A", sim_a).await?;
    ensure_rivals(state, a).await?;
    let _b = ensure_panel(state, "Demo Panel B", sim_b).await?;
    start_llm(state).await?;
    ensure_alert_channel(state).await?;
    ensure_helpers(state).await?;
    let password = ensure_account(state, "demo-owner", Role::Owner, &[]).await?;
    let mut others = Vec::new();
    for (u, role, panels) in [
        ("demo-admin", Role::Admin, vec![a]),
        ("demo-agent", Role::Agent, vec![a]),
        ("demo-viewer", Role::Viewer, vec![a]),
    ] {
        let p = ensure_account(state, u, role, &panels).await?;
        others.push((u.to_string(), role.as_str(), p));
    }
    Ok(DemoLogin { username: "demo-owner".into(), password, others })
}

/// The AI reviewer of the demo talks to the loopback stand-in model (no internet, no key): AI settings
/// point at it and name the demo model, so every verdict is labelled as the stand-in's.
async fn start_llm(state: &AppState) -> AppResult<LlmHandle> {
    let llm = LlmHandle::start(None)
        .map_err(|e| AppError::internal(format!("cannot start the stand-in model: {e}")))?;
    let old = panelops_ai_review::settings::load(&state.db).await?;
    let input = panelops_ai_review::settings::SettingsInput {
        base_url: llm.base_url.clone(),
        api_key: None,
        model: testkit::llm::DEMO_MODEL.into(),
        translation_language: old.translation_language,
        max_replies_per_run: old.max_replies_per_run,
        max_tokens_per_run: old.max_tokens_per_run,
        max_tokens_per_day: old.max_tokens_per_day,
        analysis_prompt: old.analysis_prompt,
    };
    panelops_ai_review::settings::save(&state.db, &state.config.secret_key, &input).await?;
    println!("stand-in AI model: {} ({})", llm.base_url, testkit::llm::DEMO_MODEL);
    Ok(llm)
}

/// A webhook alert channel to a loopback receiver that prints what it gets, so alerts are seen firing
/// (here and in Alerts → History) without any account. Re-pointed on every start (a new port).
async fn ensure_alert_channel(state: &AppState) -> AppResult<ReceiverHandle> {
    use panelops_reports::alerts::channels::{self, ChannelInput, Kind};
    const NAME: &str = "Demo webhook (loopback)";
    let rx = ReceiverHandle::start()
        .map_err(|e| AppError::internal(format!("cannot start the alert receiver: {e}")))?;
    rx.with(|s| s.log = true);
    let input = ChannelInput {
        name: NAME.into(),
        kind: Some(Kind::Webhook),
        target: Some(format!("{}/demo-hook", rx.base_url)),
        rules: panelops_reports::alerts::rules::Rule::ALL.to_vec(),
        all_panels: true,
        enabled: true,
        ..ChannelInput::default()
    };
    let conn = state.db.connect().await?;
    match channels::list(&conn).await?.into_iter().find(|c| c.name == NAME) {
        Some(c) => channels::update(&conn, &state.config.secret_key, c.id, &input).await?,
        None => {
            channels::create(&conn, &state.config.secret_key, &input, None, shared::time::now()).await?;
        }
    }
    println!("alert webhook receiver: {}/demo-hook (alerts it gets are printed here)", rx.base_url);
    Ok(rx)
}

/// Two simulated rival panels tracked for panel A, with two weeks of 12-hourly catalogue history
/// written on first start, so the competitor report and matching suggestions have something to show.
async fn ensure_rivals(state: &AppState, panel: i64) -> AppResult<()> {
    use shared::domain::competitors::{self, catalog, CompetitorInput};
    use testkit::rival::{Rival, EPOCH_SECS};
    const EPOCHS: i64 = 28;
    let now = chrono::Utc::now().timestamp();
    let existing = competitors::list(&state.db, &shared::auth::PanelScope::All, Some(panel)).await?;
    for (seed, name) in [(101u64, "Rival SMM (demo)"), (202, "BoostKing (demo)")] {
        let sim = SimHandle::start(SimConfig::new(seed, 10, now), true)
            .await
            .map_err(|e| AppError::internal(format!("cannot start a simulated rival: {e}")))?;
        let rival = Rival { seed, t0: now - EPOCHS * EPOCH_SECS };
        sim.with(|s| s.rival = Some(rival));
        let input = CompetitorInput {
            panel_id: panel,
            name: name.into(),
            base_url: sim.base_url.clone(),
            api_key: Some(sim.services_key.clone()),
            enabled: true,
        };
        let id = match existing.iter().find(|c| c.name == name) {
            Some(c) => {
                competitors::update(&state.db, &state.config.secret_key, c.id, &input).await?;
                c.id
            }
            None => competitors::create(&state.db, &state.config.secret_key, &input).await?,
        };
        if catalog::history_starts(&state.db, id).await?.is_none() {
            let conn = state.db.connect().await?;
            for e in 0..EPOCHS {
                let t = rival.t0 + e * EPOCH_SECS;
                let rows: Vec<shared::pp::rows::ServiceRow> = rival
                    .catalogue(t)
                    .iter()
                    .filter_map(|v| shared::pp::rows::ServiceRow::parse(v).ok())
                    .collect();
                catalog::apply_snapshot(&conn, id, t, &rows, Vec::new()).await?;
            }
        }
    }
    shared::domain::sync::request_run(&state.db, panel, Some(shared::domain::sync::Resource::Competitors))
        .await?;
    Ok(())
}

/// Payment methods (display names and bounds, so the payments page shows names and some risk) and
/// canned replies, on first start only: staff edit them like any other settings afterwards.
async fn ensure_helpers(state: &AppState) -> AppResult<()> {
    let conn = state.db.connect().await?;
    let mut rows = conn
        .query("SELECT (SELECT COUNT(*) FROM payment_methods), (SELECT COUNT(*) FROM canned_replies)", ())
        .await?;
    let (methods, canned): (i64, i64) = match rows.next().await? {
        Some(r) => (r.get(0)?, r.get(1)?),
        None => (0, 0),
    };
    drop(rows);
    let now = shared::time::now();
    let tx = shared::db::write_tx(&conn).await?;
    if methods == 0 {
        const UNIT: i64 = 1_000_000;
        for (internal, display, min, max) in [
            ("perfectmoney", "Perfect Money", 1, 2_000),
            ("payeer", "Payeer", 1, 1_000),
            ("stripe", "Card (Stripe)", 5, 500),
            ("coinbase", "Crypto (Coinbase)", 10, 5_000),
            ("binance_pay", "Binance Pay", 10, 5_000),
            ("paypal", "PayPal", 5, 150),
        ] {
            tx.execute(
                "INSERT INTO payment_methods (internal_name, display_name, min_amount, max_amount, created)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                libsql::params![internal, display, min * UNIT, max * UNIT, now],
            )
            .await?;
        }
    }
    if canned == 0 {
        for (title, body) in [
            ("Refill started", "Hello! We have started a refill for your order. It usually completes within 24 hours."),
            ("Order in progress", "Hello! Your order is in progress and will be completed according to the speed stated in the service description."),
            ("Cancel and refund", "Hello! We have cancelled the order and refunded the remaining amount to your balance."),
        ] {
            tx.execute(
                "INSERT INTO canned_replies (title, body, owner_id, created, updated) VALUES (?1, ?2, NULL, ?3, ?3)",
                libsql::params![title, body, now],
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
