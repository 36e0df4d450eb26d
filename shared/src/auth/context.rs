//! Everything the access guard needs about a signed-in request, read in one round trip: the session
//! with its member, the member's panels, every panel's name and status (the switcher), and each
//! panel's sync freshness (the header's note). Filtered to the member's scope here, in Rust: the
//! lists are short, and reading them whole lets one batch serve every member.

use libsql::params;

use crate::auth::session::{self, SessionRow};
use crate::auth::staff::{self, Staff};
use crate::auth::PanelScope;
use crate::crypto::token_hash;
use crate::db::{Db, Reads, Stmt};
use crate::domain::panels::PanelRef;
use crate::error::AppResult;

/// A panel as the frame needs it.
#[derive(Clone, Debug)]
pub struct FramePanel {
    pub id: i64,
    pub name: String,
    pub paused: bool,
    /// Why the panel is stopped (status error: its key refused, or unreadable with this
    /// PANELOPS_SECRET_KEY).
    pub stopped: Option<String>,
    /// Why an active panel is in error all the same: every resource's sync has failed for
    /// [`FAILING_AFTER_SECS`] (the last message of one).
    pub failing: Option<String>,
}

/// An active panel whose every sync has failed this long is shown as in error.
pub const FAILING_AFTER_SECS: i64 = 300;

impl FramePanel {
    /// Why the panel is in error (stopped, or every sync failing), in words; None when it is not.
    pub fn error(&self) -> Option<&str> {
        self.stopped.as_deref().or(self.failing.as_deref())
    }
}

/// One panel's sync state, summed over its resources.
#[derive(Clone, Debug)]
pub struct PanelFreshness {
    pub panel_id: i64,
    pub resources: i64,
    pub last_ok_at: Option<i64>,
    pub late: bool,
}

/// The header's freshness note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Freshness {
    /// When the cache in view was last refreshed (None: never).
    pub last_ok: Option<i64>,
    /// A panel's sync is in error, stopped, or late (older than twice its interval).
    pub late: bool,
    /// Why a panel in view is stopped, said in the note.
    pub stopped: Option<String>,
    /// Why a panel in view is in error though not stopped (every sync failing), said in the note.
    pub failing: Option<String>,
}

pub struct Context {
    pub session: Option<(SessionRow, i64, Staff)>,
    pub panels: Vec<FramePanel>,
    pub freshness: Vec<PanelFreshness>,
}

impl Context {
    /// The panels in `scope`, for the switcher and forms.
    /// The panels in `scope` that are in error, with why (Panels, the Overview).
    pub fn panel_errors(&self, scope: &PanelScope) -> Vec<(i64, String)> {
        self.panels
            .iter()
            .filter(|p| scope.allows(p.id))
            .filter_map(|p| p.error().map(|why| (p.id, why.to_string())))
            .collect()
    }

    pub fn panel_refs(&self, scope: &PanelScope) -> Vec<PanelRef> {
        self.panels
            .iter()
            .filter(|p| scope.allows(p.id))
            .map(|p| PanelRef { id: p.id, name: p.name.clone() })
            .collect()
    }

    /// When the cache in view was last refreshed, whether any of its panels' syncs is in error or late
    /// (older than twice its interval) or a panel is stopped, and why; None when nothing in view has
    /// synced at all. Paused panels do not count.
    pub fn freshness(&self, scope: &PanelScope, chosen: Option<i64>) -> Option<Freshness> {
        let live = |id: i64| self.panels.iter().any(|p| p.id == id && !p.paused);
        let in_view: Vec<&PanelFreshness> = self
            .freshness
            .iter()
            .filter(|f| {
                scope.allows(f.panel_id) && chosen.is_none_or(|c| c == f.panel_id) && live(f.panel_id)
            })
            .collect();
        if in_view.iter().map(|f| f.resources).sum::<i64>() == 0 {
            return None;
        }
        let last_ok = in_view.iter().filter_map(|f| f.last_ok_at).max();
        let viewed = || self.panels.iter().filter(|p| in_view.iter().any(|f| f.panel_id == p.id));
        let stopped = viewed().find_map(|p| p.stopped.clone());
        let failing = viewed().find_map(|p| p.failing.as_ref().map(|why| format!("{}: {why}", p.name)));
        let late = in_view.iter().any(|f| f.late) || stopped.is_some() || failing.is_some();
        (last_ok.is_some() || late).then_some(Freshness { last_ok, late, stopped, failing })
    }
}

/// Reads the context of a request carrying the session cookie `token`: one round trip.
pub async fn load(db: &Db, token: &str, now: i64) -> AppResult<Context> {
    let hash = token_hash(token);
    let mut reads = Reads::new();
    let session_cols = session::COLUMNS.split(", ").map(|c| format!("s.{c}")).collect::<Vec<_>>().join(", ");
    let staff_cols = staff::COLUMNS.split(", ").map(|c| format!("st.{c}")).collect::<Vec<_>>().join(", ");
    let session = reads.add(
        Stmt::new(
            format!(
                "SELECT {session_cols}, {staff_cols} FROM sessions s JOIN staff st ON st.id = s.staff_id
                 WHERE s.token_hash = ?1"
            ),
            params![hash.as_str()],
        ),
        |r| {
            let (s, expires_at) = session::from_row(r)?;
            Ok((s, expires_at, staff::from_row_at(r, 8)?))
        },
    );
    let member_panels = reads.add(
        Stmt::new(
            "SELECT panel_id FROM staff_panels
             WHERE staff_id = (SELECT staff_id FROM sessions WHERE token_hash = ?1) ORDER BY panel_id",
            params![hash.as_str()],
        ),
        |r| Ok(r.get::<i64>(0)?),
    );
    // An active panel is failing when it has enabled resources and none of them has synced within
    // FAILING_AFTER_SECS (nor the panel been added since): the newest error message says why.
    let panels = reads.add(
        Stmt::new(
            "SELECT id, name, status, CASE WHEN status = 'error' THEN last_error END,
                    CASE WHEN status = 'active'
                          AND EXISTS (SELECT 1 FROM sync_state s WHERE s.panel_id = panels.id AND s.enabled = 1)
                          AND NOT EXISTS (SELECT 1 FROM sync_state s WHERE s.panel_id = panels.id AND s.enabled = 1
                                AND (s.status != 'error' OR COALESCE(s.last_ok_at, panels.created_at) >= ?1))
                    THEN COALESCE((SELECT s.message FROM sync_state s WHERE s.panel_id = panels.id
                                     AND s.status = 'error' AND s.message IS NOT NULL
                                   ORDER BY s.last_fetched_at DESC LIMIT 1), 'every sync fails')
                    END
             FROM panels ORDER BY name, id",
            params![now - FAILING_AFTER_SECS],
        ),
        |r| {
            let status = r.get::<String>(2)?;
            Ok(FramePanel {
                id: r.get(0)?,
                name: r.get(1)?,
                paused: status == "paused",
                stopped: r.get(3)?,
                failing: r.get::<Option<String>>(4)?.map(|why| format!("every sync failed for 5 min: {why}")),
            })
        },
    );
    let freshness = reads.add(
        Stmt::new(
            "SELECT panel_id, COUNT(*), MAX(last_ok_at),
                    MAX(CASE WHEN status = 'error' OR (enabled = 1 AND last_ok_at < ?1 - 2 * interval_secs) THEN 1 ELSE 0 END)
             FROM sync_state GROUP BY panel_id",
            params![now],
        ),
        |r| {
            Ok(PanelFreshness {
                panel_id: r.get(0)?,
                resources: r.get(1)?,
                last_ok_at: r.get(2)?,
                late: r.get::<Option<i64>>(3)?.unwrap_or(0) == 1,
            })
        },
    );
    let conn = db.connect().await?;
    let mut done = reads.run(&conn).await?;
    let session = done.first(session).await?;
    let member_panels = done.all(member_panels).await?;
    Ok(Context {
        session: session.map(|(s, expires_at, mut member)| {
            member.panels = member_panels;
            (s, expires_at, member)
        }),
        panels: done.all(panels).await?,
        freshness: done.all(freshness).await?,
    })
}
