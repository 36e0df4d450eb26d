//! Panels: a Perfect Panel installation the console syncs. Keys are stored encrypted; only their last
//! four characters are ever read back for display.

use libsql::params;

use crate::auth::PanelScope;
use crate::crypto::{last4, SecretKey};
use crate::db::{opt_text, Db, Read, Reads, Stmt};
use crate::error::{AppError, AppResult};
use crate::time::now;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelStatus {
    Active,
    Paused,
    Error,
}

impl PanelStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PanelStatus::Active => "active",
            PanelStatus::Paused => "paused",
            PanelStatus::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(PanelStatus::Active),
            "paused" => Some(PanelStatus::Paused),
            "error" => Some(PanelStatus::Error),
            _ => None,
        }
    }
}

/// Id and name, for switchers and labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelRef {
    pub id: i64,
    pub name: String,
}

/// A panel as the console shows it: no key material beyond the last four characters.
#[derive(Clone, Debug)]
pub struct Panel {
    pub id: i64,
    pub name: String,
    pub base_url: String,
    pub status: PanelStatus,
    pub admin_key_last4: Option<String>,
    pub services_key_last4: Option<String>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Normalises what owners paste into the panel's site root: `https://host[/path]` without the
/// `/admin`, `/adminapi/v2` or `/api/v2` suffixes, lowercase host, no trailing slash.
pub fn normalize_base_url(input: &str) -> Result<String, String> {
    let t = input.trim();
    if t.is_empty() {
        return Err("Enter the panel's address, e.g. https://yourpanel.com".into());
    }
    if t.len() > 300 {
        return Err("That address is longer than 300 characters; enter the panel's own address.".into());
    }
    let with_scheme = if t.contains("://") { t.to_string() } else { format!("https://{t}") };
    let url = url::Url::parse(&with_scheme).map_err(|_| "That is not a valid web address.".to_string())?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err("The address must start with https://".into());
    }
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or("The address has no host name.")?;
    let mut path = url.path().trim_end_matches('/').to_string();
    for suffix in ["/admin/adminapi/v2", "/adminapi/v2", "/api/v2", "/admin"] {
        if let Some(p) = path.strip_suffix(suffix) {
            path = p.to_string();
            break;
        }
    }
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!("{}://{}{}{}", url.scheme(), host.to_lowercase(), port, path))
}

/// [`normalize_base_url`], refused when it points at a private or local address the configuration
/// does not allow (see `crate::outbound`): for panels and rivals alike.
pub async fn checked_base_url(input: &str, allow_private: bool) -> Result<String, String> {
    let url = normalize_base_url(input)?;
    crate::outbound::check_destination(&url, allow_private).await.map_err(|r| r.to_string())?;
    Ok(url)
}

/// The admin API base for a panel's site root (`/admin/adminapi/v2` is normalised away on save).
pub fn admin_api_base(base_url: &str) -> String {
    format!("{base_url}/adminapi/v2")
}

pub fn public_api_url(base_url: &str) -> String {
    format!("{base_url}/api/v2")
}

const COLUMNS: &str =
    "id, name, base_url, status, admin_key_last4, services_key_last4, last_error, created_at, updated_at";

fn from_row(row: &crate::db::Row) -> AppResult<Panel> {
    let status: String = row.get(3)?;
    Ok(Panel {
        id: row.get(0)?,
        name: row.get(1)?,
        base_url: row.get(2)?,
        status: PanelStatus::parse(&status).unwrap_or(PanelStatus::Error),
        admin_key_last4: opt_text(row, 4)?,
        services_key_last4: opt_text(row, 5)?,
        last_error: opt_text(row, 6)?,
        created_at: row.get(7)?,
        updated_at: row.get(8)?,
    })
}

pub async fn list(db: &Db, scope: &PanelScope) -> AppResult<Vec<Panel>> {
    let conn = db.connect().await?;
    let mut reads = Reads::new();
    let panels = list_read(&mut reads, scope);
    reads.run(&conn).await?.all(panels).await
}

/// The panels in `scope`, by name: to read along with a page's other reads.
pub fn list_read(reads: &mut Reads, scope: &PanelScope) -> Read<Panel> {
    let sql = format!("SELECT {COLUMNS} FROM panels WHERE {} ORDER BY name, id", scope.sql("id", None));
    reads.add(Stmt::new(sql, ()), from_row)
}

pub async fn refs_in_scope(db: &Db, scope: &PanelScope) -> AppResult<Vec<PanelRef>> {
    let conn = db.connect().await?;
    let sql = format!("SELECT id, name FROM panels WHERE {} ORDER BY name, id", scope.sql("id", None));
    let mut rows = conn.query_cached(&sql, ()).await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(PanelRef { id: r.get(0)?, name: r.get(1)? });
    }
    Ok(out)
}

pub async fn all_refs(db: &Db) -> AppResult<Vec<PanelRef>> {
    refs_in_scope(db, &PanelScope::All).await
}

pub async fn get(db: &Db, id: i64) -> AppResult<Option<Panel>> {
    let conn = db.connect().await?;
    let mut rows = conn.query(&format!("SELECT {COLUMNS} FROM panels WHERE id = ?1"), params![id]).await?;
    match rows.next().await? {
        Some(r) => Ok(Some(from_row(&r)?)),
        None => Ok(None),
    }
}

/// What a panel form submits. Key fields: `None` = keep the saved key, `Some("")` = clear it.
pub struct PanelInput {
    pub name: String,
    pub base_url: String,
    pub status: PanelStatus,
    pub admin_key: Option<String>,
    pub services_key: Option<String>,
}

fn encrypt_opt(key: &SecretKey, value: &str) -> AppResult<(Option<String>, Option<String>)> {
    if value.is_empty() {
        Ok((None, None))
    } else {
        Ok((Some(key.encrypt(value)?), Some(last4(value))))
    }
}

pub async fn create(db: &Db, key: &SecretKey, input: &PanelInput) -> AppResult<i64> {
    let (admin_enc, admin4) = encrypt_opt(key, input.admin_key.as_deref().unwrap_or(""))?;
    let (svc_enc, svc4) = encrypt_opt(key, input.services_key.as_deref().unwrap_or(""))?;
    let conn = db.connect().await?;
    let t = now();
    let n = conn
        .execute(
            "INSERT INTO panels (name, base_url, status, admin_key_enc, admin_key_last4, services_key_enc,
                                 services_key_last4, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) ON CONFLICT (base_url) DO NOTHING",
            params![
                input.name.as_str(),
                input.base_url.as_str(),
                input.status.as_str(),
                admin_enc,
                admin4,
                svc_enc,
                svc4,
                t
            ],
        )
        .await?;
    if n == 0 {
        return Err(AppError::Conflict("A panel with that address already exists.".into()));
    }
    Ok(conn.last_insert_rowid())
}

pub async fn update(db: &Db, key: &SecretKey, id: i64, input: &PanelInput) -> AppResult<()> {
    let conn = db.connect().await?;
    let tx = crate::db::write_tx(&conn).await?;
    // A key never follows the panel to a new address on its own: the caller must give it again
    // (the edit form asks for it), so whoever may edit a panel cannot have its keys sent elsewhere.
    let n = tx
        .execute(
            "UPDATE panels SET name = ?1, status = ?3, updated_at = ?4,
                    last_error = CASE WHEN ?3 = 'active' THEN NULL ELSE last_error END,
                    admin_key_enc = CASE WHEN base_url = ?2 THEN admin_key_enc END,
                    admin_key_last4 = CASE WHEN base_url = ?2 THEN admin_key_last4 END,
                    services_key_enc = CASE WHEN base_url = ?2 THEN services_key_enc END,
                    services_key_last4 = CASE WHEN base_url = ?2 THEN services_key_last4 END,
                    base_url = ?2
             WHERE id = ?5 AND NOT EXISTS (SELECT 1 FROM panels WHERE base_url = ?2 AND id != ?5)",
            params![input.name.as_str(), input.base_url.as_str(), input.status.as_str(), now(), id],
        )
        .await?;
    if n == 0 {
        return Err(AppError::Conflict("Another panel already has that address.".into()));
    }
    if let Some(k) = &input.admin_key {
        let (enc, l4) = encrypt_opt(key, k)?;
        tx.execute(
            "UPDATE panels SET admin_key_enc = ?1, admin_key_last4 = ?2 WHERE id = ?3",
            params![enc, l4, id],
        )
        .await?;
    }
    if let Some(k) = &input.services_key {
        let (enc, l4) = encrypt_opt(key, k)?;
        tx.execute(
            "UPDATE panels SET services_key_enc = ?1, services_key_last4 = ?2 WHERE id = ?3",
            params![enc, l4, id],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A panel's `last_error` when this `PANELOPS_SECRET_KEY` cannot read its stored keys (the sync sets it,
/// and clears it once the keys read again).
pub const KEYS_UNREADABLE: &str =
    "PANELOPS_SECRET_KEY cannot read this panel's stored API keys: it is not the key \
     they were saved with. Set that key again, or enter the panel's keys again in Panels.";

/// The decrypted admin and services keys, for the sync engine only. A key that this
/// `PANELOPS_SECRET_KEY` cannot read is an [`AppError::Config`].
pub async fn keys(db: &Db, key: &SecretKey, id: i64) -> AppResult<(Option<String>, Option<String>)> {
    let conn = db.connect().await?;
    let mut rows =
        conn.query("SELECT admin_key_enc, services_key_enc FROM panels WHERE id = ?1", params![id]).await?;
    let Some(r) = rows.next().await? else { return Err(AppError::not_found("That panel")) };
    let dec = |v: Option<String>| v.map(|s| key.decrypt(&s)).transpose();
    Ok((dec(opt_text(&r, 0)?)?, dec(opt_text(&r, 1)?)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalised() {
        let ok = |s: &str| normalize_base_url(s).unwrap();
        assert_eq!(ok("https://Panel.example.com/admin/adminapi/v2"), "https://panel.example.com");
        assert_eq!(ok("https://panel.example.com/adminapi/v2/"), "https://panel.example.com");
        assert_eq!(ok("panel.example.com/api/v2"), "https://panel.example.com");
        assert_eq!(ok("http://127.0.0.1:8080/admin"), "http://127.0.0.1:8080");
        assert!(normalize_base_url("").is_err());
        assert!(normalize_base_url("ftp://x").is_err());
        assert!(normalize_base_url(&format!("https://{}.com", "a".repeat(300))).unwrap_err().contains("300"));
        assert_eq!(admin_api_base("https://a.com"), "https://a.com/adminapi/v2");
    }
}
