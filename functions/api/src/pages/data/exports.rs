//! "Export CSV" of each list: every row the page's filters match (all pages, the panel scope applied,
//! the page's cursor and page number ignored), with the page's column names, streamed in keyset pages of
//! `EXPORT_PAGE` rows (`shared::export`). Orders, payments and tickets come newest first as on their
//! pages; users and services in panel and id order (their pages sort by a chosen column with offsets,
//! which a stream of a million rows cannot afford).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use libsql::Value;

use shared::auth::Viewer;
use shared::cache::payments::Payment;
use shared::cache::speeds;
use shared::cache::users::{user_from, USER_COLUMNS};
use shared::db::{opt_i64, opt_text, Reads, Row};
use shared::export::{self, csv_response, Cell, Pages};
use shared::ui::listing::ListQuery;
use shared::{AppResult, AppState};

use super::methods::{self, Method};
use super::{orders, payments, services, tickets, users};

/// Rows per statement (`shared::export::PAGE_ROWS`).
pub const EXPORT_PAGE: usize = export::PAGE_ROWS;

/// (created, panel_id, id) of the last row written; `created` is 0 for lists in id order.
type Key = (i64, i64, i64);
type RowFn = Arc<dyn Fn(&Row) -> AppResult<(Vec<Cell>, Key)> + Send + Sync>;

/// A list read in keyset pages: `select` is the statement before its WHERE, `conds` the filters.
struct Keyset {
    state: AppState,
    select: String,
    conds: String,
    args: Vec<Value>,
    /// `Some(prefix)`: in (panel_id, id) order with the table's alias prefix; `None`: newest first.
    by_id: Option<&'static str>,
    row: RowFn,
}

impl Pages for Keyset {
    type Pos = Key;
    async fn page(&mut self, after: Option<Key>) -> AppResult<export::Page<Key>> {
        let mut conds = self.conds.clone();
        let mut args = self.args.clone();
        let order = match (self.by_id, after) {
            (Some(a), Some((_, p, i))) => {
                conds.push_str(&format!(" AND ({a}panel_id, {a}id) > (?, ?)"));
                args.extend([Value::Integer(p), Value::Integer(i)]);
                format!("{a}panel_id, {a}id")
            }
            (Some(a), None) => format!("{a}panel_id, {a}id"),
            (None, after) => {
                if let Some((c, p, i)) = after {
                    conds.push_str(" AND (created, panel_id, id) < (?, ?, ?)");
                    args.extend([Value::Integer(c), Value::Integer(p), Value::Integer(i)]);
                }
                "created DESC, panel_id DESC, id DESC".to_string()
            }
        };
        let sql = format!("{} WHERE {conds} ORDER BY {order} LIMIT {EXPORT_PAGE}", self.select);
        let conn = self.state.db.connect().await?;
        let mut rows = conn.query_cached(&sql, libsql::params_from_iter(args)).await?;
        let (mut out, mut last) = (Vec::with_capacity(EXPORT_PAGE), None);
        while let Some(r) = rows.next().await? {
            let (cells, key) = (self.row)(&r)?;
            out.push(cells);
            last = Some(key);
        }
        let next = if out.len() == EXPORT_PAGE { last } else { None };
        Ok((out, next))
    }
}

fn names(viewer: &Viewer) -> Arc<HashMap<i64, String>> {
    Arc::new(viewer.panels.iter().map(|p| (p.id, p.name.clone())).collect())
}

fn panel(names: &HashMap<i64, String>, id: i64) -> Cell {
    export::text(names.get(&id).cloned().unwrap_or_else(|| format!("Panel {id}")))
}

impl Keyset {
    /// `args_first` are parameters of `select` itself, bound before the filters'.
    fn new(
        state: &AppState,
        select: String,
        args_first: Vec<Value>,
        w: shared::db::Where,
        by_id: Option<&'static str>,
        row: RowFn,
    ) -> Keyset {
        let conds = w.sql();
        let mut args = args_first;
        args.extend(w.args);
        Keyset { state: state.clone(), select, conds, args, by_id, row }
    }
}

pub const ORDER_HEADER: &[&str] = &[
    "Panel",
    "ID",
    "User",
    "Charge",
    "Currency",
    "Link",
    "Start count",
    "Quantity",
    "Service ID",
    "Service",
    "Status",
    "Remains",
    "Created",
    "Mode",
];

pub async fn orders(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Response> {
    let w = orders::conditions(&viewer, &q)?;
    let names = names(&viewer);
    let row: RowFn = Arc::new(move |r| {
        let o = orders::order_from(r)?;
        let cells = vec![
            panel(&names, o.panel_id),
            export::int(o.id),
            export::opt_text(o.user.as_deref()),
            export::money(o.charge),
            export::opt_text(o.currency.as_deref()),
            export::opt_text(o.link.as_deref()),
            export::int(o.start_count),
            export::int(o.quantity),
            export::int(o.service_id),
            export::opt_text(o.service_name.as_deref()),
            export::text(o.status.as_str()),
            export::int(o.remains),
            export::time(o.created),
            export::opt_text(o.mode.as_deref()),
        ];
        Ok((cells, (o.created, o.panel_id, o.id)))
    });
    let select = format!("SELECT {} FROM orders_cache", orders::COLUMNS);
    Ok(csv_response(
        "orders",
        ORDER_HEADER,
        Keyset::new(&state, select, Vec::new(), w, None, row),
        export::lambda_cap(),
    ))
}

pub async fn users(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Response> {
    let w = users::conditions(&viewer, &q);
    let names = names(&viewer);
    let row: RowFn = Arc::new(move |r| {
        let u = user_from(r)?;
        let discount = u.discount.as_deref().and_then(|d| d.trim().parse::<f64>().ok());
        let cells = vec![
            panel(&names, u.panel_id),
            export::int(u.id),
            export::text(&u.username),
            export::opt_text(u.email.as_deref()),
            export::money(u.balance),
            export::money(u.spent),
            export::opt_text(u.currency.as_deref()),
            export::opt_text(u.status.as_deref()),
            export::time(u.created),
            export::time(u.last_auth),
            match discount {
                Some(d) => export::num(d),
                None => export::opt_text(u.discount.as_deref()),
            },
        ];
        Ok((cells, (0, u.panel_id, u.id)))
    });
    let header = &[
        "Panel",
        "ID",
        "Username",
        "Email",
        "Balance",
        "Spent",
        "Currency",
        "Status",
        "Created",
        "Last auth",
        "Discount",
    ];
    let select = format!("SELECT {USER_COLUMNS} FROM users_cache");
    Ok(csv_response(
        "users",
        header,
        Keyset::new(&state, select, Vec::new(), w, Some(""), row),
        export::lambda_cap(),
    ))
}

pub async fn payments(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Response> {
    let w = payments::conditions(&viewer, &q)?;
    let mut reads = Reads::new();
    let known = methods::all(&mut reads);
    let known: Vec<Method> = reads.run(&state.db.connect().await?).await?.all(known).await?;
    let names = names(&viewer);
    let row: RowFn = Arc::new(move |r| {
        let by_name: HashMap<&str, &Method> = known.iter().map(|m| (m.internal_name.as_str(), m)).collect();
        let l = payments::listed_from(r)?;
        let risk = payments::risk_of(&l);
        let p: &Payment = &l.payment;
        let method = p.method.as_deref().map(|m| by_name.get(m).map_or(m, |k| k.display_name.as_str()));
        let cells = vec![
            panel(&names, p.panel_id),
            export::int(p.id),
            export::opt_text(p.user.as_deref()),
            export::money(l.balance),
            export::money(p.amount),
            export::opt_text(p.currency.as_deref()),
            export::opt_text(method),
            export::opt_text(p.status.as_deref()),
            export::text(risk.level.as_str()),
            export::text(risk.reasons.join("; ")),
            export::opt_text(p.memo.as_deref()),
            export::time(p.created),
            export::time(p.updated),
            export::opt_text(p.mode.as_deref()),
        ];
        Ok((cells, (p.created, p.panel_id, p.id)))
    });
    let header = &[
        "Panel",
        "ID",
        "User",
        "Balance",
        "Amount",
        "Currency",
        "Method",
        "Status",
        "Fraud risk",
        "Risk reasons",
        "Memo",
        "Created",
        "Updated",
        "Mode",
    ];
    let (select, args_first) = payments::select_with_risk(&q);
    Ok(csv_response(
        "payments",
        header,
        Keyset::new(&state, select, args_first, w, None, row),
        export::lambda_cap(),
    ))
}

pub async fn tickets(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Response> {
    let w = tickets::conditions(&viewer, &q)?;
    let names = names(&viewer);
    let row: RowFn = Arc::new(move |r| {
        let t = tickets::ticket_from(r)?;
        let cells = vec![
            panel(&names, t.panel_id),
            export::int(t.id),
            export::opt_text(t.user.as_deref()),
            export::opt_text(t.subject.as_deref()),
            export::opt_text(t.status.as_deref()),
            export::opt_text(t.assignee.as_deref()),
            export::time(t.created),
            export::time(t.last_update),
        ];
        Ok((cells, (t.created, t.panel_id, t.id)))
    });
    let header = &["Panel", "ID", "User", "Subject", "Status", "Assignee", "Created", "Last update"];
    let select = format!("SELECT {} FROM tickets_cache", tickets::TICKET_COLUMNS);
    Ok(csv_response(
        "tickets",
        header,
        Keyset::new(&state, select, Vec::new(), w, None, row),
        export::lambda_cap(),
    ))
}

pub async fn services(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Response> {
    let w = services::conditions(&viewer, &q);
    let names = names(&viewer);
    let row: RowFn = Arc::new(move |r| {
        let (p, id): (i64, i64) = (r.get(0)?, r.get(1)?);
        let name: String = r.get(2)?;
        let speed = speeds::speed_from(r, 9)?;
        let cells = vec![
            panel(&names, p),
            export::int(id),
            export::text(&name),
            export::text(&*shared::domain::service_name::summary_cached(&name)),
            export::opt_text(opt_text(r, 3)?.as_deref()),
            export::opt_text(opt_text(r, 4)?.as_deref()),
            export::money(opt_i64(r, 5)?),
            export::int(opt_i64(r, 6)?),
            export::int(opt_i64(r, 7)?),
            export::int(speed.as_ref().map(|s| s.median_per_day)),
            export::num(speed.as_ref().and_then(|s| s.kept_pct())),
            export::opt_text(opt_text(r, 8)?.as_deref()),
        ];
        Ok((cells, (0, p, id)))
    });
    let header = &[
        "Panel",
        "ID",
        "Name",
        "Promise",
        "Type",
        "Category",
        "Rate",
        "Min",
        "Max",
        "Measured/day",
        "Kept",
        "Description",
    ];
    Ok(csv_response(
        "services",
        header,
        Keyset::new(&state, services::select_sql(), Vec::new(), w, Some("s."), row),
        export::lambda_cap(),
    ))
}
