//! `panelops alerts channel add`: what Settings → Alerts does, for scripts.

use reports::alerts::channels::{self, ChannelInput, Kind};
use reports::alerts::rules::Rule;
use shared::auth::PanelScope;
use shared::domain::panels;
use shared::{AppError, AppResult, AppState};

use crate::cli::ChannelCommand;

pub async fn run(state: &AppState, command: ChannelCommand) -> AppResult<()> {
    let ChannelCommand::Add { name, kind, url, token, chat, api_base, from, to, rules, panels } = command;
    let kind = Kind::parse(&kind).ok_or_else(|| {
        AppError::BadRequest(format!(
            "--kind must be webhook, telegram, slack, discord or email, not {kind:?}"
        ))
    })?;
    let target = if kind == Kind::Telegram { token } else { url };
    let rules = if rules.trim() == "all" {
        Rule::ALL.to_vec()
    } else {
        rules
            .split(',')
            .map(|r| {
                Rule::parse(r).ok_or_else(|| {
                    let known: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
                    AppError::BadRequest(format!("no rule {r:?}; rules: all, {}", known.join(", ")))
                })
            })
            .collect::<AppResult<Vec<Rule>>>()?
    };
    let known = panels::list(&state.db, &PanelScope::All).await?;
    let (all_panels, panel_ids) = if panels.trim() == "all" {
        (true, Vec::new())
    } else {
        let ids = panels
            .split(',')
            .map(|p| {
                p.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|id| known.iter().any(|k| k.id == *id))
                    .ok_or_else(|| AppError::BadRequest(format!("no panel with id {p:?}")))
            })
            .collect::<AppResult<Vec<i64>>>()?;
        (false, ids)
    };
    let input = ChannelInput {
        name,
        kind: Some(kind),
        target,
        chat_id: chat,
        api_base,
        mail_from: from,
        mail_to: to,
        rules,
        all_panels,
        panels: panel_ids,
        quiet: None,
        utc_offset: 0,
        enabled: true,
    };
    channels::validate(&input, true).map_err(|(_, m)| AppError::BadRequest(m))?;
    channels::check_addresses(&input, state.config.allow_private_urls)
        .await
        .map_err(|(_, m)| AppError::BadRequest(m))?;
    let conn = state.db.connect().await?;
    let (id, secret) =
        channels::create(&conn, &state.config.secret_key, &input, None, shared::time::now()).await?;
    println!("channel {} added (id {id})", input.name.trim());
    if let Some(s) = secret {
        println!("signing secret (shown only now): {s}");
    }
    Ok(())
}
