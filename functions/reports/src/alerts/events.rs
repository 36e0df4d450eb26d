//! The rules about single events, each told once: a new whale (a sign-up who deposits at least the
//! threshold within 24 h), a risky payment (its fraud risk is high, judged by `shared::domain::fraud`
//! exactly as the Payments page judges it) and a rival undercut (a tracked rival's rate on a confirmed
//! match drops to the threshold % or more below ours). Their reads join the evaluation's batch.

use std::collections::HashSet;

use libsql::params;
use shared::db::{Done, Read, Reads, Row, Stmt};
use shared::domain::fraud::{self, Level};
use shared::pp::money;
use shared::AppResult;

use super::evaluate::{duration_words, Finding};
use super::rules::{Rule, RuleBook};

/// A sign-up is watched for this long after it: 24 h of deposits, and a day to notice them.
const WHALE_LOOKBACK_SECS: i64 = 2 * 86_400;
const WHALE_WINDOW_SECS: i64 = 86_400;
/// Payments and price changes of the last day are looked at.
const EVENT_LOOKBACK_SECS: i64 = 86_400;

struct Whale {
    panel_id: i64,
    user_id: i64,
    username: String,
    signed_up: i64,
    currency: String,
    amount: i64,
    payments: i64,
    last: i64,
}

struct Risky {
    panel_id: i64,
    id: i64,
    user: String,
    amount: i64,
    currency: String,
    status: String,
    facts: fraud::Facts,
}

struct Undercut {
    panel_id: i64,
    service_id: i64,
    service: String,
    ours: i64,
    competitor_id: i64,
    competitor: String,
    rival_service_id: i64,
    rival_service: String,
    rate: i64,
    since: i64,
    before: i64,
}

/// The reads of these rules, added to the evaluation's batch.
pub struct EventReads {
    whales: Read<Whale>,
    risky: Read<Risky>,
    undercuts: Read<Undercut>,
}

fn whale_from(r: &Row) -> AppResult<Whale> {
    Ok(Whale {
        panel_id: r.get(0)?,
        user_id: r.get(1)?,
        username: r.get(2)?,
        signed_up: r.get(3)?,
        currency: r.get(4)?,
        amount: r.get(5)?,
        payments: r.get(6)?,
        last: r.get(7)?,
    })
}

fn risky_from(r: &Row) -> AppResult<Risky> {
    let (amount, created): (i64, i64) = (r.get(3)?, r.get(5)?);
    Ok(Risky {
        panel_id: r.get(0)?,
        id: r.get(1)?,
        user: r.get(2)?,
        amount,
        currency: r.get(4)?,
        status: r.get(6)?,
        facts: fraud::facts_from(r, 7, amount, created)?,
    })
}

fn undercut_from(r: &Row) -> AppResult<Undercut> {
    Ok(Undercut {
        panel_id: r.get(0)?,
        service_id: r.get(1)?,
        service: r.get(2)?,
        ours: r.get(3)?,
        competitor_id: r.get(4)?,
        competitor: r.get(5)?,
        rival_service_id: r.get(6)?,
        rival_service: r.get(7)?,
        rate: r.get(8)?,
        since: r.get(9)?,
        before: r.get(10)?,
    })
}

pub fn reads(reads: &mut Reads, book: &RuleBook, now: i64) -> EventReads {
    let whale_min = (book.get(Rule::NewWhale).threshold * 1_000_000.0).round() as i64;
    // Sign-ups of the last two days and their completed payments of their first 24 h, per currency
    // (amounts of two currencies are never added).
    let whales = reads.add(
        Stmt::new(
            format!(
                "SELECT u.panel_id, u.id, u.username, u.created, COALESCE(p.currency, ''), SUM(p.amount), COUNT(*),
                   MAX(p.created)
                 FROM users_cache u INDEXED BY users_cache_created
                 JOIN payments_cache p INDEXED BY payments_cache_user ON p.panel_id = u.panel_id AND p.user = u.username
                   AND p.created >= u.created AND p.created < u.created + {WHALE_WINDOW_SECS}
                   AND p.status = 'completed' AND p.amount IS NOT NULL
                 WHERE u.created >= ?1 AND u.username IS NOT NULL
                 GROUP BY u.panel_id, u.id, 5 HAVING SUM(p.amount) >= ?2 LIMIT 200"
            ),
            params![now - WHALE_LOOKBACK_SECS, whale_min],
        ),
        whale_from,
    );
    // The last day's payments not told yet, with what their risk is judged on.
    let risky = reads.add(
        Stmt::new(
            format!(
                "SELECT p.panel_id, p.id, p.user, p.amount, COALESCE(p.currency, ''), p.created, COALESCE(p.status, ''), {}
                 FROM payments_cache p INDEXED BY payments_cache_created_all
                 WHERE p.created >= ?1 AND p.user IS NOT NULL AND p.amount IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM alert_incidents i WHERE i.rule = 'risky_payment'
                     AND i.panel_id = p.panel_id AND i.subject = CAST(p.id AS TEXT))
                 ORDER BY p.created DESC LIMIT 2000",
                fraud::fact_columns()
            ),
            params![now - EVENT_LOOKBACK_SECS],
        ),
        risky_from,
    );
    // Confirmed matches whose rival's current rate started in the last day, lower than the rate before.
    let undercuts = reads.add(
        Stmt::new(
            "SELECT m.panel_id, m.service_id, COALESCE(s.name, ''), s.rate, c.id, c.name, cur.service_id, cur.name,
               cur.rate, cur.valid_from, prev.rate
             FROM competitor_matches m
             JOIN competitors c ON c.id = m.competitor_id AND c.enabled = 1
             JOIN competitor_services cur ON cur.competitor_id = m.competitor_id AND cur.service_id = m.rival_service_id
               AND cur.valid_to IS NULL
             JOIN competitor_services prev ON prev.competitor_id = cur.competitor_id AND prev.service_id = cur.service_id
               AND prev.valid_to = cur.valid_from
             JOIN services_cache s ON s.panel_id = m.panel_id AND s.id = m.service_id
             WHERE m.status = 'confirmed' AND cur.valid_from >= ?1 AND cur.rate < prev.rate AND s.rate > 0",
            params![now - EVENT_LOOKBACK_SECS],
        ),
        undercut_from,
    );
    EventReads { whales, risky, undercuts }
}

fn amount(micros: i64, currency: &str) -> String {
    let cur = Some(currency).filter(|c| !c.is_empty());
    format!("{} {currency}", money::display(micros, cur)).trim_end().to_string()
}

/// What these rules found, for the panels in `active`.
pub async fn findings(
    r: EventReads,
    done: &mut Done,
    book: &RuleBook,
    active: &HashSet<i64>,
) -> AppResult<Vec<Finding>> {
    let mut out = Vec::new();
    for w in done.all(r.whales).await? {
        if !active.contains(&w.panel_id) {
            continue;
        }
        out.push(Finding {
            rule: Rule::NewWhale,
            panel_id: w.panel_id,
            subject: format!("{}.{}", w.user_id, w.currency),
            title: format!(
                "{} deposited {} within a day of signing up",
                w.username,
                amount(w.amount, &w.currency)
            ),
            detail: format!(
                "{} completed payment{}, the last {} after signing up",
                w.payments,
                if w.payments == 1 { "" } else { "s" },
                duration_words(w.last - w.signed_up)
            ),
            link: format!("/users/{}/{}", w.panel_id, w.user_id),
            opens: true,
        });
    }
    for p in done.all(r.risky).await? {
        if !active.contains(&p.panel_id) {
            continue;
        }
        let risk = fraud::assess_payment(Some(&p.user), Some(p.amount), &p.facts);
        if risk.level != Level::High {
            continue;
        }
        let q = serde_urlencoded::to_string([("panel", p.panel_id.to_string()), ("q", p.id.to_string())]);
        out.push(Finding {
            rule: Rule::RiskyPayment,
            panel_id: p.panel_id,
            subject: p.id.to_string(),
            // Any status: a burst of failed attempts is how card testing looks.
            title: format!(
                "payment #{} of {} from {}{}",
                p.id,
                amount(p.amount, &p.currency),
                p.user,
                if p.status == "completed" { String::new() } else { format!(" ({})", p.status) }
            ),
            detail: format!("high fraud risk: {}", risk.reasons.join("; ")),
            link: format!("/payments?{}", q.unwrap_or_default()),
            opens: true,
        });
    }
    let limit = book.get(Rule::RivalUndercut).threshold;
    for u in done.all(r.undercuts).await? {
        let below = (u.ours - u.rate) as f64 * 100.0 / u.ours as f64;
        if !active.contains(&u.panel_id) || below < limit {
            continue;
        }
        out.push(Finding {
            rule: Rule::RivalUndercut,
            panel_id: u.panel_id,
            // Each drop is its own event: a later, deeper cut is told again.
            subject: format!("{}.{}.{}", u.competitor_id, u.rival_service_id, u.since),
            title: format!(
                "{} cut {} to {} ({below:.0}% below our {} for #{} {})",
                u.competitor,
                u.rival_service,
                money::format(u.rate),
                money::format(u.ours),
                u.service_id,
                u.service
            ),
            detail: format!(
                "rate per 1000 from {} to {}; ours is {}",
                money::format(u.before),
                money::format(u.rate),
                money::format(u.ours)
            ),
            link: format!("/reports/competitors?panel={}", u.panel_id),
            opens: true,
        });
    }
    Ok(out)
}
