//! Users: ID | Username | Balance ⇅ | Spent ⇅ | Status | Created ⇅ | Last auth ⇅ | Discount ⇅, and a
//! user's page with their orders, payments and tickets.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use libsql::Value;
use maud::{html, Markup};
use shared::auth::InScope;

use shared::auth::Viewer;
use shared::db::rows::opt_text;
use shared::db::{Reads, Stmt, Where};
use shared::ui::listing::ListQuery;
use shared::ui::{self, col, num};
use shared::{AppError, AppResult, AppState};

use super::orders::{order_from, COLUMNS};
use super::payments;
use shared::cache::users::{user_from, USER_COLUMNS};

const PAGE: i64 = 50;
const SORTS: &[(&str, &str)] = &[
    ("id", "id"),
    ("balance", "balance"),
    ("spent", "spent"),
    ("created", "created"),
    ("last_auth", "last_auth"),
    // A number sent as a string: sorted as text, "10" would come before "5".
    ("discount", "CAST(discount AS REAL)"),
];

/// The WHERE clause of the list's filters (the panel scope included).
pub(super) fn conditions(viewer: &Viewer, q: &ListQuery) -> Where {
    let mut w = Where::new(viewer.panel_sql("panel_id"));
    if let Some(s) = q.get("status") {
        w.bind("status = ?", s);
    }
    if let Some(term) = q.get("q") {
        match term.parse::<i64>() {
            Ok(id) => w.bind_all(
                "username = ? OR email = ? OR id = ?",
                [Value::Text(term.into()), Value::Text(term.into()), Value::Integer(id)],
            ),
            Err(_) => {
                w.bind_all("username = ? OR email = ?", [Value::Text(term.into()), Value::Text(term.into())])
            }
        }
    }
    w
}

pub async fn list(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Markup> {
    let sort =
        q.choice("sort", "Sort", &SORTS.iter().map(|s| s.0).collect::<Vec<_>>())?.unwrap_or("created".into());
    let dir = q.choice("dir", "Direction", &["asc", "desc"])?.unwrap_or("desc".into());
    let page = q.page()?;
    let w = conditions(&viewer, &q);
    let column = SORTS.iter().find(|s| s.0 == sort).map(|s| s.1).unwrap_or("created");
    // NULLs last whichever the direction: unknown values are not the biggest or smallest. `NULLS LAST`
    // (not `column IS NULL` first) keeps the (column, panel_id, id) index usable: no sort of the table.
    let d = if dir == "asc" { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users_cache WHERE {} ORDER BY {column} {d} NULLS LAST, panel_id {d}, id {d}
         LIMIT {} OFFSET {}",
        w.sql(),
        PAGE + 1,
        (page - 1) * PAGE
    );
    let mut reads = Reads::new();
    let list = reads.add(Stmt::new(sql, libsql::params_from_iter(w.args)), user_from);
    let statuses = super::distinct(&mut reads, &viewer, "users_cache", "status");
    let mut done = reads.run(&state.db.connect().await?).await?;
    let mut users = done.all(list).await?;
    let statuses = done.all(statuses).await?;
    let more = users.len() as i64 > PAGE;
    users.truncate(PAGE as usize);

    let sortable = |label: &str, key: &str| -> Markup {
        let next_dir = if sort == key && dir == "desc" { "asc" } else { "desc" };
        let arrow = match (sort == key, dir.as_str()) {
            (true, "desc") => " ↓",
            (true, _) => " ↑",
            _ => " ⇅",
        };
        let href = q.href("/users", &["page"], &[("sort", key.to_string()), ("dir", next_dir.to_string())]);
        html! { a.sort href=(href) { (label) (arrow) } }
    };
    let rows: Vec<Markup> = users
        .iter()
        .map(|u| html! { tr {
            td { a href={ "/users/" (u.panel_id) "/" (u.id) } { (u.id) }
                @if viewer.panel.is_none() && viewer.panels.len() > 1 { br; span.muted { (viewer.panel_name(u.panel_id)) } } }
            td { a href={ "/users/" (u.panel_id) "/" (u.id) } { (ui::cut(&u.username, 30)) }
                @if let Some(e) = &u.email { br; span.muted { (ui::cut(e, 30)) } } }
            td.num { (ui::money(u.balance, u.currency.as_deref())) }
            td.num { (ui::money(u.spent, u.currency.as_deref())) }
            td { @if let Some(s) = &u.status { (ui::status_label(s)) } }
            td { (ui::opt_time(u.created)) }
            td { (ui::opt_time(u.last_auth)) }
            td.num { (u.discount.as_deref().unwrap_or("")) }
        } })
        .collect();
    let chips = q.chips("/users", &[("status", "Status"), ("q", "Search")], &["page"]);
    let prev = (page > 1).then(|| q.href("/users", &[], &[("page", (page - 1).to_string())]));
    let next = more.then(|| q.href("/users", &[], &[("page", (page + 1).to_string())]));
    let content = html! {
        form.filters method="get" action="/users" {
            (q.hidden(&["panel", "sort", "dir"]))
            (ui::search_field(q.get("q").unwrap_or(""), "Username, email or id"))
            div { label for="f-status" { "Status" }
                select #f-status name="status" {
                    option value="" { "Any" }
                    @for s in &statuses { option value=(s) selected[q.get("status") == Some(s.as_str())] { (s) } }
                } }
            button type="submit" { "Filter" }
        }
        (ui::chips(&chips, &q.href("/users", &["page", "status", "q"], &[])))
        p.exports { (shared::export::link(&q.href("/users.csv", &["page", "sort", "dir"], &[]))) }
        div.tablewrap { table.data {
            thead { tr {
                th scope="col" { (sortable("ID", "id")) } th scope="col" { "Username" }
                th.num scope="col" { (sortable("Balance", "balance")) } th.num scope="col" { (sortable("Spent", "spent")) }
                th scope="col" { "Status" } th scope="col" { (sortable("Created", "created")) }
                th scope="col" { (sortable("Last auth", "last_auth")) } th.num scope="col" { (sortable("Discount", "discount")) }
            } }
            tbody {
                @if rows.is_empty() { tr.empty { td colspan="8" {
                    @if chips.is_empty() { (ui::nothing_cached("users")) }
                    @else { (ui::empty_state("No users match these filters.", Some(("/users", "Clear filters")))) }
                } } }
                // Each cell carries its column's name: a phone shows a row as "label: value" lines.
                (ui::labelled_rows(&rows, &[col("ID"), col("Username"), num("Balance"), num("Spent"), col("Status"),
                    col("Created"), col("Last auth"), num("Discount")]))
            }
        } }
        @if prev.is_some() || next.is_some() {
            nav.pager aria-label="Pages" {
                @if let Some(h) = &prev { a href=(h) rel="prev" { "« Previous" } }
                span.muted { "Page " (page) }
                @if let Some(h) = &next { a href=(h) rel="next" { "Next »" } }
            }
        }
    };
    Ok(ui::page(&viewer, "Users", content))
}

/// Orders know their user by name; this opens the user's page, or says the user is not cached yet
/// (they may have orders while the users sync has not reached them).
pub async fn by_name(
    State(state): State<AppState>,
    viewer: Viewer,
    InScope(panel_id): InScope<i64>,
    q: ListQuery,
) -> AppResult<Response> {
    let name = q.get("username").unwrap_or("");
    if !name.is_empty() {
        let conn = state.db.connect().await?;
        let mut rows = conn
            .query("SELECT id FROM users_cache WHERE panel_id = ?1 AND username = ?2", (panel_id, name))
            .await?;
        if let Some(r) = rows.next().await? {
            return Ok(Redirect::to(&format!("/users/{panel_id}/{}", r.get::<i64>(0)?)).into_response());
        }
    }
    let content = html! {
        @if !name.is_empty() {
            p { "The user “" (name) "” is not in the cache of " (viewer.panel_name(panel_id)) " yet; users arrive with the next sync." }
            p { a href={ "/orders?panel=" (panel_id) "&q=" (super::orders::urlencode(name)) } { "Their orders" } }
        }
        form.filters method="get" action={ "/users/" (panel_id) "/named" } {
            div { label for="f-username" { "Username" } input #f-username name="username" value=(name) required; }
            button type="submit" { "Open" }
        }
    };
    Ok(ui::page(&viewer, "Find a user", content).into_response())
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    InScope((panel_id, id)): InScope<(i64, i64)>,
) -> AppResult<Markup> {
    // The user and everything of theirs in one round trip: the rows are found by the username the
    // user row holds.
    let username = "(SELECT username FROM users_cache WHERE panel_id = ?1 AND id = ?2)";
    let mut reads = Reads::new();
    let user = reads.add(
        Stmt::new(
            format!("SELECT {USER_COLUMNS} FROM users_cache WHERE panel_id = ?1 AND id = ?2"),
            (panel_id, id),
        ),
        user_from,
    );
    let orders = reads.add(
        Stmt::new(
            format!(
                "SELECT {COLUMNS} FROM orders_cache WHERE panel_id = ?1 AND user = {username}
                 ORDER BY created DESC LIMIT 50"
            ),
            (panel_id, id),
        ),
        order_from,
    );
    let pays = payments::of_user(&mut reads, panel_id, id);
    let methods = super::methods::all(&mut reads);
    let tickets = reads.add(
        Stmt::new(
            format!(
                "SELECT id, subject, status, created FROM tickets_cache WHERE panel_id = ?1 AND user = {username}
                 ORDER BY created DESC LIMIT 50"
            ),
            (panel_id, id),
        ),
        |r| Ok((r.get::<i64>(0)?, opt_text(r, 1)?, opt_text(r, 2)?, r.get::<i64>(3)?)),
    );
    let mut done = reads.run(&state.db.connect().await?).await?;
    let Some(u) = done.first(user).await? else { return Err(AppError::not_found("That user")) };
    let orders = done.all(orders).await?;
    let pays = done.all(pays).await?;
    let methods = done.all(methods).await?;
    let tickets = done.all(tickets).await?;
    let cur = u.currency.as_deref();
    let uname = super::orders::urlencode(&u.username);
    let content = html! {
        dl.facts.inline {
            dt { "Panel" } dd { (viewer.panel_name(panel_id)) }
            dt { "Email" } dd { (u.email.as_deref().unwrap_or("—")) }
            dt { "Balance" } dd { (ui::money(u.balance, cur)) }
            dt { "Spent" } dd { (ui::money(u.spent, cur)) }
            dt { "Status" } dd { @if let Some(s) = &u.status { (ui::status_label(s)) } }
            dt { "Discount" } dd { (u.discount.as_deref().unwrap_or("—")) }
            dt { "Created" } dd { (ui::opt_time(u.created)) }
            dt { "Last auth" } dd { (ui::opt_time(u.last_auth)) }
        }
        h2 { "Orders " a.small href={ "/orders?panel=" (panel_id) "&q=" (uname) } { "(all)" } }
        (ui::table(&[col("ID"), num("Charge"), col("Service"), col("Status"), num("Remains"), col("Created")],
            &orders.iter().map(|o| html! { tr {
                td { a href={ "/orders/" (panel_id) "/" (o.id) } { (o.id) } }
                td.num { (ui::money(o.charge, o.currency.as_deref())) }
                td { (ui::cut(o.service_name.as_deref().unwrap_or(""), 50)) }
                td { (ui::status_label(&o.status)) }
                td.num { (ui::opt_num(o.remains)) }
                td { (ui::time(o.created)) }
            } }).collect::<Vec<_>>(), ui::empty_state("No cached orders.", None)))
        h2 { "Payments " a.small href={ "/payments?panel=" (panel_id) "&q=" (uname) } { "(all)" } }
        (ui::table(&[col("ID"), num("Amount"), col("Method"), col("Status"), col("Created")],
            &pays.iter().map(|p| html! { tr {
                td { (p.id) } td.num { (ui::money(p.amount, p.currency.as_deref())) }
                td { (super::methods::method_name(&methods, p.method.as_deref())) } td { @if let Some(s) = &p.status { (ui::status_label(s)) } }
                td { (ui::time(p.created)) }
            } }).collect::<Vec<_>>(), ui::empty_state("No cached payments.", None)))
        h2 { "Tickets" }
        (ui::table(&[col("ID"), col("Subject"), col("Status"), col("Created")],
            &tickets.iter().map(|(tid, subject, status, created)| html! { tr {
                td { a href={ "/tickets/" (panel_id) "/" (tid) } { (tid) } }
                td { (ui::cut(subject.as_deref().unwrap_or(""), 70)) }
                td { @if let Some(s) = status { (ui::status_label(s)) } }
                td { (ui::time(*created)) }
            } }).collect::<Vec<_>>(), ui::empty_state("No cached tickets.", None)))
        p { a href=(ui::link(&viewer, "/users")) { "← All users" } }
    };
    Ok(ui::page(&viewer, &format!("User {}", u.username), content))
}
