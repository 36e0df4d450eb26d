//! A channel as staff enter it (Settings → Alerts, `panelops alerts channel add`): its checks, and the
//! writes that create or change it. A new and an edited channel share one set of statements.

use libsql::params;
use shared::crypto::{random_token, SecretKey};
use shared::db::{Conn, Stmt};
use shared::{AppError, AppResult};

use super::channels::Kind;
use super::digest::schedule::DigestSchedule;
use super::rules::{self, Rule};
use super::zone::{self, Tz};

/// A channel as entered (the page's form or the CLI). `target` None keeps the stored one on update.
#[derive(Debug, Default)]
pub struct ChannelInput {
    pub name: String,
    pub kind: Option<Kind>,
    /// The URL (webhook, Slack, Discord, SMTP) or the bot token (Telegram).
    pub target: Option<String>,
    pub chat_id: Option<String>,
    pub api_base: Option<String>,
    pub mail_from: Option<String>,
    pub mail_to: Option<String>,
    pub rules: Vec<Rule>,
    pub all_panels: bool,
    pub panels: Vec<i64>,
    pub quiet: Option<(i64, i64)>,
    /// None = UTC.
    pub time_zone: Option<Tz>,
    pub digest: DigestSchedule,
    pub enabled: bool,
}

/// What the page shows of a target: the host of a URL, the last 4 of a token.
fn hint(kind: Kind, target: &str) -> String {
    match kind {
        Kind::Telegram => format!("token •••• {}", shared::crypto::last4(target)),
        _ => match url::Url::parse(target) {
            Ok(u) => format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or("")),
            Err(_) => "••••".into(),
        },
    }
}

/// Checks a channel's fields; Err is (field, sentence).
pub fn validate(input: &ChannelInput, creating: bool) -> Result<Kind, (&'static str, String)> {
    if input.name.trim().is_empty() || input.name.chars().count() > 80 {
        return Err(("name", "Enter a name of up to 80 characters.".into()));
    }
    let kind = input.kind.ok_or(("kind", "Choose a kind of channel.".to_string()))?;
    match (&input.target, creating) {
        (None, true) => {
            let what = match kind {
                Kind::Telegram => "the bot token",
                Kind::Email => "the SMTP server's URL",
                _ => "the webhook URL",
            };
            return Err(("target", format!("Enter {what}.")));
        }
        (Some(t), _) if kind == Kind::Email => {
            let ok = url::Url::parse(t)
                .is_ok_and(|u| matches!(u.scheme(), "smtp" | "smtps") && u.host().is_some());
            if !ok {
                return Err((
                    "target",
                    "Enter the server as smtp://user:password@host:587?tls=required (STARTTLS) or smtps://user:password@host:465.".into(),
                ));
            }
        }
        (Some(t), _) if kind != Kind::Telegram => {
            let ok = url::Url::parse(t)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                return Err(("target", "Enter the full webhook URL, starting with https://.".into()));
            }
        }
        (Some(t), _) if t.contains(char::is_whitespace) || t.contains('/') => {
            return Err((
                "target",
                "A bot token looks like 123456:ABC-DEF…, without spaces or slashes.".into(),
            ));
        }
        _ => {}
    }
    if kind == Kind::Telegram && input.chat_id.as_deref().is_none_or(|c| c.trim().is_empty()) {
        return Err(("chat_id", "Enter the chat id (e.g. -1001234567890 or @channelname).".into()));
    }
    if let Some(base) = &input.api_base {
        if !url::Url::parse(base).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            return Err(("api_base", "Enter an address like https://api.telegram.org.".into()));
        }
    }
    if kind == Kind::Email {
        let from = input.mail_from.as_deref().unwrap_or("").trim();
        if from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(("mail_from", "Enter the sender's address, like alerts@example.com.".into()));
        }
        let to = input.mail_to.as_deref().unwrap_or("");
        if mail_recipients(to).is_none() {
            return Err(("mail_to", "Enter one or more addresses, separated by commas.".into()));
        }
    }
    if !(0..24).contains(&input.digest.hour) || !(1..=7).contains(&input.digest.weekday) {
        return Err(("digest", "Choose the digest's hour (0–23) and weekday.".into()));
    }
    if input.rules.is_empty() {
        return Err(("rules", "Choose at least one rule.".into()));
    }
    if !input.all_panels && input.panels.is_empty() {
        return Err(("panels", "Choose the panels this channel covers, or All panels.".into()));
    }
    Ok(kind)
}

/// The recipients of an email channel, or None if one of them is no address.
pub fn mail_recipients(text: &str) -> Option<Vec<lettre::message::Mailbox>> {
    let list: Vec<&str> = text.split(',').map(str::trim).filter(|a| !a.is_empty()).collect();
    if list.is_empty() {
        return None;
    }
    list.iter().map(|a| a.parse().ok()).collect()
}

/// Refuses addresses the console will not call (private or local ones, unless the operator allows
/// them): told now, on the form, rather than at the first alert.
pub async fn check_addresses(
    input: &ChannelInput,
    allow_private: bool,
) -> Result<(), (&'static str, String)> {
    if input.kind != Some(Kind::Telegram) {
        if let Some(t) = &input.target {
            shared::outbound::check_destination(t.trim(), allow_private)
                .await
                .map_err(|e| ("target", e.to_string()))?;
        }
    }
    if let Some(b) = &input.api_base {
        shared::outbound::check_destination(b.trim(), allow_private)
            .await
            .map_err(|e| ("api_base", e.to_string()))?;
    }
    Ok(())
}

/// Which channel a write names: a known id, or the one the same transaction has just inserted.
#[derive(Clone, Copy)]
enum Which {
    Id(i64),
    JustInserted,
}

impl Which {
    fn sql(self) -> String {
        match self {
            Which::Id(id) => id.to_string(),
            Which::JustInserted => "(SELECT MAX(id) FROM alert_channels)".into(),
        }
    }
}

fn opt(v: &Option<String>) -> libsql::Value {
    v.as_ref()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| libsql::Value::from(s.to_string()))
        .unwrap_or(libsql::Value::Null)
}

/// Everything but the secrets, the kind and the creator: the same statements for a new channel and
/// an edited one (its settings, then its panels replaced).
fn settings_stmts(which: Which, input: &ChannelInput) -> Vec<Stmt> {
    let id = which.sql();
    let (qs, qe) = match input.quiet {
        Some((s, e)) => (s.into(), e.into()),
        None => (libsql::Value::Null, libsql::Value::Null),
    };
    let mut out = vec![
        Stmt::new(
            format!(
                "UPDATE alert_channels SET name = ?1, chat_id = ?2, api_base = ?3, rules = ?4, all_panels = ?5,
                   quiet_start = ?6, quiet_end = ?7, time_zone = ?8, enabled = ?9, mail_from = ?10, mail_to = ?11,
                   digest_daily = ?12, digest_weekly = ?13, digest_hour = ?14, digest_weekday = ?15
                 WHERE id = {id}"
            ),
            params![
                input.name.trim(),
                opt(&input.chat_id),
                opt(&input.api_base),
                rules::list_text(&input.rules),
                input.all_panels as i64,
                qs,
                qe,
                input.time_zone.unwrap_or(zone::UTC).name(),
                input.enabled as i64,
                opt(&input.mail_from),
                opt(&input.mail_to),
                input.digest.daily as i64,
                input.digest.weekly as i64,
                input.digest.hour,
                input.digest.weekday as i64
            ],
        ),
        Stmt::new(format!("DELETE FROM alert_channel_panels WHERE channel_id = {id}"), ()),
    ];
    if !input.all_panels {
        for p in &input.panels {
            out.push(Stmt::new(
                format!(
                    "INSERT OR IGNORE INTO alert_channel_panels (channel_id, panel_id) VALUES ({id}, ?1)"
                ),
                params![*p],
            ));
        }
    }
    out
}

/// Creates a channel in one write; returns its id and, for a webhook, its signing secret (shown once).
pub async fn create(
    conn: &Conn,
    key: &SecretKey,
    input: &ChannelInput,
    created_by: Option<i64>,
    now: i64,
) -> AppResult<(i64, Option<String>)> {
    let kind = validate(input, true).map_err(|(_, m)| AppError::BadRequest(m))?;
    let target = input.target.as_deref().unwrap_or("").trim().to_string();
    let signing = (kind == Kind::Webhook).then(random_token);
    let signing_enc = signing.as_deref().map(|s| key.encrypt(s)).transpose()?;
    let mut stmts = vec![Stmt::new(
        "INSERT INTO alert_channels (name, kind, target_enc, target_hint, signing_enc, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        params![
            input.name.trim(),
            kind.as_str(),
            key.encrypt(&target)?,
            hint(kind, &target),
            signing_enc.map(libsql::Value::from).unwrap_or(libsql::Value::Null),
            created_by.map(libsql::Value::from).unwrap_or(libsql::Value::Null),
            now
        ],
    )];
    // The rest in the same transaction, naming the row just inserted (writes are serialised).
    stmts.extend(settings_stmts(Which::JustInserted, input));
    let mut out = conn.write_batch(stmts).await?;
    let id = match out.first_mut() {
        Some(rows) => rows.next().await?.map(|r| r.get::<i64>(0)).transpose()?,
        None => None,
    };
    Ok((id.ok_or_else(|| AppError::internal("the new channel has no id"))?, signing))
}

/// Updates a channel in one write; a blank target keeps the stored one.
pub async fn update(conn: &Conn, key: &SecretKey, id: i64, input: &ChannelInput) -> AppResult<()> {
    let kind = validate(input, false).map_err(|(_, m)| AppError::BadRequest(m))?;
    let mut stmts = settings_stmts(Which::Id(id), input);
    if let Some(t) = input.target.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        stmts.push(Stmt::new(
            "UPDATE alert_channels SET target_enc = ?1, target_hint = ?2 WHERE id = ?3",
            params![key.encrypt(t)?, hint(kind, t), id],
        ));
    }
    conn.write_batch(stmts).await?;
    Ok(())
}
