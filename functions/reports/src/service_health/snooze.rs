//! Snoozes: a snoozed service is hidden from Service tracking for everyone until it expires.

use libsql::params;
use shared::db::{Conn, Read, Reads, Stmt};

use shared::AppResult;

pub const SNOOZE_SECS: i64 = 24 * 3600;

/// Active snoozes under the scope condition `sc` (`PanelScope::sql`), added to a batch of reads.
pub fn active_read(reads: &mut Reads, sc: &str, now: i64) -> Read<(i64, i64, i64)> {
    reads.add(
        Stmt::new(
            format!("SELECT panel_id, service_id, until FROM service_snoozes WHERE {sc} AND until > ?1 ORDER BY until"),
            params![now],
        ),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// Snoozes each (panel, service) for 24 hours from `now`; returns the expiry.
pub async fn snooze(conn: &Conn, keys: &[(i64, i64)], staff_id: i64, now: i64) -> AppResult<i64> {
    let until = now + SNOOZE_SECS;
    let tx = shared::db::write_tx(conn).await?;
    for (panel, service) in keys {
        tx.execute(
            "INSERT INTO service_snoozes (panel_id, service_id, until, staff_id, created) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (panel_id, service_id) DO UPDATE SET until = excluded.until, staff_id = excluded.staff_id,
             created = excluded.created",
            params![*panel, *service, until, staff_id, now],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(until)
}

/// Ends a snooze early.
pub async fn wake(conn: &Conn, panel: i64, service: i64) -> AppResult<bool> {
    let tx = shared::db::write_tx(conn).await?;
    let n = tx
        .execute(
            "DELETE FROM service_snoozes WHERE panel_id = ?1 AND service_id = ?2",
            params![panel, service],
        )
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}
