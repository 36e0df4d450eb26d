//! The activity log: every sign-in (also failed ones), settings change and write action.

use libsql::params;

use crate::auth::ClientInfo;
use crate::db::{opt_i64, Db};
use crate::error::AppResult;
use crate::time::now;

/// Who did it: a staff member, or an unauthenticated attempt naming a username.
pub struct Actor<'a> {
    pub staff_id: Option<i64>,
    pub username: &'a str,
    pub client: &'a ClientInfo,
}

pub async fn record(
    db: &Db,
    actor: &Actor<'_>,
    action: &str,
    details: &str,
    panel_id: Option<i64>,
) -> AppResult<()> {
    let conn = db.connect().await?;
    conn.execute(
        "INSERT INTO activity_log (at, staff_id, username, action, details, panel_id, ip, user_agent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            now(),
            actor.staff_id,
            actor.username.chars().take(80).collect::<String>(),
            action,
            details,
            panel_id,
            actor.client.ip.as_str(),
            actor.client.user_agent.as_str()
        ],
    )
    .await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub staff_id: Option<i64>,
    pub username: String,
    pub action: String,
    pub details: String,
    pub panel_id: Option<i64>,
    pub ip: String,
    pub user_agent: String,
}

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub staff_id: Option<i64>,
    pub action: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Only entries with an id below this (keyset paging, newest first).
    pub before: Option<i64>,
    /// SQL scope condition on `panel_id`.
    pub panel_sql: String,
    /// For a viewer limited to some panels: their staff id. Entries without a panel (sign-ins, staff
    /// and key changes, which name other panels and other people's addresses) are then only their own.
    pub limited_to_staff: Option<i64>,
}

impl Filter {
    /// The entries its viewer may see at all, whatever the other filters.
    fn visible_sql(&self) -> String {
        let own = match self.limited_to_staff {
            Some(id) => format!("staff_id = {id}"),
            None => "1".into(),
        };
        format!("({} OR (panel_id IS NULL AND {own}))", self.panel_sql)
    }
}

pub async fn list(db: &Db, f: &Filter, limit: i64) -> AppResult<Vec<Entry>> {
    let mut sql = format!(
        "SELECT id, at, staff_id, username, action, details, panel_id, ip, user_agent FROM activity_log
         WHERE {}",
        f.visible_sql()
    );
    let mut args: Vec<libsql::Value> = Vec::new();
    let mut add = |cond: &str, v: libsql::Value, sql: &mut String| {
        args.push(v);
        sql.push_str(&format!(" AND {cond} ?{}", args.len()));
    };
    if let Some(s) = f.staff_id {
        add("staff_id =", s.into(), &mut sql);
    }
    if let Some(a) = &f.action {
        add("action =", a.clone().into(), &mut sql);
    }
    if let Some(t) = f.from {
        add("at >=", t.into(), &mut sql);
    }
    if let Some(t) = f.to {
        add("at <", t.into(), &mut sql);
    }
    if let Some(b) = f.before {
        add("id <", b.into(), &mut sql);
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit.clamp(1, 500)));
    let conn = db.connect().await?;
    let mut rows = conn.query(&sql, libsql::params_from_iter(args)).await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(Entry {
            id: r.get(0)?,
            at: r.get(1)?,
            staff_id: opt_i64(&r, 2)?,
            username: r.get(3)?,
            action: r.get(4)?,
            details: r.get(5)?,
            panel_id: opt_i64(&r, 6)?,
            ip: r.get(7)?,
            user_agent: r.get(8)?,
        });
    }
    Ok(out)
}

/// The filter's choices: the staff (id, username) and the actions of the entries `f`'s viewer may see,
/// so a viewer limited to some panels is not shown who works elsewhere or what happens there.
pub async fn choices(db: &Db, f: &Filter) -> AppResult<(Vec<(i64, String)>, Vec<String>)> {
    let visible = f.visible_sql();
    let conn = db.connect().await?;
    let mut rows = conn
        .query(
            &format!(
                "SELECT DISTINCT staff_id, username FROM activity_log
                 WHERE {visible} AND staff_id IS NOT NULL ORDER BY username COLLATE NOCASE"
            ),
            (),
        )
        .await?;
    let mut staff: Vec<(i64, String)> = Vec::new();
    while let Some(r) = rows.next().await? {
        let id: i64 = r.get(0)?;
        // A renamed member logged under two names is one choice.
        if !staff.iter().any(|(s, _)| *s == id) {
            staff.push((id, r.get(1)?));
        }
    }
    drop(rows);
    let mut rows = conn
        .query(&format!("SELECT DISTINCT action FROM activity_log WHERE {visible} ORDER BY action"), ())
        .await?;
    let mut actions = Vec::new();
    while let Some(r) = rows.next().await? {
        actions.push(r.get(0)?);
    }
    Ok((staff, actions))
}
