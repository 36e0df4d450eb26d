//! Sessions: a random token in the cookie, only its hash in the database, idle and absolute expiry.

use libsql::params;

use crate::config::Config;
use crate::crypto::{random_token, token_hash};
use crate::db::Db;
use crate::error::AppResult;
use crate::time::now;

/// Refresh `last_seen_at` at most this often, so reads do not write on every request.
const TOUCH_EVERY_SECS: i64 = 60;

pub struct NewSession {
    pub token: String,
    pub id: i64,
}

#[derive(Clone, Debug)]
pub struct SessionRow {
    pub id: i64,
    pub staff_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: String,
    pub user_agent: String,
}

pub async fn create(db: &Db, config: &Config, staff_id: i64, ip: &str, ua: &str) -> AppResult<NewSession> {
    let token = random_token();
    let t = now();
    let conn = db.connect().await?;
    conn.execute(
        "INSERT INTO sessions (token_hash, staff_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)",
        params![
            token_hash(&token),
            staff_id,
            random_token(),
            t,
            t + config.session_absolute_hours * 3600,
            ip,
            truncate(ua, 300)
        ],
    )
    .await?;
    Ok(NewSession { token, id: conn.last_insert_rowid() })
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// The session columns `from_row` reads, in order (`expires_at` sixth).
pub(crate) const COLUMNS: &str =
    "id, staff_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent";

/// A session from `COLUMNS` (prefixed with `s.` in a join), and when it expires.
pub(crate) fn from_row(row: &crate::db::Row) -> AppResult<(SessionRow, i64)> {
    let s = SessionRow {
        id: row.get(0)?,
        staff_id: row.get(1)?,
        csrf_token: row.get(2)?,
        created_at: row.get(3)?,
        last_seen_at: row.get(4)?,
        ip: row.get(6)?,
        user_agent: row.get(7)?,
    };
    Ok((s, row.get(5)?))
}

/// Whether a session read at `t` is over: past its lifetime, or idle too long.
pub(crate) fn is_over(config: &Config, s: &SessionRow, expires_at: i64, t: i64) -> bool {
    t >= expires_at || t - s.last_seen_at >= config.session_idle_minutes * 60
}

/// Whether its `last_seen_at` is old enough to be written again.
pub(crate) fn needs_touch(s: &SessionRow, t: i64) -> bool {
    t - s.last_seen_at >= TOUCH_EVERY_SECS
}

pub(crate) async fn touch(db: &Db, session_id: i64, t: i64) -> AppResult<()> {
    let conn = db.connect().await?;
    conn.execute("UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2", params![t, session_id]).await?;
    Ok(())
}

/// The live session for a cookie token; expired ones are deleted on sight.
pub async fn find(db: &Db, config: &Config, token: &str) -> AppResult<Option<SessionRow>> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query_cached(
            &format!("SELECT {COLUMNS} FROM sessions WHERE token_hash = ?1"),
            params![token_hash(token)],
        )
        .await?;
    let Some(row) = rows.next().await? else { return Ok(None) };
    let (s, expires_at) = from_row(&row)?;
    // Finish the read before writing on this connection.
    drop(rows);
    let t = now();
    if is_over(config, &s, expires_at, t) {
        conn.execute("DELETE FROM sessions WHERE id = ?1", params![s.id]).await?;
        return Ok(None);
    }
    if needs_touch(&s, t) {
        conn.execute("UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2", params![t, s.id]).await?;
    }
    Ok(Some(s))
}

pub async fn list_for(db: &Db, staff_id: i64) -> AppResult<Vec<SessionRow>> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query(
            "SELECT id, staff_id, csrf_token, created_at, last_seen_at, ip, user_agent
             FROM sessions WHERE staff_id = ?1 AND expires_at > ?2 ORDER BY last_seen_at DESC",
            params![staff_id, now()],
        )
        .await?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().await? {
        out.push(SessionRow {
            id: row.get(0)?,
            staff_id: row.get(1)?,
            csrf_token: row.get(2)?,
            created_at: row.get(3)?,
            last_seen_at: row.get(4)?,
            ip: row.get(5)?,
            user_agent: row.get(6)?,
        });
    }
    Ok(out)
}

pub async fn delete(db: &Db, session_id: i64) -> AppResult<()> {
    let conn = db.connect().await?;
    conn.execute("DELETE FROM sessions WHERE id = ?1", params![session_id]).await?;
    Ok(())
}

/// Deletes one of a staff member's sessions; false when it was not theirs.
pub async fn delete_own(db: &Db, staff_id: i64, session_id: i64) -> AppResult<bool> {
    let conn = db.connect().await?;
    let n = conn
        .execute("DELETE FROM sessions WHERE id = ?1 AND staff_id = ?2", params![session_id, staff_id])
        .await?;
    Ok(n > 0)
}

/// Signs a staff member out everywhere except `keep` (None = everywhere); returns how many ended.
pub async fn delete_all_for(db: &Db, staff_id: i64, keep: Option<i64>) -> AppResult<u64> {
    let conn = db.connect().await?;
    Ok(conn
        .execute(
            "DELETE FROM sessions WHERE staff_id = ?1 AND id != ?2",
            params![staff_id, keep.unwrap_or(-1)],
        )
        .await?)
}
