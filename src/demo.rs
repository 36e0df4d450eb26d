//! `serve --demo`: a console with something in it, and logins printed on the console.
//! Accounts are (re)created with fresh random passwords on every start, so the printed ones work.

use shared::auth::staff::{self, NewStaff};
use shared::auth::{session, Role};
use shared::crypto::random_token;
use shared::domain::panels::{self, PanelInput, PanelStatus};
use shared::{AppError, AppResult, AppState};

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

async fn ensure_panel(state: &AppState, name: &str, url: &str) -> AppResult<i64> {
    let existing = panels::list(&state.db, &shared::auth::PanelScope::All).await?;
    if let Some(p) = existing.iter().find(|p| p.base_url == url) {
        return Ok(p.id);
    }
    let input = PanelInput {
        name: name.into(),
        base_url: url.into(),
        // Paused: no simulated panel answers at this address yet, so nothing pretends to sync.
        status: PanelStatus::Paused,
        admin_key: Some(format!("demo-admin-{}", demo_password())),
        services_key: None,
    };
    panels::create(&state.db, &state.config.secret_key, &input).await
}

pub async fn seed(state: &AppState) -> AppResult<DemoLogin> {
    let a = ensure_panel(state, "Demo Panel A", "https://demo-panel-a.example").await?;
    let _b = ensure_panel(state, "Demo Panel B", "https://demo-panel-b.example").await?;
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
