//! The admin API v2 client: `X-Api-Key`, the `{data, pagination, error_code, error_message}` envelope
//! checked on every answer (errors can come with HTTP 200), offset paging with `limit` ≤ 1000.

use serde_json::{json, Value};

use super::error::PpError;
use super::fast::{self, OrdersPage};
use super::lenient::{int, text};
use super::rows::OrderRow;
use super::transport::{ClientOptions, Transport};
use crate::crypto::Secret;

pub struct AdminClient {
    base: String,
    key: Secret,
    transport: Transport,
}

/// One page of a list: raw rows (parsed one by one by the caller), `data.count`, whether more follow.
#[derive(Debug)]
pub struct ListPage {
    pub rows: Vec<Value>,
    pub count: Option<i64>,
    pub has_next: bool,
}

fn check_envelope(v: &Value) -> Result<(), PpError> {
    let code = int(v.get("error_code")).unwrap_or(0);
    if code != 0 {
        let message =
            text(v.get("error_message")).filter(|m| !m.is_empty()).unwrap_or_else(|| "no message".into());
        if code == 401 || code == 403 {
            return Err(PpError::KeyRejected(code as u16));
        }
        return Err(PpError::Api { code, message });
    }
    if !v.is_object() {
        return Err(PpError::Malformed("the answer is not a JSON object".into()));
    }
    Ok(())
}

impl AdminClient {
    /// `site` is the panel's normalised base URL; the API lives at `/adminapi/v2` on it.
    pub fn new(site: &str, key: Secret, opts: &ClientOptions) -> Result<AdminClient, PpError> {
        Ok(AdminClient {
            base: crate::domain::panels::admin_api_base(site),
            key,
            transport: Transport::new(site, opts)?,
        })
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, PpError> {
        let url = format!("{}{path}", self.base);
        self.transport
            .send(|http| http.get(&url).query(query).header("X-Api-Key", self.key.expose()), check_envelope)
            .await
    }

    /// `GET /<resource>` with the given query (limit, offset, filters).
    pub async fn list(&self, resource: &str, query: &[(&str, String)]) -> Result<ListPage, PpError> {
        let v = self.get(&format!("/{resource}"), query).await?;
        list_page(v, query_limit(query))
    }

    /// `GET /orders` with the given query, each row parsed into an `OrderRow` (or the reason it could
    /// not be) without building a JSON tree per row.
    pub async fn list_orders(&self, query: &[(&str, String)]) -> Result<OrdersPage, PpError> {
        let url = format!("{}/orders", self.base);
        let limit = query_limit(query);
        let parse = |body: &[u8]| -> Result<Result<OrdersPage, Value>, PpError> {
            if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
                if let Some(page) = fast::orders_page(body, limit) {
                    return Ok(Ok(page));
                }
            }
            let value: Value = serde_json::from_slice(body).map_err(|e| PpError::Malformed(e.to_string()))?;
            check_envelope(&value)?;
            Ok(Err(value))
        };
        let answer = self
            .transport
            .send_parsed(
                |http| http.get(&url).query(query).header("X-Api-Key", self.key.expose()),
                check_envelope,
                parse,
            )
            .await?;
        match answer {
            Ok(page) => Ok(page),
            Err(value) => {
                let page = list_page(value, limit)?;
                let rows: Vec<_> = page.rows.iter().map(OrderRow::parse).collect();
                let unreadable = page
                    .rows
                    .iter()
                    .zip(&rows)
                    .filter(|(_, parsed)| parsed.is_err())
                    .filter_map(|(raw, _)| super::rows::id_of(raw))
                    .collect();
                Ok(OrdersPage { rows, count: page.count, has_next: page.has_next, unreadable })
            }
        }
    }
}

fn query_limit(query: &[(&str, String)]) -> Option<usize> {
    query.iter().find(|(k, _)| *k == "limit").and_then(|(_, v)| v.parse::<usize>().ok())
}

/// A list answer as a page: rows, `data.count`, whether more follow.
fn list_page(mut v: Value, limit: Option<usize>) -> Result<ListPage, PpError> {
    let data = v.get_mut("data").map(Value::take).unwrap_or(Value::Null);
    let (rows, count) = match data {
        Value::Object(mut o) => {
            let rows = match o.remove("list") {
                Some(Value::Array(a)) => a,
                Some(Value::Null) | None => Vec::new(),
                Some(_) => return Err(PpError::Malformed("data.list is not a list".into())),
            };
            (rows, int(o.get("count")))
        }
        Value::Array(a) => (a, None),
        Value::Null => (Vec::new(), None),
        _ => return Err(PpError::Malformed("data is neither an object nor a list".into())),
    };
    let next_href = v.pointer("/pagination/next_page_href").and_then(Value::as_str).unwrap_or("");
    let full = limit.is_some_and(|l| rows.len() >= l);
    // Stop when a page is short or there is no next page.
    let has_next = full && (!next_href.is_empty() || v.pointer("/pagination/next_page_href").is_none());
    Ok(ListPage { rows, count, has_next })
}

impl AdminClient {
    /// `GET /tickets/{id}`: the ticket with its `messages`.
    pub async fn ticket(&self, id: i64) -> Result<Value, PpError> {
        let v = self.get(&format!("/tickets/{id}"), &[]).await?;
        v.get("data")
            .cloned()
            .filter(Value::is_object)
            .ok_or_else(|| PpError::Malformed("data is not a ticket".into()))
    }

    /// `POST /tickets/{id}/reply`.
    pub async fn reply(&self, id: i64, message: &str, staff_name: &str) -> Result<(), PpError> {
        let url = format!("{}/tickets/{id}/reply", self.base);
        let body = json!({"message": message, "staff_name": staff_name});
        self.transport
            .send(|http| http.post(&url).header("X-Api-Key", self.key.expose()).json(&body), check_envelope)
            .await
            .map(|_| ())
    }
}

impl AdminClient {
    /// `GET /orders/{id}`: the order with its `actions` flags and `order_buttons` where the panel sends them.
    pub async fn order(&self, id: i64) -> Result<Value, PpError> {
        let v = self.get(&format!("/orders/{id}"), &[]).await?;
        v.get("data")
            .cloned()
            .filter(Value::is_object)
            .ok_or_else(|| PpError::Malformed("data is not an order".into()))
    }

    /// `POST <path>` with a JSON body: an order write. The caller's options decide the tries; writes
    /// are not idempotent, so they are made with one.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, PpError> {
        let url = format!("{}{path}", self.base);
        self.transport
            .send(|http| http.post(&url).header("X-Api-Key", self.key.expose()).json(body), check_envelope)
            .await
    }
}
