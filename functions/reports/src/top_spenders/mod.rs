//! User tracking (top spenders): window spend, completed payments, lifetime and top services per user,
//! exactly as the spec defines them. `top_spenders` needs no HTTP: the admin API reuses it.

pub mod pages;
pub mod profiles;

use libsql::params;
use serde::Serialize;
use shared::db::{Conn, Stmt};

use shared::auth::PanelScope;
use shared::AppResult;

use crate::common::{as_money, as_opt_money, collect, ids_text, Buckets};
pub use profiles::UserProfile;

#[derive(Clone, Debug)]
pub struct TopSpendersParams {
    pub panel: Option<i64>,
    pub window_hours: i64,
    pub min_payments: i64,
    /// Micro-units.
    pub min_spend: i64,
    /// Empty = every user.
    pub user_ids: Vec<i64>,
    pub limit: usize,
}

impl TopSpendersParams {
    pub fn from_profile(p: &UserProfile, panel: Option<i64>, window_hours: i64) -> Self {
        TopSpendersParams {
            panel,
            window_hours,
            min_payments: p.min_payments,
            min_spend: p.min_spend,
            user_ids: p.user_ids.clone(),
            limit: 100,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TopSpenderRow {
    pub panel_id: i64,
    pub user_id: Option<i64>,
    pub username: String,
    pub email: Option<String>,
    pub joined: Option<i64>,
    pub is_new: bool,
    pub payments_count: i64,
    #[serde(serialize_with = "as_money")]
    pub payments_total: i64,
    #[serde(serialize_with = "as_money")]
    pub spend_window: i64,
    #[serde(serialize_with = "as_opt_money")]
    pub lifetime_spent: Option<i64>,
    pub top_services: Vec<i64>,
}

/// The users who qualify, best first, at most `p.limit`, summed and ranked in SQL: window spend from
/// the daily roll-up plus the partial days at both ends from the orders' covering created index,
/// completed payments from theirs; then each listed user's cached details and their 3 most-ordered
/// services in the window (by order count; ties by lower id). Returns a page of users, not the
/// window's orders, in one statement.
fn ranked_stmt(sc: &str, p: &TopSpendersParams, from: i64, now: i64) -> Stmt {
    let days = Buckets::cut(from, now, 86_400);
    // A profile restricted to user ids keeps the users the cache knows by one of those ids.
    let only = if p.user_ids.is_empty() {
        String::new()
    } else {
        format!(
            " AND (panel_id, user) IN (SELECT panel_id, username FROM users_cache WHERE {sc} AND id IN ({}))",
            ids_text(&p.user_ids)
        )
    };
    let edges = days.edges_sql("created").map(|edge| {
        format!(
            "SELECT panel_id, user, COALESCE(charge, 0), 0, 0 FROM orders_cache INDEXED BY orders_cache_created
             WHERE {sc} AND {edge} AND user IS NOT NULL AND status NOT IN ('canceled', 'fail')"
        )
    });
    // Grouped once into a materialized table, then counted and ranked from it (a window function for
    // the count would copy every group once more).
    let sql = format!(
        "WITH g(panel_id, user, spend, n, total) AS MATERIALIZED (
         SELECT panel_id, user, SUM(spend), SUM(n), SUM(total) FROM (
            SELECT panel_id, user, spend, 0 AS n, 0 AS total FROM rollup_user_days
            WHERE {sc} AND day >= {first} AND day < {end}
            UNION ALL {head} UNION ALL {tail}
            UNION ALL
            SELECT panel_id, user, 0, 1, COALESCE(amount, 0) FROM payments_cache INDEXED BY payments_cache_created
            WHERE {sc} AND created >= ?1 AND created <= ?2 AND user IS NOT NULL AND status = 'completed')
         GROUP BY panel_id, user
         HAVING SUM(n) >= ?3 AND SUM(spend) >= ?4 AND (SUM(spend) > 0 OR SUM(n) > 0){only})
         , r AS (SELECT panel_id, user, spend, n, total FROM g ORDER BY spend DESC, total DESC, panel_id, user LIMIT ?5)
         SELECT r.panel_id, r.user, r.spend, r.n, r.total, (SELECT COUNT(*) FROM g), u.id, u.email, u.created, u.spent,
            (SELECT group_concat(service_id, ' ') FROM (
                SELECT o.service_id FROM orders_cache o INDEXED BY orders_cache_user
                WHERE o.panel_id = r.panel_id AND o.user = r.user AND o.created >= ?1 AND o.created <= ?2
                AND o.service_id IS NOT NULL GROUP BY o.service_id ORDER BY COUNT(*) DESC, o.service_id LIMIT 3))
         FROM r LEFT JOIN users_cache u ON u.panel_id = r.panel_id
            AND u.id = (SELECT id FROM users_cache WHERE panel_id = r.panel_id AND username = r.user LIMIT 1)
         ORDER BY r.spend DESC, r.total DESC, r.panel_id, r.user",
        first = days.first,
        end = days.end,
        head = edges[0],
        tail = edges[1],
    );
    Stmt::new(sql, params![from, now, p.min_payments, p.min_spend, p.limit as i64])
}

/// The report and how many users qualified (the list holds at most `limit` of them). One round trip.
pub async fn top_spenders(
    conn: &Conn,
    scope: &PanelScope,
    p: &TopSpendersParams,
    now: i64,
) -> AppResult<(Vec<TopSpenderRow>, usize)> {
    let scope = &crate::common::explicit(conn, scope).await?;
    let from = now - p.window_hours * 3600;
    let sc = scope.sql("panel_id", p.panel);
    if sc == "0" {
        // INDEXED BY has no plan for a constant-false condition; nothing is in scope anyway.
        return Ok((Vec::new(), 0));
    }
    let list: Vec<(TopSpenderRow, usize)> =
        shared::db::read_all(conn, |reads| reads.add(ranked_stmt(&sc, p, from, now), ranked_row)).await?;
    let total = list.first().map_or(0, |l| l.1);
    let out = list
        .into_iter()
        .map(|(mut row, _)| {
            row.is_new = row.joined.is_some_and(|j| j >= from && j <= now);
            row
        })
        .collect();
    Ok((out, total))
}

/// One row of [`ranked_stmt`], and how many users qualified in all (`is_new` is the caller's).
fn ranked_row(r: &shared::db::Row) -> AppResult<(TopSpenderRow, usize)> {
    let top = shared::db::opt_text(r, 10)?.unwrap_or_default();
    let row = TopSpenderRow {
        panel_id: r.get(0)?,
        username: r.get(1)?,
        spend_window: r.get(2)?,
        payments_count: r.get(3)?,
        payments_total: r.get(4)?,
        user_id: shared::db::opt_i64(r, 6)?,
        email: shared::db::opt_text(r, 7)?,
        joined: shared::db::opt_i64(r, 8)?,
        is_new: false,
        lifetime_spent: shared::db::opt_i64(r, 9)?,
        top_services: top.split_ascii_whitespace().filter_map(|s| s.parse().ok()).collect(),
    };
    Ok((row, r.get::<i64>(5)? as usize))
}

#[derive(Clone, Debug, Serialize)]
pub struct UserActivity {
    pub orders: Vec<(i64, Option<i64>, String, i64, i64)>,
    pub payments: Vec<(i64, i64, String, Option<String>, i64)>,
}

/// The rows behind a user's numbers: their orders (id, service, status, charge, created) and payments
/// (id, amount, status, method, created) created inside the window.
pub async fn user_activity(
    conn: &Conn,
    panel: i64,
    username: &str,
    from: i64,
    to: i64,
) -> AppResult<UserActivity> {
    let rows = conn
        .query(
            "SELECT id, service_id, status, COALESCE(charge, 0), created FROM orders_cache
             WHERE panel_id = ?1 AND user = ?2 AND created >= ?3 AND created <= ?4 ORDER BY created DESC LIMIT 500",
            params![panel, username, from, to],
        )
        .await?;
    let orders =
        collect(rows, |r| Ok((r.get(0)?, shared::db::opt_i64(r, 1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .await?;
    let rows = conn
        .query(
            "SELECT id, COALESCE(amount, 0), COALESCE(status, ''), method, created FROM payments_cache
             WHERE panel_id = ?1 AND user = ?2 AND created >= ?3 AND created <= ?4 ORDER BY created DESC LIMIT 500",
            params![panel, username, from, to],
        )
        .await?;
    let payments =
        collect(rows, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, shared::db::opt_text(r, 3)?, r.get(4)?)))
            .await?;
    Ok(UserActivity { orders, payments })
}

/// For the explain panel: the profile's user restriction in words.
pub fn restriction(ids: &[i64]) -> String {
    if ids.is_empty() {
        "all users".into()
    } else {
        format!("users {}", ids_text(ids))
    }
}
