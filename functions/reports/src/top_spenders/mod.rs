//! User tracking (top spenders): window spend, completed payments, lifetime and top services per user,
//! exactly as the spec defines them. `top_spenders` needs no HTTP: the admin API reuses it.

pub mod pages;
pub mod profiles;

use std::collections::{BTreeMap, HashMap};

use libsql::params;
use serde::Serialize;
use shared::db::{Conn, Reads, Stmt};

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

/// One qualifying user as the report's query returns it: (panel, username), their sums, and how many
/// qualified in all.
type Ranked = ((i64, String), Acc, usize);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Acc {
    spend: i64,
    pay_count: i64,
    pay_total: i64,
}

/// The users who qualify, best first, at most `p.limit`, summed and ranked in SQL: window spend from
/// the daily roll-up plus the partial days at both ends from the orders' covering created index,
/// completed payments from theirs. Returns a page of users, not the window's orders.
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
         SELECT panel_id, user, spend, n, total, (SELECT COUNT(*) FROM g) FROM g
         ORDER BY spend DESC, total DESC, panel_id, user LIMIT ?5",
        first = days.first,
        end = days.end,
        head = edges[0],
        tail = edges[1],
    );
    Stmt::new(sql, params![from, now, p.min_payments, p.min_spend, p.limit as i64])
}

/// The report and how many users qualified (the list holds at most `limit` of them). Two round trips:
/// the ranked page, then the listed users' details and top services together.
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
    let list: Vec<Ranked> = shared::db::read_all(conn, |reads| {
        reads.add(ranked_stmt(&sc, p, from, now), |r| {
            let acc = Acc { spend: r.get(2)?, pay_count: r.get(3)?, pay_total: r.get(4)? };
            Ok(((r.get(0)?, r.get(1)?), acc, r.get::<i64>(5)? as usize))
        })
    })
    .await?;
    let total = list.first().map_or(0, |l| l.2);
    let keys: Vec<(i64, String)> = list.iter().map(|l| l.0.clone()).collect();
    let (users, top) = details(conn, &keys, from, now).await?;
    let out = list
        .into_iter()
        .map(|(k, a, _)| {
            let u = users.get(&k);
            let joined = u.and_then(|u| u.2);
            TopSpenderRow {
                panel_id: k.0,
                user_id: u.map(|u| u.0),
                email: u.and_then(|u| u.1.clone()),
                joined,
                is_new: joined.is_some_and(|j| j >= from && j <= now),
                payments_count: a.pay_count,
                payments_total: a.pay_total,
                spend_window: a.spend,
                lifetime_spent: u.and_then(|u| u.3),
                top_services: top.get(&k).cloned().unwrap_or_default(),
                username: k.1,
            }
        })
        .collect();
    Ok((out, total))
}

/// (panel, username) → (id, email, created, spent)
type UserInfo = (i64, Option<String>, Option<i64>, Option<i64>);

/// The cached details and the 3 most-ordered service ids in the window (by order count; ties by lower
/// id) of these users: every statement in one batch, a few hundred usernames each.
async fn details(
    conn: &Conn,
    keys: &[(i64, String)],
    from: i64,
    to: i64,
) -> AppResult<(HashMap<(i64, String), UserInfo>, HashMap<(i64, String), Vec<i64>>)> {
    let mut by_panel: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for (panel, name) in keys {
        by_panel.entry(*panel).or_default().push(name);
    }
    let mut reads = Reads::new();
    let (mut infos, mut tops) = (Vec::new(), Vec::new());
    for (panel, names) in by_panel {
        for chunk in names.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let names: Vec<libsql::Value> =
                chunk.iter().map(|n| libsql::Value::Text(n.to_string())).collect();
            infos.push(reads.add(
                Stmt::new(
                    format!(
                        "SELECT panel_id, username, id, email, created, spent FROM users_cache
                         WHERE panel_id = {panel} AND username IN ({marks})"
                    ),
                    names.clone(),
                ),
                |r| {
                    let info = (
                        r.get::<i64>(2)?,
                        shared::db::opt_text(r, 3)?,
                        shared::db::opt_i64(r, 4)?,
                        shared::db::opt_i64(r, 5)?,
                    );
                    Ok(((r.get::<i64>(0)?, r.get::<String>(1)?), info))
                },
            ));
            let mut args = vec![libsql::Value::Integer(from), libsql::Value::Integer(to)];
            args.extend(names);
            tops.push(reads.add(
                Stmt::new(
                    format!(
                        "SELECT panel_id, user, service_id, COUNT(*) FROM orders_cache WHERE panel_id = {panel}
                         AND created >= ?1 AND created <= ?2 AND service_id IS NOT NULL AND user IN ({marks})
                         GROUP BY user, service_id"
                    ),
                    args,
                ),
                |r| Ok(((r.get::<i64>(0)?, r.get::<String>(1)?), (r.get::<i64>(2)?, r.get::<i64>(3)?))),
            ));
        }
    }
    let mut done = reads.run(conn).await?;
    let mut users = HashMap::new();
    for read in infos {
        users.extend(done.all(read).await?);
    }
    let mut counts: HashMap<(i64, String), Vec<(i64, i64)>> = HashMap::new();
    for read in tops {
        for (k, sn) in done.all(read).await? {
            counts.entry(k).or_default().push(sn);
        }
    }
    let top = counts
        .into_iter()
        .map(|(k, mut v)| {
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            (k, v.into_iter().take(3).map(|x| x.0).collect())
        })
        .collect();
    Ok((users, top))
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
