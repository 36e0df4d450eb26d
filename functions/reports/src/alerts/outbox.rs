//! Sending the claimed messages: grouped by where a service counts its limit (a Telegram chat: one
//! message per second, whichever channel posts to it), each group in its own task so a slow or failing
//! channel never holds back another; each message retried with backoff within the run; the outcomes
//! written back in one transaction, with each channel's last success or error.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libsql::params;
use shared::crypto::SecretKey;
use shared::db::{Conn, Stmt};
use shared::AppResult;

use super::channels::Channel;
use super::deliver::{Delivered, Options, MAX_ATTEMPTS};
use super::message::Message;
use super::send::{self, SendError};

/// A retry-after longer than this is not waited for within the run; the next runs take it.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Which row a message is: a delivery of an incident, or a digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Delivery(i64),
    Digest(i64),
}

impl Target {
    fn table(self) -> (&'static str, i64) {
        match self {
            Target::Delivery(id) => ("alert_deliveries", id),
            Target::Digest(id) => ("alert_digests", id),
        }
    }
}

/// What happened to one claimed message.
pub enum Outcome {
    Sent {
        attempts: i64,
    },
    Failed {
        attempts: i64,
        error: SendError,
    },
    /// Not tried: the channel failed on an earlier message of this run.
    Skipped {
        error: String,
    },
    /// Not tried: the run's time was up; the next run takes it.
    Released,
}

/// The messages of one pace group (a Telegram chat, or one channel), in the order they are sent.
#[derive(Default)]
pub struct Group {
    pub messages: Vec<(Channel, Target, Message)>,
}

/// Groups messages by their channel's pace key.
pub fn group(list: Vec<(Channel, Target, Message)>) -> Vec<Group> {
    let mut order: Vec<String> = Vec::new();
    let mut by: HashMap<String, Group> = HashMap::new();
    for (c, t, m) in list {
        let key = c.pace_key();
        if !by.contains_key(&key) {
            order.push(key.clone());
        }
        by.entry(key).or_default().messages.push((c, t, m));
    }
    order.into_iter().filter_map(|k| by.remove(&k)).collect()
}

pub type Results = Vec<(Channel, Target, Outcome)>;

/// Sends every group at once, each in its own task; every message's outcome.
pub async fn send_all(
    groups: Vec<Group>,
    key: &SecretKey,
    allow_private: bool,
    opts: &Options,
    now: i64,
    deadline: Instant,
) -> AppResult<Results> {
    let client =
        send::client(allow_private, opts.timeout).map_err(|e| shared::AppError::internal(e.message))?;
    let mut tasks = tokio::task::JoinSet::new();
    for g in groups {
        let (client, key, opts) = (client.clone(), key.clone(), *opts);
        tasks.spawn(async move { run_group(g, &client, &key, allow_private, &opts, now, deadline).await });
    }
    let mut out = Vec::new();
    while let Some(res) = tasks.join_next().await {
        match res {
            Ok(list) => out.extend(list),
            Err(e) => tracing::error!(error = %e, "an alert channel's sender stopped"),
        }
    }
    Ok(out)
}

/// Sends one group's messages in order, keeping its service's pace between any two of them.
async fn run_group(
    g: Group,
    client: &reqwest::Client,
    key: &SecretKey,
    allow_private: bool,
    opts: &Options,
    now: i64,
    deadline: Instant,
) -> Results {
    let mut out = Vec::new();
    // A channel that failed is not tried again this run; another channel of the same chat still is.
    let mut broken: HashMap<i64, String> = HashMap::new();
    let mut last_sent: Option<Instant> = None;
    for (channel, target, msg) in g.messages {
        if let Some(why) = broken.get(&channel.id) {
            let error = format!("not sent: {why}");
            out.push((channel, target, Outcome::Skipped { error }));
            continue;
        }
        if Instant::now() >= deadline {
            out.push((channel, target, Outcome::Released));
            continue;
        }
        if let (Some(at), true) = (last_sent, opts.spacing) {
            let gap = channel.kind.spacing();
            if at.elapsed() < gap {
                tokio::time::sleep(gap - at.elapsed()).await;
            }
        }
        let (outcome, at) = send_with_retries(client, key, allow_private, &channel, &msg, opts, now).await;
        last_sent = Some(at);
        if let Outcome::Failed { error, .. } = &outcome {
            broken.insert(channel.id, format!("an earlier message failed ({})", error.message));
        }
        out.push((channel, target, outcome));
    }
    out
}

/// One message, tried up to `opts.attempts` times: waiting the backoff (doubled each time) or what the
/// service asked for (a 429's retry-after), whichever is longer. Also when the last attempt was made.
pub async fn send_with_retries(
    client: &reqwest::Client,
    key: &SecretKey,
    allow_private: bool,
    channel: &Channel,
    msg: &Message,
    opts: &Options,
    now: i64,
) -> (Outcome, Instant) {
    let mut wait = opts.backoff;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let at = Instant::now();
        match send::send(client, key, allow_private, channel, msg, now, opts.timeout).await {
            Ok(()) => return (Outcome::Sent { attempts }, at),
            Err(error)
                if !error.retry
                    || attempts >= opts.attempts as i64
                    || error.retry_after.is_some_and(|d| d > MAX_RETRY_AFTER) =>
            {
                return (Outcome::Failed { attempts, error }, at)
            }
            Err(error) => {
                tokio::time::sleep(wait.max(error.retry_after.unwrap_or_default())).await;
                wait *= 2;
            }
        }
    }
}

/// Writes every outcome and each channel's last success or error: one transaction.
pub async fn record(conn: &Conn, results: Results, now: i64) -> AppResult<Delivered> {
    let mut report = Delivered::default();
    let mut stmts = Vec::new();
    let mut channels: HashMap<i64, (bool, Option<String>)> = HashMap::new();
    for (channel, target, outcome) in results {
        let (table, id) = target.table();
        let state = channels.entry(channel.id).or_default();
        match outcome {
            Outcome::Sent { attempts } => {
                report.sent += 1;
                state.0 = true;
                stmts.push(Stmt::new(
                    format!(
                        "UPDATE {table} SET status = 'sent', sent_at = ?1, attempts = attempts + ?2, error = NULL
                         WHERE id = ?3"
                    ),
                    params![now, attempts, id],
                ));
            }
            Outcome::Failed { attempts, error } => {
                report.failed += 1;
                report.errors.push(format!("{}: {}", channel.name, error.message));
                // A refusal that retrying cannot mend is given up at once.
                let given_up = if error.retry { 0 } else { MAX_ATTEMPTS };
                // The next run may try again after a minute per attempt so far (at most an hour), or
                // after what the service asked for.
                let asked = error.retry_after.map(|d| d.as_secs() as i64).unwrap_or(0);
                stmts.push(Stmt::new(
                    format!(
                        "UPDATE {table} SET status = 'failed', attempts = MAX(attempts + ?1, ?2), error = ?3,
                           claimed_until = ?4 + MAX(?6, MIN(3600, 60 * (attempts + ?1))) WHERE id = ?5"
                    ),
                    params![attempts, given_up, error.message.as_str(), now, id, asked],
                ));
                state.1 = Some(error.message);
            }
            Outcome::Skipped { error } => {
                report.failed += 1;
                stmts.push(Stmt::new(
                    format!(
                        "UPDATE {table} SET status = 'failed', error = ?1, claimed_until = ?2 WHERE id = ?3"
                    ),
                    params![error, now + 60, id],
                ));
            }
            Outcome::Released => {
                stmts.push(Stmt::new(
                    format!("UPDATE {table} SET claimed_until = ?1 WHERE id = ?2"),
                    params![now, id],
                ));
            }
        }
    }
    for (id, (any_ok, last_error)) in channels {
        if any_ok {
            stmts
                .push(Stmt::new("UPDATE alert_channels SET last_ok_at = ?1 WHERE id = ?2", params![now, id]));
        }
        if let Some(e) = last_error {
            stmts.push(Stmt::new(
                "UPDATE alert_channels SET last_error = ?1, last_error_at = ?2 WHERE id = ?3",
                params![e, now, id],
            ));
        }
    }
    if !stmts.is_empty() {
        conn.write_batch(stmts).await?;
    }
    Ok(report)
}
