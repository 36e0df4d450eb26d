//! `payments_cache`: a panel's payments, read by the payments list (with each one's fraud risk), the
//! user page and the user tracking report.

use super::upsert::Table;
use crate::db::rows::{opt_i64, opt_text};
use crate::db::Row;
use crate::error::AppResult;
use crate::pp::rows::PaymentRow;

/// How the sync writes a payment.
pub const TABLE: Table = Table {
    name: "payments_cache",
    columns: &[
        "panel_id",
        "id",
        "user",
        "amount",
        "currency",
        "method",
        "status",
        "memo",
        "mode",
        "created",
        "updated",
        "checked_at",
    ],
    key: &["panel_id", "id"],
    insert_only: &["checked_at"],
    fingerprint: None,
};

/// A payment as the console shows it.
pub type Payment = super::Cached<PaymentRow>;

/// The columns `payment_from` reads, in its order.
pub const PAYMENT_COLUMNS: &str =
    "panel_id, id, user, amount, currency, method, status, memo, mode, created, updated";

pub fn payment_from(r: &Row) -> AppResult<Payment> {
    Ok(Payment {
        panel_id: r.get(0)?,
        row: PaymentRow {
            id: r.get(1)?,
            user: opt_text(r, 2)?,
            amount: opt_i64(r, 3)?,
            currency: opt_text(r, 4)?,
            method: opt_text(r, 5)?,
            status: opt_text(r, 6)?,
            memo: opt_text(r, 7)?,
            mode: opt_text(r, 8)?,
            created: r.get(9)?,
            updated: opt_i64(r, 10)?,
        },
    })
}
