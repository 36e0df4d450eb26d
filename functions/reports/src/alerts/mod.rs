//! Alerts: the built-in rules watch the numbers the reports compute, open one incident per thing that
//! needs someone, and tell each channel that covers it once — a reminder after the rule's cooldown
//! while it stays open, one "resolved" when it clears — and each channel that asks for them gets a
//! daily or weekly digest at its hour. [`run`] is the scheduled job (`{"job":"alerts"}` every minute,
//! `panelops alerts run`, `serve`'s timer).

pub mod channel_input;
pub mod channels;
pub mod deliver;
pub mod digest;
pub mod due;
pub mod evaluate;
pub mod events;
pub mod incidents;
pub mod message;
pub mod outbox;
pub mod rules;
pub mod send;
pub mod zone;

use serde::Serialize;
use shared::db::Reads;
use shared::{AppResult, AppState};

pub use deliver::Options;

/// What a run did, as `panelops alerts run` prints it.
#[derive(Debug, Serialize)]
pub struct RunReport {
    /// "alerts", as the Lambda's answer names its job.
    pub job: &'static str,
    pub opened: usize,
    pub resolved: usize,
    pub sent: usize,
    pub failed: usize,
    pub errors: Vec<String>,
}

/// Evaluates every rule and delivers what is due, with the schedule's settings.
pub async fn run(state: &AppState) -> AppResult<RunReport> {
    run_with(state, &Options::default(), shared::time::now()).await
}

/// As `run`, with sending settings and the time given (tests).
pub async fn run_with(state: &AppState, opts: &Options, now: i64) -> AppResult<RunReport> {
    let conn = state.db.connect().await?;
    let mut reads = Reads::new();
    let book = rules::read(&mut reads);
    let book = rules::RuleBook::from_rows(reads.run(&conn).await?.all(book).await?);
    let findings = evaluate::evaluate(&conn, &book, now).await?;
    let (opened, resolved) = incidents::apply(&conn, &findings, now).await?;
    let key = &state.config.secret_key;
    let public = state.config.public_url.as_deref();
    let delivered = deliver::deliver(&conn, key, state.config.allow_private_urls, public, opts, now).await?;
    Ok(RunReport {
        job: "alerts",
        opened,
        resolved,
        sent: delivered.sent,
        failed: delivered.failed,
        errors: delivered.errors,
    })
}
