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

async fn count(db: &Db, key: &str, since: i64) -> AppResult<(i64, Option<i64>)> {
    let conn = db.connect().await?;
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

/// `Err(429)` with a clear message while this username or address has too many recent failures.
pub async fn check(db: &Db, username: &str, ip: &str) -> AppResult<()> {
    let t = now();
    for (key, max) in [(user_key(username), MAX_PER_USERNAME), (ip_key(ip), MAX_PER_IP)] {
        let (n, oldest) = count(db, &key, t - WINDOW_SECS).await?;
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
    Ok(())
}

pub async fn record_failure(db: &Db, username: &str, ip: &str) -> AppResult<()> {
    let t = now();
    let conn = db.connect().await?;
    conn.execute(
        "INSERT INTO login_failures (scope, at) VALUES (?1, ?3), (?2, ?3)",
        params![user_key(username), ip_key(ip), t],
    )
    .await?;
    // Keep the table small: anything older than the window no longer counts.
    conn.execute("DELETE FROM login_failures WHERE at <= ?1", params![t - WINDOW_SECS]).await?;
    Ok(())
}

pub async fn clear_username(db: &Db, username: &str) -> AppResult<()> {
    let conn = db.connect().await?;
    conn.execute("DELETE FROM login_failures WHERE scope = ?1", params![user_key(username)]).await?;
    Ok(())
}
