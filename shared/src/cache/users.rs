//! `users_cache`: a panel's customers (their balance and spend), read by the users list and page, the
//! fraud risk of payments and the user tracking report.

use super::upsert::Table;
use crate::db::rows::{opt_i64, opt_text};
use crate::db::Row;
use crate::error::AppResult;
use crate::pp::rows::UserRow;

/// How the sync writes a user.
pub const TABLE: Table = Table {
    name: "users_cache",
    columns: &[
        "panel_id",
        "id",
        "username",
        "email",
        "balance",
        "spent",
        "currency",
        "status",
        "created",
        "last_auth",
        "discount",
        "checked_at",
    ],
    key: &["panel_id", "id"],
    insert_only: &["checked_at"],
    fingerprint: None,
};

/// A customer as the console shows them.
pub type User = super::Cached<UserRow>;

/// The columns `user_from` reads, in its order.
pub const USER_COLUMNS: &str =
    "panel_id, id, username, email, balance, spent, currency, status, created, last_auth, discount";

pub fn user_from(r: &Row) -> AppResult<User> {
    Ok(User {
        panel_id: r.get(0)?,
        row: UserRow {
            id: r.get(1)?,
            username: r.get(2)?,
            email: opt_text(r, 3)?,
            balance: opt_i64(r, 4)?,
            spent: opt_i64(r, 5)?,
            currency: opt_text(r, 6)?,
            status: opt_text(r, 7)?,
            created: opt_i64(r, 8)?,
            last_auth: opt_i64(r, 9)?,
            discount: opt_text(r, 10)?,
        },
    })
}
