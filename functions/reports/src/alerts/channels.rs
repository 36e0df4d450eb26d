//! Channels: where alerts go (Telegram, Slack, Discord, a generic signed webhook), which panels and
//! rules each covers, and its quiet hours. Secrets (bot tokens, webhook URLs, the signing secret) are
//! encrypted with `PANELOPS_SECRET_KEY` and never leave the server again, except the signing secret,
//! shown once when the channel is made.

use libsql::params;
use shared::auth::PanelScope;
use shared::crypto::{random_token, SecretKey};
use shared::db::{Conn, Reads, Row, Stmt};
use shared::{AppError, AppResult};

use super::rules::{self, Rule};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Webhook,
    Telegram,
    Slack,
    Discord,
    Email,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Telegram, Kind::Slack, Kind::Discord, Kind::Email, Kind::Webhook];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Webhook => "webhook",
            Kind::Telegram => "telegram",
            Kind::Slack => "slack",
            Kind::Discord => "discord",
            Kind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Webhook => "Webhook (signed JSON)",
            Kind::Telegram => "Telegram",
            Kind::Slack => "Slack",
            Kind::Discord => "Discord",
            Kind::Email => "Email (SMTP)",
        }
    }

    /// The least time between two messages to one channel: Telegram allows one message per second
    /// per chat, Slack's incoming webhooks about one per second.
    pub fn spacing(self) -> std::time::Duration {
        match self {
            Kind::Telegram | Kind::Slack => std::time::Duration::from_millis(1100),
            Kind::Discord => std::time::Duration::from_millis(500),
            Kind::Webhook | Kind::Email => std::time::Duration::ZERO,
        }
    }
}

/// Quiet hours: from `start` to `end` (minutes of the day, local to `utc_offset` minutes east of UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quiet {
    pub start: i64,
    pub end: i64,
    pub utc_offset: i64,
}

impl Quiet {
    pub fn holds(&self, now: i64) -> bool {
        let m = (now.div_euclid(60) + self.utc_offset).rem_euclid(1440);
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Less => m >= self.start && m < self.end,
            std::cmp::Ordering::Greater => m >= self.start || m < self.end,
            std::cmp::Ordering::Equal => false,
        }
    }
}

/// "22:00" → 1320.
pub fn parse_clock(s: &str) -> Option<i64> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

pub fn clock(minute: i64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// "+03:00" / "-5" / "UTC+5:30" → minutes east of UTC.
pub fn parse_offset(s: &str) -> Option<i64> {
    let t = s.trim().trim_start_matches("UTC").trim_start_matches("utc").trim();
    if t.is_empty() || t == "0" || t == "Z" {
        return Some(0);
    }
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => (1, t),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 60 + m))
}

pub fn offset_text(minutes: i64) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    format!("UTC{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
}

#[derive(Clone, Debug)]
pub struct Channel {
    pub id: i64,
    pub name: String,
    pub kind: Kind,
    /// What the page may show of the secret target: a host, or the last 4 of a token.
    pub target_hint: String,
    pub chat_id: Option<String>,
    pub api_base: Option<String>,
    pub mail_from: Option<String>,
    pub mail_to: Option<String>,
    pub rules: Vec<Rule>,
    pub all_panels: bool,
    pub panels: Vec<i64>,
    pub quiet: Option<Quiet>,
    pub utc_offset: i64,
    pub enabled: bool,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub last_ok_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    target_enc: String,
    signing_enc: Option<String>,
}

impl Channel {
    /// Whether this channel receives `rule`'s incidents of `panel`.
    pub fn covers(&self, rule: Rule, panel: i64) -> bool {
        self.rules.contains(&rule) && (self.all_panels || self.panels.contains(&panel))
    }

    /// Whether a member who sees `scope` may change this channel: every panel it covers must be theirs.
    pub fn editable_by(&self, scope: &PanelScope) -> bool {
        match scope {
            PanelScope::All => true,
            PanelScope::Only(_) => !self.all_panels && self.panels.iter().all(|p| scope.allows(*p)),
        }
    }

    /// Whether a member who sees `scope` sees this channel at all (it covers one of their panels).
    pub fn visible_to(&self, scope: &PanelScope) -> bool {
        matches!(scope, PanelScope::All) || self.all_panels || self.panels.iter().any(|p| scope.allows(*p))
    }

    pub fn target(&self, key: &SecretKey) -> AppResult<String> {
        Ok(key.decrypt(&self.target_enc)?)
    }

    pub fn signing_secret(&self, key: &SecretKey) -> AppResult<Option<String>> {
        Ok(self.signing_enc.as_deref().map(|s| key.decrypt(s)).transpose()?)
    }
}

const COLS: &str = "id, name, kind, target_hint, chat_id, api_base, rules, all_panels, quiet_start, quiet_end,
    utc_offset, enabled, created_by, created_at, last_ok_at, last_error, last_error_at, target_enc, signing_enc,
    mail_from, mail_to";

fn from_row(r: &Row) -> AppResult<Channel> {
    let kind: String = r.get(2)?;
    let rules_text: String = r.get(6)?;
    let utc_offset: i64 = r.get(10)?;
    let quiet = match (shared::db::opt_i64(r, 8)?, shared::db::opt_i64(r, 9)?) {
        (Some(start), Some(end)) => Some(Quiet { start, end, utc_offset }),
        _ => None,
    };
    Ok(Channel {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: Kind::parse(&kind).ok_or_else(|| AppError::internal(format!("unknown channel kind {kind}")))?,
        target_hint: r.get(3)?,
        chat_id: shared::db::opt_text(r, 4)?,
        api_base: shared::db::opt_text(r, 5)?,
        rules: rules::parse_list(&rules_text),
        all_panels: r.get::<i64>(7)? != 0,
        panels: Vec::new(),
        quiet,
        utc_offset,
        enabled: r.get::<i64>(11)? != 0,
        created_by: shared::db::opt_i64(r, 12)?,
        created_at: r.get(13)?,
        last_ok_at: shared::db::opt_i64(r, 14)?,
        last_error: shared::db::opt_text(r, 15)?,
        last_error_at: shared::db::opt_i64(r, 16)?,
        target_enc: r.get(17)?,
        signing_enc: shared::db::opt_text(r, 18)?,
        mail_from: shared::db::opt_text(r, 19)?,
        mail_to: shared::db::opt_text(r, 20)?,
    })
}

/// Every channel with its panels: two reads in one round trip.
pub async fn list(conn: &Conn) -> AppResult<Vec<Channel>> {
    let mut reads = Reads::new();
    let (channels, panels) = list_reads(&mut reads);
    let mut done = reads.run(conn).await?;
    let channels = done.all(channels).await?;
    Ok(with_panels(channels, done.all(panels).await?))
}

/// The reads `list` makes, for a caller that batches them with its own.
pub fn list_reads(reads: &mut Reads) -> (shared::db::Read<Channel>, shared::db::Read<(i64, i64)>) {
    let channels =
        reads.add(Stmt::new(format!("SELECT {COLS} FROM alert_channels ORDER BY name, id"), ()), from_row);
    let panels = reads.add(
        Stmt::new("SELECT channel_id, panel_id FROM alert_channel_panels ORDER BY channel_id, panel_id", ()),
        |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?)),
    );
    (channels, panels)
}

pub fn with_panels(mut channels: Vec<Channel>, links: Vec<(i64, i64)>) -> Vec<Channel> {
    for c in &mut channels {
        c.panels = links.iter().filter(|(ch, _)| *ch == c.id).map(|(_, p)| *p).collect();
    }
    channels
}

pub async fn get(conn: &Conn, id: i64) -> AppResult<Option<Channel>> {
    Ok(list(conn).await?.into_iter().find(|c| c.id == id))
}

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
    pub utc_offset: i64,
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
                   quiet_start = ?6, quiet_end = ?7, utc_offset = ?8, enabled = ?9, mail_from = ?10, mail_to = ?11
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
                input.utc_offset,
                input.enabled as i64,
                opt(&input.mail_from),
                opt(&input.mail_to)
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

pub async fn delete(conn: &Conn, id: i64) -> AppResult<bool> {
    Ok(conn.execute("DELETE FROM alert_channels WHERE id = ?1", params![id]).await? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_wrap_midnight_in_the_channels_zone() {
        let q = Quiet { start: 22 * 60, end: 7 * 60, utc_offset: 180 };
        // 20:00 UTC is 23:00 at UTC+3: quiet. 05:00 UTC is 08:00 there: not.
        assert!(q.holds(20 * 3600));
        assert!(!q.holds(5 * 3600));
        assert!(q.holds(3 * 3600));
        let day = Quiet { start: 9 * 60, end: 17 * 60, utc_offset: 0 };
        assert!(day.holds(12 * 3600) && !day.holds(18 * 3600));
        assert!(!Quiet { start: 60, end: 60, utc_offset: 0 }.holds(60 * 60));
    }

    #[test]
    fn clocks_and_offsets_parse() {
        assert_eq!(parse_clock("22:00"), Some(1320));
        assert_eq!(parse_clock("24:00"), None);
        assert_eq!(parse_offset("+03:00"), Some(180));
        assert_eq!(parse_offset("UTC-5"), Some(-300));
        assert_eq!(parse_offset("5:30"), Some(330));
        assert_eq!(parse_offset("+15"), None);
        assert_eq!(offset_text(-330), "UTC-05:30");
    }
}
