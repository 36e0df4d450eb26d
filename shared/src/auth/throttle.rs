//! Sign-in throttling, per username and per client address, kept in the database so every Lambda
//! instance sees the same counts.

use libsql::params;

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::time::now;

pub const WINDOW_SECS: i64 = 15 * 60;
pub const MAX_PER_USERNAME: i64 = 5;
pub const MAX_PER_IP: i64 = 20;

fn user_key(username: &str) -> String {
    format!("user:{}", username.trim().to_lowercase())
}

fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

async fn count(conn: &crate::db::Conn, key: &str, since: i64) -> AppResult<(i64, Option<i64>)> {
    let mut rows = conn
        .query(
            "SELECT COUNT(*), MIN(at) FROM login_failures WHERE scope = ?1 AND at > ?2",
            params![key, since],
        )
        .await?;
    match rows.next().await? {
        Some(r) => Ok((r.get(0)?, crate::db::opt_i64(&r, 1)?)),
        None => Ok((0, None)),
    }
}

/// A sign-in attempt, counted as a failure from the start: the count and this attempt's own rows are
/// written in one transaction, so a burst of parallel tries cannot all pass the check before any of
/// them is recorded. A correct password then takes the attempt back ([`succeeded`]).
pub struct Attempt {
    rows: [i64; 2],
}

/// `Err(429)` with a clear message while this username or address has too many recent failures;
/// otherwise the attempt, already counted.
pub async fn begin(db: &Db, username: &str, ip: &str) -> AppResult<Attempt> {
    let t = now();
    let conn = db.connect().await?;
    let tx = crate::db::write_tx(&conn).await?;
    for (key, max) in [(user_key(username), MAX_PER_USERNAME), (ip_key(ip), MAX_PER_IP)] {
        let (n, oldest) = count(&tx, &key, t - WINDOW_SECS).await?;
        if n >= max {
            let wait = oldest.map(|o| o + WINDOW_SECS - t).unwrap_or(WINDOW_SECS).max(1);
            let minutes = (wait + 59) / 60;
            return Err(AppError::TooManyRequests {
                message: format!(
                    "Too many failed sign-in attempts. Wait {minutes} minute{} and try again.",
                    if minutes == 1 { "" } else { "s" }
                ),
                retry_after_secs: wait as u64,
            });
        }
    }
    let mut rows = [0; 2];
    for (slot, key) in rows.iter_mut().zip([user_key(username), ip_key(ip)]) {
        tx.execute("INSERT INTO login_failures (scope, at) VALUES (?1, ?2)", params![key, t]).await?;
        *slot = tx.last_insert_rowid();
    }
    // Keep the table small: anything older than the window no longer counts.
    tx.execute("DELETE FROM login_failures WHERE at <= ?1", params![t - WINDOW_SECS]).await?;
    tx.commit().await?;
    Ok(Attempt { rows })
}

/// The password was right: the attempt is not a failure, and the username's earlier failures are
/// forgiven.
pub async fn succeeded(db: &Db, attempt: Attempt, username: &str) -> AppResult<()> {
    let conn = db.connect().await?;
    conn.execute(
        "DELETE FROM login_failures WHERE rowid IN (?1, ?2) OR scope = ?3",
        params![attempt.rows[0], attempt.rows[1], user_key(username)],
    )
    .await?;
    Ok(())
}
