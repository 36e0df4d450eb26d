//! Actions and their per-order rows in the database: created in one write, claimed slice by slice
//! under a lease, each order claimed on its own before it is sent.

use libsql::Value;
use shared::audit::{self, Actor};
use shared::db::{opt_i64, opt_text, Conn, Reads, Row, Stmt};
use shared::{AppError, AppResult};

use super::kind::{ActionKind, ItemState, Params};
use super::plan::{Plan, Skipped};

#[derive(Clone, Debug)]
pub struct Action {
    pub id: i64,
    pub kind: ActionKind,
    pub params: Params,
    pub staff_id: Option<i64>,
    pub actor: String,
    pub skipped: Vec<Skipped>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct Item {
    pub seq: i64,
    pub panel_id: i64,
    pub order_id: i64,
    pub state: ItemState,
    pub message: Option<String>,
    pub status_after: Option<String>,
}

const ACTION_COLUMNS: &str = "id, kind, params, staff_id, actor, skipped, created_at, finished_at";
const ITEM_COLUMNS: &str = "seq, panel_id, order_id, state, message, status_after";

fn action_from(r: &Row) -> AppResult<Action> {
    let kind: String = r.get(1)?;
    Ok(Action {
        id: r.get(0)?,
        kind: ActionKind::parse(&kind).ok_or_else(|| AppError::internal(format!("unknown action {kind}")))?,
        params: serde_json::from_str(&r.get::<String>(2)?).unwrap_or_default(),
        staff_id: opt_i64(r, 3)?,
        actor: r.get(4)?,
        skipped: serde_json::from_str(&r.get::<String>(5)?).unwrap_or_default(),
        created_at: r.get(6)?,
        finished_at: opt_i64(r, 7)?,
    })
}

fn item_from(r: &Row) -> AppResult<Item> {
    let state: String = r.get(3)?;
    Ok(Item {
        seq: r.get(0)?,
        panel_id: r.get(1)?,
        order_id: r.get(2)?,
        state: ItemState::parse(&state).unwrap_or(ItemState::Unknown),
        message: opt_text(r, 4)?,
        status_after: opt_text(r, 5)?,
    })
}

/// Stores the planned action (its orders pending) with its activity log entry, in one write; its id.
pub async fn create(conn: &Conn, plan: &Plan, actor: &Actor<'_>, details: &str, now: i64) -> AppResult<i64> {
    let params = serde_json::to_string(&plan.params).map_err(|e| AppError::internal(e.to_string()))?;
    let skipped = serde_json::to_string(&plan.skipped).map_err(|e| AppError::internal(e.to_string()))?;
    let mut stmts = vec![Stmt::new(
        "INSERT INTO order_actions (kind, params, staff_id, actor, skipped, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         RETURNING id",
        libsql::params![plan.kind.as_str(), params, actor.staff_id, actor.username, skipped, now],
    )];
    // The write lock is held from the first statement: the newest action is this one.
    for (n, chunk) in plan.targets.chunks(200).enumerate() {
        let values = vec!["((SELECT MAX(id) FROM order_actions), ?, ?, ?)"; chunk.len()].join(", ");
        let args: Vec<Value> = chunk
            .iter()
            .enumerate()
            .flat_map(|(k, o)| {
                [Value::Integer((n * 200 + k) as i64), Value::Integer(o.panel_id), Value::Integer(o.id)]
            })
            .collect();
        stmts.push(Stmt::new(
            format!("INSERT INTO order_action_items (action_id, seq, panel_id, order_id) VALUES {values}"),
            libsql::params_from_iter(args),
        ));
    }
    stmts.push(audit::stmt(actor, "order.action", details, single_panel(plan)));
    let mut out = conn.write_batch(stmts).await?;
    let row = match out.first_mut() {
        Some(rows) => rows.next().await?,
        None => None,
    };
    row.ok_or_else(|| AppError::internal("the action was not stored"))?.get(0).map_err(Into::into)
}

fn single_panel(plan: &Plan) -> Option<i64> {
    match plan.per_panel().as_slice() {
        [(p, _)] => Some(*p),
        _ => None,
    }
}

/// The action and its orders, in one round trip.
pub async fn load(conn: &Conn, id: i64) -> AppResult<(Action, Vec<Item>)> {
    let mut reads = Reads::new();
    let a = reads.add(
        Stmt::new(format!("SELECT {ACTION_COLUMNS} FROM order_actions WHERE id = ?1"), [id]),
        action_from,
    );
    let items = reads.add(
        Stmt::new(
            format!("SELECT {ITEM_COLUMNS} FROM order_action_items WHERE action_id = ?1 ORDER BY seq"),
            [id],
        ),
        item_from,
    );
    let mut done = reads.run(conn).await?;
    let action = done.first(a).await?.ok_or_else(|| AppError::not_found("That action"))?;
    Ok((action, done.all(items).await?))
}

/// Takes the action's lease until `until` if no slice holds it; a row a previous slice left
/// 'sending' (it ended without an answer) becomes unknown in the same write, never to be sent again.
/// False when another slice holds it or nothing is left.
pub async fn claim(conn: &Conn, id: i64, now: i64, until: i64) -> AppResult<bool> {
    let mut out = conn
        .write_batch(vec![
            Stmt::new(
                "UPDATE order_actions SET lease_until = ?3 WHERE id = ?1 AND finished_at IS NULL AND lease_until <= ?2
                 RETURNING id",
                libsql::params![id, now, until],
            ),
            Stmt::new(
                "UPDATE order_action_items SET state = 'unknown',
                   message = 'the request sending it ended before the panel answered: re-read'
                 WHERE action_id = ?1 AND state = 'sending'
                   AND EXISTS (SELECT 1 FROM order_actions WHERE id = ?1 AND lease_until = ?2)",
                libsql::params![id, until],
            ),
        ])
        .await?;
    Ok(match out.first_mut() {
        Some(rows) => rows.next().await?.is_some(),
        None => false,
    })
}

/// The next waiting orders, in sending order.
pub async fn pending(conn: &Conn, id: i64, n: usize) -> AppResult<Vec<Item>> {
    let mut rows = conn
        .query(
            &format!(
                "SELECT {ITEM_COLUMNS} FROM order_action_items WHERE action_id = ?1 AND state = 'pending' ORDER BY seq LIMIT {n}"
            ),
            [id],
        )
        .await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(item_from(&r)?);
    }
    Ok(out)
}

/// Claims one order for sending: true only for the one caller that moved it from pending.
pub async fn take(conn: &Conn, id: i64, seq: i64, now: i64) -> AppResult<bool> {
    let mut out = conn
        .write_batch(vec![Stmt::new(
            "UPDATE order_action_items SET state = 'sending', sent_at = ?3
             WHERE action_id = ?1 AND seq = ?2 AND state = 'pending' RETURNING seq",
            libsql::params![id, seq, now],
        )])
        .await?;
    Ok(match out.first_mut() {
        Some(rows) => rows.next().await?.is_some(),
        None => false,
    })
}

/// The statement recording an order's outcome (to go in one write with its log entry).
pub fn outcome(id: i64, seq: i64, state: ItemState, message: Option<&str>) -> Stmt {
    Stmt::new(
        "UPDATE order_action_items SET state = ?3, message = ?4 WHERE action_id = ?1 AND seq = ?2",
        libsql::params![id, seq, state.as_str(), message],
    )
}

/// The statement recording an order's status as re-read from its panel.
pub fn status_after(id: i64, panel_id: i64, order_id: i64, status: &str) -> Stmt {
    Stmt::new(
        "UPDATE order_action_items SET status_after = ?4 WHERE action_id = ?1 AND panel_id = ?2 AND order_id = ?3",
        libsql::params![id, panel_id, order_id, status],
    )
}

/// Gives the lease back, and marks the action finished when no order is left to send.
pub async fn release(conn: &Conn, id: i64, now: i64) -> AppResult<()> {
    conn.write_batch(vec![Stmt::new(
        "UPDATE order_actions SET lease_until = 0,
           finished_at = CASE WHEN EXISTS (SELECT 1 FROM order_action_items
                                 WHERE action_id = ?1 AND state IN ('pending', 'sending')) THEN NULL ELSE ?2 END
         WHERE id = ?1",
        libsql::params![id, now],
    )])
    .await?;
    Ok(())
}

/// Write forms each panel does not offer, as remembered.
pub async fn not_offered(conn: &Conn, panel_id: i64) -> AppResult<Vec<String>> {
    let mut rows = conn.query("SELECT form FROM panel_write_support WHERE panel_id = ?1", [panel_id]).await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(r.get(0)?);
    }
    Ok(out)
}

/// Remembers that a panel does not offer `form`.
pub fn remember_not_offered(panel_id: i64, form: &str, message: &str, now: i64) -> Stmt {
    Stmt::new(
        "INSERT INTO panel_write_support (panel_id, form, noted_at, message) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (panel_id, form) DO UPDATE SET noted_at = excluded.noted_at, message = excluded.message",
        libsql::params![panel_id, form, now, message],
    )
}

/// Ends the action where it stands: the orders still waiting are marked refused with `why` (nothing
/// was sent for them), and the action finished.
pub async fn give_up(conn: &Conn, id: i64, why: &str, now: i64) -> AppResult<()> {
    conn.write_batch(vec![
        Stmt::new(
            "UPDATE order_action_items SET state = 'refused', message = ?2 WHERE action_id = ?1 AND state = 'pending'",
            libsql::params![id, why],
        ),
        Stmt::new(
            "UPDATE order_actions SET finished_at = ?2 WHERE id = ?1 AND finished_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM order_action_items WHERE action_id = ?1 AND state = 'sending')",
            libsql::params![id, now],
        ),
    ])
    .await?;
    Ok(())
}
