//! One request to a panel: throttle, timeout, retries with exponential backoff and jitter on 429, 5xx,
//! timeouts, connection errors and junk; a clear error after the last try.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde_json::Value;

use super::error::PpError;
use super::throttle::{self, Throttle};
use crate::db::Db;
use crate::outbound;
use crate::state::AppState;

#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub timeout: Duration,
    /// Tries per request, the first included.
    pub attempts: u32,
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Requests per second to one panel (0 = unlimited, for benchmarks against the simulator).
    pub per_second: u32,
    /// The database through which processes calling the same panel share its limit (see
    /// `throttle`); `None` counts this process alone.
    pub shared_through: Option<Db>,
    /// Whether the panel may be on a private or local address (see `crate::outbound`).
    pub allow_private: bool,
}

impl ClientOptions {
    /// These options, with the panel's limit shared through `db` by every process that uses it.
    pub fn shared_through(self, db: &Db) -> Self {
        ClientOptions { shared_through: Some(db.clone()), ..self }
    }

    /// These options as the app uses them: the panel's limit shared through its database, and
    /// private addresses reachable only if its configuration allows them.
    pub fn for_app(self, state: &AppState) -> Self {
        ClientOptions { allow_private: state.config.allow_private_urls, ..self.shared_through(&state.db) }
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(20),
            attempts: 4,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            per_second: 5,
            shared_through: None,
            allow_private: false,
        }
    }
}

pub(crate) struct Transport {
    pub http: reqwest::Client,
    throttle: Arc<Throttle>,
    opts: ClientOptions,
}

impl Transport {
    pub fn new(panel_base: &str, opts: &ClientOptions) -> Result<Transport, PpError> {
        let http = outbound::client_builder(opts.allow_private)
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("panelops/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PpError::Connect(e.to_string()))?;
        Ok(Transport {
            http,
            throttle: throttle::for_panel(panel_base, opts.per_second, opts.shared_through.as_ref()),
            opts: opts.clone(),
        })
    }

    fn pause(&self, attempt: u32, retry_after: Option<u64>) -> Duration {
        let exp = self.opts.backoff.saturating_mul(1u32 << attempt.min(16)).min(self.opts.max_backoff);
        let jitter_ms = rand::thread_rng().gen_range(0..=self.opts.backoff.as_millis().max(1) as u64);
        let base = exp + Duration::from_millis(jitter_ms);
        match retry_after {
            Some(s) => base.max(Duration::from_secs(s).min(self.opts.max_backoff)),
            None => base,
        }
    }

    /// Sends what `build` makes, retrying per the options; `check` rejects answers that carry an error.
    pub async fn send(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        check: impl Fn(&Value) -> Result<(), PpError>,
    ) -> Result<Value, PpError> {
        let parse = |body: &[u8]| {
            let value: Value = serde_json::from_slice(body).map_err(|e| PpError::Malformed(e.to_string()))?;
            check(&value)?;
            Ok(value)
        };
        self.send_parsed(build, &check, parse).await
    }

    /// As `send`, with the body of a successful answer read by `parse` (inside the retries: an answer
    /// it rejects is tried again like junk).
    pub async fn send_parsed<T>(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        check: impl Fn(&Value) -> Result<(), PpError>,
        parse: impl Fn(&[u8]) -> Result<T, PpError>,
    ) -> Result<T, PpError> {
        let mut last = PpError::Connect("no attempt made".into());
        for attempt in 0..self.opts.attempts.max(1) {
            if attempt > 0 {
                let retry_after = match &last {
                    PpError::RateLimited(r) => *r,
                    _ => None,
                };
                tokio::time::sleep(self.pause(attempt - 1, retry_after)).await;
            }
            self.throttle.acquire().await;
            match self.once(&build, &check, &parse).await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_retryable() => {
                    tracing::debug!(attempt, error = %e, "panel request failed, will retry");
                    last = e;
                }
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    async fn once<T>(
        &self,
        build: &impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        check: &impl Fn(&Value) -> Result<(), PpError>,
        parse: &impl Fn(&[u8]) -> Result<T, PpError>,
    ) -> Result<T, PpError> {
        let req = build(&self.http).build().map_err(|e| self.classify(e))?;
        // A written-out address is never resolved, so the client's resolver cannot refuse it.
        outbound::check_url(req.url(), self.opts.allow_private)
            .map_err(|r| PpError::Refused(r.to_string()))?;
        let res = self.http.execute(req).await.map_err(|e| self.classify(e))?;
        if res.status().is_redirection() {
            return Err(PpError::Redirected(outbound::redirect_target(&res)));
        }
        let status = res.status().as_u16();
        if status == 401 || status == 403 {
            return Err(PpError::KeyRejected(status));
        }
        if status == 429 {
            let after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            return Err(PpError::RateLimited(after));
        }
        if status >= 500 {
            return Err(PpError::Status(status));
        }
        let body = res.bytes().await.map_err(|e| self.classify(e))?;
        if status >= 400 {
            let value: Value =
                serde_json::from_slice(&body).map_err(|e| PpError::Malformed(e.to_string()))?;
            check(&value)?;
            return Err(PpError::Status(status));
        }
        parse(&body)
    }

    fn classify(&self, e: reqwest::Error) -> PpError {
        if let Some(refused) = outbound::refusal(&e) {
            PpError::Refused(refused.to_string())
        } else if e.is_timeout() {
            PpError::Timeout(self.opts.timeout.as_secs().max(1))
        } else if e.is_decode() || e.is_body() {
            PpError::Malformed(e.to_string())
        } else {
            // The error text of reqwest never holds headers, so no key can leak through it.
            PpError::Connect(e.without_url().to_string())
        }
    }
}
