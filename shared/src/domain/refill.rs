//! The refill guarantee an order carries: its service name's refill promise (days, lifetime or none,
//! as `service_name::parse` reads it), counted from the order's creation. Support decides refills
//! from it: a delivered order inside its window may be refilled.

use chrono::{DateTime, Datelike, Utc};

use super::service_name::{self, Refill};
use crate::cache::orders::{Order, OrderStatus};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// The name promises no refill, or says nothing about one.
    None,
    Lifetime,
    /// Refill for this many days, until this time (Unix seconds).
    Until {
        days: u32,
        until: i64,
    },
}

pub const DAY: i64 = 86_400;

/// The window a service name promises for an order created at `created`.
pub fn window(service_name: Option<&str>, created: i64) -> Window {
    match service_name.map(service_name::parse).and_then(|p| p.refill_days) {
        None | Some(Refill::Days(0)) => Window::None,
        Some(Refill::Lifetime(_)) => Window::Lifetime,
        Some(Refill::Days(d)) => Window::Until { days: d, until: created + d as i64 * DAY },
    }
}

impl Window {
    pub fn of(o: &Order) -> Window {
        window(o.service_name.as_deref(), o.created)
    }

    /// Whether a refill is still promised at `now`.
    pub fn open_at(self, now: i64) -> bool {
        match self {
            Window::None => false,
            Window::Lifetime => true,
            Window::Until { until, .. } => now < until,
        }
    }

    /// "refill until 12 Jan", "outside the 30-day refill", "lifetime refill", "no refill promised".
    pub fn describe(self, now: i64) -> String {
        match self {
            Window::None => "no refill promised".into(),
            Window::Lifetime => "lifetime refill".into(),
            Window::Until { until, .. } if now < until => format!("refill until {}", day(until, now)),
            Window::Until { days, until } => {
                format!("outside the {days}-day refill (ended {})", day(until, now))
            }
        }
    }
}

/// Whether support may refill `o` now: delivered (completed or partial) and inside its window.
pub fn eligible(o: &Order, now: i64) -> bool {
    OrderStatus::FINISHED.iter().any(|s| s.as_str() == o.status) && Window::of(o).open_at(now)
}

/// "12 Jan", with the year when it is not this year's.
fn day(ts: i64, now: i64) -> String {
    let at = DateTime::<Utc>::from_timestamp(ts, 0).unwrap_or_default();
    let this_year = DateTime::<Utc>::from_timestamp(now, 0).unwrap_or_default().year();
    if at.year() == this_year {
        at.format("%-d %b").to_string()
    } else {
        at.format("%-d %b %Y").to_string()
    }
}

/// The SQL condition (on `orders_cache`) of the orders `eligible` keeps, given the catalogue's
/// services as `(panel_id, service_id, name)`: delivered, of a service promising a refill, created
/// inside its window. "0" when no service promises one.
pub fn eligible_sql(services: &[(i64, i64, String)], now: i64) -> String {
    use std::collections::BTreeMap;
    // (panel, days or None for lifetime) → service ids
    let mut groups: BTreeMap<(i64, Option<u32>), Vec<i64>> = BTreeMap::new();
    for (panel, id, name) in services {
        match window(Some(name), now) {
            Window::None => {}
            Window::Lifetime => groups.entry((*panel, None)).or_default().push(*id),
            Window::Until { days, .. } => groups.entry((*panel, Some(days))).or_default().push(*id),
        }
    }
    if groups.is_empty() {
        return "0".into();
    }
    let alts: Vec<String> = groups
        .into_iter()
        .map(|((panel, days), ids)| {
            let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
            let since = days.map(|d| format!(" AND created > {}", now - d as i64 * DAY)).unwrap_or_default();
            format!("(panel_id = {panel} AND service_id IN ({}){since})", ids.join(","))
        })
        .collect();
    format!("status IN {} AND ({})", crate::cache::orders::FINISHED_SQL, alts.join(" OR "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_from_names() {
        let t = 1_750_000_000;
        assert_eq!(window(Some("Likes | R30 | Instant"), t), Window::Until { days: 30, until: t + 30 * DAY });
        assert_eq!(window(Some("Views [Refill: No]"), t), Window::None);
        assert_eq!(window(Some("Views fast"), t), Window::None);
        assert_eq!(window(Some("Followers R∞"), t), Window::Lifetime);
        let w = window(Some("Likes R30"), t);
        assert!(w.open_at(t + 29 * DAY) && !w.open_at(t + 31 * DAY));
        assert!(w.describe(t).starts_with("refill until "));
        assert!(w.describe(t + 31 * DAY).starts_with("outside the 30-day refill"));
        assert_eq!(Window::None.describe(t), "no refill promised");
    }
}
