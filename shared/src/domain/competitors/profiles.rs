//! Competitor tracking profiles: which competitors and which of our services a report covers, and its
//! window. A profile belongs to one of our panels.

use libsql::params;
use serde::Serialize;

use crate::auth::PanelScope;
use crate::db::{opt_text, Db};
use crate::error::{AppError, AppResult};
use crate::time::now;

#[derive(Clone, Debug, Serialize)]
pub struct Profile {
    pub id: i64,
    pub panel_id: i64,
    pub name: String,
    /// Empty: every competitor of the panel.
    pub competitor_ids: Vec<i64>,
    /// Empty: every service of ours with a confirmed match.
    pub service_ids: Vec<i64>,
    pub window_hours: i64,
    pub created_by: Option<String>,
    pub created_at: i64,
}

pub struct ProfileInput {
    pub panel_id: i64,
    pub name: String,
    pub competitor_ids: Vec<i64>,
    pub service_ids: Vec<i64>,
    pub window_hours: i64,
}

/// Window limits: an hour to a year.
pub const MAX_WINDOW_HOURS: i64 = 24 * 366;

pub fn parse_ids(text: &str) -> Result<Vec<i64>, String> {
    let mut out = Vec::new();
    for part in text.split([',', ' ', '\n', '\r', '\t']).filter(|p| !p.trim().is_empty()) {
        let id: i64 = part.trim().parse().map_err(|_| format!("{:?} is not a service id.", part.trim()))?;
        if id <= 0 {
            return Err(format!("{id} is not a service id."));
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

fn join(ids: &[i64]) -> String {
    ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

fn split(s: &str) -> Vec<i64> {
    s.split(',').filter_map(|p| p.trim().parse().ok()).collect()
}

const COLUMNS: &str = "id, panel_id, name, competitor_ids, service_ids, window_hours, created_by, created_at";

fn from_row(r: &crate::db::Row) -> AppResult<Profile> {
    Ok(Profile {
        id: r.get(0)?,
        panel_id: r.get(1)?,
        name: r.get(2)?,
        competitor_ids: split(&r.get::<String>(3)?),
        service_ids: split(&r.get::<String>(4)?),
        window_hours: r.get(5)?,
        created_by: opt_text(r, 6)?,
        created_at: r.get(7)?,
    })
}

pub async fn list(db: &Db, scope: &PanelScope, panel: Option<i64>) -> AppResult<Vec<Profile>> {
    let conn = db.connect().await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM competitor_profiles WHERE {} ORDER BY name COLLATE NOCASE, id",
        scope.sql("panel_id", panel)
    );
    let mut rows = conn.query(&sql, ()).await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(from_row(&r)?);
    }
    Ok(out)
}

/// A profile the scope may see, or 404.
pub async fn get_in_scope(db: &Db, scope: &PanelScope, id: i64) -> AppResult<Profile> {
    let conn = db.connect().await?;
    let mut rows =
        conn.query(&format!("SELECT {COLUMNS} FROM competitor_profiles WHERE id = ?1"), params![id]).await?;
    match rows.next().await? {
        Some(r) => {
            let p = from_row(&r)?;
            if scope.allows(p.panel_id) {
                Ok(p)
            } else {
                Err(AppError::not_found("That profile"))
            }
        }
        None => Err(AppError::not_found("That profile")),
    }
}

pub async fn create(db: &Db, input: &ProfileInput, by: &str) -> AppResult<i64> {
    let conn = db.connect().await?;
    conn.execute(
        "INSERT INTO competitor_profiles (panel_id, name, competitor_ids, service_ids, window_hours, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            input.panel_id,
            input.name.as_str(),
            join(&input.competitor_ids),
            join(&input.service_ids),
            input.window_hours,
            by,
            now()
        ],
    )
    .await?;
    Ok(conn.last_insert_rowid())
}

pub async fn update(db: &Db, id: i64, input: &ProfileInput) -> AppResult<()> {
    let conn = db.connect().await?;
    conn.execute(
        "UPDATE competitor_profiles SET name = ?1, competitor_ids = ?2, service_ids = ?3, window_hours = ?4
         WHERE id = ?5",
        params![
            input.name.as_str(),
            join(&input.competitor_ids),
            join(&input.service_ids),
            input.window_hours,
            id
        ],
    )
    .await?;
    Ok(())
}

pub async fn delete(db: &Db, id: i64) -> AppResult<()> {
    let conn = db.connect().await?;
    conn.execute("DELETE FROM competitor_profiles WHERE id = ?1", params![id]).await?;
    Ok(())
}
