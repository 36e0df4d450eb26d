//! Numbered SQL migrations embedded in the binary, applied in one transaction and tracked in
//! `schema_migrations`. A binary refuses to run on a database newer than it knows.

use crate::db::{Conn, Db, DbResult};
use crate::error::{AppError, AppResult};

pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../../migrations/0001_foundation.sql")),
    (2, "cache", include_str!("../../migrations/0002_cache.sql")),
    (3, "browsing", include_str!("../../migrations/0003_browsing.sql")),
    (4, "api_keys", include_str!("../../migrations/0004_api_keys.sql")),
    (5, "ai", include_str!("../../migrations/0005_ai.sql")),
    (6, "competitors", include_str!("../../migrations/0006_competitors.sql")),
    (7, "reports", include_str!("../../migrations/0007_reports.sql")),
    (8, "page_indexes", include_str!("../../migrations/0008_page_indexes.sql")),
    (9, "filter_indexes", include_str!("../../migrations/0009_filter_indexes.sql")),
    (10, "ticket_order_ids", include_str!("../../migrations/0010_ticket_order_ids.sql")),
    (11, "request_windows", include_str!("../../migrations/0011_request_windows.sql")),
    (12, "ticket_reads", include_str!("../../migrations/0012_ticket_reads.sql")),
    (13, "order_fingerprints", include_str!("../../migrations/0013_order_fingerprints.sql")),
    (14, "numeric_discount_sort", include_str!("../../migrations/0014_numeric_discount_sort.sql")),
    (15, "ticket_read_failures", include_str!("../../migrations/0015_ticket_read_failures.sql")),
    (16, "alerts", include_str!("../../migrations/0016_alerts.sql")),
    (17, "rollups", include_str!("../../migrations/0017_rollups.sql")),
    (18, "order_actions", include_str!("../../migrations/0018_order_actions.sql")),
    (19, "money", include_str!("../../migrations/0019_money.sql")),
    (20, "delivery", include_str!("../../migrations/0020_delivery.sql")),
    (21, "digests", include_str!("../../migrations/0021_digests.sql")),
    (22, "reply_lengths", include_str!("../../migrations/0022_reply_lengths.sql")),
    (23, "pending_since", include_str!("../../migrations/0023_pending_since.sql")),
    (24, "service_days", include_str!("../../migrations/0024_service_days.sql")),
    (25, "ticket_reply_stats", include_str!("../../migrations/0025_ticket_reply_stats.sql")),
];

/// The newest schema version this build knows.
pub const CURRENT_VERSION: i64 = 25;

/// The schema version the database is at (one indexed read).
pub async fn schema_version(db: &Db) -> AppResult<i64> {
    let conn = db.connect().await?;
    Ok(applied(&conn).await?.into_iter().max().unwrap_or(0))
}

const TRACKING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";

/// The versions applied: one statement (a warm start's whole check); a fresh database has none.
async fn applied(conn: &Conn) -> DbResult<Vec<i64>> {
    let mut rows = match conn.query("SELECT version FROM schema_migrations ORDER BY version", ()).await {
        Ok(rows) => rows,
        // Only a fresh database lacks the tracking table.
        Err(e) if e.to_string().contains("no such table") => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    while let Some(row) = rows.next().await? {
        out.push(row.get::<i64>(0)?);
    }
    Ok(out)
}

/// Versions the code knows that the database does not have yet.
pub async fn pending_migrations(db: &Db) -> AppResult<Vec<i64>> {
    let conn = db.connect().await?;
    let done = applied(&conn).await?;
    Ok(MIGRATIONS.iter().map(|m| m.0).filter(|v| !done.contains(v)).collect())
}

fn newer_than_known(done: &[i64]) -> AppResult<()> {
    let known = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
    match done.iter().max().filter(|v| **v > known) {
        Some(newest) => Err(AppError::Config(format!(
            "the database schema (version {newest}) is newer than this build knows (version {known}); deploy the newer build"
        ))),
        None => Ok(()),
    }
}

/// How long a start waits for another process that holds the write lock (its migrations, or a
/// sync's index build) before giving up.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Applies every pending migration in one transaction; returns how many were applied. A warm start
/// costs one read. Several functions starting together on a database that needs migrations (every
/// first deploy) each take the write lock in turn and decide what to apply only once they hold it,
/// so the first applies them and the others find nothing left to do.
pub async fn migrate(db: &Db) -> AppResult<usize> {
    // Every step may meet another starting process's lock (its switch to WAL, its migrations): wait.
    let started = std::time::Instant::now();
    loop {
        match migrate_once(db).await {
            Err(AppError::Db(e)) if is_busy(&e) && started.elapsed() < LOCK_WAIT => {
                tracing::info!("another process holds the database's write lock; waiting to migrate");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

async fn migrate_once(db: &Db) -> AppResult<usize> {
    let conn = db.connect().await?;
    let done = applied(&conn).await?;
    newer_than_known(&done)?;
    if MIGRATIONS.iter().all(|m| done.contains(&m.0)) {
        return Ok(0);
    }
    // A killed catch-up may have left the orders' scattered-key indexes off (the sync's `catch_up`):
    // the migrations below were written against a schema that has them.
    if done.contains(&3) {
        crate::domain::sync::build_missing_scattered_indexes(&conn, || false).await?;
    }
    apply_pending(&conn).await
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("SQLITE_BUSY") || message.contains("busy")
}

async fn apply_pending(conn: &Conn) -> AppResult<usize> {
    let tx = crate::db::write_tx(conn).await?;
    tx.execute(TRACKING, ()).await?;
    // Read again under the write lock: another process may have migrated while this one waited.
    let done = applied(&tx).await?;
    newer_than_known(&done)?;
    let todo: Vec<_> = MIGRATIONS.iter().filter(|m| !done.contains(&m.0)).collect();
    for (version, name, sql) in &todo {
        // execute_batch: plain execute would silently run only the first statement.
        tx.execute_batch(sql)
            .await
            .map_err(|e| AppError::Config(format!("migration {version} ({name}) failed: {e}")))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            libsql::params![*version, *name, crate::time::now()],
        )
        .await?;
        // The one step SQL cannot do: reading order ids out of stored messages (Rust's extraction rule).
        if *version == 10 {
            crate::cache::ticket_messages::fill_order_ids(&tx).await?;
        }
    }
    tx.commit().await?;
    if !todo.is_empty() {
        tracing::info!(count = todo.len(), "applied migrations");
    }
    Ok(todo.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn current_version_is_the_newest_migration() {
        assert_eq!(super::MIGRATIONS.last().map(|m| m.0), Some(super::CURRENT_VERSION));
    }
}
