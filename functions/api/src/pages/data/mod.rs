//! The "Data" pages staff live in: orders, tickets, users, payments, services and the tools beside
//! them. Every query is limited to the viewer's panels (and the switcher's panel) in SQL.

pub mod canned;
pub mod cursor;
pub mod descriptions;
pub mod exports;
pub mod methods;
pub mod orders;
pub mod payments;
pub mod reports_list;
pub mod services;
pub mod tickets;
pub mod users;

use maud::{html, Markup};

use shared::auth::Viewer;
use shared::db::{Read, Reads, Stmt, Where};
use shared::ui::listing::ListQuery;
use shared::AppResult;

/// A username as a link to the user's page (found by name: orders and tickets know users by name).
pub fn user_link(panel_id: i64, username: Option<&str>, n: usize) -> Markup {
    html! {
        @match username.filter(|u| !u.is_empty()) {
            Some(u) => a href={ "/users/" (panel_id) "/named?username=" (orders::urlencode(u)) } { (shared::ui::cut(u, n)) },
            None => span.muted { "—" },
        }
    }
}

/// The Created from / to filters; "to" includes that whole day.
pub fn created_range(w: &mut Where, q: &ListQuery) -> AppResult<()> {
    if let Some(f) = q.date("from", "Created from")? {
        w.bind("created >= ?", f);
    }
    if let Some(t) = q.date("to", "Created to")? {
        w.bind("created < ?", t + 86_400);
    }
    Ok(())
}

/// Distinct non-empty values of a column among the rows in view, for a filter's choices. A loose index
/// scan over the `(column, panel_id)` index: one seek per value, not a read of every row.
pub fn distinct(reads: &mut Reads, viewer: &Viewer, table: &str, column: &str) -> Read<String> {
    // `+panel_id`: walk the column's own index (each has it first) and skip to the next value, rather
    // than the panel's primary key sorting every row per step — which SQLite picks without statistics.
    let scope = viewer.panel_sql("+panel_id");
    let next = |after: &str| {
        format!(
            "(SELECT {column} FROM {table} WHERE {scope} AND {column} > {after} ORDER BY {column} LIMIT 1)"
        )
    };
    let sql = format!(
        "WITH RECURSIVE v(x) AS (SELECT {} UNION ALL SELECT {} FROM v WHERE v.x IS NOT NULL)
         SELECT x FROM v WHERE x IS NOT NULL LIMIT 200",
        next("''"),
        next("v.x")
    );
    reads.add(Stmt::new(sql, ()), |r| Ok(r.get::<String>(0)?))
}

/// Services of the panels in view (id, name), for the orders' Service filter.
pub fn services_in_view(reads: &mut Reads, viewer: &Viewer) -> Read<(i64, String)> {
    let sql = format!(
        "SELECT id, MIN(name) FROM services_cache WHERE {} AND removed_at IS NULL GROUP BY id ORDER BY id LIMIT 2000",
        viewer.panel_sql("panel_id")
    );
    reads.add(Stmt::new(sql, ()), |r| Ok((r.get(0)?, r.get(1)?)))
}

/// A link from a panel's data: only http(s) targets become links (never `javascript:`), cut to `n`
/// characters with the whole link on hover, opened without handing over the console's window.
pub fn safe_link(link: &str, n: usize) -> Markup {
    let lower = link.trim_start().to_ascii_lowercase();
    html! {
        @if lower.starts_with("https://") || lower.starts_with("http://") {
            a href=(link.trim_start()) target="_blank" rel="noopener noreferrer nofollow" title=(link) { (cut_text(link, n)) }
        } @else {
            span title=(link) { (cut_text(link, n)) }
        }
    }
}

fn cut_text(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n).collect::<String>() + "…"
    }
}

/// The bar above a selectable table: copies the checked rows' ids, external ids or links (script),
/// or opens them on a page ready to copy (no script).
pub fn selection_bar() -> Markup {
    html! {
        div.selbar {
            label { input type="checkbox" data-select-all; " Select all" }
            button type="submit" data-copy-sel="id" { "Copy IDs" }
            button type="submit" data-copy-sel="external" { "Copy external IDs" }
            button type="submit" data-copy-sel="link" { "Copy links" }
            span.muted data-sel-count {}
        }
    }
}
