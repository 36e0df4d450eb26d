//! Deliveries: which messages are due (incidents' messages, `due`; digests, `digest`), claimed as rows
//! in one write transaction so two runs never send the same message, then sent (`outbox`) — a slow or
//! failing channel never holds back another — and the outcomes written back in one more transaction.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libsql::params;
use serde::Serialize;
use shared::crypto::SecretKey;
use shared::db::{Conn, Reads, Stmt};
use shared::AppResult;

use super::channels::{self, Channel};
use super::digest;
use super::due::{self, DeliveryRow};
use super::incidents;
use super::message::{self, Incident};
use super::outbox::{self, Outcome, Target};
use super::rules::{self, RuleBook};

/// A claimed message nobody finished (the run stopped) is taken again after this.
const LEASE_SECS: i64 = 120;
/// Attempts over all runs before a message is given up.
pub const MAX_ATTEMPTS: i64 = 9;
/// "Resolved" messages are still sent this long after the incident resolved (a run that was down).
const RESOLVED_WINDOW_SECS: i64 = 3 * 86_400;

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

/// Finds, claims, sends and records every due message: incidents' and digests'.
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
    let deliveries = due::recent_read(&mut reads, since);
    let digests = digest::recent_read(&mut reads, now);
    let mut done = reads.run(conn).await?;
    let channels = channels::with_panels(done.all(chans).await?, done.all(links).await?);
    let book = RuleBook::from_rows(done.all(book).await?);
    let panel_names: HashMap<i64, String> = done.all(panel_names).await?.into_iter().collect();
    let mut incidents: Vec<Incident> = done.all(incidents).await?.into_iter().flatten().collect();
    // Oldest first: a channel hears about things in the order they happened.
    incidents.sort_by_key(|i| i.id);
    let deliveries: Vec<DeliveryRow> = done.all(deliveries).await?.into_iter().flatten().collect();
    let digest_rows: Vec<digest::DigestRow> = done.all(digests).await?.into_iter().flatten().collect();

    let due = due::due_list(&book, &channels, &incidents, &deliveries, MAX_ATTEMPTS, now);
    let due_digests = digest::due_list(&channels, &digest_rows, MAX_ATTEMPTS, now);
    if due.is_empty() && due_digests.is_empty() {
        return Ok(Delivered::default());
    }
    // The claim: one transaction for every message of the run; whoever's statement returns the row
    // sends it.
    let lease = now + LEASE_SECS;
    let mut stmts: Vec<Stmt> =
        due.iter().map(|d| d.claim(&incidents, &channels, lease, MAX_ATTEMPTS, now)).collect();
    stmts.extend(due_digests.iter().map(|d| digest::claim(d, &channels, lease, MAX_ATTEMPTS, now)));
    let mut claimed = conn.write_batch(stmts).await?.into_iter();
    let mut messages = Vec::new();
    for d in &due {
        let Some(mut rows) = claimed.next() else { break };
        let Some(row) = rows.next().await? else { continue };
        let id: i64 = row.get(0)?;
        let (incident, channel, event) = d.parts();
        let i = &incidents[incident];
        let panel = panel_names.get(&i.panel_id).map(String::as_str).unwrap_or("a deleted panel");
        let msg = message::for_incident(event, id, i, panel, public_url, now);
        messages.push((channels[channel].clone(), Target::Delivery(id), msg));
    }
    let mut results = Vec::new();
    for d in &due_digests {
        let Some(mut rows) = claimed.next() else { break };
        let Some(row) = rows.next().await? else { continue };
        let id: i64 = row.get(0)?;
        let c = &channels[d.channel()];
        match digest::message(conn, c, &d.window(), id, public_url).await {
            Ok(msg) => messages.push((c.clone(), Target::Digest(id), msg)),
            // Counted as a failed attempt: the next run tries again.
            Err(e) => {
                let error = super::send::SendError::again(format!("the digest could not be computed: {e}"));
                results.push((c.clone(), Target::Digest(id), Outcome::Failed { attempts: 1, error }));
            }
        }
    }
    let groups = outbox::group(messages);
    results.extend(outbox::send_all(groups, key, allow_private, opts, now, started + opts.budget).await?);
    outbox::record(conn, results, now).await
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
    let client = super::send::client(allow_private, opts.timeout)
        .map_err(|e| shared::AppError::internal(e.message))?;
    let (outcome, _) = outbox::send_with_retries(&client, key, allow_private, channel, &msg, opts, now).await;
    let result = match &outcome {
        Outcome::Failed { error, .. } => Err(error.message.clone()),
        _ => Ok(()),
    };
    // A test belongs to no incident: the schedule never takes it again.
    outbox::record(conn, vec![(channel.clone(), Target::Delivery(id), outcome)], shared::time::now()).await?;
    Ok(result)
}
