//! The public API v2 client (`POST /api/v2`, form `key` + `action`) with a customer key: the catalogue
//! of our panels and of competitors.

use serde_json::Value;

use super::error::PpError;
use super::lenient::text;
use super::transport::{ClientOptions, Transport};
use crate::crypto::Secret;

pub struct PublicClient {
    url: String,
    key: Secret,
    transport: Transport,
}

fn check(v: &Value) -> Result<(), PpError> {
    if let Some(err) = v.as_object().and_then(|o| o.get("error")) {
        let message = text(Some(err)).unwrap_or_else(|| "error".into());
        let lower = message.to_lowercase();
        if lower.contains("key")
            && (lower.contains("invalid") || lower.contains("incorrect") || lower.contains("wrong"))
        {
            return Err(PpError::KeyRejected(401));
        }
        return Err(PpError::Api { code: 1, message });
    }
    Ok(())
}

impl PublicClient {
    pub fn new(site: &str, key: Secret, opts: &ClientOptions) -> Result<PublicClient, PpError> {
        Ok(PublicClient {
            url: crate::domain::panels::public_api_url(site),
            key,
            transport: Transport::new(site, opts)?,
        })
    }

    async fn call(&self, action: &str, extra: &[(&str, &str)]) -> Result<Value, PpError> {
        let mut form: Vec<(&str, &str)> = vec![("key", self.key.expose()), ("action", action)];
        form.extend_from_slice(extra);
        self.transport.send(|http| http.post(&self.url).form(&form), check).await
    }

    /// `action=services`: the raw rows (parse each with `ServiceRow::parse`).
    pub async fn services(&self) -> Result<Vec<Value>, PpError> {
        match self.call("services", &[]).await? {
            Value::Array(a) => Ok(a),
            _ => Err(PpError::Malformed("the services answer is not a list".into())),
        }
    }

    pub async fn balance(&self) -> Result<Value, PpError> {
        self.call("balance", &[]).await
    }

    /// `action=status` for up to 100 orders: an object keyed by order id.
    pub async fn status(&self, ids: &[i64]) -> Result<Value, PpError> {
        let list: Vec<String> = ids.iter().take(100).map(|i| i.to_string()).collect();
        self.call("status", &[("orders", &list.join(","))]).await
    }
}
