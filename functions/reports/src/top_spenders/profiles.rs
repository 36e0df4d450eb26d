//! User tracking profiles: optional user ids, Min payments, Min spend. Profile 1 (from the migration)
//! is the default; the default cannot be deleted.

use libsql::params;
use serde::Serialize;
use shared::db::Conn;

use shared::{AppError, AppResult};

use crate::common::{collect, ids_text, parse_ids};

#[derive(Clone, Debug, Serialize)]
pub struct UserProfile {
    pub id: i64,
    pub name: String,
    /// User ids the report is limited to; empty = every user.
    pub user_ids: Vec<i64>,
    pub min_payments: i64,
    /// Micro-units.
    pub min_spend: i64,
    pub is_default: bool,
    pub created: i64,
}

const COLS: &str = "id, name, user_ids, min_payments, min_spend, is_default, created";

fn from_row(r: &shared::db::Row) -> AppResult<UserProfile> {
    let ids: String = r.get(2)?;
    Ok(UserProfile {
        id: r.get(0)?,
        name: r.get(1)?,
        user_ids: parse_ids(&ids).unwrap_or_default(),
        min_payments: r.get(3)?,
        min_spend: r.get(4)?,
        is_default: r.get::<i64>(5)? != 0,
        created: r.get(6)?,
    })
}

pub async fn list(conn: &Conn) -> AppResult<Vec<UserProfile>> {
    let rows = conn
        .query(&format!("SELECT {COLS} FROM user_profiles ORDER BY is_default DESC, name, id"), ())
        .await?;
    collect(rows, from_row).await
}

pub async fn get(conn: &Conn, id: i64) -> AppResult<Option<UserProfile>> {
    let rows = conn.query(&format!("SELECT {COLS} FROM user_profiles WHERE id = ?1"), params![id]).await?;
    Ok(collect(rows, from_row).await?.into_iter().next())
}

pub async fn chosen(conn: &Conn, id: Option<i64>) -> AppResult<(UserProfile, Vec<UserProfile>)> {
    // Profiles are few: one read of them all gives the chosen one and the page's profile menu.
    let all = list(conn).await?;
    let pick = match id {
        Some(id) => all
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| AppError::bad_request("profile: no profile has that id."))?,
        None => all.first().ok_or_else(|| AppError::internal("no user tracking profile"))?,
    };
    Ok((pick.clone(), all))
}

#[derive(Debug)]
pub struct ProfileInput {
    pub name: String,
    pub user_ids: Vec<i64>,
    pub min_payments: i64,
    pub min_spend: i64,
    pub is_default: bool,
}

pub async fn save(conn: &Conn, id: Option<i64>, p: &ProfileInput, now: i64) -> AppResult<i64> {
    let tx = shared::db::write_tx(conn).await?;
    if p.is_default {
        tx.execute("UPDATE user_profiles SET is_default = 0", ()).await?;
    }
    let id = match id {
        Some(id) => {
            tx.execute(
                "UPDATE user_profiles SET name = ?1, user_ids = ?2, min_payments = ?3, min_spend = ?4,
                 is_default = CASE WHEN ?5 THEN 1 ELSE is_default END WHERE id = ?6",
                params![
                    p.name.as_str(),
                    ids_text(&p.user_ids),
                    p.min_payments,
                    p.min_spend,
                    p.is_default,
                    id
                ],
            )
            .await?;
            id
        }
        None => {
            tx.execute(
                "INSERT INTO user_profiles (name, user_ids, min_payments, min_spend, is_default, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    p.name.as_str(),
                    ids_text(&p.user_ids),
                    p.min_payments,
                    p.min_spend,
                    p.is_default as i64,
                    now
                ],
            )
            .await?;
            tx.last_insert_rowid()
        }
    };
    tx.commit().await?;
    Ok(id)
}

pub async fn delete(conn: &Conn, id: i64) -> AppResult<bool> {
    let tx = shared::db::write_tx(conn).await?;
    let n = tx.execute("DELETE FROM user_profiles WHERE id = ?1 AND is_default = 0", params![id]).await?;
    tx.commit().await?;
    Ok(n > 0)
}
