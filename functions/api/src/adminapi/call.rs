//! One admin API request as handlers see it: the key, the query read strictly (a bad value is a 400 in
//! words, never a 500), and Perfect Panel's envelope with offset paging.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use shared::auth::ApiCaller;
use shared::base_path::Site;
use shared::{AppError, AppResult, AppState};

pub const MAX_LIMIT: i64 = 1000;
pub const DEFAULT_LIMIT: i64 = 100;

pub struct Call {
    pub caller: ApiCaller,
    pub query: Vec<(String, String)>,
    /// `scheme://host/path` of this request as the client reached it (base path included), for
    /// `next_page_href`.
    pub url: String,
}

impl FromRequestParts<AppState> for Call {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = ApiCaller::from_request_parts(parts, state).await?;
        let query: Vec<(String, String)> = match parts.uri.query() {
            Some(q) => serde_urlencoded::from_str(q)
                .map_err(|_| AppError::bad_request("The query string could not be read."))?,
            None => Vec::new(),
        };
        let url = Site::from_parts(&parts.headers, &parts.extensions).url(parts.uri.path());
        Ok(Call { caller, query, url })
    }
}

impl Call {
    /// A non-empty parameter, trimmed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    pub fn int(&self, name: &str, what: &str) -> AppResult<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| AppError::bad_request(format!("{name} must be {what}, got {v:?}."))),
        }
    }

    /// Whether the query names `name` at all, empty or not.
    fn sent(&self, name: &str) -> bool {
        self.query.iter().any(|(k, _)| k == name)
    }

    /// One of `allowed`, or a 400 listing them: a typo (`failed`) must not read as "no rows". Sent
    /// empty is a typo too.
    pub fn choice(&self, name: &str, allowed: &[&str]) -> AppResult<Option<&str>> {
        match self.get(name) {
            Some(v) if allowed.contains(&v) => Ok(Some(v)),
            None if !self.sent(name) => Ok(None),
            got => Err(AppError::bad_request(format!(
                "{name} must be one of {}, got {:?}.",
                allowed.join(", "),
                got.unwrap_or("")
            ))),
        }
    }

    /// A comma separated list of ids; at most 1000 of them. Sent empty (`service_ids=`) is a 400, not
    /// "every id".
    pub fn ids(&self, name: &str) -> AppResult<Option<Vec<i64>>> {
        let Some(v) = self.get(name) else {
            if self.sent(name) {
                return Err(AppError::bad_request(format!(
                    "{name} must be a comma separated list of numbers, got an empty value."
                )));
            }
            return Ok(None);
        };
        let mut out = Vec::new();
        for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let id = part.parse::<i64>().map_err(|_| {
                AppError::bad_request(format!(
                    "{name} must be a comma separated list of numbers, got {part:?}."
                ))
            })?;
            out.push(id);
        }
        if out.len() > 1000 {
            return Err(AppError::bad_request(format!("{name} may list at most 1000 ids.")));
        }
        Ok(Some(out))
    }

    /// `limit` (1–1000, default 100) and `offset` (≥ 0).
    pub fn paging(&self) -> AppResult<(i64, i64)> {
        let limit = self.int("limit", "a number from 1 to 1000")?.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::bad_request(format!(
                "limit must be between 1 and {MAX_LIMIT}, got {limit}."
            )));
        }
        let offset = self.int("offset", "a number of rows to skip")?.unwrap_or(0);
        if offset < 0 {
            return Err(AppError::bad_request("offset must not be negative."));
        }
        Ok((limit, offset))
    }

    /// `sort=date-desc|date-asc`; true = ascending.
    pub fn ascending(&self) -> AppResult<bool> {
        match self.get("sort") {
            None | Some("date-desc") => Ok(false),
            Some("date-asc") => Ok(true),
            Some(v) => Err(AppError::bad_request(format!("sort must be date-desc or date-asc, got {v:?}."))),
        }
    }

    fn href(&self, offset: i64) -> String {
        let mut q: Vec<(String, String)> =
            // The key stays out of the links: they end up in clients' and proxies' logs.
            self.query.iter().filter(|(k, _)| k != "offset" && k != "apikey").cloned().collect();
        q.push(("offset".into(), offset.to_string()));
        format!("{}?{}", self.url, serde_urlencoded::to_string(&q).unwrap_or_default())
    }

    /// A list answer: `data.count` is the total matching, `next_page_href` is empty on the last page.
    pub fn list(&self, count: i64, limit: i64, offset: i64, list: Vec<Value>) -> Response {
        self.list_with(count, limit, offset, list, Map::new())
    }

    /// [`Call::list`] with more fields in `data` (a report's totals).
    pub fn list_with(
        &self,
        count: i64,
        limit: i64,
        offset: i64,
        list: Vec<Value>,
        extra: Map<String, Value>,
    ) -> Response {
        // Saturating: `offset` is any non-negative number a client sends.
        let end = offset.saturating_add(limit);
        let next = if end < count { self.href(end) } else { String::new() };
        let prev = if offset > 0 { self.href((offset - limit).max(0)) } else { String::new() };
        let mut data = Map::new();
        data.insert("count".into(), count.into());
        data.insert("list".into(), Value::Array(list));
        data.extend(extra);
        Json(json!({
            "data": data,
            "pagination": {"prev_page_href": prev, "next_page_href": next, "offset": offset, "limit": limit},
            "error_message": "", "error_code": 0
        }))
        .into_response()
    }
}

/// A single-object answer.
pub fn object(data: Value) -> Response {
    Json(json!({"data": data, "error_message": "", "error_code": 0})).into_response()
}

/// A path id: a number, else a 400 (axum's own rejection would be plain text).
pub fn path_id(raw: &str, what: &str) -> AppResult<i64> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| AppError::bad_request(format!("The {what} id must be a number, got {raw:?}.")))
}
