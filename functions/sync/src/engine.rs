//! A sync run: for every active panel (a few at a time), every due resource (concurrently, sharing the
//! panel's throttle) takes a lease, steps page by page within the run's time and page budget, and
//! records how it ended. The next run continues from the stored position.

use std::sync::Arc;
use std::time::{Duration, Instant};

use libsql::params;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Semaphore;

use shared::auth::PanelScope;
use shared::crypto::Secret;
use shared::domain::panels::{self, Panel, PanelStatus};
use shared::domain::sync::{self as sync_state, Resource, SyncRow};
use shared::pp::{AdminClient, ClientOptions, PublicClient};
use shared::time::now;
use shared::{AppError, AppResult, AppState};

use crate::error::SyncError;
use crate::resources::{self, Ctx};

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Wall-clock time a resource may spend in this run.
    pub budget: Duration,
    /// Pages a resource may fetch in this run.
    pub max_pages: u32,
    /// Only this panel.
    pub panel: Option<i64>,
    /// Only these resources.
    pub resources: Option<Vec<Resource>>,
    /// Run every resource now, due or not, even while the engine is paused.
    pub force: bool,
    /// Keep going until every resource is caught up (CLI), ignoring the budget.
    pub until_idle: bool,
    /// No step starts after this (the Lambda's own deadline, less the longest a step can take):
    /// panels still waiting for their turn then wait for the next run.
    pub deadline: Option<Instant>,
    pub client: ClientOptions,
    /// Orders still to fetch from which the run catches up without the scattered-key indexes.
    pub catch_up_rows: i64,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            budget: Duration::from_secs(50),
            max_pages: 500,
            panel: None,
            resources: None,
            force: false,
            until_idle: false,
            deadline: None,
            client: ClientOptions::default(),
            catch_up_rows: resources::catch_up::DEFAULT_MIN_ROWS,
        }
    }
}

/// How one resource's step of a run ended.
#[derive(Debug, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Caught up with the panel.
    Ok,
    /// The budget ran out; the next run continues.
    Partial,
    Error,
    /// Another run holds the resource.
    Busy,
    /// The run's deadline passed before it started.
    Later,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Partial => "partial",
            Outcome::Error => "error",
            Outcome::Busy => "busy",
            Outcome::Later => "later",
        }
    }
}

#[derive(Debug, Serialize, Clone)]
pub struct ResourceReport {
    pub panel_id: i64,
    pub resource: &'static str,
    /// Rows received in this run.
    pub fetched: i64,
    pub skipped: i64,
    pub outcome: Outcome,
    pub message: Option<String>,
    pub cached: i64,
}

/// A panel the run left alone because it is in error (its Admin API key was refused): nothing of it
/// can sync until someone fixes the key and saves the panel as active.
#[derive(Debug, Serialize, Clone)]
pub struct StoppedPanel {
    pub panel_id: i64,
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Serialize, Default)]
pub struct RunReport {
    pub job: &'static str,
    pub paused: bool,
    pub panels: usize,
    pub fetched: i64,
    pub resources: Vec<ResourceReport>,
    pub stopped: Vec<StoppedPanel>,
}

impl RunReport {
    /// Resources that ended in error, and panels stopped by an error.
    pub fn errors(&self) -> usize {
        self.resources.iter().filter(|r| r.outcome == Outcome::Error).count() + self.stopped.len()
    }

    /// Resources another run was holding.
    pub fn busy(&self) -> usize {
        self.resources.iter().filter(|r| r.outcome == Outcome::Busy).count()
    }
}

pub async fn run(state: &AppState, opts: &RunOptions) -> AppResult<RunReport> {
    let report = run_due(state, opts).await;
    // A catch-up this run stopped (its budget spent, an error), or one a killed run left — paused
    // engine included: the console's searches get their indexes back now, not when it resumes.
    let restored = match state.db.connect().await {
        Ok(conn) => resources::catch_up::put_back(&state.db, &conn, None).await,
        Err(e) => Err(e.into()),
    };
    if let Err(e) = restored {
        tracing::warn!(error = %e, "could not rebuild the orders' search indexes; the next run tries again");
    }
    report
}

async fn run_due(state: &AppState, opts: &RunOptions) -> AppResult<RunReport> {
    let settings = sync_state::engine_settings(&state.db).await?;
    let mut report = RunReport { job: "sync", ..RunReport::default() };
    if settings.paused && !opts.force {
        report.paused = true;
        return Ok(report);
    }
    let all = panels::list(&state.db, &PanelScope::All).await?;
    // A panel stopped only because its keys could not be read is tried again: reading them costs no
    // call to the panel, and it resumes by itself once the right PANELOPS_SECRET_KEY is back.
    let (targets, others): (Vec<Panel>, Vec<Panel>) =
        all.into_iter().filter(|p| opts.panel.is_none_or(|id| id == p.id)).partition(|p| {
            p.status == PanelStatus::Active || p.last_error.as_deref() == Some(panels::KEYS_UNREADABLE)
        });
    report.stopped = others
        .into_iter()
        .filter(|p| p.status == PanelStatus::Error)
        .map(|p| StoppedPanel {
            panel_id: p.id,
            reason: p.last_error.unwrap_or_else(|| "in error".into()),
            name: p.name,
        })
        .collect();
    report.panels = targets.len();
    let targets = longest_waiting_first(state, targets).await?;
    let gate = Arc::new(Semaphore::new(settings.concurrency.clamp(1, 8) as usize));
    // Each panel's limit counts the console's and the reports' calls too, wherever they run.
    let opts = RunOptions { client: opts.client.clone().for_app(state), ..opts.clone() };
    let mut tasks = tokio::task::JoinSet::new();
    for panel in targets {
        let (state, opts, gate) = (state.clone(), opts.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            if opts.deadline.is_some_and(|d| Instant::now() >= d) {
                tracing::info!(panel = panel.id, "no time left in this run; the next one starts with it");
                return Ok(PanelRun::Synced(Vec::new()));
            }
            run_panel(&state, &panel, &opts, settings.retention_days).await
        });
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(PanelRun::Synced(mut rows))) => report.resources.append(&mut rows),
            Ok(Ok(PanelRun::Stopped(stopped))) => report.stopped.push(stopped),
            Ok(Err(e)) => tracing::error!(error = %e, "panel sync failed"),
            Err(e) => tracing::error!(error = %e, "panel sync task failed"),
        }
    }
    report.resources.sort_by_key(|r| (r.panel_id, r.resource));
    report.stopped.sort_by_key(|p| p.panel_id);
    report.fetched = report.resources.iter().map(|r| r.fetched).sum();
    Ok(report)
}

/// Panels that finished anything longest ago go first: with more panels than the run has time for,
/// the ones left out this time lead the next run instead of waiting behind the same ones forever.
async fn longest_waiting_first(state: &AppState, mut panels: Vec<Panel>) -> AppResult<Vec<Panel>> {
    let conn = state.db.connect().await?;
    let mut rows = conn
        .query("SELECT panel_id, MAX(COALESCE(last_ok_at, 0)) FROM sync_state GROUP BY panel_id", ())
        .await?;
    let mut served = std::collections::HashMap::new();
    while let Some(r) = rows.next().await? {
        served.insert(r.get::<i64>(0)?, r.get::<i64>(1)?);
    }
    panels.sort_by_key(|p| (served.get(&p.id).copied().unwrap_or(0), p.id));
    Ok(panels)
}

/// How a panel's turn in a run ended.
enum PanelRun {
    Synced(Vec<ResourceReport>),
    /// Its stored keys cannot be read with this PANELOPS_SECRET_KEY: nothing of it can sync.
    Stopped(StoppedPanel),
}

async fn run_panel(
    state: &AppState,
    panel: &Panel,
    opts: &RunOptions,
    retention_days: i64,
) -> AppResult<PanelRun> {
    sync_state::ensure_rows(&state.db, panel.id).await?;
    let (admin_key, services_key) = match panels::keys(&state.db, &state.config.secret_key, panel.id).await {
        Ok(keys) => keys,
        // Decryption is the only Config error here. Said on the panel (Panels, Settings → Sync, the
        // header's note) and in the run's report, not only in a log line.
        Err(AppError::Config(_)) => {
            tracing::error!(panel = panel.id, "{}", panels::KEYS_UNREADABLE);
            mark_keys_unreadable(state, panel.id, true).await?;
            let reason = panels::KEYS_UNREADABLE.to_string();
            return Ok(PanelRun::Stopped(StoppedPanel {
                panel_id: panel.id,
                name: panel.name.clone(),
                reason,
            }));
        }
        Err(e) => return Err(e),
    };
    if panel.status == PanelStatus::Error {
        tracing::info!(panel = panel.id, "the panel's keys read again; it syncs again");
        mark_keys_unreadable(state, panel.id, false).await?;
    }
    let admin = admin_key.and_then(|k| AdminClient::new(&panel.base_url, Secret::new(k), &opts.client).ok());
    let public =
        services_key.and_then(|k| PublicClient::new(&panel.base_url, Secret::new(k), &opts.client).ok());
    let (admin, public) = (admin.map(Arc::new), public.map(Arc::new));
    let t = now();
    let due: Vec<SyncRow> = sync_state::list(&state.db, &PanelScope::All, Some(panel.id))
        .await?
        .into_iter()
        .filter(|r| opts.resources.as_ref().is_none_or(|only| only.contains(&r.resource)))
        .filter(|r| (opts.force && r.enabled) || r.is_due(t))
        .collect();
    // Messages follow their tickets: they run once the ticket list of this run is stored.
    let (messages, others): (Vec<SyncRow>, Vec<SyncRow>) =
        due.into_iter().partition(|r| r.resource == Resource::TicketMessages);
    let mut out = Vec::new();
    for wave in [others, messages] {
        let mut tasks = tokio::task::JoinSet::new();
        for row in wave {
            let (state, opts, admin, public) = (state.clone(), opts.clone(), admin.clone(), public.clone());
            tasks.spawn(async move { run_resource(&state, row, &opts, admin, public.as_deref()).await });
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(r)) => out.push(r),
                Ok(Err(e)) => tracing::error!(panel = panel.id, error = %e, "resource sync failed"),
                Err(e) => tracing::error!(panel = panel.id, error = %e, "resource task failed"),
            }
        }
    }
    if retention_days > 0 {
        let conn = state.db.connect().await?;
        let tx = shared::db::write_tx(&conn).await?;
        let gone = tx
            .execute(
                &format!(
                    "DELETE FROM orders_cache WHERE panel_id = ?1 AND created < ?2 AND status IN {}",
                    shared::cache::orders::FINAL_SQL
                ),
                params![panel.id, now() - retention_days * 86_400],
            )
            .await?;
        tx.execute(
            "UPDATE sync_state SET cached = MAX(cached - ?1, 0) WHERE panel_id = ?2 AND resource = 'orders'",
            params![gone as i64, panel.id],
        )
        .await?;
        tx.commit().await?;
    }
    Ok(PanelRun::Synced(out))
}

/// Stops the panel for keys this PANELOPS_SECRET_KEY cannot read, or resumes it once they read again
/// (only a panel stopped for that reason: a paused one, or one whose key the panel refused, stays).
async fn mark_keys_unreadable(state: &AppState, panel_id: i64, unreadable: bool) -> AppResult<()> {
    let conn = state.db.connect().await?;
    let sql = if unreadable {
        "UPDATE panels SET status = 'error', last_error = ?1, updated_at = ?2 WHERE id = ?3 AND status = 'active'"
    } else {
        "UPDATE panels SET status = 'active', last_error = NULL, updated_at = ?2
         WHERE id = ?3 AND status = 'error' AND last_error = ?1"
    };
    conn.execute(sql, params![panels::KEYS_UNREADABLE, now(), panel_id]).await?;
    Ok(())
}

/// Takes the resource for this run; false when another run holds an unexpired lease.
async fn take_lease(conn: &shared::db::Conn, row: &SyncRow, until: i64) -> AppResult<bool> {
    let n = conn
        .execute(
            "UPDATE sync_state SET lease_until = ?1, status = 'running', run_requested = 0
             WHERE panel_id = ?2 AND resource = ?3 AND lease_until < ?4",
            params![until, row.panel_id, row.resource.as_str(), now()],
        )
        .await?;
    Ok(n > 0)
}

/// Seconds before retrying a resource after its `failures`-th error in a row.
pub fn retry_delay(failures: i64, interval: i64) -> i64 {
    let exp = 30i64.saturating_mul(1 << (failures - 1).clamp(0, 10));
    exp.min(interval.max(300)).min(3600)
}

async fn run_resource(
    state: &AppState,
    row: SyncRow,
    opts: &RunOptions,
    admin: Option<Arc<AdminClient>>,
    public: Option<&PublicClient>,
) -> AppResult<ResourceReport> {
    let started = Instant::now();
    let run_start = now();
    // Every stored page renews the hold (`save_position`), so a run without a budget holds it only
    // as long as it keeps storing pages.
    let lease_secs =
        if opts.until_idle { resources::LEASE_HEARTBEAT_SECS } else { opts.budget.as_secs() as i64 + 60 };
    let mut report = ResourceReport {
        panel_id: row.panel_id,
        resource: row.resource.as_str(),
        fetched: 0,
        skipped: 0,
        outcome: Outcome::Busy,
        message: None,
        cached: row.cached,
    };
    if opts.deadline.is_some_and(|d| Instant::now() >= d) {
        // Out of time (ticket messages wait for the other resources): the next run does it.
        report.outcome = Outcome::Later;
        return Ok(report);
    }
    let conn = state.db.connect_bulk().await?;
    if !take_lease(&conn, &row, run_start + lease_secs).await? {
        return Ok(report);
    }
    let ctx = Ctx {
        state,
        conn: &conn,
        panel_id: row.panel_id,
        admin,
        public,
        page_size: row.page_size,
        client: opts.client.clone(),
        prefetch: Default::default(),
        known: Default::default(),
        catch_up_rows: opts.catch_up_rows,
        catch_up_considered: Default::default(),
        catch_up: Default::default(),
    };
    let mut position: Value =
        serde_json::from_str(&row.position).unwrap_or(Value::Object(Default::default()));
    let mut pages = 0u32;
    let result: Result<bool, SyncError> = loop {
        match resources::step(row.resource, &ctx, &position).await {
            Ok(step) => {
                report.fetched += step.received;
                report.skipped += step.skipped;
                position = step.position;
                if let Some(cached) = step.cached {
                    report.cached = cached;
                }
                pages += 1;
                if step.done {
                    break Ok(true);
                }
                let out_of_time = opts.deadline.is_some_and(|d| Instant::now() >= d);
                let out_of_budget =
                    pages >= opts.max_pages || started.elapsed() >= opts.budget || out_of_time;
                if out_of_budget && !opts.until_idle {
                    break Ok(false);
                }
            }
            Err(e) => break Err(e),
        }
    };
    // The stored count moved with every page (each write counts its rows), so it is exact without
    // counting a big table; `report.cached` is the last one a page returned.
    if pages > 0 {
        state.db.checkpoint_after_bulk(&conn).await?;
    }
    let t = now();
    match result {
        Ok(caught_up) => {
            report.outcome = if caught_up { Outcome::Ok } else { Outcome::Partial };
            conn.execute(
                "UPDATE sync_state SET status = 'ok', message = NULL, failures = 0, next_retry_at = NULL, lease_until = 0,
                        last_ok_at = ?1, cycle_done_at = CASE WHEN ?2 THEN ?1 ELSE cycle_done_at END,
                        last_fetched_at = COALESCE(last_fetched_at, ?1)
                 WHERE panel_id = ?3 AND resource = ?4",
                params![t, caught_up as i64, row.panel_id, row.resource.as_str()],
            )
            .await?;
        }
        Err(e) => {
            // The Services key is a different key from the admin one: say which one was refused.
            let message = match (e.key_rejected(), row.resource) {
                (true, Resource::Services) => format!("Services API key: {e}"),
                (true, _) => format!("Admin API key: {e}"),
                _ => e.to_string(),
            };
            tracing::warn!(panel = row.panel_id, resource = row.resource.as_str(), error = %message, "sync stopped");
            let failures = row.failures + 1;
            conn.execute(
                "UPDATE sync_state SET status = 'error', message = ?1, failures = ?2, next_retry_at = ?3, lease_until = 0,
                        last_fetched_at = ?4
                 WHERE panel_id = ?5 AND resource = ?6",
                params![
                    message.as_str(),
                    failures,
                    t + retry_delay(failures, row.interval_secs),
                    t,
                    row.panel_id,
                    row.resource.as_str()
                ],
            )
            .await?;
            // Only the admin key stops the whole panel: without it nothing else can sync. A refused
            // Services key stops the catalogue alone, on its own row.
            if e.key_rejected() && row.resource != Resource::Services {
                conn.execute(
                    "UPDATE panels SET status = 'error', last_error = ?1, updated_at = ?2 WHERE id = ?3",
                    params![message.as_str(), t, row.panel_id],
                )
                .await?;
            }
            report.outcome = Outcome::Error;
            report.message = Some(message);
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::retry_delay;

    #[test]
    fn retries_back_off() {
        assert_eq!(retry_delay(1, 60), 30);
        assert_eq!(retry_delay(2, 60), 60);
        assert_eq!(retry_delay(5, 60), 300);
        assert_eq!(retry_delay(20, 86_400), 3600);
    }
}
