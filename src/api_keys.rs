//! `panelops api-key create`: what Settings → API keys does, for operators' scripts.

use shared::audit::{self, Actor};
use shared::auth::api_key::{self, NewKey};
use shared::auth::{ClientInfo, PanelScope, Scope};
use shared::domain::panels;
use shared::{AppError, AppResult, AppState};

/// Creates the key and returns its token (never stored; only its hash is).
pub async fn create(
    state: &AppState,
    name: &str,
    scopes: &str,
    panel_ids: Option<&str>,
) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::BadRequest("--name must be 1 to 80 characters".into()));
    }
    let scopes = scopes
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            Scope::parse(s).ok_or_else(|| {
                let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                AppError::BadRequest(format!("no scope {:?}; scopes: {}", s.trim(), known.join(", ")))
            })
        })
        .collect::<AppResult<Vec<Scope>>>()?;
    if scopes.is_empty() {
        return Err(AppError::BadRequest("--scopes must name at least one scope".into()));
    }
    let known = panels::list(&state.db, &PanelScope::All).await?;
    let chosen = match panel_ids {
        None => None,
        Some(list) => Some(
            list.split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| {
                    p.trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|id| known.iter().any(|k| k.id == *id))
                        .ok_or_else(|| AppError::BadRequest(format!("no panel with id {:?}", p.trim())))
                })
                .collect::<AppResult<Vec<i64>>>()?,
        ),
    };
    if chosen.as_ref().is_some_and(Vec::is_empty) {
        return Err(AppError::BadRequest("--panels names no panel".into()));
    }
    // A key belongs to an owner (its page lists who made it): the first owner stands for the operator.
    let conn = state.db.connect().await?;
    let mut rows = conn
        .query("SELECT id, username FROM staff WHERE role = 'owner' AND active = 1 ORDER BY id LIMIT 1", ())
        .await?;
    let Some(owner) = rows.next().await? else {
        return Err(AppError::BadRequest("no owner yet: run `panelops create-owner` first".into()));
    };
    let (owner_id, owner_name): (i64, String) = (owner.get(0)?, owner.get(1)?);
    let panels_list = chosen.clone().unwrap_or_default();
    let new = NewKey {
        name,
        scopes: &scopes,
        all_panels: chosen.is_none(),
        panels: &panels_list,
        created_by: owner_id,
    };
    let (_, token) = api_key::create(&state.db, &new).await?;
    let scope_text: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let panels_text = match &chosen {
        None => "all panels".to_string(),
        Some(ids) => ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "),
    };
    let prefix: String = token.chars().take(11).collect();
    let details = format!(
        "Key {name} ({prefix}…) from the command line: {}; panels {panels_text}",
        scope_text.join(", ")
    );
    let client = ClientInfo { ip: "cli".into(), user_agent: "panelops api-key create".into(), secure: false };
    let actor = Actor { staff_id: Some(owner_id), username: &owner_name, client: &client };
    audit::record(&state.db, &actor, "api_key.created", &details, None).await?;
    Ok(token)
}
