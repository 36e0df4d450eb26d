//! Payments: ID | User | Balance | Amount | Method | Status | Fraud risk | Memo | Created | Updated |
//! Mode, methods by their display name, and the console's own fraud risk with its reasons.

use std::collections::HashMap;

use axum::extract::State;
use libsql::Value;
use maud::{html, Markup};

use shared::auth::Viewer;
use shared::cache::payments::{payment_from, Payment, PAYMENT_COLUMNS};
use shared::db::rows::opt_i64;
use shared::db::{Read, Reads, Stmt, Where};
use shared::domain::fraud::{self, Facts, Risk};
use shared::ui::listing::ListQuery;
use shared::ui::{self, col, num};
use shared::{AppResult, AppState};

use super::cursor::Cursor;
use super::methods::{self, Method};

const PAGE: usize = 50;
const FILTERS: &[(&str, &str)] = &[
    ("status", "Status"),
    ("method", "Method"),
    ("from", "Created from"),
    ("to", "Created to"),
    ("q", "Search"),
];

/// The newest payments of the user `user_id` of a panel (found by the username its row holds).
pub fn of_user(reads: &mut Reads, panel_id: i64, user_id: i64) -> Read<Payment> {
    reads.add(
        Stmt::new(
            format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments_cache WHERE panel_id = ?1
                 AND user = (SELECT username FROM users_cache WHERE panel_id = ?1 AND id = ?2)
                 ORDER BY created DESC LIMIT 50"
            ),
            (panel_id, user_id),
        ),
        payment_from,
    )
}

/// A listed payment, the facts its risk is judged on, and the user's balance.
pub(crate) struct Listed {
    pub(crate) payment: Payment,
    facts: Facts,
    pub(super) balance: Option<i64>,
}

/// The user's balance, after the payment's columns and its risk's (`fraud::fact_columns`).
const BALANCE_COLUMN: &str =
    "(SELECT balance FROM users_cache u INDEXED BY users_cache_username WHERE u.panel_id = p.panel_id AND u.username = p.user LIMIT 1)";
const FIRST_FACT: usize = 11;

pub(crate) fn listed_from(r: &shared::db::Row) -> AppResult<Listed> {
    let payment = payment_from(r)?;
    let facts = fraud::facts_from(r, FIRST_FACT, payment.amount.unwrap_or(0), payment.created)?;
    let balance = opt_i64(r, (FIRST_FACT + fraud::FACT_COLUMN_COUNT) as i32)?;
    Ok(Listed { payment, facts, balance })
}

/// The risk of a listed payment; none without a user or an amount.
pub(crate) fn risk_of(l: &Listed) -> Risk {
    fraud::assess_payment(l.payment.user.as_deref(), l.payment.amount, &l.facts)
}

/// The newest payments (at most `limit`) created from `since` in the panels of `scope_sql`, with what
/// their risk is judged on: the Overview counts the high-risk ones by the list's own rule.
pub(crate) fn recent_read(reads: &mut Reads, scope_sql: &str, since: i64, limit: usize) -> Read<Listed> {
    reads.add(
        Stmt::new(
            format!(
                "SELECT {PAYMENT_COLUMNS}, {}, {BALANCE_COLUMN} FROM payments_cache p INDEXED BY payments_cache_created_all
                 WHERE created >= ?1 AND {scope_sql} ORDER BY created DESC, panel_id DESC, id DESC LIMIT {limit}",
                fraud::fact_columns()
            ),
            libsql::params![since],
        ),
        listed_from,
    )
}

/// The index the list walks, newest first. Without statistics SQLite would take the panel's
/// (panel, user) index for `panel_id IN (..)` and sort every payment of the panels for one page.
/// A search by user or id is left to SQLite: its user index finds the few rows.
fn list_index(q: &ListQuery) -> &'static str {
    if q.get("q").is_some() {
        ""
    } else if q.get("status").is_some() {
        "INDEXED BY payments_cache_status"
    } else if q.get("method").is_some() {
        "INDEXED BY payments_cache_method"
    } else {
        "INDEXED BY payments_cache_created_all"
    }
}

/// The WHERE clause of the list's filters (the panel scope included).
pub(super) fn conditions(viewer: &Viewer, q: &ListQuery) -> AppResult<Where> {
    let mut w = Where::new(viewer.panel_sql("panel_id"));
    if let Some(s) = q.get("status") {
        w.bind("status = ?", s);
    }
    if let Some(m) = q.get("method") {
        w.bind("method = ?", m);
    }
    super::created_range(&mut w, q)?;
    if let Some(term) = q.get("q") {
        match term.trim_start_matches('#').parse::<i64>() {
            Ok(id) => w.bind_all("id = ? OR user = ?", [Value::Integer(id), Value::Text(term.into())]),
            Err(_) => w.bind("user = ?", term),
        }
    }
    Ok(w)
}

/// The list's statement before its conditions, and the parameters the risk columns take first.
pub(super) fn select_with_risk(q: &ListQuery) -> (String, Vec<Value>) {
    (
        format!(
            "SELECT {PAYMENT_COLUMNS}, {}, {BALANCE_COLUMN} FROM payments_cache p {}",
            fraud::fact_columns(),
            list_index(q)
        ),
        Vec::new(),
    )
}

pub async fn list(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Markup> {
    let mut w = conditions(&viewer, &q)?;
    let cursor = Cursor::parse(q.get("after"))?;
    if let Some(c) = &cursor {
        c.push_condition("created", &mut w);
    }
    let conditions = w.sql();
    let args = w.args;
    let sql = format!(
        "{} WHERE {conditions} ORDER BY created DESC, panel_id DESC, id DESC LIMIT {}",
        select_with_risk(&q).0,
        PAGE + 1
    );
    let mut reads = Reads::new();
    let list = reads.add(Stmt::new(sql, libsql::params_from_iter(args)), listed_from);
    let known = methods::all(&mut reads);
    let method_names = super::distinct(&mut reads, &viewer, "payments_cache", "method");
    let statuses = super::distinct(&mut reads, &viewer, "payments_cache", "status");
    let mut done = reads.run(&state.db.connect().await?).await?;
    let mut listed = done.all(list).await?;
    let known = done.all(known).await?;
    let (method_names, statuses) = (done.all(method_names).await?, done.all(statuses).await?);
    let more = listed.len() > PAGE;
    listed.truncate(PAGE);
    let by_name: HashMap<&str, &Method> = known.iter().map(|m| (m.internal_name.as_str(), m)).collect();
    let risks: Vec<Risk> = listed.iter().map(risk_of).collect();
    let balances: Vec<Option<i64>> = listed.iter().map(|l| l.balance).collect();
    let pays: Vec<Payment> = listed.into_iter().map(|l| l.payment).collect();

    let display = |m: &str| by_name.get(m).map(|k| k.display_name.clone()).unwrap_or_else(|| m.to_string());
    let next = more
        .then(|| {
            pays.last()
                .map(|p| q.href("/payments", &[], &[("after", Cursor::of(p.created, p.panel_id, p.id))]))
        })
        .flatten();
    let first = cursor.is_some().then(|| q.href("/payments", &["after"], &[]));
    let chips = q.chips("/payments", FILTERS, &["after"]);
    let rows: Vec<Markup> = pays
        .iter()
        .zip(risks.iter().zip(&balances))
        .map(|(p, (risk, balance))| html! { tr {
            td { (p.id) @if viewer.panel.is_none() && viewer.panels.len() > 1 { br; span.muted { (viewer.panel_name(p.panel_id)) } } }
            td { @if p.user.is_some() { (super::user_link(p.panel_id, p.user.as_deref(), 24)) } }
            td.num { (ui::money(*balance, p.currency.as_deref())) }
            td.num { (ui::money(p.amount, p.currency.as_deref())) }
            td { (methods::method_name(&known, p.method.as_deref())) }
            td { @if let Some(s) = &p.status { (ui::status_label(s)) } }
            td { (ui::status_label(risk.level.as_str()))
                @if !risk.reasons.is_empty() { ul.reasons { @for r in &risk.reasons { li { (r) } } } } }
            td { (ui::cut(p.memo.as_deref().unwrap_or(""), 40)) }
            td { (ui::time(p.created)) }
            td { (ui::opt_time(p.updated)) }
            td { (p.mode.as_deref().unwrap_or("")) }
        } })
        .collect();
    let content = html! {
        form.filters method="get" action="/payments" {
            (q.hidden(&["panel"]))
            (ui::search_field(q.get("q").unwrap_or(""), "Payment id or username"))
            div { label for="f-status" { "Status" }
                select #f-status name="status" {
                    option value="" { "Any" }
                    @for s in &statuses { option value=(s) selected[q.get("status") == Some(s.as_str())] { (s) } }
                } }
            div { label for="f-method" { "Method" }
                select #f-method name="method" {
                    option value="" { "Any method" }
                    @for m in &method_names { option value=(m) selected[q.get("method") == Some(m.as_str())] { (display(m)) } }
                } }
            div { label for="f-from" { "Created from" } input #f-from type="date" name="from" value=(q.get("from").unwrap_or("")); }
            div { label for="f-to" { "to" } input #f-to type="date" name="to" value=(q.get("to").unwrap_or("")); }
            button type="submit" { "Filter" }
        }
        (ui::chips(&chips, &q.href("/payments", &["after", "status", "method", "from", "to", "q"], &[])))
        p.exports { (shared::export::link(&q.href("/payments.csv", &["after"], &[]))) }
        details.howto {
            summary { "How the fraud risk is computed" }
            ul {
                li { "First deposit of 100 or more from an account less than a day old — medium (high from 500)." }
                li { "Amount outside the method's Min / Max (Settings → Payment methods) — medium." }
                li { "3 or more other deposits by the same user in the hour before — medium (high from 5)." }
                li { "Orders charging 90% or more of the amount within 10 minutes after — medium." }
                li { "Two or more reasons together make the risk high; none makes it low." }
            }
        }
        (ui::table(&[col("ID"), col("User"), num("Balance"), num("Amount"), col("Method"), col("Status"), col("Fraud risk"),
            col("Memo"), col("Created"), col("Updated"), col("Mode")], &rows,
            if chips.is_empty() { ui::nothing_cached("payments") }
            else { ui::empty_state("No payments match these filters.", Some(("/payments", "Clear filters"))) }))
        (ui::pager(first.as_deref(), next.as_deref()))
    };
    Ok(ui::page(&viewer, "Payments", content))
}
