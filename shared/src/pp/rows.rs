//! Rows as the console stores them, parsed one by one from a panel's answer. A row that cannot be
//! identified (no id, no creation time) is an `Err` with the reason; the caller logs, counts and skips it.

use serde_json::Value;

use super::lenient::{boolean, int, text, timestamp, username};
use super::money;

#[derive(Clone, Debug, PartialEq)]
pub struct OrderRow {
    pub id: i64,
    pub external_id: Option<String>,
    pub user: Option<String>,
    pub creation_type: Option<String>,
    pub charge: Option<i64>,
    pub currency: Option<String>,
    pub provider_charge: Option<i64>,
    pub link: Option<String>,
    pub start_count: Option<i64>,
    pub quantity: Option<i64>,
    pub remains: Option<i64>,
    pub service_id: Option<i64>,
    pub service_type: Option<String>,
    pub service_name: Option<String>,
    pub provider: Option<String>,
    pub status: String,
    pub mode: Option<String>,
    pub ip_address: Option<String>,
    pub created: i64,
    pub last_update: Option<i64>,
}

fn need_id(row: &Value, field: &str) -> Result<i64, String> {
    int(row.get(field)).ok_or_else(|| format!("{field} is missing or not a number"))
}

/// A row's `id`, when it reads as one.
pub fn id_of(row: &Value) -> Option<i64> {
    int(row.get("id"))
}

fn need_time(row: &Value, field: &str) -> Result<i64, String> {
    timestamp(row, field).ok_or_else(|| format!("{field} is missing or not a time"))
}

impl OrderRow {
    pub fn parse(row: &Value) -> Result<OrderRow, String> {
        let charge = row.get("charge").and_then(money::parse);
        Ok(OrderRow {
            id: need_id(row, "id")?,
            created: need_time(row, "created")?,
            external_id: text(row.get("external_id")).filter(|s| !s.is_empty()),
            user: username(row.get("user")),
            creation_type: text(row.get("creation_type")),
            currency: charge.as_ref().and_then(|c| c.1.clone()),
            charge: charge.map(|c| c.0),
            provider_charge: row.get("provider_charge").and_then(money::parse).map(|c| c.0),
            link: text(row.get("link")),
            start_count: int(row.get("start_count")),
            quantity: int(row.get("quantity")),
            remains: int(row.get("remains")),
            service_id: int(row.get("service_id")),
            service_type: text(row.get("service_type")),
            service_name: text(row.get("service_name")),
            provider: text(row.get("provider")),
            status: text(row.get("status"))
                .map(|s| s.trim().to_lowercase().replace(' ', "_"))
                .unwrap_or_else(|| "unknown".into()),
            mode: text(row.get("mode")),
            ip_address: text(row.get("ip_address")),
            last_update: timestamp(row, "last_update"),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: Option<String>,
    pub balance: Option<i64>,
    pub spent: Option<i64>,
    pub currency: Option<String>,
    pub status: Option<String>,
    pub created: Option<i64>,
    pub last_auth: Option<i64>,
    pub discount: Option<String>,
}

impl UserRow {
    pub fn parse(row: &Value) -> Result<UserRow, String> {
        let balance = row.get("balance").and_then(money::parse);
        Ok(UserRow {
            id: need_id(row, "id")?,
            username: text(row.get("username")).ok_or("username is missing")?,
            email: text(row.get("email")),
            currency: balance.as_ref().and_then(|b| b.1.clone()),
            balance: balance.map(|b| b.0),
            spent: row.get("spent").and_then(money::parse).map(|s| s.0),
            status: text(row.get("status")),
            created: timestamp(row, "created"),
            last_auth: timestamp(row, "last_auth"),
            discount: text(row.get("discount")),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PaymentRow {
    pub id: i64,
    pub user: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub method: Option<String>,
    pub status: Option<String>,
    pub memo: Option<String>,
    pub mode: Option<String>,
    pub created: i64,
    pub updated: Option<i64>,
}

impl PaymentRow {
    pub fn parse(row: &Value) -> Result<PaymentRow, String> {
        let id = int(row.get("payment_id"))
            .or_else(|| int(row.get("id")))
            .ok_or("payment_id/id is missing or not a number")?;
        let amount = row.get("amount").and_then(money::parse);
        Ok(PaymentRow {
            id,
            created: need_time(row, "created")?,
            user: username(row.get("user")),
            currency: amount.as_ref().and_then(|a| a.1.clone()),
            amount: amount.map(|a| a.0),
            method: text(row.get("method")),
            status: text(row.get("status")),
            memo: text(row.get("memo")).filter(|m| !m.is_empty()),
            mode: text(row.get("mode")),
            updated: timestamp(row, "updated"),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TicketRow {
    pub id: i64,
    pub user: Option<String>,
    pub subject: Option<String>,
    pub status: Option<String>,
    pub assignee: Option<String>,
    pub created: i64,
    pub last_update: Option<i64>,
    pub is_read: Option<bool>,
}

impl TicketRow {
    pub fn parse(row: &Value) -> Result<TicketRow, String> {
        let assignee = match row.get("assignee") {
            Some(Value::Object(o)) => text(o.get("name").or_else(|| o.get("username"))),
            other => text(other),
        };
        Ok(TicketRow {
            id: need_id(row, "id")?,
            created: need_time(row, "created")?,
            user: username(row.get("user")),
            subject: text(row.get("subject")),
            status: text(row.get("status")),
            assignee: assignee.filter(|a| !a.is_empty()),
            last_update: timestamp(row, "last_update"),
            is_read: boolean(row.get("is_read")),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MessageRow {
    pub sender_name: Option<String>,
    pub is_staff: bool,
    pub message: String,
    pub created: i64,
}

impl MessageRow {
    pub fn parse(row: &Value) -> Result<MessageRow, String> {
        Ok(MessageRow {
            created: need_time(row, "created")?,
            sender_name: text(row.get("sender_name")).or_else(|| username(row.get("user"))),
            is_staff: boolean(row.get("is_staff")).unwrap_or(false),
            message: text(row.get("message")).unwrap_or_default(),
        })
    }
}

/// What a catalogue says of a service; a rival's catalogue history keeps exactly this
/// (`domain::competitors::catalog::Version`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ServiceTerms {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub category: Option<String>,
    /// Micro-units per 1000.
    pub rate: Option<i64>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub refill: Option<bool>,
    pub cancel: Option<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceRow {
    pub id: i64,
    pub terms: ServiceTerms,
    pub dripfeed: Option<bool>,
}

/// A service reads as its terms (`s.name`).
impl std::ops::Deref for ServiceRow {
    type Target = ServiceTerms;
    fn deref(&self) -> &ServiceTerms {
        &self.terms
    }
}

impl ServiceRow {
    pub fn parse(row: &Value) -> Result<ServiceRow, String> {
        Ok(ServiceRow {
            id: need_id(row, "service")?,
            terms: ServiceTerms {
                name: text(row.get("name")).ok_or("name is missing")?,
                kind: text(row.get("type")),
                category: text(row.get("category")),
                rate: row.get("rate").and_then(money::parse).map(|r| r.0),
                min: int(row.get("min")),
                max: int(row.get("max")),
                refill: boolean(row.get("refill")),
                cancel: boolean(row.get("cancel")),
            },
            dripfeed: boolean(row.get("dripfeed")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_reference_sample_order_parses() {
        let v = json!({"id": 76446133, "external_id": "43366130", "user": "youtubee", "creation_type": "api",
            "charge": {"value": "0.12000", "currency_code": "USD", "formatted": "$0.12"},
            "provider_charge": {"value": "0.08000", "currency_code": "USD", "formatted": "$0.08"},
            "link": "https://vt.tiktok.com/ZSksrKc23/", "start_count": 14, "quantity": 1000, "remains": 1000,
            "service_id": 4404, "service_type": "Default", "service_name": "Tiktok Likes | 1M | 10-20K/D - R30 | Instant Start",
            "provider": "tiktokserver.com", "status": "fail", "mode": "auto", "ip_address": "203.0.113.7",
            "is_autocomplete": false, "is_active_autocomplete": false, "created": "2025-06-19 10:45:57", "created_timestamp": 1750329957});
        let o = OrderRow::parse(&v).unwrap();
        assert_eq!(
            (o.id, o.charge, o.provider_charge, o.created),
            (76446133, Some(120_000), Some(80_000), 1750329957)
        );
        assert_eq!(o.status, "fail");
        assert!(!crate::cache::orders::OrderStatus::is_final(&o.status));
    }

    #[test]
    fn bad_rows_say_why() {
        assert!(OrderRow::parse(&json!({"id": {"x": 1}, "created_timestamp": 1}))
            .unwrap_err()
            .contains("id"));
        assert!(OrderRow::parse(&json!({"id": 1, "created": "yesterday"})).unwrap_err().contains("created"));
        let p = PaymentRow::parse(&json!({"payment_id": "77", "user": {"username": "a"}, "amount": {"value": "5.5"}, "created": "2025-01-01 00:00:00"})).unwrap();
        assert_eq!((p.id, p.user.as_deref(), p.amount), (77, Some("a"), Some(5_500_000)));
        let s = ServiceRow::parse(&json!({"service": "12", "name": "X", "rate": "0.9500", "min": "10", "max": "2147483647", "refill": true})).unwrap();
        assert_eq!((s.id, s.rate, s.max), (12, Some(950_000), Some(2_147_483_647)));
    }
}
