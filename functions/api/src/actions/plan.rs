//! What an action will do, before anything is sent: the selected orders it applies to, those it does
//! not (and why), the panels they are on, and the money a refund returns per currency.

use std::collections::BTreeMap;

use shared::auth::PanelScope;
use shared::cache::orders::{Order, COLUMNS};
use shared::db::{Conn, Reads, Stmt};
use shared::{AppError, AppResult};

use super::kind::{ActionKind, Params};

/// At most this many orders per action (500 at 5 requests/s is under two minutes).
pub const MAX_ORDERS: usize = 500;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    pub panel_id: i64,
    pub id: i64,
    pub reason: String,
}

pub struct Plan {
    pub kind: ActionKind,
    pub params: Params,
    pub targets: Vec<Order>,
    pub skipped: Vec<Skipped>,
    /// Panels known not to offer this action (every form answered 404 or "unknown method").
    pub not_offered: Vec<i64>,
}

/// `panel:id` pairs (the selection's checkbox values), deduplicated, in the order given.
pub fn parse_selection<'a>(values: impl IntoIterator<Item = &'a str>) -> AppResult<Vec<(i64, i64)>> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for v in values {
        let pair = v
            .split_once(':')
            .and_then(|(p, i)| Some((p.trim().parse::<i64>().ok()?, i.trim().parse::<i64>().ok()?)));
        let Some(pair) = pair else { return Err(AppError::bad_request("The selection is malformed.")) };
        if !out.contains(&pair) {
            out.push(pair);
        }
    }
    if out.is_empty() {
        return Err(AppError::bad_request("No orders were selected: tick the orders to act on first."));
    }
    if out.len() > MAX_ORDERS {
        return Err(AppError::bad_request(format!(
            "{} orders were selected; an action takes at most {MAX_ORDERS}.",
            out.len()
        )));
    }
    Ok(out)
}

/// Plans `kind` on `selection`. Every panel must be in `scope` (403 otherwise): nothing is planned,
/// let alone sent, for a selection that reaches outside it.
pub async fn plan(
    conn: &Conn,
    scope: &PanelScope,
    kind: ActionKind,
    params: Params,
    selection: &[(i64, i64)],
) -> AppResult<Plan> {
    for (p, _) in selection {
        scope.check(*p)?;
    }
    if kind.single() && selection.len() > 1 {
        return Err(AppError::bad_request(format!("{} works on one order at a time.", kind.label())));
    }
    let mut panels: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (p, i) in selection {
        panels.entry(*p).or_default().push(*i);
    }
    // One read per panel, all in one round trip.
    let mut reads = Reads::new();
    let per_panel: Vec<_> = panels
        .iter()
        .map(|(p, ids)| {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            let sql = format!(
                "SELECT {COLUMNS} FROM orders_cache WHERE panel_id = {p} AND id IN ({})",
                list.join(",")
            );
            reads.add(Stmt::new(sql, ()), Order::from_row)
        })
        .collect();
    let list: Vec<String> = panels.keys().map(i64::to_string).collect();
    let lacking = reads.add(
        Stmt::new(
            format!("SELECT panel_id, form FROM panel_write_support WHERE panel_id IN ({})", list.join(",")),
            (),
        ),
        |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)),
    );
    let mut done = reads.run(conn).await?;
    let lacking = done.all(lacking).await?;
    let not_offered = panels
        .keys()
        .copied()
        .filter(|p| kind.forms().iter().all(|f| lacking.iter().any(|(lp, lf)| lp == p && lf == f)))
        .collect();
    let mut found: BTreeMap<(i64, i64), Order> = BTreeMap::new();
    for read in per_panel {
        for o in done.all(read).await? {
            found.insert((o.panel_id, o.id), o);
        }
    }
    let (mut targets, mut skipped) = (Vec::new(), Vec::new());
    for (p, i) in selection {
        match found.remove(&(*p, *i)) {
            None => skipped.push(Skipped {
                panel_id: *p,
                id: *i,
                reason: "not in the cached orders of this panel (wait for the next sync)".into(),
            }),
            Some(o) => match kind.refuses(&o, &params) {
                Some(reason) => skipped.push(Skipped { panel_id: *p, id: *i, reason }),
                None => targets.push(o),
            },
        }
    }
    Ok(Plan { kind, params, targets, skipped, not_offered })
}

impl Plan {
    /// How many orders on each panel, by panel id.
    pub fn per_panel(&self) -> Vec<(i64, usize)> {
        let mut m: BTreeMap<i64, usize> = BTreeMap::new();
        for o in &self.targets {
            *m.entry(o.panel_id).or_default() += 1;
        }
        m.into_iter().collect()
    }

    /// The money returned to customers, per currency (never summed across currencies).
    pub fn refunds(&self) -> Vec<(String, i64)> {
        let mut m: BTreeMap<String, i64> = BTreeMap::new();
        for o in &self.targets {
            let r = self.kind.refund(o, &self.params);
            if r > 0 {
                *m.entry(o.currency.clone().unwrap_or_default()).or_default() += r;
            }
        }
        m.into_iter().collect()
    }

    /// The activity log's line for the started action.
    pub fn summary(&self, panel_name: impl Fn(i64) -> String) -> String {
        let panels: Vec<String> =
            self.per_panel().iter().map(|(p, n)| format!("{} ({n})", panel_name(*p))).collect();
        let mut s =
            format!("{} on {} order(s): {}", self.kind.label(), self.targets.len(), panels.join(", "));
        let refunds: Vec<String> = self
            .refunds()
            .iter()
            .map(|(c, m)| format!("{} {c}", shared::pp::money::display(*m, Some(c))))
            .collect();
        if !refunds.is_empty() {
            s.push_str(&format!("; refunds {}", refunds.join(" + ")));
        }
        if !self.skipped.is_empty() {
            s.push_str(&format!("; {} selected order(s) not included", self.skipped.len()));
        }
        s
    }
}

/// At most this many orders are asked about before a confirmation (one panel request each).
pub const FLAG_CHECKS: usize = 10;

impl Plan {
    /// For a small selection, asks each order's panel what it allows now (`GET /orders/{id}`'s
    /// `actions` flags, where the panel sends them) and leaves out the orders it says no to. A panel
    /// that does not answer, or sends no flags, leaves the plan as the cache made it.
    pub async fn check_panel_flags(&mut self, state: &shared::AppState) {
        let Some(flag) = self.kind.panel_flag() else { return };
        if self.targets.is_empty() || self.targets.len() > FLAG_CHECKS {
            return;
        }
        // A few seconds at most: the page that asks still has to answer within API Gateway's 30 s.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let opts = shared::pp::ClientOptions {
            attempts: 1,
            timeout: state.config.action_write_timeout.min(std::time::Duration::from_secs(3)),
            ..shared::pp::ClientOptions::default()
        }
        .for_app(state);
        let mut clients: BTreeMap<i64, Option<shared::pp::AdminClient>> = BTreeMap::new();
        let mut keep = Vec::new();
        for o in std::mem::take(&mut self.targets) {
            if let std::collections::btree_map::Entry::Vacant(e) = clients.entry(o.panel_id) {
                e.insert(client(state, o.panel_id, &opts).await);
            }
            let allowed = match clients.get(&o.panel_id).and_then(Option::as_ref) {
                Some(_) if std::time::Instant::now() >= deadline => None,
                Some(c) => {
                    c.order(o.id).await.ok().and_then(|d| d.pointer(&format!("/actions/{flag}"))?.as_bool())
                }
                None => None,
            };
            if allowed == Some(false) {
                self.skipped.push(Skipped {
                    panel_id: o.panel_id,
                    id: o.id,
                    reason: format!(
                        "the panel does not allow it on this order now (its “{flag}” flag is off)"
                    ),
                });
            } else {
                keep.push(o);
            }
        }
        self.targets = keep;
    }
}

async fn client(
    state: &shared::AppState,
    panel_id: i64,
    opts: &shared::pp::ClientOptions,
) -> Option<shared::pp::AdminClient> {
    use shared::domain::panels;
    let panel = panels::get(&state.db, panel_id).await.ok().flatten()?;
    let key = panels::keys(&state.db, &state.config.secret_key, panel_id).await.ok()?.0?;
    shared::pp::AdminClient::new(&panel.base_url, shared::crypto::Secret::new(key), opts).ok()
}
