//! The scheduled reviewer: staff replies not yet reviewed, newest first (this week's bad reply matters
//! more than last year's; a backlog drains behind new replies), within the budget (replies and tokens
//! per run, tokens per UTC day). Each reply goes to the model with its context; the answer must
//! fit the schema. Junk, a wrong verdict word, missing fields or a timeout → one retry, then the reply
//! is recorded as failed with the reason and tried again in a later run; never stored as a verdict.

use libsql::params;
use serde::Serialize;
use shared::db::{opt_text, Db};
use shared::{AppResult, AppState};

use crate::client::{Chat, ClientOptions, LlmClient, LlmError, Usage};
use crate::conversation::{self, word_count, Message};
use crate::prompts::{quality_current, quality_system_prompt};
use crate::settings;
use crate::verdict::{self, Verdict};

/// A reply failed this many times (over several runs) is left for a person to look at.
pub const MAX_ATTEMPTS: i64 = 6;
/// Fewer words than this in the customer's question plus the reply: too short to judge.
pub const MIN_WORDS: usize = 10;
/// Completion tokens asked for at most; also the allowance kept free in the daily budget.
pub const MAX_COMPLETION: u32 = 500;

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub client: ClientOptions,
    /// No new call starts after this much time, so a run ends well inside the Lambda timeout (120 s).
    pub time_limit: std::time::Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            client: ClientOptions { timeout: std::time::Duration::from_secs(30), ..ClientOptions::default() },
            time_limit: std::time::Duration::from_secs(75),
        }
    }
}

#[derive(Debug, Serialize, PartialEq, Eq, Default)]
pub struct RunReport {
    pub job: &'static str,
    pub reviewed: u64,
    pub failed: u64,
    pub skipped: u64,
    pub tokens: i64,
    /// Why the run stopped before the queue was empty, if it did.
    pub stopped: Option<String>,
}

struct Candidate {
    panel_id: i64,
    ticket_id: i64,
    seq: i64,
    staff: String,
    text: String,
    created: i64,
    attempts: i64,
}

/// Start of the current UTC day, Unix seconds.
fn day_start(now: i64) -> i64 {
    now - now.rem_euclid(86_400)
}

pub async fn tokens_today(db: &Db) -> AppResult<i64> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query(
            "SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) FROM ai_calls WHERE at >= ?1",
            params![day_start(shared::time::now())],
        )
        .await?;
    Ok(match rows.next().await? {
        Some(r) => r.get(0)?,
        None => 0,
    })
}

/// Records one model call and its token usage.
pub async fn record_call(
    db: &Db,
    purpose: &str,
    model: &str,
    usage: &Usage,
    error: Option<&str>,
) -> AppResult<()> {
    let conn = db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    tx.execute(
        "INSERT INTO ai_calls (at, purpose, model, ok, prompt_tokens, completion_tokens, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            shared::time::now(),
            purpose,
            model,
            error.is_none() as i64,
            usage.prompt_tokens,
            usage.completion_tokens,
            error
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn candidates(db: &Db, limit: i64) -> AppResult<Vec<Candidate>> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query(
            "SELECT m.panel_id, m.ticket_id, m.seq, m.sender_name, m.message, m.created, COALESCE(r.attempts, 0)
             FROM ticket_messages m
             LEFT JOIN ai_reviews r ON r.panel_id = m.panel_id AND r.ticket_id = m.ticket_id AND r.seq = m.seq
             WHERE m.is_staff = 1 AND (r.status IS NULL OR (r.status = 'failed' AND r.attempts < ?1))
             ORDER BY m.created DESC, m.panel_id, m.ticket_id, m.seq
             LIMIT ?2",
            params![MAX_ATTEMPTS, limit],
        )
        .await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(Candidate {
            panel_id: r.get(0)?,
            ticket_id: r.get(1)?,
            seq: r.get(2)?,
            staff: opt_text(&r, 3)?.unwrap_or_else(|| "(unknown)".into()),
            text: shared::domain::text::plain_text(&r.get::<String>(4)?),
            created: r.get(5)?,
            attempts: r.get(6)?,
        });
    }
    Ok(out)
}

/// Why a reply cannot be judged, if it cannot: no customer message before it, or too few words in
/// the customer's question (since the previous staff reply) plus the reply.
fn too_short(before: &[Message], reply: &str) -> Option<String> {
    if !before.iter().any(|m| !m.is_staff) {
        return Some("no customer message before it".into());
    }
    let question: usize = before.iter().rev().take_while(|m| !m.is_staff).map(|m| word_count(&m.text)).sum();
    if question + word_count(reply) < MIN_WORDS {
        return Some(format!("fewer than {MIN_WORDS} words in the exchange"));
    }
    None
}

/// The user message: subject, conversation before the reply, then the reply to judge.
pub fn review_context(subject: &str, before: &[Message], staff: &str, reply: &str) -> String {
    format!(
        "Ticket subject: {subject}\nConversation before the reply:\n{}\nStaff reply to judge (by {staff}):\n{reply}",
        conversation::transcript(before, 12)
    )
}

#[allow(clippy::too_many_arguments)]
async fn store(
    db: &Db,
    c: &Candidate,
    status: &str,
    outcome: Option<&(Verdict, String)>,
    reason: Option<&str>,
    prompt_version: Option<i64>,
    usage: &Usage,
    attempts: i64,
) -> AppResult<()> {
    let (verdict, flags, reasoning, suggestion, model) = match outcome {
        Some((v, model)) => (
            Some(v.verdict),
            serde_json::to_string(&v.flags).unwrap_or_else(|_| "[]".into()),
            Some(v.reasoning.clone()),
            Some(v.suggestion.clone()),
            Some(model.clone()),
        ),
        _ => (None, "[]".to_string(), None, None, None),
    };
    let conn = db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    tx.execute(
        "INSERT INTO ai_reviews (panel_id, ticket_id, seq, status, staff_name, reply_at, verdict, flags, reasoning,
             suggestion, model, prompt_version, prompt_tokens, completion_tokens, failure, attempts, reviewed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT (panel_id, ticket_id, seq) DO UPDATE SET status = excluded.status,
             staff_name = excluded.staff_name, verdict = excluded.verdict, flags = excluded.flags,
             reasoning = excluded.reasoning, suggestion = excluded.suggestion, model = excluded.model,
             prompt_version = excluded.prompt_version,
             prompt_tokens = ai_reviews.prompt_tokens + excluded.prompt_tokens,
             completion_tokens = ai_reviews.completion_tokens + excluded.completion_tokens,
             failure = excluded.failure, attempts = excluded.attempts, reviewed_at = excluded.reviewed_at",
        params![
            c.panel_id,
            c.ticket_id,
            c.seq,
            status,
            c.staff.as_str(),
            c.created,
            verdict,
            flags,
            reasoning,
            suggestion,
            model,
            prompt_version,
            usage.prompt_tokens,
            usage.completion_tokens,
            reason,
            attempts,
            shared::time::now()
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn run(state: &AppState) -> AppResult<RunReport> {
    run_with(state, &RunOptions::default()).await
}

pub async fn run_with(state: &AppState, opts: &RunOptions) -> AppResult<RunReport> {
    let db = &state.db;
    let mut report = RunReport { job: "ai-review", ..Default::default() };
    let cfg = settings::load(db).await?;
    if cfg.max_replies_per_run <= 0 || cfg.max_tokens_per_run <= 0 || cfg.max_tokens_per_day <= 0 {
        report.stopped = Some("the reviewer is off (budget 0 in AI settings)".into());
        return Ok(report);
    }
    let client: LlmClient = match cfg.client(&state.config, opts.client.clone()) {
        Ok(c) => c,
        Err(e) => {
            report.stopped = Some(e.to_string());
            return Ok(report);
        }
    };
    let prompt = quality_current(db).await?;
    let system = quality_system_prompt(&prompt.body);
    let started = std::time::Instant::now();
    let mut used = tokens_today(db).await?;
    // Skipped replies cost nothing, so look a little further than the reply budget.
    let queue = candidates(db, cfg.max_replies_per_run + 200).await?;
    for c in &queue {
        if report.reviewed + report.failed >= cfg.max_replies_per_run as u64 {
            report.stopped = Some("replies per run reached".into());
            break;
        }
        let Some(ticket) = conversation::load(db, c.panel_id, c.ticket_id, Some(c.seq)).await? else {
            continue;
        };
        if let Some(why) = too_short(&ticket.messages, &c.text) {
            store(db, c, "skipped", None, Some(&why), None, &Usage::default(), c.attempts).await?;
            report.skipped += 1;
            continue;
        }
        let user = review_context(&ticket.subject, &ticket.messages, &c.staff, &c.text);
        let estimate = ((system.len() + user.len()) / 4) as i64 + MAX_COMPLETION as i64;
        let chat =
            Chat { model: &cfg.model, system: &system, user: &user, json: true, max_tokens: MAX_COMPLETION };
        let mut spent = Usage::default();
        let mut outcome = None;
        let mut last_reason = String::new();
        let mut over_budget: Option<&str> = None;
        let mut tried = 0;
        if started.elapsed() >= opts.time_limit {
            report.stopped = Some("time limit of the run reached".into());
            break;
        }
        // One try and one retry.
        for attempt in 0..2 {
            if attempt > 0 && started.elapsed() >= opts.time_limit {
                break;
            }
            if report.tokens + spent.total() + estimate > cfg.max_tokens_per_run {
                over_budget = Some("token budget of the run reached");
                break;
            }
            if used + estimate > cfg.max_tokens_per_day {
                over_budget = Some("daily token budget reached");
                break;
            }
            tried += 1;
            let (reason, usage) = match client.complete(&chat).await {
                Ok(answer) => match verdict::parse(&answer.content) {
                    Ok(v) => {
                        record_call(db, "review", &answer.model, &answer.usage, None).await?;
                        used += answer.usage.total();
                        spent.prompt_tokens += answer.usage.prompt_tokens;
                        spent.completion_tokens += answer.usage.completion_tokens;
                        outcome = Some((v, answer.model));
                        break;
                    }
                    Err(why) => (why, answer.usage),
                },
                // Every call would meet the same: the run stops instead of failing each reply.
                Err(e) if e.is_setting() => {
                    if !matches!(e, LlmError::NotConfigured | LlmError::KeyUnreadable) {
                        record_call(db, "review", &cfg.model, &Usage::default(), Some(&e.to_string()))
                            .await?;
                    }
                    report.stopped = Some(e.to_string());
                    return Ok(report);
                }
                Err(e) => (e.to_string(), Usage::default()),
            };
            record_call(db, "review", &cfg.model, &usage, Some(&reason)).await?;
            used += usage.total();
            spent.prompt_tokens += usage.prompt_tokens;
            spent.completion_tokens += usage.completion_tokens;
            last_reason = reason;
        }
        report.tokens += spent.total();
        match outcome {
            Some(o) => {
                store(db, c, "done", Some(&o), None, Some(prompt.version), &spent, c.attempts + tried)
                    .await?;
                report.reviewed += 1;
            }
            None if over_budget.is_some() && last_reason.is_empty() => {
                report.stopped = over_budget.map(str::to_string);
                break;
            }
            None => {
                store(
                    db,
                    c,
                    "failed",
                    None,
                    Some(&last_reason),
                    Some(prompt.version),
                    &spent,
                    c.attempts + tried,
                )
                .await?;
                report.failed += 1;
                if over_budget.is_some() {
                    report.stopped = over_budget.map(str::to_string);
                    break;
                }
            }
        }
    }
    if report.reviewed + report.failed + report.skipped > 0 {
        tracing::info!(?report, "ai review run");
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(is_staff: bool, text: &str) -> Message {
        Message { seq: 0, sender: "x".into(), is_staff, text: text.into(), created: 0 }
    }

    #[test]
    fn short_exchanges_are_skipped() {
        assert!(too_short(&[], "a long enough reply with many many words in it").is_some());
        assert!(too_short(&[m(false, "Any update?")], "Done.").is_some());
        assert!(
            too_short(&[m(false, "Hi, my order 1000123 is not moving. Please check it.")], "Done.").is_none()
        );
        assert_eq!(day_start(86_400 * 3 + 5), 86_400 * 3);
    }
}
