//! Competitor panels: rival Perfect Panel sites whose public catalogue (`/api/v2`, `action=services`)
//! we sync with a customer key. Each competitor is watched for one of our panels (the market it
//! competes in), so panel scope applies to it like to any panel data, and the sync engine's
//! per panel × resource row `competitors` syncs the competitors of that panel.
//! The key is stored encrypted; only its last four characters are read back for display.

pub mod catalog;
pub mod matching;
pub mod profiles;

use libsql::params;

use crate::auth::PanelScope;
use crate::crypto::{last4, SecretKey};
use crate::db::{opt_i64, opt_text, read_all, Db, Read, Reads, Stmt};
use crate::error::{AppError, AppResult};
use crate::time::now;

#[derive(Clone, Debug, serde::Serialize)]
pub struct Competitor {
    pub id: i64,
    pub panel_id: i64,
    pub name: String,
    pub base_url: String,
    pub key_last4: String,
    pub enabled: bool,
    /// idle (never synced), ok, error.
    pub status: String,
    pub last_error: Option<String>,
    pub last_sync_at: Option<i64>,
    pub last_ok_at: Option<i64>,
    pub services: i64,
    pub created_at: i64,
}

const COLUMNS: &str =
    "id, panel_id, name, base_url, api_key_last4, enabled, status, last_error, last_sync_at,
    last_ok_at, services, created_at";

fn from_row(r: &crate::db::Row) -> AppResult<Competitor> {
    Ok(Competitor {
        id: r.get(0)?,
        panel_id: r.get(1)?,
        name: r.get(2)?,
        base_url: r.get(3)?,
        key_last4: r.get(4)?,
        enabled: r.get::<i64>(5)? != 0,
        status: r.get(6)?,
        last_error: opt_text(r, 7)?,
        last_sync_at: opt_i64(r, 8)?,
        last_ok_at: opt_i64(r, 9)?,
        services: r.get(10)?,
        created_at: r.get(11)?,
    })
}

/// Competitors of the panels in scope (narrowed to `panel` when chosen), by name.
pub async fn list(db: &Db, scope: &PanelScope, panel: Option<i64>) -> AppResult<Vec<Competitor>> {
    read_all(&db.connect().await?, |r| list_read(r, scope, panel)).await
}

/// The competitors in view, by name.
pub fn list_read(reads: &mut Reads, scope: &PanelScope, panel: Option<i64>) -> Read<Competitor> {
    let sql = format!(
        "SELECT {COLUMNS} FROM competitors WHERE {} ORDER BY name COLLATE NOCASE, id",
        scope.sql("panel_id", panel)
    );
    reads.add(Stmt::new(sql, ()), from_row)
}

pub async fn get(db: &Db, id: i64) -> AppResult<Option<Competitor>> {
    let conn = db.connect().await?;
    let mut rows =
        conn.query(&format!("SELECT {COLUMNS} FROM competitors WHERE id = ?1"), params![id]).await?;
    match rows.next().await? {
        Some(r) => Ok(Some(from_row(&r)?)),
        None => Ok(None),
    }
}

/// A competitor the scope may see, or 404 (another panel's competitor is not revealed to exist).
pub async fn get_in_scope(db: &Db, scope: &PanelScope, id: i64) -> AppResult<Competitor> {
    match get(db, id).await? {
        Some(c) if scope.allows(c.panel_id) => Ok(c),
        _ => Err(AppError::not_found("That competitor panel")),
    }
}

pub struct CompetitorInput {
    pub panel_id: i64,
    pub name: String,
    pub base_url: String,
    /// None = keep the saved key (edit only).
    pub api_key: Option<String>,
    pub enabled: bool,
}

pub async fn create(db: &Db, key: &SecretKey, input: &CompetitorInput) -> AppResult<i64> {
    let plain = input
        .api_key
        .as_deref()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| AppError::bad_request("Enter a customer API key of the rival panel."))?;
    let enc = key.encrypt(plain)?;
    let conn = db.connect().await?;
    let t = now();
    let n = conn
        .execute(
            "INSERT INTO competitors (panel_id, name, base_url, api_key_enc, api_key_last4, enabled, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT (panel_id, base_url) DO NOTHING",
            params![
                input.panel_id,
                input.name.as_str(),
                input.base_url.as_str(),
                enc,
                last4(plain),
                input.enabled as i64,
                t
            ],
        )
        .await?;
    if n == 0 {
        return Err(AppError::Conflict("This panel already tracks a competitor at that address.".into()));
    }
    Ok(conn.last_insert_rowid())
}

pub async fn update(db: &Db, key: &SecretKey, id: i64, input: &CompetitorInput) -> AppResult<()> {
    let conn = db.connect().await?;
    let tx = crate::db::write_tx(&conn).await?;
    let new_key = input.api_key.as_deref().filter(|k| !k.is_empty());
    if new_key.is_none() {
        // The key is sent to the rival's address: it never follows a new address on its own.
        let mut rows = tx.query("SELECT base_url FROM competitors WHERE id = ?1", params![id]).await?;
        if let Some(r) = rows.next().await? {
            if r.get::<String>(0)? != input.base_url {
                return Err(AppError::bad_request(
                    "The key is sent to the rival's address: enter it again to change the address.",
                ));
            }
        }
    }
    let n = tx
        .execute(
            "UPDATE competitors SET name = ?1, base_url = ?2, enabled = ?3, updated_at = ?4
             WHERE id = ?5 AND NOT EXISTS (SELECT 1 FROM competitors o WHERE o.panel_id = competitors.panel_id
                                            AND o.base_url = ?2 AND o.id != ?5)",
            params![input.name.as_str(), input.base_url.as_str(), input.enabled as i64, now(), id],
        )
        .await?;
    if n == 0 {
        return Err(AppError::Conflict("This panel already tracks a competitor at that address.".into()));
    }
    if let Some(k) = new_key {
        tx.execute(
            "UPDATE competitors SET api_key_enc = ?1, api_key_last4 = ?2 WHERE id = ?3",
            params![key.encrypt(k)?, last4(k), id],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn set_enabled(db: &Db, id: i64, enabled: bool) -> AppResult<()> {
    let conn = db.connect().await?;
    conn.execute(
        "UPDATE competitors SET enabled = ?1, updated_at = ?2 WHERE id = ?3",
        params![enabled as i64, now(), id],
    )
    .await?;
    Ok(())
}

/// The next enabled competitor of `panel_id` after `after` (id order), with its decrypted-later key:
/// what one sync step works on.
pub async fn next_to_sync(db: &Db, panel_id: i64, after: i64) -> AppResult<Option<(Competitor, String)>> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query(
            &format!(
                "SELECT {COLUMNS}, api_key_enc FROM competitors WHERE panel_id = ?1 AND enabled = 1 AND id > ?2
                 ORDER BY id LIMIT 1"
            ),
            params![panel_id, after],
        )
        .await?;
    match rows.next().await? {
        Some(r) => Ok(Some((from_row(&r)?, r.get(12)?))),
        None => Ok(None),
    }
}

/// Records a failed sync: the last good catalogue stays; the error is shown on the row.
pub async fn record_error(db: &Db, id: i64, message: &str) -> AppResult<()> {
    let conn = db.connect().await?;
    conn.execute(
        "UPDATE competitors SET status = 'error', last_error = ?1, last_sync_at = ?2 WHERE id = ?3",
        params![message, now(), id],
    )
    .await?;
    Ok(())
}
