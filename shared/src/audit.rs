//! The activity log: every sign-in (also failed ones), settings change and write action.

use libsql::params;

use crate::auth::{ClientInfo, Viewer};
use crate::db::{opt_i64, Db, Read, Reads, Stmt};
use crate::error::AppResult;
use crate::state::AppState;
use crate::time::now;

/// Who did it: a staff member, or an unauthenticated attempt naming a username.
pub struct Actor<'a> {
    pub staff_id: Option<i64>,
    pub username: &'a str,
    pub client: &'a ClientInfo,
}

/// Records `action` by the signed-in staff member `viewer` (every function's write handlers).
pub async fn log(
    state: &AppState,
    viewer: &Viewer,
    client: &ClientInfo,
    action: &str,
    details: &str,
    panel_id: Option<i64>,
) -> AppResult<()> {
    let actor = Actor { staff_id: Some(viewer.id()), username: &viewer.staff.username, client };
    record(&state.db, &actor, action, details, panel_id).await
}

pub async fn record(
    db: &Db,
    actor: &Actor<'_>,
    action: &str,
    details: &str,
    panel_id: Option<i64>,
) -> AppResult<()> {
    let conn = db.connect().await?;
    conn.execute_stmt(stmt(actor, action, details, panel_id)).await?;
    Ok(())
}

/// The statement that records an entry, for a caller's own write batch (an entry with the change
/// it describes, in one round trip).
pub fn stmt(actor: &Actor<'_>, action: &str, details: &str, panel_id: Option<i64>) -> Stmt {
    Stmt::new(
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

/// The entries `f` selects, newest first.
pub fn list(reads: &mut Reads, f: &Filter, limit: i64) -> Read<Entry> {
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
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit.clamp(1, crate::export::PAGE_ROWS as i64)));
    reads.add(Stmt::new(sql, libsql::params_from_iter(args)), |r| {
        Ok(Entry {
            id: r.get(0)?,
            at: r.get(1)?,
            staff_id: opt_i64(r, 2)?,
            username: r.get(3)?,
            action: r.get(4)?,
            details: r.get(5)?,
            panel_id: opt_i64(r, 6)?,
            ip: r.get(7)?,
            user_agent: r.get(8)?,
        })
    })
}

/// The filter's choices: the staff (id, username) and the actions of the entries `f`'s viewer may see,
/// so a viewer limited to some panels is not shown who works elsewhere or what happens there. A member
/// renamed since appears under each name; [`one_per_member`] keeps the first.
pub fn choices(reads: &mut Reads, f: &Filter) -> (Read<(i64, String)>, Read<String>) {
    let visible = f.visible_sql();
    let staff = reads.add(
        Stmt::new(
            format!(
                "SELECT DISTINCT staff_id, username FROM activity_log
                 WHERE {visible} AND staff_id IS NOT NULL ORDER BY username COLLATE NOCASE"
            ),
            (),
        ),
        |r| Ok((r.get(0)?, r.get(1)?)),
    );
    let actions = reads.add(
        Stmt::new(format!("SELECT DISTINCT action FROM activity_log WHERE {visible} ORDER BY action"), ()),
        |r| Ok(r.get(0)?),
    );
    (staff, actions)
}

/// One choice per member (a renamed member is logged under two names).
pub fn one_per_member(staff: Vec<(i64, String)>) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = Vec::new();
    for (id, name) in staff {
        if !out.iter().any(|(s, _)| *s == id) {
            out.push((id, name));
        }
    }
    out
}

/// What an edit changed, in words, for the activity log: `name "A" → "B"; URL x → y`, or
/// `no changes`. Secrets are named, never shown.
#[derive(Default)]
pub struct Changes(Vec<String>);

impl Changes {
    /// `what "old" → "new"` (quoted: names, where spaces matter) when they differ.
    pub fn quoted<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, old: T, new: T) {
        if old != new {
            self.0.push(format!("{what} {old:?} → {new:?}"));
        }
    }

    /// `what old → new` when they differ.
    pub fn plain<T: PartialEq + std::fmt::Display>(&mut self, what: &str, old: T, new: T) {
        if old != new {
            self.0.push(format!("{what} {old} → {new}"));
        }
    }

    /// A secret from a form (None keeps it, "" clears it, anything else replaces it): `what cleared`
    /// or `what replaced`.
    pub fn secret(&mut self, what: &str, new: Option<&str>) {
        match new {
            Some("") => self.0.push(format!("{what} cleared")),
            Some(_) => self.0.push(format!("{what} replaced")),
            None => {}
        }
    }

    /// Any other change, said as given.
    pub fn say(&mut self, words: impl Into<String>) {
        self.0.push(words.into());
    }

    pub fn text(&self) -> String {
        if self.0.is_empty() {
            "no changes".into()
        } else {
            self.0.join("; ")
        }
    }
}
