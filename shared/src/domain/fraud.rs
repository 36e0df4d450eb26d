//! Fraud risk of a payment. Perfect Panel gives none, so the console derives one from what the cache
//! knows, and always says why:
//!
//! | Rule | Weight |
//! |---|---|
//! | First deposit of an account created less than 24 h before it, of at least 100 | medium (high from 500) |
//! | Amount outside the method's Min / Max (Payment methods) | medium |
//! | 3 or more other deposits by the same user in the hour before it | medium (high from 5) |
//! | Orders charging 90 % or more of the amount within 10 minutes after it | medium |
//!
//! Two or more medium reasons make the risk high; none makes it low.

use serde::Serialize;

use crate::db::rows::opt_i64;
use crate::db::Row;
use crate::error::AppResult;

/// Amounts are micro-units of the panel's currency.
pub const LARGE_FIRST_DEPOSIT: i64 = 100_000_000;
pub const VERY_LARGE_FIRST_DEPOSIT: i64 = 500_000_000;
pub const NEW_ACCOUNT_SECS: i64 = 86_400;
pub const BURST_WINDOW_SECS: i64 = 3_600;
pub const SPEND_WINDOW_SECS: i64 = 600;

#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub amount: i64,
    pub created: i64,
    /// When the user's account was created, if the user is cached.
    pub account_created: Option<i64>,
    /// The user's payments before this one (any status).
    pub earlier_payments: i64,
    /// The user's other payments in the hour before this one.
    pub payments_last_hour: i64,
    /// Charges of the user's orders in the 10 minutes after this payment.
    pub spent_right_after: i64,
    pub method_min: Option<i64>,
    pub method_max: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Risk {
    pub level: Level,
    pub reasons: Vec<String>,
}

/// What a payment's risk is judged on, read in the statement that reads the payment (the table
/// aliased `p`), as the columns that follow its own: the account's age, earlier and recent deposits,
/// what was spent right after, the method's bounds. The Payments page and the Risky payment alert
/// read the same columns. INDEXED BY: without statistics (Turso takes no ANALYZE) SQLite 'finds' a
/// user by scanning the panel's users and counts their payments through the panel's (panel, created)
/// index — seconds per page at 100,000 orders instead of milliseconds.
pub fn fact_columns() -> String {
    format!(
        "(SELECT created FROM users_cache u INDEXED BY users_cache_username WHERE u.panel_id = p.panel_id AND u.username = p.user LIMIT 1),
         (SELECT COUNT(*) FROM payments_cache e INDEXED BY payments_cache_user
            WHERE e.panel_id = p.panel_id AND e.user = p.user AND e.created < p.created),
         (SELECT COUNT(*) FROM payments_cache e INDEXED BY payments_cache_user WHERE e.panel_id = p.panel_id AND e.user = p.user
            AND e.created >= p.created - {BURST_WINDOW_SECS} AND e.created <= p.created AND e.id != p.id),
         (SELECT COALESCE(SUM(charge), 0) FROM orders_cache o INDEXED BY orders_cache_user WHERE o.panel_id = p.panel_id AND o.user = p.user
            AND o.created >= p.created AND o.created <= p.created + {SPEND_WINDOW_SECS}),
         (SELECT min_amount FROM payment_methods m WHERE m.internal_name = p.method),
         (SELECT max_amount FROM payment_methods m WHERE m.internal_name = p.method)"
    )
}

/// How many columns `fact_columns` reads.
pub const FACT_COLUMN_COUNT: usize = 6;

/// The facts of a payment of `amount` made at `created`, from the `fact_columns` starting at `first`.
pub fn facts_from(r: &Row, first: usize, amount: i64, created: i64) -> AppResult<Facts> {
    let at = |k: usize| (first + k) as i32;
    Ok(Facts {
        amount,
        created,
        account_created: opt_i64(r, at(0))?,
        earlier_payments: r.get(at(1))?,
        payments_last_hour: r.get(at(2))?,
        spent_right_after: r.get(at(3))?,
        method_min: opt_i64(r, at(4))?,
        method_max: opt_i64(r, at(5))?,
    })
}

/// A payment's risk: none (low, no reasons) without a user or an amount to judge.
pub fn assess_payment(user: Option<&str>, amount: Option<i64>, facts: &Facts) -> Risk {
    match (user, amount) {
        (Some(_), Some(_)) => assess(facts),
        _ => assess(&Facts::default()),
    }
}

pub fn assess(f: &Facts) -> Risk {
    let money = |m: i64| crate::pp::money::display(m, None);
    let mut reasons = Vec::new();
    let mut high = false;
    // Saturating: the numbers come from the panel, and absurd ones must not wrap into a verdict.
    let new_account = f.account_created.is_some_and(|c| f.created.saturating_sub(c) < NEW_ACCOUNT_SECS);
    if new_account && f.earlier_payments == 0 && f.amount >= LARGE_FIRST_DEPOSIT {
        high |= f.amount >= VERY_LARGE_FIRST_DEPOSIT;
        reasons.push(format!("first deposit of {} from an account less than a day old", money(f.amount)));
    }
    if let Some(min) = f.method_min.filter(|m| f.amount < *m) {
        reasons.push(format!("below the method's minimum of {}", money(min)));
    }
    if let Some(max) = f.method_max.filter(|m| f.amount > *m) {
        reasons.push(format!("above the method's maximum of {}", money(max)));
    }
    if f.payments_last_hour >= 3 {
        high |= f.payments_last_hour >= 5;
        reasons.push(format!("{} other deposits in the hour before", f.payments_last_hour));
    }
    if f.amount > 0 && f.spent_right_after.saturating_mul(10) >= f.amount.saturating_mul(9) {
        reasons.push(format!("{} spent within 10 minutes", money(f.spent_right_after)));
    }
    let level = match reasons.len() {
        0 => Level::Low,
        _ if high || reasons.len() >= 2 => Level::High,
        _ => Level::Medium,
    };
    Risk { level, reasons }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: i64 = 1_000_000;

    fn base() -> Facts {
        Facts {
            amount: 20 * UNIT,
            created: 1_000_000,
            account_created: Some(0),
            earlier_payments: 4,
            ..Facts::default()
        }
    }

    #[test]
    fn an_ordinary_deposit_is_low() {
        let r = assess(&base());
        assert_eq!(r.level, Level::Low);
        assert!(r.reasons.is_empty());
    }

    #[test]
    fn each_rule_says_why() {
        let new_big = Facts {
            amount: 150 * UNIT,
            account_created: Some(1_000_000 - 3_600),
            earlier_payments: 0,
            ..base()
        };
        let r = assess(&new_big);
        assert_eq!(r.level, Level::Medium);
        assert!(r.reasons[0].contains("first deposit of 150.00"), "{:?}", r.reasons);
        assert_eq!(assess(&Facts { amount: 600 * UNIT, ..new_big.clone() }).level, Level::High);
        // The same amount from an old account is fine.
        assert_eq!(assess(&Facts { account_created: Some(0), ..new_big }).level, Level::Low);

        let outside = Facts { method_min: Some(25 * UNIT), ..base() };
        assert!(assess(&outside).reasons[0].contains("below the method's minimum of 25.00"));
        let burst = Facts { payments_last_hour: 3, ..base() };
        assert_eq!(assess(&burst).level, Level::Medium);
        assert_eq!(assess(&Facts { payments_last_hour: 5, ..base() }).level, Level::High);
        let spent = Facts { spent_right_after: 18 * UNIT, ..base() };
        assert_eq!(assess(&spent).level, Level::Medium);
        assert_eq!(assess(&Facts { spent_right_after: 17 * UNIT, ..base() }).level, Level::Low);
        // Absurd numbers from a panel saturate instead of wrapping round (or panicking in debug).
        let absurd = Facts {
            amount: i64::MAX,
            spent_right_after: i64::MAX,
            account_created: Some(i64::MIN),
            ..base()
        };
        assert!(assess(&absurd).reasons.iter().any(|r| r.contains("spent within 10 minutes")));
        // Two medium reasons together are high.
        assert_eq!(
            assess(&Facts { spent_right_after: 20 * UNIT, payments_last_hour: 3, ..base() }).level,
            Level::High
        );
    }
}
