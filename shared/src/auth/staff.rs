//! Staff accounts in the database.

use libsql::params;

use crate::auth::{PanelScope, Role};
use crate::crypto::hash_password;
use crate::db::{opt_i64, Db, Reads, Stmt};
use crate::error::{AppError, AppResult};
use crate::time::now;

#[derive(Clone, Debug)]
pub struct Staff {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub all_panels: bool,
    pub active: bool,
    pub current_panel: Option<i64>,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    pub panels: Vec<i64>,
}

impl Staff {
    /// Owners, and staff given every panel: the ones who may change settings every panel shares.
    pub fn sees_every_panel(&self) -> bool {
        self.role == Role::Owner || self.all_panels
    }

    pub fn scope(&self) -> PanelScope {
        if self.sees_every_panel() {
            PanelScope::All
        } else {
            PanelScope::Only(self.panels.clone())
        }
    }
}

pub(crate) const COLUMNS: &str =
    "id, username, role, all_panels, active, current_panel, created_at, last_login_at";

fn from_row(row: &crate::db::Row) -> AppResult<Staff> {
    from_row_at(row, 0)
}

/// A member from `COLUMNS` starting at column `at` (a join's right side), without their panels.
pub(crate) fn from_row_at(row: &crate::db::Row, at: i32) -> AppResult<Staff> {
    let role: String = row.get(at + 2)?;
    Ok(Staff {
        id: row.get(at)?,
        username: row.get(at + 1)?,
        role: Role::parse(&role)
            .ok_or_else(|| AppError::internal(format!("unknown role {role:?} in staff")))?,
        all_panels: row.get::<i64>(at + 3)? != 0,
        active: row.get::<i64>(at + 4)? != 0,
        current_panel: opt_i64(row, at + 5)?,
        created_at: row.get(at + 6)?,
        last_login_at: opt_i64(row, at + 7)?,
        panels: Vec::new(),
    })
}

pub async fn count(db: &Db) -> AppResult<i64> {
    let conn = db.connect().await?;
    let mut rows = conn.query("SELECT COUNT(*) FROM staff", ()).await?;
    Ok(match rows.next().await? {
        Some(r) => r.get(0)?,
        None => 0,
    })
}

/// A member with their panels: one round trip.
pub async fn get(db: &Db, id: i64) -> AppResult<Option<Staff>> {
    let mut reads = Reads::new();
    let member =
        reads.add(Stmt::new(format!("SELECT {COLUMNS} FROM staff WHERE id = ?1"), params![id]), from_row);
    let panels = reads.add(
        Stmt::new("SELECT panel_id FROM staff_panels WHERE staff_id = ?1 ORDER BY panel_id", params![id]),
        |r| Ok(r.get::<i64>(0)?),
    );
    let mut done = reads.run(&db.connect().await?).await?;
    let Some(mut s) = done.first(member).await? else { return Ok(None) };
    s.panels = done.all(panels).await?;
    Ok(Some(s))
}

/// The account and its password hash, for sign-in.
pub async fn find_for_login(db: &Db, username: &str) -> AppResult<Option<(Staff, String)>> {
    let conn = db.connect().await?;
    let mut rows = conn
        .query(
            &format!("SELECT {COLUMNS}, password_hash FROM staff WHERE username = ?1"),
            params![username.trim()],
        )
        .await?;
    let Some(row) = rows.next().await? else { return Ok(None) };
    let s = from_row(&row)?;
    Ok(Some((s, row.get(8)?)))
}

pub async fn password_hash(db: &Db, id: i64) -> AppResult<String> {
    let conn = db.connect().await?;
    let mut rows = conn.query("SELECT password_hash FROM staff WHERE id = ?1", params![id]).await?;
    match rows.next().await? {
        Some(r) => Ok(r.get(0)?),
        None => Err(AppError::not_found("That staff member")),
    }
}

/// Every member with their panels: one round trip.
pub async fn list(db: &Db) -> AppResult<Vec<Staff>> {
    let mut reads = Reads::new();
    let members = reads
        .add(Stmt::new(format!("SELECT {COLUMNS} FROM staff ORDER BY active DESC, username"), ()), from_row);
    let links = reads
        .add(Stmt::new("SELECT staff_id, panel_id FROM staff_panels ORDER BY panel_id", ()), |r| {
            Ok((r.get::<i64>(0)?, r.get::<i64>(1)?))
        });
    let mut done = reads.run(&db.connect().await?).await?;
    let mut out = done.all(members).await?;
    for (sid, pid) in done.all(links).await? {
        if let Some(s) = out.iter_mut().find(|s| s.id == sid) {
            s.panels.push(pid);
        }
    }
    Ok(out)
}

pub struct NewStaff<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub role: Role,
    pub all_panels: bool,
    pub panels: &'a [i64],
    /// First-run setup: insert only while no staff exists, so two setups cannot both win.
    pub only_if_first: bool,
}

/// Validates a username: 3–40 letters, digits, `.`, `_`, `-`.
pub fn check_username(username: &str) -> Result<(), String> {
    let u = username.trim();
    if u.len() < 3 || u.len() > 40 {
        return Err("Use 3 to 40 characters.".into());
    }
    if !u.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        return Err("Use letters, digits, dot, underscore or dash only.".into());
    }
    Ok(())
}

/// Creates an account; `Conflict` when the username is taken.
pub async fn create(db: &Db, new: NewStaff<'_>) -> AppResult<i64> {
    check_username(new.username).map_err(|e| AppError::bad_request(format!("Username: {e}")))?;
    crate::auth::password::check(new.password, new.username)
        .map_err(|e| AppError::bad_request(format!("Password: {e}")))?;
    let hash = hash_password(new.password)?;
    let conn = db.connect().await?;
    let tx = crate::db::write_tx(&conn).await?;
    let inserted = tx
        .execute(
            "INSERT INTO staff (username, password_hash, role, all_panels, active, created_at)
             SELECT ?1, ?2, ?3, ?4, 1, ?5 WHERE ?6 = 0 OR NOT EXISTS (SELECT 1 FROM staff)
             ON CONFLICT (username) DO NOTHING",
            params![
                new.username.trim(),
                hash,
                new.role.as_str(),
                new.all_panels as i64,
                now(),
                new.only_if_first as i64
            ],
        )
        .await?;
    if inserted == 0 && new.only_if_first {
        return Err(AppError::Conflict("Setup is already done: sign in instead.".into()));
    }
    if inserted == 0 {
        return Err(AppError::Conflict(format!("The username {:?} is already taken.", new.username.trim())));
    }
    let id = tx.last_insert_rowid();
    for p in new.panels {
        tx.execute(
            "INSERT OR IGNORE INTO staff_panels (staff_id, panel_id) VALUES (?1, ?2)",
            params![id, *p],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

pub async fn update_access(
    db: &Db,
    id: i64,
    role: Role,
    all_panels: bool,
    active: bool,
    panels: &[i64],
) -> AppResult<()> {
    let conn = db.connect().await?;
    let tx = crate::db::write_tx(&conn).await?;
    tx.execute(
        "UPDATE staff SET role = ?1, all_panels = ?2, active = ?3 WHERE id = ?4",
        params![role.as_str(), all_panels as i64, active as i64, id],
    )
    .await?;
    tx.execute("DELETE FROM staff_panels WHERE staff_id = ?1", params![id]).await?;
    for p in panels {
        tx.execute(
            "INSERT OR IGNORE INTO staff_panels (staff_id, panel_id) VALUES (?1, ?2)",
            params![id, *p],
        )
        .await?;
    }
    if !active {
        tx.execute("DELETE FROM sessions WHERE staff_id = ?1", params![id]).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn set_password(db: &Db, id: i64, username: &str, password: &str) -> AppResult<()> {
    crate::auth::password::check(password, username)
        .map_err(|e| AppError::bad_request(format!("Password: {e}")))?;
    let hash = hash_password(password)?;
    let conn = db.connect().await?;
    conn.execute("UPDATE staff SET password_hash = ?1 WHERE id = ?2", params![hash, id]).await?;
    Ok(())
}

pub async fn mark_login(db: &Db, id: i64) -> AppResult<()> {
    let conn = db.connect().await?;
    conn.execute("UPDATE staff SET last_login_at = ?1 WHERE id = ?2", params![now(), id]).await?;
    Ok(())
}

pub async fn set_current_panel(db: &Db, id: i64, panel: Option<i64>) -> AppResult<()> {
    let conn = db.connect().await?;
    conn.execute("UPDATE staff SET current_panel = ?1 WHERE id = ?2", params![panel, id]).await?;
    Ok(())
}

/// How many active owners exist: the last one may not be demoted or deactivated.
pub async fn active_owner_count(db: &Db) -> AppResult<i64> {
    let conn = db.connect().await?;
    let mut rows = conn.query("SELECT COUNT(*) FROM staff WHERE role = 'owner' AND active = 1", ()).await?;
    Ok(match rows.next().await? {
        Some(r) => r.get(0)?,
        None => 0,
    })
}
