//! What the Overview reads, in one batch. Each number comes from the function the report or alert rule
//! that owns it uses, so the Overview never holds a second copy of a rule. Critical services are the
//! Service critical incidents the alerts keep open: that rule scores every service with Service
//! tracking's own function every minute, and scoring them again here would cost a report's time
//! (tens of ms at a million orders) on every view of the landing page.

use std::collections::BTreeMap;

use panelops_reports::alerts::evaluate::{self, Panel, ProviderHour, SyncRow};
use panelops_reports::alerts::rules::{self, Rule, RuleBook};
use panelops_reports::margins::{self, Sums};
use panelops_reports::service_health::{ServiceProfile, STUCK_SQL};
use shared::auth::Viewer;
use shared::db::{Conn, Read, Reads, Stmt};
use shared::domain::fraud::Level;
use shared::domain::panels;
use shared::AppResult;

use crate::pages::data::payments::{recent_read, risk_of, Listed};

/// Payments the Overview judges: the newest of the last 24 hours, at most this many.
pub const RISK_PAYMENTS: usize = 200;
/// Tickets listed as waiting longest.
pub const WAITING_LISTED: usize = 5;
/// Days back the Overview compares today's hours with.
pub const COMPARE_DAYS: i64 = 7;

pub struct Ticket {
    pub panel_id: i64,
    pub id: i64,
    pub subject: String,
    pub since: i64,
}

/// Everything the Overview shows.
#[derive(Default)]
pub struct Overview {
    pub panels: Vec<panels::Panel>,
    pub orders_today: i64,
    pub stuck: i64,
    pub pending_tickets: i64,
    pub open_reports: i64,
    pub flagged: i64,
    /// Open Service critical incidents: panel, service, "name (#id)".
    pub critical: Vec<(i64, i64, String)>,
    pub failing: Vec<ProviderHour>,
    pub sync_trouble: BTreeMap<i64, Vec<String>>,
    pub waiting: Vec<Ticket>,
    /// Pending tickets that waited longer than the Waiting ticket rule's threshold.
    pub waiting_over: i64,
    pub waiting_minutes: i64,
    pub high_risk: usize,
    pub payments_judged: usize,
    /// Per day back (0 = today), per currency.
    pub same_hours: Vec<(i64, Sums)>,
    /// Orders per hour today (index = hour of the day).
    pub per_hour: Vec<i64>,
    pub stuck_after_hours: i64,
}

struct Batch {
    panels: Read<panels::Panel>,
    counts: Read<[i64; 5]>,
    profile: Read<ServiceProfile>,
    rules: Read<(String, f64, bool, i64)>,
    all_panels: Read<Panel>,
    sync: Read<SyncRow>,
    providers: Read<ProviderHour>,
    waiting: Read<Ticket>,
    waiting_over: Read<(i64, i64)>,
    payments: Read<Listed>,
    same_hours: Read<(i64, Sums)>,
    per_hour: Read<(i64, i64)>,
    critical: Read<(i64, i64, String)>,
}

fn batch(reads: &mut Reads, viewer: &Viewer, scope: &str, now: i64) -> Batch {
    let midnight = now - now.rem_euclid(86_400);
    let stuck_after =
        "(SELECT stuck_after_hours FROM service_profiles ORDER BY is_default DESC, name, id LIMIT 1)";
    let counts = reads.add(
        Stmt::new(
            format!(
                "SELECT
                   (SELECT COALESCE(SUM(orders), 0) FROM rollup_order_hours WHERE {scope} AND hour >= ?1 / 3600),
                   (SELECT COUNT(*) FROM orders_cache INDEXED BY orders_cache_stuck WHERE {scope} AND {STUCK_SQL}
                      AND created < ?2 - {stuck_after} * 3600),
                   (SELECT COUNT(*) FROM tickets_cache WHERE {scope} AND status = 'pending'),
                   (SELECT COUNT(*) FROM service_reports WHERE {scope} AND resolved_at IS NULL),
                   (SELECT COUNT(*) FROM ai_reviews WHERE {scope} AND {flagged} AND reply_at >= ?3)",
                flagged = shared::domain::ai_verdicts::flagged_sql("")
            ),
            (midnight, now, now - 86_400),
        ),
        |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]),
    );
    let waiting = reads.add(
        Stmt::new(
            format!(
                "SELECT panel_id, id, COALESCE(subject, ''), COALESCE(last_update, created) FROM tickets_cache
                 INDEXED BY tickets_cache_pending_since WHERE {scope} AND status = 'pending'
                 ORDER BY COALESCE(last_update, created) LIMIT {WAITING_LISTED}"
            ),
            (),
        ),
        |r| Ok(Ticket { panel_id: r.get(0)?, id: r.get(1)?, subject: r.get(2)?, since: r.get(3)? }),
    );
    // Pending tickets that waited longer than the Waiting ticket rule's minutes (its stored threshold,
    // else its default, rounded as the rule rounds it): every pending ticket (a covering count) less
    // the few that came in since, from the index by waiting time — no pass over every pending ticket.
    let waiting_over = reads.add(
        Stmt::new(
            format!(
                "SELECT m, (SELECT COUNT(*) FROM tickets_cache INDEXED BY tickets_cache_status
                   WHERE status = 'pending' AND {scope})
                 - (SELECT COUNT(*) FROM tickets_cache INDEXED BY tickets_cache_pending_since
                   WHERE {scope} AND status = 'pending' AND COALESCE(last_update, created) >= ?1 - m * 60)
                 FROM (SELECT CAST(MAX(COALESCE((SELECT threshold FROM alert_rules WHERE rule = ?2), ?3), 1.0) AS INTEGER) AS m)"
            ),
            libsql::params![now, Rule::WaitingTicket.as_str(), Rule::WaitingTicket.default_threshold()],
        ),
        |r| Ok((r.get(0)?, r.get(1)?)),
    );
    let per_hour = reads.add(
        Stmt::new(
            format!(
                "SELECT hour, SUM(orders) FROM rollup_order_hours WHERE {scope} AND hour >= ?1 / 3600 GROUP BY hour"
            ),
            [midnight],
        ),
        |r| Ok((r.get(0)?, r.get(1)?)),
    );
    let critical = reads.add(
        Stmt::new(
            format!(
                "SELECT panel_id, CAST(subject AS INTEGER), title FROM alert_incidents INDEXED BY alert_incidents_open
                 WHERE rule = ?1 AND {scope} AND resolved_at IS NULL ORDER BY opened_at"
            ),
            [Rule::ServiceCritical.as_str()],
        ),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    );
    Batch {
        critical,
        panels: panels::list_read(reads, &viewer.scope()),
        counts,
        profile: panelops_reports::profiles::default_read::<ServiceProfile>(reads),
        rules: rules::read(reads),
        all_panels: evaluate::panels_read(reads),
        sync: evaluate::sync_read(reads),
        providers: evaluate::providers_read(reads, now),
        waiting,
        waiting_over,
        payments: recent_read(reads, scope, now - 86_400, RISK_PAYMENTS),
        same_hours: margins::same_hours_read(reads, scope, COMPARE_DAYS, now),
        per_hour,
    }
}

/// The Overview's numbers for the panels in view: one batch.
pub async fn read(conn: &Conn, viewer: &Viewer, now: i64) -> AppResult<Overview> {
    let ids: Vec<i64> =
        viewer.panels.iter().filter(|p| viewer.panel.is_none_or(|c| c == p.id)).map(|p| p.id).collect();
    let mut reads = Reads::new();
    if ids.is_empty() {
        let panels = panels::list_read(&mut reads, &viewer.scope());
        let mut done = reads.run(conn).await?;
        return Ok(Overview { panels: done.all(panels).await?, ..Overview::default() });
    }
    let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    // "All panels" as an explicit list keeps the per-panel indexes usable.
    let scope = format!("panel_id IN ({})", list.join(","));
    let b = batch(&mut reads, viewer, &scope, now);
    let mut done = reads.run(conn).await?;
    let mut o = Overview { panels: done.all(b.panels).await?, ..Overview::default() };
    [o.orders_today, o.stuck, o.pending_tickets, o.open_reports, o.flagged] =
        done.first(b.counts).await?.unwrap_or_default();
    let book = RuleBook::from_rows(done.all(b.rules).await?);
    let in_view = |p: i64| ids.contains(&p);
    let all_panels = done.all(b.all_panels).await?;
    let times = book.get(Rule::SyncTrouble).threshold.max(1.0);
    o.sync_trouble = evaluate::sync_trouble(&all_panels, done.all(b.sync).await?, times, now);
    o.sync_trouble.retain(|p, _| in_view(*p));
    let paused: Vec<i64> = all_panels.iter().filter(|p| p.paused).map(|p| p.id).collect();
    o.failing = evaluate::failing(done.all(b.providers).await?, book.get(Rule::ProviderFailing).threshold);
    o.failing.retain(|p| in_view(p.panel_id) && !paused.contains(&p.panel_id));
    o.waiting = done.all(b.waiting).await?;
    (o.waiting_minutes, o.waiting_over) = done.first(b.waiting_over).await?.unwrap_or_default();
    let listed = done.all(b.payments).await?;
    o.payments_judged = listed.len();
    o.high_risk = listed.iter().filter(|l| risk_of(l).level == Level::High).count();
    o.same_hours = done.all(b.same_hours).await?;
    let midnight_hour = (now - now.rem_euclid(86_400)) / 3600;
    o.per_hour = vec![0; ((now / 3600 - midnight_hour) + 1).clamp(1, 24) as usize];
    for (hour, n) in done.all(b.per_hour).await? {
        if let Some(slot) = o.per_hour.get_mut((hour - midnight_hour) as usize) {
            *slot += n;
        }
    }
    o.critical = done.all(b.critical).await?;
    o.stuck_after_hours = done.first(b.profile).await?.map_or(0, |p| p.stuck_after_hours);
    Ok(o)
}
