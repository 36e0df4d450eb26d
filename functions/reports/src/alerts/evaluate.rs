//! What the rules find now: one [`Finding`] per thing that needs someone. Service critical reuses the
//! Service tracking computation (default profile, 24 h); the other rules are one batch of reads (the
//! single-event rules' reads and findings are in `events`).

use std::collections::{BTreeMap, HashMap, HashSet};

use libsql::params;
use shared::auth::PanelScope;
use shared::db::{Conn, Read, Reads, Stmt};
use shared::AppResult;

use super::rules::{Rule, RuleBook};
use crate::service_health::{self, ServiceHealthParams, ServiceProfile, STUCK_SQL};
use shared::cache::orders::FAILED_SQL;

/// A ticket pending longer than this is backlog (Ticket tracking lists it), not news: connecting a
/// channel must not bring a message for every ticket left unanswered for weeks. Such a ticket opens no
/// incident, but keeps one it already has open until it is answered.
const WAITING_BACKLOG_SECS: i64 = 3 * 86_400;

/// Fewer orders in the hour say nothing about a provider.
const MIN_PROVIDER_ORDERS: i64 = 10;

/// Something a rule found, as the incident will say it.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: Rule,
    pub panel_id: i64,
    /// What in the panel ('' = the panel itself).
    pub subject: String,
    pub title: String,
    /// The numbers, in words.
    pub detail: String,
    /// The console page, from its root.
    pub link: String,
    /// False: keeps an open incident open, but opens none (a backlog ticket).
    pub opens: bool,
}

/// A panel as the rules see it.
pub struct Panel {
    pub id: i64,
    pub paused: bool,
    /// The key was refused: the sync stopped the panel.
    pub stopped: Option<String>,
}

pub struct SyncRow {
    panel_id: i64,
    resource: String,
    status: String,
    message: Option<String>,
    interval_secs: i64,
    last_ok_at: Option<i64>,
}

/// A provider's orders of the last hour, and how many of them failed.
pub struct ProviderHour {
    pub panel_id: i64,
    pub provider: String,
    pub orders: i64,
    pub failed: i64,
}

/// Every panel, for the rules (paused ones are left out by each rule).
pub fn panels_read(reads: &mut Reads) -> Read<Panel> {
    reads.add(Stmt::new("SELECT id, status, last_error FROM panels ORDER BY id", ()), |r| {
        let status: String = r.get(1)?;
        Ok(Panel {
            id: r.get(0)?,
            paused: status == "paused",
            stopped: (status == "error").then(|| shared::db::opt_text(r, 2)).transpose()?.flatten(),
        })
    })
}

/// Every enabled resource's sync state.
pub fn sync_read(reads: &mut Reads) -> Read<SyncRow> {
    reads.add(
        Stmt::new(
            "SELECT panel_id, resource, status, message, interval_secs, last_ok_at FROM sync_state WHERE enabled = 1
             ORDER BY panel_id, resource",
            (),
        ),
        |r| {
            Ok(SyncRow {
                panel_id: r.get(0)?,
                resource: r.get(1)?,
                status: r.get(2)?,
                message: shared::db::opt_text(r, 3)?,
                interval_secs: r.get(4)?,
                last_ok_at: shared::db::opt_i64(r, 5)?,
            })
        },
    )
}

/// Each panel's providers over the last hour before `now`.
pub fn providers_read(reads: &mut Reads, now: i64) -> Read<ProviderHour> {
    reads.add(
        Stmt::new(
            format!(
                "SELECT panel_id, provider, COUNT(*), SUM(status IN {FAILED_SQL})
                 FROM orders_cache INDEXED BY orders_cache_created_all
                 WHERE created >= ?1 AND provider IS NOT NULL AND provider != '' GROUP BY panel_id, provider"
            ),
            params![now - 3600],
        ),
        |r| {
            Ok(ProviderHour {
                panel_id: r.get(0)?,
                provider: r.get(1)?,
                orders: r.get(2)?,
                failed: r.get(3)?,
            })
        },
    )
}

/// The Provider failing rule: enough of the last hour's orders to judge, and `limit` % or more failed.
pub fn failing(rows: Vec<ProviderHour>, limit: f64) -> Vec<ProviderHour> {
    rows.into_iter()
        .filter(|p| {
            p.orders >= MIN_PROVIDER_ORDERS && p.failed as f64 * 100.0 / p.orders.max(1) as f64 >= limit
        })
        .collect()
}

/// The Sync trouble rule: per panel that is not paused, everything wrong with its sync — a refused
/// key, a resource in error, data older than `times` × the resource's interval.
pub fn sync_trouble(
    panels: &[Panel],
    sync: Vec<SyncRow>,
    times: f64,
    now: i64,
) -> BTreeMap<i64, Vec<String>> {
    let active: HashMap<i64, &Panel> = panels.iter().filter(|p| !p.paused).map(|p| (p.id, p)).collect();
    let mut trouble: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for p in panels.iter().filter(|p| !p.paused) {
        if let Some(e) = &p.stopped {
            trouble.entry(p.id).or_default().push(format!("the panel refused its key ({e})"));
        }
    }
    for s in sync {
        if !active.contains_key(&s.panel_id) {
            continue;
        }
        if s.status == "error" {
            let why = s.message.unwrap_or_else(|| "no message".into());
            trouble.entry(s.panel_id).or_default().push(format!("{} in error ({why})", s.resource));
        } else if let Some(ok) = s.last_ok_at.filter(|ok| (now - ok) as f64 > times * s.interval_secs as f64)
        {
            trouble.entry(s.panel_id).or_default().push(format!(
                "{} data {} old (synced every {})",
                s.resource,
                duration_words(now - ok),
                duration_words(s.interval_secs)
            ));
        }
    }
    trouble
}

/// Every finding of every rule, for every panel that is not paused.
pub async fn evaluate(conn: &Conn, book: &RuleBook, now: i64) -> AppResult<Vec<Finding>> {
    let (profile, _) = crate::profiles::chosen::<ServiceProfile>(conn, None).await?;
    let stuck_before = now - profile.stuck_after_hours * 3600;
    let waiting = book.get(Rule::WaitingTicket).threshold.max(1.0) as i64 * 60;
    let deposit = (book.get(Rule::BigDeposit).threshold * 1_000_000.0).round() as i64;

    let mut reads = Reads::new();
    let panels = panels_read(&mut reads);
    // INDEXED BY: the partial index holds exactly the stuck orders (see Service tracking).
    let stuck = reads.add(
        Stmt::new(
            format!(
                "SELECT panel_id, COUNT(*) FROM orders_cache INDEXED BY orders_cache_stuck
                 WHERE {STUCK_SQL} AND created < ?1 GROUP BY panel_id"
            ),
            params![stuck_before],
        ),
        |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?)),
    );
    let sync = sync_read(&mut reads);
    let tickets = reads.add(
        Stmt::new(
            "SELECT panel_id, id, COALESCE(subject, ''), COALESCE(user, ''), COALESCE(last_update, created)
             FROM tickets_cache INDEXED BY tickets_cache_pending
             WHERE status = 'pending' AND COALESCE(last_update, created) < ?1
             ORDER BY COALESCE(last_update, created) DESC LIMIT 500",
            params![now - waiting],
        ),
        |r| {
            Ok((
                r.get::<i64>(0)?,
                r.get::<i64>(1)?,
                r.get::<String>(2)?,
                r.get::<String>(3)?,
                r.get::<i64>(4)?,
            ))
        },
    );
    let payments = reads.add(
        Stmt::new(
            "SELECT panel_id, id, COALESCE(user, ''), amount, COALESCE(currency, ''), COALESCE(method, '')
             FROM payments_cache INDEXED BY payments_cache_created_all
             WHERE created >= ?1 AND status = 'completed' AND amount >= ?2 ORDER BY created LIMIT 200",
            params![now - 86_400, deposit],
        ),
        |r| {
            Ok((
                r.get::<i64>(0)?,
                r.get::<i64>(1)?,
                r.get::<String>(2)?,
                r.get::<i64>(3)?,
                r.get::<String>(4)?,
                r.get::<String>(5)?,
            ))
        },
    );
    let providers = providers_read(&mut reads, now);
    let bad = reads.add(
        Stmt::new(
            "SELECT panel_id, ticket_id, seq, COALESCE(staff_name, ''), COALESCE(reasoning, '')
             FROM ai_reviews INDEXED BY ai_reviews_bad
             WHERE verdict = 'bad' AND reviewed_at >= ?1 AND wrong_at IS NULL ORDER BY reviewed_at LIMIT 200",
            params![now - 86_400],
        ),
        |r| {
            Ok((
                r.get::<i64>(0)?,
                r.get::<i64>(1)?,
                r.get::<i64>(2)?,
                r.get::<String>(3)?,
                r.get::<String>(4)?,
            ))
        },
    );
    let events = super::events::reads(&mut reads, book, now);
    let mut done = reads.run(conn).await?;
    let panels = done.all(panels).await?;
    let active: HashMap<i64, &Panel> = panels.iter().filter(|p| !p.paused).map(|p| (p.id, p)).collect();
    let active_ids: HashSet<i64> = active.keys().copied().collect();
    let mut out = super::events::findings(events, &mut done, book, &active_ids).await?;

    // Service critical.
    let limit = book.get(Rule::ServiceCritical).threshold;
    let params = ServiceHealthParams::from_profile(&profile, None, 24);
    for row in service_health::service_health(conn, &PanelScope::All, &params, now).await? {
        if row.score < limit && active.contains_key(&row.panel_id) {
            out.push(Finding {
                rule: Rule::ServiceCritical,
                panel_id: row.panel_id,
                subject: row.service_id.to_string(),
                title: format!("{} (#{})", row.service_name, row.service_id),
                detail: format!(
                    "score {} (below {limit}): {} stuck, {}% slow of {} finished in 24 h",
                    row.score, row.stuck, row.slow_pct, row.finished
                ),
                link: format!("/reports/service-health?panel={}", row.panel_id),
                opens: true,
            });
        }
    }

    // Stuck orders.
    let limit = book.get(Rule::StuckOrders).threshold;
    for (panel_id, n) in done.all(stuck).await? {
        if n as f64 > limit && active.contains_key(&panel_id) {
            out.push(Finding {
                rule: Rule::StuckOrders,
                panel_id,
                subject: String::new(),
                title: format!("{n} stuck orders"),
                detail: format!(
                    "{n} orders still running after {} h (more than {limit})",
                    profile.stuck_after_hours
                ),
                link: format!("/reports/service-health?panel={panel_id}"),
                opens: true,
            });
        }
    }

    // Provider failing: enough of the last hour's orders to judge, and too many of them failed.
    let limit = book.get(Rule::ProviderFailing).threshold;
    for ProviderHour { panel_id, provider, orders: n, failed } in failing(done.all(providers).await?, limit) {
        let pct = failed as f64 * 100.0 / n.max(1) as f64;
        if active.contains_key(&panel_id) {
            let q = serde_urlencoded::to_string([
                ("panel", panel_id.to_string()),
                ("provider", provider.clone()),
            ]);
            out.push(Finding {
                rule: Rule::ProviderFailing,
                panel_id,
                subject: provider.clone(),
                title: format!("provider {provider}"),
                detail: format!(
                    "{failed} of {n} orders of the last hour failed ({pct:.0}%, at least {limit}%)"
                ),
                link: format!("/orders?{}", q.unwrap_or_default()),
                opens: true,
            });
        }
    }

    // Bad replies: one message per reply the reviewer judged bad (and no owner marked wrong).
    for (panel_id, ticket, seq, staff, reasoning) in done.all(bad).await? {
        if active.contains_key(&panel_id) {
            let who = if staff.is_empty() { "a staff reply".to_string() } else { format!("{staff}'s reply") };
            out.push(Finding {
                rule: Rule::BadReply,
                panel_id,
                subject: format!("{ticket}.{seq}"),
                title: format!("{who} on ticket #{ticket}"),
                detail: super::message::shorten(&reasoning, 200),
                link: format!("/tickets/{panel_id}/{ticket}"),
                opens: true,
            });
        }
    }

    // Sync trouble: one incident per panel, naming everything wrong with it.
    let times = book.get(Rule::SyncTrouble).threshold.max(1.0);
    let trouble = sync_trouble(&panels, done.all(sync).await?, times, now);
    for (panel_id, what) in trouble {
        out.push(Finding {
            rule: Rule::SyncTrouble,
            panel_id,
            subject: String::new(),
            title: "sync trouble".into(),
            detail: what.join("; "),
            link: format!("/settings/sync?panel={panel_id}"),
            opens: true,
        });
    }

    // Waiting tickets.
    for (panel_id, id, subject, user, since) in done.all(tickets).await? {
        if active.contains_key(&panel_id) {
            out.push(Finding {
                rule: Rule::WaitingTicket,
                panel_id,
                subject: id.to_string(),
                title: format!("ticket #{id} from {user}: {}", super::message::shorten(&subject, 60)),
                detail: format!("waiting {} for a staff reply", duration_words(now - since)),
                link: format!("/tickets/{panel_id}/{id}"),
                opens: now - since <= WAITING_BACKLOG_SECS,
            });
        }
    }

    // Big deposits.
    for (panel_id, id, user, amount, currency, method) in done.all(payments).await? {
        if active.contains_key(&panel_id) {
            let via = if method.is_empty() { String::new() } else { format!(" via {method}") };
            out.push(Finding {
                rule: Rule::BigDeposit,
                panel_id,
                subject: id.to_string(),
                title: format!("{} {currency} from {user}", shared::pp::money::format(amount))
                    .replace("  ", " "),
                detail: format!("payment #{id} completed{via}"),
                link: format!("/payments?panel={panel_id}"),
                opens: true,
            });
        }
    }
    Ok(out)
}

/// "3 h 5 min", "45 min", "2 d 4 h".
pub fn duration_words(secs: i64) -> String {
    let m = secs.max(0) / 60;
    let (d, h, m) = (m / 1440, m / 60 % 24, m % 60);
    match (d, h, m) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration_words(59), "0 min");
        assert_eq!(duration_words(45 * 60), "45 min");
        assert_eq!(duration_words(3 * 3600), "3 h");
        assert_eq!(duration_words(3 * 3600 + 300), "3 h 5 min");
        assert_eq!(duration_words(2 * 86_400 + 4 * 3600), "2 d 4 h");
    }
}
