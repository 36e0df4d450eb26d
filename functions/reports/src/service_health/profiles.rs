//! Service tracking profiles: which services, Stuck after, Slow multiplier, Min orders. Profile 1 is
//! created by the migration as the default; the default cannot be deleted.

use libsql::params;
use serde::Serialize;
use shared::db::Conn;

use shared::{AppError, AppResult};

use crate::common::{collect, ids_text, parse_ids};

#[derive(Clone, Debug, Serialize)]
pub struct ServiceProfile {
    pub id: i64,
    pub name: String,
    /// Service ids tracked; empty = every service.
    pub services: Vec<i64>,
    pub stuck_after_hours: i64,
    pub slow_multiplier: f64,
    pub min_orders: i64,
    pub is_default: bool,
    pub created: i64,
}

const COLS: &str = "id, name, services, stuck_after_hours, slow_multiplier, min_orders, is_default, created";

fn from_row(r: &shared::db::Row) -> AppResult<ServiceProfile> {
    let services: String = r.get(2)?;
    Ok(ServiceProfile {
        id: r.get(0)?,
        name: r.get(1)?,
        services: parse_ids(&services).unwrap_or_default(),
        stuck_after_hours: r.get(3)?,
        slow_multiplier: r.get(4)?,
        min_orders: r.get(5)?,
        is_default: r.get::<i64>(6)? != 0,
        created: r.get(7)?,
    })
}

pub async fn list(conn: &Conn) -> AppResult<Vec<ServiceProfile>> {
    let rows = conn
        .query(&format!("SELECT {COLS} FROM service_profiles ORDER BY is_default DESC, name, id"), ())
        .await?;
    collect(rows, from_row).await
}

pub async fn get(conn: &Conn, id: i64) -> AppResult<Option<ServiceProfile>> {
    let rows = conn.query(&format!("SELECT {COLS} FROM service_profiles WHERE id = ?1"), params![id]).await?;
    Ok(collect(rows, from_row).await?.into_iter().next())
}

/// The chosen profile, or the default one (the first profile if none is marked default).
pub async fn chosen(conn: &Conn, id: Option<i64>) -> AppResult<(ServiceProfile, Vec<ServiceProfile>)> {
    // Profiles are few: one read of them all gives the chosen one and the page's profile menu.
    let all = list(conn).await?;
    let pick = match id {
        Some(id) => all
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| AppError::bad_request("profile: no profile has that id."))?,
        None => all.first().ok_or_else(|| AppError::internal("no service tracking profile"))?,
    };
    Ok((pick.clone(), all))
}

#[derive(Debug)]
pub struct ProfileInput {
    pub name: String,
    pub services: Vec<i64>,
    pub stuck_after_hours: i64,
    pub slow_multiplier: f64,
    pub min_orders: i64,
    pub is_default: bool,
}

pub async fn save(conn: &Conn, id: Option<i64>, p: &ProfileInput, now: i64) -> AppResult<i64> {
    let tx = shared::db::write_tx(conn).await?;
    if p.is_default {
        tx.execute("UPDATE service_profiles SET is_default = 0", ()).await?;
    }
    let id = match id {
        Some(id) => {
            tx.execute(
                "UPDATE service_profiles SET name = ?1, services = ?2, stuck_after_hours = ?3, slow_multiplier = ?4,
                 min_orders = ?5, is_default = CASE WHEN ?6 THEN 1 ELSE is_default END WHERE id = ?7",
                params![
                    p.name.as_str(),
                    ids_text(&p.services),
                    p.stuck_after_hours,
                    p.slow_multiplier,
                    p.min_orders,
                    p.is_default,
                    id
                ],
            )
            .await?;
            id
        }
        None => {
            tx.execute(
                "INSERT INTO service_profiles (name, services, stuck_after_hours, slow_multiplier, min_orders, is_default, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    p.name.as_str(),
                    ids_text(&p.services),
                    p.stuck_after_hours,
                    p.slow_multiplier,
                    p.min_orders,
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

/// Deletes a profile unless it is the default.
pub async fn delete(conn: &Conn, id: i64) -> AppResult<bool> {
    let tx = shared::db::write_tx(conn).await?;
    let n = tx.execute("DELETE FROM service_profiles WHERE id = ?1 AND is_default = 0", params![id]).await?;
    tx.commit().await?;
    Ok(n > 0)
}
