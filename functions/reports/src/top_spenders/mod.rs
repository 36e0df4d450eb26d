//! User tracking (top spenders): window spend, completed payments, lifetime and top services per user,
//! exactly as the spec defines them. `top_spenders` needs no HTTP: the admin API reuses it.

pub mod pages;
pub mod profiles;
mod sums;

use std::collections::{BTreeMap, HashMap};

use libsql::params;
use serde::{Serialize, Serializer};
use shared::db::Conn;

use shared::auth::PanelScope;
use shared::pp::money;
use shared::AppResult;

use crate::common::{collect, ids_text};
pub use profiles::UserProfile;
use sums::{Acc, Sums};

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

fn as_money<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&money::format(*v))
}

fn as_opt_money<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(m) => s.serialize_str(&money::format(*m)),
        None => s.serialize_none(),
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

/// The report and how many users qualified (the list holds at most `limit` of them).
pub async fn top_spenders(
    conn: &Conn,
    scope: &PanelScope,
    p: &TopSpendersParams,
    now: i64,
) -> AppResult<(Vec<TopSpenderRow>, usize)> {
    let scope = &crate::common::explicit(conn, scope).await?;
    let from = now - p.window_hours * 3600;
    let sc = scope.sql("panel_id", p.panel);
    let mut sums = Sums::default();
    // Summed here rather than with GROUP BY: SQLite would sort every row of the window by username
    // first, which costs more than reading them (the rows come from the covering created indexes).
    let mut rows = conn
        .query(
            &format!(
                "SELECT panel_id, user, COALESCE(charge, 0) FROM orders_cache
                 WHERE {sc} AND created >= ?1 AND created <= ?2 AND user IS NOT NULL AND status NOT IN ('canceled', 'fail')"
            ),
            params![from, now],
        )
        .await?;
    while let Some(r) = rows.next().await? {
        sums.of(r.get::<i64>(0)?, r.get_str(1)?).spend += r.get::<i64>(2)?;
    }
    let mut rows = conn
        .query(
            &format!(
                "SELECT panel_id, user, COALESCE(amount, 0) FROM payments_cache
                 WHERE {sc} AND created >= ?1 AND created <= ?2 AND user IS NOT NULL AND status = 'completed'"
            ),
            params![from, now],
        )
        .await?;
    while let Some(r) = rows.next().await? {
        let a = sums.of(r.get::<i64>(0)?, r.get_str(1)?);
        a.pay_count += 1;
        a.pay_total += r.get::<i64>(2)?;
    }
    let qualifies =
        |a: &Acc| a.pay_count >= p.min_payments && a.spend >= p.min_spend && (a.spend > 0 || a.pay_count > 0);
    let mut list: Vec<(i64, &str, Acc)> =
        sums.iter().filter(|(_, _, a)| qualifies(a)).map(|(p, u, a)| (p, u, *a)).collect();
    // Users' details: a profile restricted to user ids needs them to filter; otherwise only the
    // listed users' are read (a wide window qualifies thousands of users).
    let mut users = HashMap::new();
    if !p.user_ids.is_empty() {
        let keys: Vec<(i64, String)> = list.iter().map(|(p, u, _)| (*p, u.to_string())).collect();
        users = user_info(conn, keys.iter()).await?;
        list.retain(|(panel, u, _)| {
            users.get(&(*panel, u.to_string())).is_some_and(|i| p.user_ids.contains(&i.0))
        });
    }
    let order = |a: &(i64, &str, Acc), b: &(i64, &str, Acc)| {
        b.2.spend.cmp(&a.2.spend).then(b.2.pay_total.cmp(&a.2.pay_total)).then((a.0, a.1).cmp(&(b.0, b.1)))
    };
    let total = list.len();
    // Only the listed rows need sorting: pick them first (a 72 h window qualifies tens of thousands).
    if list.len() > p.limit {
        list.select_nth_unstable_by(p.limit, order);
        list.truncate(p.limit);
    }
    list.sort_by(order);
    let list: Vec<((i64, String), Acc)> = list.into_iter().map(|(p, u, a)| ((p, u.to_string()), a)).collect();
    if p.user_ids.is_empty() {
        users = user_info(conn, list.iter().map(|(k, _)| k)).await?;
    }
    let top = top_services(conn, &list.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(), from, now).await?;
    let out = list
        .into_iter()
        .map(|(k, a)| {
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

/// The cached details of these users, a few hundred usernames per query.
async fn user_info<'a>(
    conn: &Conn,
    keys: impl Iterator<Item = &'a (i64, String)>,
) -> AppResult<HashMap<(i64, String), UserInfo>> {
    let mut by_panel: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for (panel, name) in keys {
        by_panel.entry(*panel).or_default().push(name);
    }
    let mut users = HashMap::new();
    for (panel, names) in by_panel {
        for chunk in names.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let args: Vec<libsql::Value> = chunk.iter().map(|n| libsql::Value::Text(n.to_string())).collect();
            let rows = conn
                .query(
                    &format!(
                        "SELECT username, id, email, created, spent FROM users_cache WHERE panel_id = {panel} AND username IN ({marks})"
                    ),
                    args,
                )
                .await?;
            for (name, id, email, created, spent) in collect(rows, |r| {
                Ok((
                    r.get::<String>(0)?,
                    r.get::<i64>(1)?,
                    shared::db::opt_text(r, 2)?,
                    shared::db::opt_i64(r, 3)?,
                    shared::db::opt_i64(r, 4)?,
                ))
            })
            .await?
            {
                users.insert((panel, name), (id, email, created, spent));
            }
        }
    }
    Ok(users)
}

/// Each user's 3 most-ordered service ids in the window (by order count; ties by lower id).
async fn top_services(
    conn: &Conn,
    users: &[(i64, String)],
    from: i64,
    to: i64,
) -> AppResult<HashMap<(i64, String), Vec<i64>>> {
    let mut out: HashMap<(i64, String), Vec<(i64, i64)>> = HashMap::new();
    let mut panels: Vec<i64> = users.iter().map(|k| k.0).collect();
    panels.sort_unstable();
    panels.dedup();
    for panel in panels {
        let names: Vec<&str> = users.iter().filter(|k| k.0 == panel).map(|k| k.1.as_str()).collect();
        for chunk in names.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut args: Vec<libsql::Value> = vec![libsql::Value::Integer(from), libsql::Value::Integer(to)];
            args.extend(chunk.iter().map(|n| libsql::Value::Text(n.to_string())));
            let rows = conn
                .query(
                    &format!(
                        "SELECT user, service_id, COUNT(*) FROM orders_cache WHERE panel_id = {panel} AND created >= ?1
                         AND created <= ?2 AND service_id IS NOT NULL AND user IN ({marks}) GROUP BY user, service_id"
                    ),
                    args,
                )
                .await?;
            for (u, s, n) in
                collect(rows, |r| Ok((r.get::<String>(0)?, r.get::<i64>(1)?, r.get::<i64>(2)?))).await?
            {
                out.entry((panel, u)).or_default().push((s, n));
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(k, mut v)| {
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            (k, v.into_iter().take(3).map(|x| x.0).collect())
        })
        .collect())
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
