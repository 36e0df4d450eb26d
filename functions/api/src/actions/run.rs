//! Runs an action a slice at a time: a request claims the action's lease, sends its waiting orders
//! one by one (each claimed before it is sent, each outcome written with its log entry) until the
//! slice's time is up, re-reads the orders it changed from their panels, and gives the lease back.
//! Nothing runs after the request answers (a Lambda freezes then): the action's page asks for the
//! next slice.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use shared::audit::{self, Actor};
use shared::auth::ClientInfo;
use shared::cache::orders::{values, TABLE};
use shared::cache::upsert::upsert;
use shared::crypto::Secret;
use shared::db::{Conn, Stmt};
use shared::domain::panels;
use shared::pp::{AdminClient, ClientOptions};
use shared::time::{now, now_ms};
use shared::{AppResult, AppState};

use super::kind::ItemState;
use super::send::{send, Outcome};
use super::store::{self, Action};

/// A panel as a slice talks to it: its name, a one-try client (or why there is none), and the write
/// forms it does not offer.
struct PanelLink {
    name: String,
    client: Result<AdminClient, String>,
    lacking: Vec<String>,
}

async fn link(state: &AppState, conn: &Conn, panel_id: i64, opts: &ClientOptions) -> AppResult<PanelLink> {
    let Some(panel) = panels::get(&state.db, panel_id).await? else {
        return Ok(PanelLink {
            name: format!("panel {panel_id}"),
            client: Err("the panel was removed".into()),
            lacking: Vec::new(),
        });
    };
    let (admin_key, _) = panels::keys(&state.db, &state.config.secret_key, panel_id).await?;
    let client = match admin_key {
        None => Err(format!("panel {} has no Admin API key (Panels settings)", panel.name)),
        Some(k) => AdminClient::new(&panel.base_url, Secret::new(k), opts).map_err(|e| e.to_string()),
    };
    Ok(PanelLink { name: panel.name, client, lacking: store::not_offered(conn, panel_id).await? })
}

/// Sends what the action still has waiting for at most `budget`, then re-reads the orders it
/// changed. False when another request holds the action (or nothing is left).
pub async fn advance(state: &AppState, id: i64, budget: Duration, client: &ClientInfo) -> AppResult<bool> {
    let conn = state.db.connect().await?;
    let started = Instant::now();
    let t = now();
    let write_timeout = state.config.action_write_timeout;
    let lease = t + (budget + write_timeout).as_secs() as i64 + 5;
    if !store::claim(&conn, id, t, lease).await? {
        return Ok(false);
    }
    let sent = slice(state, &conn, id, budget, started, client).await;
    let reread = reread(state, &conn, id).await;
    store::release(&conn, id, now()).await?;
    sent?;
    if let Err(e) = reread {
        tracing::warn!(action = id, error = %e, "orders not re-read after an action");
    }
    Ok(true)
}

async fn slice(
    state: &AppState,
    conn: &Conn,
    id: i64,
    budget: Duration,
    started: Instant,
    client: &ClientInfo,
) -> AppResult<()> {
    let (action, _) = store::load(conn, id).await?;
    let actor = Actor { staff_id: action.staff_id, username: &action.actor, client };
    // Writes are not idempotent: one try, never retried blindly.
    let once =
        ClientOptions { attempts: 1, timeout: state.config.action_write_timeout, ..ClientOptions::default() }
            .for_app(state);
    let mut links: HashMap<i64, PanelLink> = HashMap::new();
    'slices: loop {
        let batch = store::pending(conn, id, 25).await?;
        if batch.is_empty() {
            break;
        }
        for item in batch {
            if started.elapsed() >= budget {
                break 'slices;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = links.entry(item.panel_id) {
                e.insert(link(state, conn, item.panel_id, &once).await?);
            }
            let Some(l) = links.get_mut(&item.panel_id) else { continue };
            if !store::take(conn, id, item.seq, now()).await? {
                continue;
            }
            let (outcome, found) = match &l.client {
                Ok(c) => send(c, action.kind, &action.params, item.order_id, &mut l.lacking).await,
                Err(why) => (Outcome::Refused(why.clone()), Vec::new()),
            };
            let mut stmts: Vec<Stmt> = found
                .iter()
                .map(|f| store::remember_not_offered(item.panel_id, f, "HTTP 404 or unknown method", now()))
                .collect();
            let (st, message) = match outcome {
                Outcome::Throttled => {
                    // Turned away unread: it waits, and goes again after a pause if the slice has time.
                    stmts.push(store::outcome(id, item.seq, ItemState::Pending, None));
                    conn.write_batch(stmts).await?;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue 'slices;
                }
                Outcome::Done => (ItemState::Done, None),
                Outcome::Refused(m) => (ItemState::Refused, Some(m)),
                Outcome::NotOffered(m) => (ItemState::NotOffered, Some(m)),
                Outcome::Unknown(m) => (ItemState::Unknown, Some(m)),
            };
            stmts.push(store::outcome(id, item.seq, st, message.as_deref()));
            let details = log_line(&action, item.order_id, &l.name, st, message.as_deref());
            stmts.push(audit::stmt(
                &actor,
                &format!("order.{}", action.kind.as_str()),
                &details,
                Some(item.panel_id),
            ));
            conn.write_batch(stmts).await?;
        }
    }
    Ok(())
}

fn log_line(action: &Action, order_id: i64, panel: &str, st: ItemState, message: Option<&str>) -> String {
    let mut s = format!("Order #{order_id} on {panel}: {} — {}", action.kind.label(), st.label());
    if let Some(m) = message {
        s.push_str(": ");
        s.push_str(m);
    }
    s.push_str(&format!(" (action {})", action.id));
    s
}

/// Reads again from their panels the orders this action changed or may have changed (done, unknown)
/// and not yet re-read, and stores them through the cache's upsert (the roll-ups follow).
pub async fn reread(state: &AppState, conn: &Conn, id: i64) -> AppResult<()> {
    let mut rows = conn
        .query(
            "SELECT panel_id, order_id FROM order_action_items
             WHERE action_id = ?1 AND state IN ('done', 'unknown') AND status_after IS NULL",
            [id],
        )
        .await?;
    let mut by_panel: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    while let Some(r) = rows.next().await? {
        by_panel.entry(r.get(0)?).or_default().push(r.get(1)?);
    }
    let opts =
        ClientOptions { attempts: 2, timeout: state.config.action_write_timeout, ..ClientOptions::default() }
            .for_app(state);
    for (panel_id, ids) in by_panel {
        let l = link(state, conn, panel_id, &opts).await?;
        let Ok(client) = l.client else { continue };
        for chunk in ids.chunks(100) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let query = [
                ("ids", list.join(",")),
                ("limit", chunk.len().to_string()),
                ("include", "last_update".into()),
            ];
            let page = client
                .list_orders(&query)
                .await
                .map_err(|e| shared::AppError::Upstream(format!("Panel {}: {e}", l.name)))?;
            let fresh: Vec<_> = page.rows.into_iter().filter_map(Result::ok).collect();
            let marks: Vec<Stmt> =
                fresh.iter().map(|o| store::status_after(id, panel_id, o.id, &o.status)).collect();
            let mut stmts =
                upsert(&TABLE, fresh.into_iter().map(|o| values(panel_id, now_ms(), o)).collect());
            stmts.extend(marks);
            conn.write_batch(stmts).await?;
        }
    }
    Ok(())
}
