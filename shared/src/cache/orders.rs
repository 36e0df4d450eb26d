//! `orders_cache`: a panel's orders as the sync stores them, read by the lists, the order page, the
//! reports and the admin API.

use libsql::Value;

use super::upsert::{fingerprinted, opt_i, opt_s, Table};
use crate::db::rows::{opt_i64, opt_text};
use crate::db::Row;
use crate::error::AppResult;
use crate::pp::rows::OrderRow;

/// How the sync writes an order; the fingerprint covers every rewritten column, so a re-check
/// compares one number per order.
pub const TABLE: Table = Table {
    name: "orders_cache",
    columns: &[
        "panel_id",
        "id",
        "external_id",
        "user",
        "creation_type",
        "charge",
        "currency",
        "provider_charge",
        "link",
        "start_count",
        "quantity",
        "remains",
        "service_id",
        "service_type",
        "service_name",
        "provider",
        "status",
        "mode",
        "ip_address",
        "created",
        "last_update",
        "checked_at",
        "fingerprint",
    ],
    key: &["panel_id", "id"],
    insert_only: &["checked_at"],
    fingerprint: Some("fingerprint"),
};

/// The values of `TABLE`'s columns for an order read from its panel at `checked_at`.
pub fn values(panel_id: i64, checked_at: i64, o: OrderRow) -> Vec<Value> {
    let row = vec![
        Value::Integer(panel_id),
        Value::Integer(o.id),
        opt_s(o.external_id),
        opt_s(o.user),
        opt_s(o.creation_type),
        opt_i(o.charge),
        opt_s(o.currency),
        opt_i(o.provider_charge),
        opt_s(o.link),
        opt_i(o.start_count),
        opt_i(o.quantity),
        opt_i(o.remains),
        opt_i(o.service_id),
        opt_s(o.service_type),
        opt_s(o.service_name),
        opt_s(o.provider),
        Value::Text(o.status),
        opt_s(o.mode),
        opt_s(o.ip_address),
        Value::Integer(o.created),
        opt_i(o.last_update),
        Value::Integer(checked_at),
    ];
    fingerprinted(&TABLE, row)
}

/// The status words Perfect Panel uses for an order. A panel may send others; they are stored as sent
/// and count as open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    Pending,
    InProgress,
    Processing,
    Completed,
    Partial,
    Canceled,
    Error,
    Fail,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 8] = [
        OrderStatus::Pending,
        OrderStatus::InProgress,
        OrderStatus::Processing,
        OrderStatus::Completed,
        OrderStatus::Partial,
        OrderStatus::Canceled,
        OrderStatus::Error,
        OrderStatus::Fail,
    ];
    /// After these an order no longer changes: the sync stops re-checking it.
    pub const FINAL: [OrderStatus; 3] = [OrderStatus::Completed, OrderStatus::Partial, OrderStatus::Canceled];
    /// Delivered, in whole or in part: what delivery speed and "slow" are judged on.
    pub const FINISHED: [OrderStatus; 2] = [OrderStatus::Completed, OrderStatus::Partial];
    /// Nothing was charged for these: spend leaves them out.
    pub const UNCHARGED: [OrderStatus; 2] = [OrderStatus::Canceled, OrderStatus::Fail];
    /// The provider did not deliver: what "failed" counts (the Provider failing alert, the Providers report).
    pub const FAILED: [OrderStatus; 2] = [OrderStatus::Error, OrderStatus::Fail];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::InProgress => "in_progress",
            OrderStatus::Processing => "processing",
            OrderStatus::Completed => "completed",
            OrderStatus::Partial => "partial",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Error => "error",
            OrderStatus::Fail => "fail",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn is_final(status: &str) -> bool {
        OrderStatus::FINAL.iter().any(|f| f.as_str() == status)
    }

    pub fn is_uncharged(status: &str) -> bool {
        OrderStatus::UNCHARGED.iter().any(|f| f.as_str() == status)
    }
}

/// `OrderStatus::FINAL` as an SQL list. Written out (and checked against the enum in a test) because
/// the partial indexes of the open orders repeat this exact text, and SQLite uses a partial index only
/// for a query whose condition matches its own.
pub const FINAL_SQL: &str = "('completed', 'partial', 'canceled')";
/// `OrderStatus::FINISHED` as an SQL list (the finished-orders index's condition).
pub const FINISHED_SQL: &str = "('completed', 'partial')";
/// `OrderStatus::UNCHARGED` as an SQL list.
pub const UNCHARGED_SQL: &str = "('canceled', 'fail')";
/// `OrderStatus::FAILED` as an SQL list.
pub const FAILED_SQL: &str = "('error', 'fail')";

/// An order as the console shows it.
pub type Order = super::Cached<OrderRow>;

/// The columns `Order::from_row` reads, in its order.
pub const COLUMNS: &str =
    "panel_id, id, external_id, user, creation_type, charge, currency, provider_charge, \
     link, start_count, quantity, remains, service_id, service_type, service_name, provider, status, mode, \
     ip_address, created, last_update";

impl Order {
    pub fn from_row(r: &Row) -> AppResult<Order> {
        Ok(Order {
            panel_id: r.get(0)?,
            row: OrderRow {
                id: r.get(1)?,
                external_id: opt_text(r, 2)?,
                user: opt_text(r, 3)?,
                creation_type: opt_text(r, 4)?,
                charge: opt_i64(r, 5)?,
                currency: opt_text(r, 6)?,
                provider_charge: opt_i64(r, 7)?,
                link: opt_text(r, 8)?,
                start_count: opt_i64(r, 9)?,
                quantity: opt_i64(r, 10)?,
                remains: opt_i64(r, 11)?,
                service_id: opt_i64(r, 12)?,
                service_type: opt_text(r, 13)?,
                service_name: opt_text(r, 14)?,
                provider: opt_text(r, 15)?,
                status: r.get(16)?,
                mode: opt_text(r, 17)?,
                ip_address: opt_text(r, 18)?,
                created: r.get(19)?,
                last_update: opt_i64(r, 20)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql_list(statuses: &[OrderStatus]) -> String {
        let quoted: Vec<String> = statuses.iter().map(|s| format!("'{}'", s.as_str())).collect();
        format!("({})", quoted.join(", "))
    }

    #[test]
    fn the_sql_lists_are_the_enums_sets() {
        assert_eq!(FINAL_SQL, sql_list(&OrderStatus::FINAL));
        assert_eq!(FINISHED_SQL, sql_list(&OrderStatus::FINISHED));
        assert_eq!(UNCHARGED_SQL, sql_list(&OrderStatus::UNCHARGED));
        assert_eq!(FAILED_SQL, sql_list(&OrderStatus::FAILED));
    }

    #[test]
    fn the_open_orders_indexes_use_the_same_condition() {
        let migrations = include_str!("../../migrations/0013_order_fingerprints.sql");
        assert!(migrations.contains(&format!("WHERE status NOT IN {FINAL_SQL}")));
    }

    #[test]
    fn status_words_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("robot"), None);
        assert!(OrderStatus::is_final("partial") && !OrderStatus::is_final("in_progress"));
    }
}
