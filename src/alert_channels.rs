//! `panelops alerts channel add`: what Settings → Alerts does, for scripts.

use panelops_reports::alerts::channels::{self, ChannelInput, Kind};
use panelops_reports::alerts::digest::schedule::DigestSchedule;
use panelops_reports::alerts::rules::Rule;
use panelops_reports::alerts::zone;
use shared::auth::PanelScope;
use shared::domain::panels;
use shared::{AppError, AppResult, AppState};

use crate::cli::ChannelCommand;

pub async fn run(state: &AppState, command: ChannelCommand) -> AppResult<()> {
    let ChannelCommand::Add {
        name,
        kind,
        url,
        token,
        chat,
        api_base,
        from,
        to,
        rules,
        panels,
        time_zone,
        digest,
        digest_hour,
    } = command;
    let time_zone = zone::parse_zone(&time_zone).ok_or_else(|| {
        AppError::BadRequest(format!(
            "--time-zone {time_zone:?} is not a time zone; name one like Europe/Berlin"
        ))
    })?;
    let (daily, weekly) = match digest.trim() {
        "none" => (false, false),
        "daily" => (true, false),
        "weekly" => (false, true),
        "both" => (true, true),
        other => {
            return Err(AppError::BadRequest(format!(
                "--digest must be none, daily, weekly or both, not {other:?}"
            )))
        }
    };
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
        time_zone: Some(time_zone),
        digest: DigestSchedule { daily, weekly, hour: digest_hour, ..DigestSchedule::default() },
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
