//! Channels: where alerts go (Telegram, Slack, Discord, email, a generic signed webhook), which panels
//! and rules each covers, its time zone, quiet hours and digests, as stored. Secrets (bot tokens,
//! webhook URLs, the signing secret) are encrypted with `PANELOPS_SECRET_KEY` and never leave the
//! server again, except the signing secret, shown once when the channel is made. How a channel is
//! entered and written is `channel_input`.

use libsql::params;
use shared::auth::PanelScope;
use shared::crypto::SecretKey;
use shared::db::{Conn, Reads, Row, Stmt};
use shared::{AppError, AppResult};

use super::digest::schedule::DigestSchedule;
use super::rules::{self, Rule};
use super::zone::{self, Quiet, Tz};

pub use super::channel_input::{check_addresses, create, mail_recipients, update, validate, ChannelInput};
pub use super::zone::{clock, parse_clock};

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
    pub time_zone: Tz,
    pub digest: DigestSchedule,
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

    /// Where a chat service counts its per-chat limit: channels posting to the same Telegram chat share
    /// it (one message per second per chat), any other channel is its own.
    pub fn pace_key(&self) -> String {
        match (self.kind, &self.chat_id) {
            (Kind::Telegram, Some(chat)) => format!("telegram:{}", chat.trim()),
            _ => format!("channel:{}", self.id),
        }
    }

    pub fn target(&self, key: &SecretKey) -> AppResult<String> {
        Ok(key.decrypt(&self.target_enc)?)
    }

    pub fn signing_secret(&self, key: &SecretKey) -> AppResult<Option<String>> {
        Ok(self.signing_enc.as_deref().map(|s| key.decrypt(s)).transpose()?)
    }
}

const COLS: &str = "id, name, kind, target_hint, chat_id, api_base, rules, all_panels, quiet_start, quiet_end,
    time_zone, enabled, created_by, created_at, last_ok_at, last_error, last_error_at, target_enc, signing_enc,
    mail_from, mail_to, digest_daily, digest_weekly, digest_hour, digest_weekday";

fn from_row(r: &Row) -> AppResult<Channel> {
    let kind: String = r.get(2)?;
    let rules_text: String = r.get(6)?;
    // A zone this build's database does not know (an older tz release) counts as UTC.
    let time_zone = zone::parse_zone(&r.get::<String>(10)?).unwrap_or(zone::UTC);
    let quiet = match (shared::db::opt_i64(r, 8)?, shared::db::opt_i64(r, 9)?) {
        (Some(start), Some(end)) => Some(Quiet { start, end, zone: time_zone }),
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
        time_zone,
        digest: DigestSchedule {
            daily: r.get::<i64>(21)? != 0,
            weekly: r.get::<i64>(22)? != 0,
            hour: r.get(23)?,
            weekday: r.get(24)?,
        },
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

pub async fn delete(conn: &Conn, id: i64) -> AppResult<bool> {
    Ok(conn.execute("DELETE FROM alert_channels WHERE id = ?1", params![id]).await? > 0)
}
