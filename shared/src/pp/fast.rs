//! The fast path for order pages: the envelope and each row deserialised straight into typed fields
//! (no `serde_json::Value` tree per row). It understands the common shapes (integers, strings, money
//! objects with string values, `user` as a string); any other shape in a row, or any surprise in the
//! envelope, makes the whole answer go through the general `OrderRow::parse` on a `Value`, so results and error messages are the same either way.
//! Rows without an id or a creation time are rejected here with the general parser's reasons.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
#[cfg(test)]
use serde_json::Value;

use super::money::parse_decimal;
use super::rows::OrderRow;

/// A scalar as a panel may send it; `Other` is anything the fast path leaves to the general one.
#[derive(Default)]
enum Loose<'a> {
    #[default]
    Absent,
    Null,
    Int(i64),
    Str(Cow<'a, str>),
    Other,
}

struct LooseVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for LooseVisitor<'a> {
    type Value = Loose<'a>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Loose::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map(Loose::Int).unwrap_or(Loose::Other))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Loose::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Loose::Null)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::Other)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor(Default::default()))
    }
}

/// Not the fast path's business: the row goes through the general parser.
struct Fallback;

impl Loose<'_> {
    /// As `lenient::int`.
    fn int(&self) -> Result<Option<i64>, Fallback> {
        match self {
            Loose::Absent | Loose::Null => Ok(None),
            Loose::Int(i) => Ok(Some(*i)),
            Loose::Str(s) => Ok(s.trim().parse().ok()),
            Loose::Other => Err(Fallback),
        }
    }

    /// As `lenient::text`.
    fn text(&self) -> Result<Option<String>, Fallback> {
        match self {
            Loose::Absent | Loose::Null => Ok(None),
            Loose::Int(i) => Ok(Some(i.to_string())),
            Loose::Str(s) => Ok(Some(s.to_string())),
            Loose::Other => Err(Fallback),
        }
    }
}

/// A money field: `{"value": …, "currency_code": …}`, a string or an integer (as `money::parse`).
#[derive(Default)]
enum Money<'a> {
    #[default]
    Absent,
    Parsed(Option<(i64, Option<String>)>),
    Other(std::marker::PhantomData<&'a ()>),
}

struct MoneyVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for MoneyVisitor<'a> {
    type Value = Money<'a>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a money value")
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Money::Parsed(parse_decimal(&v.to_string()).map(|m| (m, None))))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Money::Parsed(parse_decimal(&v.to_string()).map(|m| (m, None))))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Money::Other(Default::default()))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Money::Parsed(None))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Money::Parsed(parse_decimal(v).map(|m| (m, None))))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Money::Parsed(None))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Money::Parsed(None))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Money::Parsed(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut value, mut code, mut currency): (Loose<'a>, Loose<'a>, Loose<'a>) =
            (Loose::Absent, Loose::Absent, Loose::Absent);
        let mut odd = false;
        while let Some(k) = map.next_key::<Cow<'de, str>>()? {
            let slot = match k.as_ref() {
                "value" => &mut value,
                "currency_code" => &mut code,
                "currency" => &mut currency,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            // A repeated key: the general parser keeps the last one; leave it to it.
            odd |= !matches!(slot, Loose::Absent);
            *slot = map.next_value::<Loose<'a>>()?;
        }
        let micros = match &value {
            Loose::Absent | Loose::Null => None,
            Loose::Str(s) => parse_decimal(s),
            Loose::Int(i) => parse_decimal(&i.to_string()),
            Loose::Other => return Ok(Money::Other(Default::default())),
        };
        if odd {
            return Ok(Money::Other(Default::default()));
        }
        let cur = match (&code, &currency) {
            (Loose::Absent, Loose::Str(s)) => Some(s.to_string()),
            (Loose::Str(s), _) => Some(s.to_string()),
            _ => None,
        };
        Ok(Money::Parsed(micros.map(|m| (m, cur))))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Money<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MoneyVisitor(Default::default()))
    }
}

impl Money<'_> {
    fn get(self) -> Result<Option<(i64, Option<String>)>, Fallback> {
        match self {
            Money::Absent => Ok(None),
            Money::Parsed(p) => Ok(p),
            Money::Other(_) => Err(Fallback),
        }
    }
}

/// The fields of an order the console keeps; others are skipped unread.
#[derive(Deserialize)]
struct RawOrder<'a> {
    #[serde(borrow, default)]
    id: Loose<'a>,
    #[serde(borrow, default)]
    external_id: Loose<'a>,
    #[serde(borrow, default)]
    user: Loose<'a>,
    #[serde(borrow, default)]
    creation_type: Loose<'a>,
    #[serde(borrow, default)]
    charge: Money<'a>,
    #[serde(borrow, default)]
    provider_charge: Money<'a>,
    #[serde(borrow, default)]
    link: Loose<'a>,
    #[serde(borrow, default)]
    start_count: Loose<'a>,
    #[serde(borrow, default)]
    quantity: Loose<'a>,
    #[serde(borrow, default)]
    remains: Loose<'a>,
    #[serde(borrow, default)]
    service_id: Loose<'a>,
    #[serde(borrow, default)]
    service_type: Loose<'a>,
    #[serde(borrow, default)]
    service_name: Loose<'a>,
    #[serde(borrow, default)]
    provider: Loose<'a>,
    #[serde(borrow, default)]
    status: Loose<'a>,
    #[serde(borrow, default)]
    mode: Loose<'a>,
    #[serde(borrow, default)]
    ip_address: Loose<'a>,
    #[serde(borrow, default)]
    created: Loose<'a>,
    #[serde(borrow, default)]
    created_timestamp: Loose<'a>,
    #[serde(borrow, default)]
    last_update: Loose<'a>,
    #[serde(borrow, default)]
    last_update_timestamp: Loose<'a>,
}

/// As `lenient::timestamp`: `<field>_timestamp`, else the text of `<field>`.
fn timestamp(ts: &Loose, text: &Loose) -> Result<Option<i64>, Fallback> {
    if let Some(t) = ts.int()? {
        return Ok(Some(super::lenient::unix_seconds(t)));
    }
    Ok(match text {
        Loose::Absent | Loose::Null => None,
        Loose::Int(i) => Some(super::lenient::unix_seconds(*i)),
        Loose::Str(s) => super::lenient::timestamp_text(s),
        Loose::Other => return Err(Fallback),
    })
}

impl RawOrder<'_> {
    fn row(self) -> Result<Result<OrderRow, String>, Fallback> {
        let Some(id) = self.id.int()? else { return Ok(Err("id is missing or not a number".into())) };
        let Some(created) = timestamp(&self.created_timestamp, &self.created)? else {
            return Ok(Err("created is missing or not a time".into()));
        };
        let user = match &self.user {
            Loose::Other => return Err(Fallback),
            u => u.text()?,
        };
        let charge = self.charge.get()?;
        Ok(Ok(OrderRow {
            id,
            created,
            external_id: self.external_id.text()?.filter(|s| !s.is_empty()),
            user,
            creation_type: self.creation_type.text()?,
            currency: charge.as_ref().and_then(|c| c.1.clone()),
            charge: charge.map(|c| c.0),
            provider_charge: self.provider_charge.get()?.map(|c| c.0),
            link: self.link.text()?,
            start_count: self.start_count.int()?,
            quantity: self.quantity.int()?,
            remains: self.remains.int()?,
            service_id: self.service_id.int()?,
            service_type: self.service_type.text()?,
            service_name: self.service_name.text()?,
            provider: self.provider.text()?,
            status: self
                .status
                .text()?
                .map(|s| s.trim().to_lowercase().replace(' ', "_"))
                .unwrap_or_else(|| "unknown".into()),
            mode: self.mode.text()?,
            ip_address: self.ip_address.text()?,
            last_update: timestamp(&self.last_update_timestamp, &self.last_update)?,
        }))
    }
}

/// One order row from its JSON text: the fast path, or the general parser for unusual shapes.
#[cfg(test)]
fn order_row(raw: &str) -> Result<OrderRow, String> {
    if let Ok(r) = serde_json::from_str::<RawOrder>(raw) {
        if let Ok(row) = r.row() {
            return row;
        }
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(v) => OrderRow::parse(&v),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

/// A list answer read lazily: rows stay raw JSON text until parsed one by one.
#[derive(Deserialize)]
struct RawList<'a> {
    #[serde(borrow, default)]
    data: Option<RawData<'a>>,
    #[serde(borrow, default)]
    pagination: Option<RawPagination<'a>>,
    #[serde(borrow, default)]
    error_code: Loose<'a>,
}

#[derive(Deserialize)]
struct RawData<'a> {
    #[serde(borrow, default)]
    count: Loose<'a>,
    #[serde(borrow, default)]
    list: Option<Vec<RawOrder<'a>>>,
}

#[derive(Deserialize)]
struct RawPagination<'a> {
    #[serde(borrow, default)]
    next_page_href: Loose<'a>,
}

/// A typed page of orders: each row parsed, or the reason it could not be.
#[derive(Debug)]
pub struct OrdersPage {
    pub rows: Vec<Result<OrderRow, String>>,
    pub count: Option<i64>,
    pub has_next: bool,
    /// Ids of the rows skipped although their id could be read (a garbled creation time): the sync
    /// asks for them again later, instead of losing them behind its position.
    pub unreadable: Vec<i64>,
}

/// The fast reading of an order list answer; None when anything is unusual (the caller then takes the
/// general path, which also produces the right error).
pub(crate) fn orders_page(body: &[u8], limit: Option<usize>) -> Option<OrdersPage> {
    let raw: RawList = serde_json::from_slice(body).ok()?;
    match raw.error_code {
        Loose::Absent | Loose::Null | Loose::Int(0) => {}
        _ => return None,
    }
    let data = raw.data?;
    let list = data.list?;
    let count = data.count.int().ok()?;
    let mut rows = Vec::with_capacity(list.len());
    let mut unreadable = Vec::new();
    for raw in list {
        let id = raw.id.int().ok().flatten();
        let row = raw.row().ok()?;
        if let (Err(_), Some(id)) = (&row, id) {
            unreadable.push(id);
        }
        rows.push(row);
    }
    // As `AdminClient::list`: stop when a page is short or there is no next page.
    let next = match raw.pagination {
        None => None,
        Some(p) => match p.next_page_href {
            Loose::Absent => None,
            Loose::Str(s) => Some(!s.is_empty()),
            _ => Some(false),
        },
    };
    let full = limit.is_some_and(|l| rows.len() >= l);
    let has_next = full && next.unwrap_or(true);
    Some(OrdersPage { rows, count, has_next, unreadable })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn both(v: Value) {
        let text = v.to_string();
        assert_eq!(order_row(&text), OrderRow::parse(&v), "{text}");
    }

    #[test]
    fn the_fast_path_agrees_with_the_general_one() {
        both(json!({"id": 76446133, "external_id": "43366130", "user": "youtubee", "creation_type": "api",
            "charge": {"value": "0.12000", "currency_code": "USD", "formatted": "$0.12"},
            "provider_charge": {"value": "0.08000", "currency_code": "USD"}, "link": "https://x/1",
            "start_count": "14", "quantity": 1000, "remains": 1000, "service_id": 4404, "status": "In progress",
            "created": "2025-06-19 10:45:57", "last_update": "2025-06-19 11:00:00"}));
        both(
            json!({"id": "12", "created_timestamp": 5, "user": {"username": "bob"}, "charge": "1.5", "currency": "EUR"}),
        );
        both(
            json!({"id": 1, "created": 7, "charge": {"value": 2, "currency": "EUR"}, "quantity": 1.0, "status": null}),
        );
        both(
            json!({"id": 1, "created_timestamp": "x", "created": "2025-06-19T10:45:57Z", "external_id": ""}),
        );
        both(json!({"id": {"unexpected": "object"}, "created_timestamp": "yesterday"}));
        both(json!({"id": 1, "created": "soon"}));
        both(json!({"id": 1, "created_timestamp": 1_750_329_957_000i64}));
        both(json!({"id": 1, "created": 1, "charge": {"value": "1", "currency_code": 5, "currency": "EUR"}}));
        both(json!({"id": 1, "created": 1, "is_autocomplete": false, "extra": [1, {"a": 2}]}));
    }

    #[test]
    fn reads_a_page() {
        let body = json!({"data": {"count": "3", "list": [{"id": 1, "created": 1}, {"id": "x"}]},
            "pagination": {"next_page_href": ""}, "error_code": 0});
        let p = orders_page(body.to_string().as_bytes(), Some(2)).unwrap();
        assert_eq!((p.count, p.has_next, p.rows.len()), (Some(3), false, 2));
        assert!(p.rows[1].is_err());
        assert!(p.unreadable.is_empty(), "no id to ask for again");
        let body =
            json!({"data": {"count": 2, "list": [{"id": 1, "created": 1}, {"id": "7", "created": "soon"}]}});
        let p = orders_page(body.to_string().as_bytes(), Some(2)).unwrap();
        assert_eq!(p.unreadable, vec![7]);
        let err = json!({"data": [], "error_code": 401});
        assert!(orders_page(err.to_string().as_bytes(), Some(2)).is_none());
    }
}
