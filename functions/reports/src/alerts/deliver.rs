//! Deliveries: which messages are due (a new incident, a reminder after the rule's cooldown, the one
//! "resolved", a failed one whose wait is over), claimed as rows in one write transaction so two runs
//! never send the same message, then sent channel by channel at once — a slow or failing channel
//! never holds back another — and the outcomes written back in one more transaction.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libsql::params;
use serde::Serialize;
use shared::crypto::SecretKey;
use shared::db::{Conn, Reads, Row, Stmt};
use shared::AppResult;

use super::channels::{self, Channel};
use super::incidents;
use super::message::{self, Event, Incident, Message};
use super::rules::{self, RuleBook};
use super::send::{self, SendError};

/// A claimed message nobody finished (the run stopped) is taken again after this.
const LEASE_SECS: i64 = 120;
/// Attempts over all runs before a message is given up.
pub const MAX_ATTEMPTS: i64 = 9;
/// "Resolved" messages are still sent this long after the incident resolved (a run that was down).
const RESOLVED_WINDOW_SECS: i64 = 3 * 86_400;
/// An event's message is still sent this long after it opened (quiet hours, a channel that was down).
const EVENT_WINDOW_SECS: i64 = 86_400;

/// How sending behaves; the defaults are what the schedule uses, tests shorten them.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// One request's limit, connecting included.
    pub timeout: Duration,
    /// Attempts of one message within a run.
    pub attempts: u32,
    /// The wait before the second attempt within a run; doubled for each further one.
    pub backoff: Duration,
    /// No message is started after this much of the run (the Lambda's 29 s).
    pub budget: Duration,
    /// Whether chat channels' per-chat limits are kept (tests with many messages switch it off).
    pub spacing: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(500),
            budget: Duration::from_secs(18),
            spacing: true,
        }
    }
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    /// Messages not delivered this run (failed, or not tried after their channel failed).
    pub failed: usize,
    /// "channel name: why", one per message that failed.
    pub errors: Vec<String>,
}

#[derive(Clone, Debug)]
struct DeliveryRow {
    id: i64,
    incident_id: i64,
    channel_id: i64,
    event: Event,
    seq: i64,
    status: String,
    attempts: i64,
    claimed_until: i64,
    created_at: i64,
}

fn delivery_from(r: &Row) -> AppResult<Option<DeliveryRow>> {
    let kind: String = r.get(3)?;
    let Some(event) = Event::parse(&kind) else { return Ok(None) };
    Ok(Some(DeliveryRow {
        id: r.get(0)?,
        incident_id: r.get(1)?,
        channel_id: r.get(2)?,
        event,
        seq: r.get(4)?,
        status: r.get(5)?,
        attempts: r.get(6)?,
        claimed_until: r.get(7)?,
        created_at: r.get(8)?,
    }))
}

/// A message due: a new row to insert, or a failed row to take again.
enum Due {
    New { incident: usize, channel: usize, event: Event, seq: i64 },
    Retry { id: i64, incident: usize, channel: usize, event: Event },
}

/// What happened to one claimed message.
enum Outcome {
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

fn due_list(
    book: &RuleBook,
    channels: &[Channel],
    incidents: &[Incident],
    deliveries: &[DeliveryRow],
    now: i64,
) -> Vec<Due> {
    let mut by_pair: HashMap<(i64, i64), Vec<&DeliveryRow>> = HashMap::new();
    for d in deliveries {
        by_pair.entry((d.incident_id, d.channel_id)).or_default().push(d);
    }
    let mut out = Vec::new();
    for (ci, c) in channels.iter().enumerate() {
        if !c.enabled {
            continue;
        }
        let quiet = c.quiet.is_some_and(|q| q.holds(now));
        for (ii, i) in incidents.iter().enumerate() {
            if !c.covers(i.rule, i.panel_id) {
                continue;
            }
            let settings = book.get(i.rule);
            if quiet && !settings.urgent {
                continue;
            }
            let rows = by_pair.get(&(i.id, c.id)).map(Vec::as_slice).unwrap_or(&[]);
            let open = i.resolved_at.is_none();
            for d in rows {
                let stale = open != (d.event != Event::Resolved) && i.rule.resolves();
                if d.status != "sent" && d.claimed_until <= now && d.attempts < MAX_ATTEMPTS && !stale {
                    out.push(Due::Retry { id: d.id, incident: ii, channel: ci, event: d.event });
                }
            }
            let opened = rows.iter().find(|d| d.event == Event::Opened);
            if !i.rule.resolves() {
                if opened.is_none() && i.opened_at >= now - EVENT_WINDOW_SECS {
                    out.push(Due::New { incident: ii, channel: ci, event: Event::Opened, seq: 0 });
                }
                continue;
            }
            if open {
                match opened {
                    None => out.push(Due::New { incident: ii, channel: ci, event: Event::Opened, seq: 0 }),
                    Some(_) => {
                        let last = rows
                            .iter()
                            .filter(|d| matches!(d.event, Event::Opened | Event::Reminder))
                            .map(|d| d.created_at)
                            .max()
                            .unwrap_or(i.opened_at);
                        if last <= now - settings.cooldown_minutes * 60 {
                            let seq = rows.iter().filter(|d| d.event == Event::Reminder).map(|d| d.seq).max();
                            let seq = seq.unwrap_or(0) + 1;
                            out.push(Due::New { incident: ii, channel: ci, event: Event::Reminder, seq });
                        }
                    }
                }
            } else if opened.is_some_and(|d| d.status == "sent")
                && !rows.iter().any(|d| d.event == Event::Resolved)
            {
                out.push(Due::New { incident: ii, channel: ci, event: Event::Resolved, seq: 0 });
            }
        }
    }
    out
}

/// Everything a channel's sender needs, owned (it runs as its own task).
struct ChannelJob {
    channel: Channel,
    messages: Vec<Message>,
}

/// Finds, claims, sends and records every due message.
pub async fn deliver(
    conn: &Conn,
    key: &SecretKey,
    allow_private: bool,
    public_url: Option<&str>,
    opts: &Options,
    now: i64,
) -> AppResult<Delivered> {
    let started = Instant::now();
    let mut reads = Reads::new();
    let (chans, links) = channels::list_reads(&mut reads);
    let book = rules::read(&mut reads);
    let panel_names = reads
        .add(Stmt::new("SELECT id, name FROM panels", ()), |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)));
    let since = now - RESOLVED_WINDOW_SECS;
    let incidents = incidents::recent_read(&mut reads, since);
    let deliveries = reads.add(
        Stmt::new(
            "SELECT id, incident_id, channel_id, kind, seq, status, attempts, claimed_until, created_at
             FROM alert_deliveries WHERE incident_id IN
               (SELECT id FROM alert_incidents WHERE resolved_at IS NULL OR resolved_at >= ?1)",
            params![since],
        ),
        delivery_from,
    );
    let mut done = reads.run(conn).await?;
    let channels = channels::with_panels(done.all(chans).await?, done.all(links).await?);
    let book = RuleBook::from_rows(done.all(book).await?);
    let panel_names: HashMap<i64, String> = done.all(panel_names).await?.into_iter().collect();
    let mut incidents: Vec<Incident> = done.all(incidents).await?.into_iter().flatten().collect();
    // Oldest first: a channel hears about things in the order they happened.
    incidents.sort_by_key(|i| i.id);
    let deliveries: Vec<DeliveryRow> = done.all(deliveries).await?.into_iter().flatten().collect();

    let due = due_list(&book, &channels, &incidents, &deliveries, now);
    if due.is_empty() {
        return Ok(Delivered::default());
    }
    // The claim: whoever's statement returns the row sends it.
    let lease = now + LEASE_SECS;
    let stmts: Vec<Stmt> = due
        .iter()
        .map(|d| match d {
            Due::New { incident, channel, event, seq } => Stmt::new(
                "INSERT INTO alert_deliveries (incident_id, channel_id, kind, seq, status, attempts, claimed_until, created_at)
                 VALUES (?1, ?2, ?3, ?4, 'sending', 0, ?5, ?6) ON CONFLICT DO NOTHING RETURNING id",
                params![incidents[*incident].id, channels[*channel].id, event.as_str(), *seq, lease, now],
            ),
            Due::Retry { id, .. } => Stmt::new(
                "UPDATE alert_deliveries SET status = 'sending', claimed_until = ?1
                 WHERE id = ?2 AND status != 'sent' AND claimed_until <= ?3 AND attempts < ?4 RETURNING id",
                params![lease, *id, now, MAX_ATTEMPTS],
            ),
        })
        .collect();
    let mut claimed = conn.write_batch(stmts).await?;
    let mut jobs: HashMap<usize, ChannelJob> = HashMap::new();
    for (d, rows) in due.iter().zip(claimed.iter_mut()) {
        let Some(row) = rows.next().await? else { continue };
        let id: i64 = row.get(0)?;
        let (incident, channel, event) = match d {
            Due::New { incident, channel, event, .. } | Due::Retry { incident, channel, event, .. } => {
                (*incident, *channel, *event)
            }
        };
        let i = &incidents[incident];
        let panel = panel_names.get(&i.panel_id).map(String::as_str).unwrap_or("a deleted panel");
        let msg = message::for_incident(event, id, i, panel, public_url, now);
        jobs.entry(channel)
            .or_insert_with(|| ChannelJob { channel: channels[channel].clone(), messages: Vec::new() })
            .messages
            .push(msg);
    }
    let client =
        send::client(allow_private, opts.timeout).map_err(|e| shared::AppError::internal(e.message))?;
    let deadline = started + opts.budget;
    let mut tasks = tokio::task::JoinSet::new();
    for (_, job) in jobs {
        let (client, key, opts) = (client.clone(), key.clone(), *opts);
        tasks
            .spawn(async move { run_channel(job, &client, &key, allow_private, &opts, now, deadline).await });
    }
    let mut outcomes = Vec::new();
    while let Some(res) = tasks.join_next().await {
        match res {
            Ok(list) => outcomes.push(list),
            Err(e) => tracing::error!(error = %e, "an alert channel's sender stopped"),
        }
    }
    record(conn, outcomes, now).await
}

/// Sends one channel's messages in order, keeping its service's pace.
async fn run_channel(
    job: ChannelJob,
    client: &reqwest::Client,
    key: &SecretKey,
    allow_private: bool,
    opts: &Options,
    now: i64,
    deadline: Instant,
) -> (Channel, Vec<(i64, Outcome)>) {
    let mut out = Vec::new();
    let mut broken: Option<String> = None;
    for (n, msg) in job.messages.iter().enumerate() {
        if let Some(why) = &broken {
            out.push((msg.delivery_id, Outcome::Skipped { error: format!("not sent: {why}") }));
            continue;
        }
        if Instant::now() >= deadline {
            out.push((msg.delivery_id, Outcome::Released));
            continue;
        }
        if n > 0 && opts.spacing {
            tokio::time::sleep(job.channel.kind.spacing()).await;
        }
        let outcome = send_with_retries(client, key, allow_private, &job.channel, msg, opts, now).await;
        if let Outcome::Failed { error, .. } = &outcome {
            broken = Some(format!("an earlier message failed ({})", error.message));
        }
        out.push((msg.delivery_id, outcome));
    }
    (job.channel, out)
}

async fn send_with_retries(
    client: &reqwest::Client,
    key: &SecretKey,
    allow_private: bool,
    channel: &Channel,
    msg: &Message,
    opts: &Options,
    now: i64,
) -> Outcome {
    let mut wait = opts.backoff;
    let mut attempts = 0;
    loop {
        attempts += 1;
        match send::send(client, key, allow_private, channel, msg, now, opts.timeout).await {
            Ok(()) => return Outcome::Sent { attempts },
            Err(error) if !error.retry || attempts >= opts.attempts as i64 => {
                return Outcome::Failed { attempts, error }
            }
            Err(_) => {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
    }
}

/// Writes every outcome and each channel's last success or error: one transaction.
async fn record(
    conn: &Conn,
    outcomes: Vec<(Channel, Vec<(i64, Outcome)>)>,
    now: i64,
) -> AppResult<Delivered> {
    let mut report = Delivered::default();
    let mut stmts = Vec::new();
    for (channel, list) in outcomes {
        let mut last_error = None;
        let mut any_ok = false;
        for (id, outcome) in list {
            match outcome {
                Outcome::Sent { attempts } => {
                    report.sent += 1;
                    any_ok = true;
                    stmts.push(Stmt::new(
                        "UPDATE alert_deliveries SET status = 'sent', sent_at = ?1, attempts = attempts + ?2, error = NULL
                         WHERE id = ?3",
                        params![now, attempts, id],
                    ));
                }
                Outcome::Failed { attempts, error } => {
                    report.failed += 1;
                    report.errors.push(format!("{}: {}", channel.name, error.message));
                    // A refusal that retrying cannot mend is given up at once.
                    let given_up = if error.retry { 0 } else { MAX_ATTEMPTS };
                    // The next run may try again after a minute per attempt so far (at most an hour).
                    stmts.push(Stmt::new(
                        "UPDATE alert_deliveries SET status = 'failed', attempts = MAX(attempts + ?1, ?2), error = ?3,
                           claimed_until = ?4 + MIN(3600, 60 * (attempts + ?1)) WHERE id = ?5",
                        params![attempts, given_up, error.message.as_str(), now, id],
                    ));
                    last_error = Some(error.message);
                }
                Outcome::Skipped { error } => {
                    report.failed += 1;
                    stmts.push(Stmt::new(
                        "UPDATE alert_deliveries SET status = 'failed', error = ?1, claimed_until = ?2 WHERE id = ?3",
                        params![error, now + 60, id],
                    ));
                }
                Outcome::Released => {
                    stmts.push(Stmt::new(
                        "UPDATE alert_deliveries SET claimed_until = ?1 WHERE id = ?2",
                        params![now, id],
                    ));
                }
            }
        }
        if any_ok {
            stmts.push(Stmt::new(
                "UPDATE alert_channels SET last_ok_at = ?1 WHERE id = ?2",
                params![now, channel.id],
            ));
        }
        if let Some(e) = last_error {
            stmts.push(Stmt::new(
                "UPDATE alert_channels SET last_error = ?1, last_error_at = ?2 WHERE id = ?3",
                params![e, now, channel.id],
            ));
        }
    }
    if !stmts.is_empty() {
        conn.write_batch(stmts).await?;
    }
    Ok(report)
}

/// "Send test": one message to one channel now, recorded like any delivery; the result in words.
pub async fn send_test(
    conn: &Conn,
    key: &SecretKey,
    allow_private: bool,
    public_url: Option<&str>,
    channel: &Channel,
    opts: &Options,
) -> AppResult<Result<(), String>> {
    let now = shared::time::now();
    let mut rows = conn
        .write_batch(vec![Stmt::new(
            "INSERT INTO alert_deliveries (incident_id, channel_id, kind, seq, status, attempts, claimed_until, created_at)
             VALUES (NULL, ?1, 'test', 0, 'sending', 0, ?2, ?3) RETURNING id",
            params![channel.id, now + LEASE_SECS, now],
        )])
        .await?;
    let id = match rows.first_mut() {
        Some(r) => match r.next().await? {
            Some(row) => row.get::<i64>(0)?,
            None => return Err(shared::AppError::internal("the test delivery has no id")),
        },
        None => return Err(shared::AppError::internal("the test delivery has no id")),
    };
    let msg = message::test(id, &channel.name, public_url);
    let client =
        send::client(allow_private, opts.timeout).map_err(|e| shared::AppError::internal(e.message))?;
    let outcome = send_with_retries(&client, key, allow_private, channel, &msg, opts, now).await;
    let result = match &outcome {
        Outcome::Failed { error, .. } => Err(error.message.clone()),
        _ => Ok(()),
    };
    // A test belongs to no incident: the schedule never takes it again.
    record(conn, vec![(channel.clone(), vec![(id, outcome)])], shared::time::now()).await?;
    Ok(result)
}
