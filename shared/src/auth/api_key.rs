//! API keys of the console's admin API: scopes, panels, the hashed token, the per-key rate limit and
//! "last used". The guard (`auth::guard`) turns a valid `X-Api-Key` into an [`ApiCaller`].

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use libsql::params;

use crate::auth::PanelScope;
use crate::crypto::{random_token, token_hash};
use crate::db::{opt_i64, Db};
use crate::error::{AppError, AppResult};
use crate::time::now;

/// What a key may reach. The string forms are what owners see and the OpenAPI document lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    OrdersRead,
    /// Order actions (resend, cancel, …) through `/adminapi/v2/orders/…`.
    OrdersWrite,
    UsersRead,
    PaymentsRead,
    TicketsRead,
    TicketsWrite,
    ServicesRead,
    ReportsRead,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Scope::OrdersRead,
        Scope::OrdersWrite,
        Scope::UsersRead,
        Scope::PaymentsRead,
        Scope::TicketsRead,
        Scope::TicketsWrite,
        Scope::ServicesRead,
        Scope::ReportsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OrdersRead => "orders:read",
            Scope::OrdersWrite => "orders:write",
            Scope::UsersRead => "users:read",
            Scope::PaymentsRead => "payments:read",
            Scope::TicketsRead => "tickets:read",
            Scope::TicketsWrite => "tickets:write",
            Scope::ServicesRead => "services:read",
            Scope::ReportsRead => "reports:read",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub all_panels: bool,
    pub panels: Vec<i64>,
    pub rate_per_minute: i64,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Identifies the key in the in-process rate limit and "last used" maps (ids repeat across
    /// databases; hashes do not).
    pub token_hash: String,
}

impl ApiKey {
    pub fn scope(&self) -> PanelScope {
        if self.all_panels {
            PanelScope::All
        } else {
            PanelScope::Only(self.panels.clone())
        }
    }
    pub fn has(&self, s: Scope) -> bool {
        self.scopes.contains(&s)
    }
}

/// The key behind an admin API request, put into the request by the guard (like `Viewer` for staff).
#[derive(Clone, Debug)]
pub struct ApiCaller {
    pub key_id: i64,
    pub key_name: String,
    pub prefix: String,
    pub created_by: Option<i64>,
    /// The panels the key may read.
    pub scope: PanelScope,
    /// The `panel` query parameter, already checked against the scope; None = every panel of the key.
    pub panel: Option<i64>,
}

impl ApiCaller {
    /// SQL limiting `column` to the key's panels and the chosen one.
    pub fn panel_sql(&self, column: &str) -> String {
        self.scope.sql(column, self.panel)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiCaller {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<ApiCaller>().cloned().ok_or(AppError::Unauthorized)
    }
}

/// Tokens start with this, so a leaked one is recognisable (e.g. by secret scanners).
pub const TOKEN_START: &str = "po_";
/// Characters of the token shown as its prefix: enough to tell keys apart, useless to an attacker.
const PREFIX_LEN: usize = 11;

pub struct NewKey<'a> {
    pub name: &'a str,
    pub scopes: &'a [Scope],
    pub all_panels: bool,
    pub panels: &'a [i64],
    pub created_by: i64,
}

/// Creates a key; returns its id and the token, which is never stored and cannot be shown again.
pub async fn create(db: &Db, new: &NewKey<'_>) -> AppResult<(i64, String)> {
    let token = format!("{TOKEN_START}{}", random_token());
    let prefix: String = token.chars().take(PREFIX_LEN).collect();
    let scopes: Vec<&str> = new.scopes.iter().map(|s| s.as_str()).collect();
    let conn = db.connect().await?;
    let tx = crate::db::write_tx(&conn).await?;
    tx.execute(
        "INSERT INTO api_keys (name, prefix, token_hash, scopes, all_panels, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            new.name,
            prefix,
            token_hash(&token),
            scopes.join(" "),
            new.all_panels as i64,
            new.created_by,
            now()
        ],
    )
    .await?;
    let id = tx.last_insert_rowid();
    if !new.all_panels {
        for p in new.panels {
            tx.execute(
                "INSERT OR IGNORE INTO api_key_panels (key_id, panel_id) VALUES (?1, ?2)",
                params![id, *p],
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok((id, token))
}

const COLUMNS: &str = "k.id, k.name, k.prefix, k.scopes, k.all_panels, k.rate_per_minute, k.created_by, k.created_at,
     k.last_used_at, k.revoked_at, (SELECT group_concat(panel_id) FROM api_key_panels p WHERE p.key_id = k.id), k.token_hash";

fn from_row(r: &crate::db::Row) -> AppResult<ApiKey> {
    let scopes: String = r.get(3)?;
    let panels = crate::db::opt_text(r, 10)?.unwrap_or_default();
    Ok(ApiKey {
        id: r.get(0)?,
        name: r.get(1)?,
        prefix: r.get(2)?,
        scopes: scopes.split_whitespace().filter_map(Scope::parse).collect(),
        all_panels: r.get::<i64>(4)? != 0,
        rate_per_minute: r.get(5)?,
        created_by: opt_i64(r, 6)?,
        created_at: r.get(7)?,
        last_used_at: opt_i64(r, 8)?,
        revoked_at: opt_i64(r, 9)?,
        panels: panels.split(',').filter_map(|p| p.trim().parse().ok()).collect(),
        token_hash: r.get(11)?,
    })
}

/// The key a token belongs to (revoked ones included, so the caller can say so).
pub async fn find_by_token(db: &Db, token: &str) -> AppResult<Option<ApiKey>> {
    let conn = db.connect().await?;
    let sql = format!("SELECT {COLUMNS} FROM api_keys k WHERE k.token_hash = ?1");
    // Every admin API call starts here.
    let mut rows = conn.query_cached(&sql, params![token_hash(token.trim())]).await?;
    match rows.next().await? {
        Some(r) => Ok(Some(from_row(&r)?)),
        None => Ok(None),
    }
}

pub async fn get(db: &Db, id: i64) -> AppResult<Option<ApiKey>> {
    let conn = db.connect().await?;
    let sql = format!("SELECT {COLUMNS} FROM api_keys k WHERE k.id = ?1");
    let mut rows = conn.query(&sql, params![id]).await?;
    match rows.next().await? {
        Some(r) => Ok(Some(from_row(&r)?)),
        None => Ok(None),
    }
}

/// Every key, active ones first, newest first.
pub async fn list(db: &Db) -> AppResult<Vec<ApiKey>> {
    let conn = db.connect().await?;
    let sql = format!("SELECT {COLUMNS} FROM api_keys k ORDER BY k.revoked_at IS NOT NULL, k.id DESC");
    let mut rows = conn.query(&sql, ()).await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(from_row(&r)?);
    }
    Ok(out)
}

/// Revokes a key; false when it was already revoked (nothing changed).
pub async fn revoke(db: &Db, id: i64) -> AppResult<bool> {
    let conn = db.connect().await?;
    let tx = crate::db::write_tx(&conn).await?;
    let n = tx
        .execute(
            "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
            params![now(), id],
        )
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}

/// How often "last used" is written per key: a busy script must not cost a write per request.
pub const LAST_USED_EVERY_SECS: i64 = 60;

fn last_touch() -> &'static Mutex<HashMap<String, i64>> {
    static M: OnceLock<Mutex<HashMap<String, i64>>> = OnceLock::new();
    M.get_or_init(Default::default)
}

/// Records a use of the key, writing at most once a minute per key (and per process; the SQL condition
/// keeps several Lambda instances from writing more often than that either).
pub async fn touch(db: &Db, key: &ApiKey) -> AppResult<()> {
    let t = now();
    if key.last_used_at.is_some_and(|l| t - l < LAST_USED_EVERY_SECS) {
        return Ok(());
    }
    {
        let mut m = last_touch().lock().unwrap_or_else(|p| p.into_inner());
        if m.get(&key.token_hash).is_some_and(|l| t - l < LAST_USED_EVERY_SECS) {
            return Ok(());
        }
        m.insert(key.token_hash.clone(), t);
    }
    let conn = db.connect().await?;
    let tx = crate::db::write_tx(&conn).await?;
    tx.execute(
        "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at <= ?3)",
        params![t, key.id, t - LAST_USED_EVERY_SECS],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A token bucket per key: `rate_per_minute` requests, refilled evenly over the minute. In-process: each
/// Lambda instance (or the local server) counts on its own, so the real ceiling is per instance.
struct Bucket {
    tokens: f64,
    at: Instant,
}

fn buckets() -> &'static Mutex<HashMap<String, Bucket>> {
    static B: OnceLock<Mutex<HashMap<String, Bucket>>> = OnceLock::new();
    B.get_or_init(Default::default)
}

/// Ok, or the seconds to wait before the next request is allowed.
pub fn take_rate(key: &str, per_minute: i64) -> Result<(), u64> {
    let cap = per_minute.max(1) as f64;
    let per_sec = cap / 60.0;
    let mut m = buckets().lock().unwrap_or_else(|p| p.into_inner());
    let now = Instant::now();
    let b = m.entry(key.to_string()).or_insert(Bucket { tokens: cap, at: now });
    b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(cap);
    b.at = now;
    if b.tokens >= 1.0 {
        b.tokens -= 1.0;
        Ok(())
    } else {
        Err(((1.0 - b.tokens) / per_sec).ceil().max(1.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        assert_eq!(Scope::parse("orders:delete"), None);
    }

    #[test]
    fn the_bucket_empties_and_says_when_to_retry() {
        let id = "unit-test-key";
        for _ in 0..3 {
            assert!(take_rate(id, 3).is_ok());
        }
        let wait = take_rate(id, 3).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
    }
}
