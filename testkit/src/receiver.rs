//! A stand-in for what alert channels post to, on loopback: a generic webhook, the Telegram Bot API's
//! `sendMessage`, Slack and Discord incoming webhooks. It records every request and answers as the
//! real service would; it can fail or stall on demand. Tests and `serve --demo` point channels at it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};

/// One request received.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// When it arrived (per-chat limits are checked on these).
    pub at: std::time::Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
    /// The message's words, whichever service's shape it came in.
    pub fn text(&self) -> String {
        let v = self.json();
        ["text", "content"].iter().find_map(|k| v[*k].as_str().map(str::to_string)).unwrap_or_default()
    }
}

#[derive(Default)]
pub struct ReceiverState {
    /// Answer this status to the next `fail_times` requests (None = every request).
    pub fail_status: Option<u16>,
    pub fail_times: Option<u32>,
    /// Wait this long before answering (a receiver that times out).
    pub delay: Option<Duration>,
    /// With a 429: the seconds to wait it asks for (Telegram's `parameters.retry_after`, else
    /// `Retry-After`).
    pub retry_after: Option<u64>,
    /// Every request that got a success answer, oldest first.
    pub received: Vec<Received>,
    /// Requests answered with a failure.
    pub failed: usize,
    /// Print each message received on stdout (`serve --demo`).
    pub log: bool,
}

#[derive(Clone)]
pub struct ReceiverHandle {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:port`: append `/hook`, `/slack/…`, `/discord/…`; Telegram's API base as is.
    pub base_url: String,
    state: Arc<Mutex<ReceiverState>>,
}

fn lock(m: &Mutex<ReceiverState>) -> MutexGuard<'_, ReceiverState> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ReceiverHandle {
    /// Serves on a free loopback port from its own thread and runtime, like a separate server.
    pub fn start() -> std::io::Result<ReceiverHandle> {
        let state = Arc::new(Mutex::new(ReceiverState::default()));
        let addr = crate::serve_on_own_thread(Router::new().fallback(receive).with_state(state.clone()))?;
        Ok(ReceiverHandle { addr, base_url: format!("http://{addr}"), state })
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut ReceiverState) -> R) -> R {
        f(&mut lock(&self.state))
    }

    /// Fails the next `times` requests with `status` (None = until switched off).
    pub fn fail(&self, status: u16, times: Option<u32>) {
        self.with(|s| {
            s.fail_status = Some(status);
            s.fail_times = times;
        })
    }

    pub fn received(&self) -> Vec<Received> {
        self.with(|s| s.received.clone())
    }
}

async fn receive(
    State(state): State<Arc<Mutex<ReceiverState>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (delay, fail, retry_after) = {
        let mut s = lock(&state);
        let fail = match (s.fail_status, s.fail_times) {
            (Some(_), Some(0)) => None,
            (Some(code), Some(n)) => {
                s.fail_times = Some(n - 1);
                Some(code)
            }
            (Some(code), None) => Some(code),
            (None, _) => None,
        };
        (s.delay, fail, s.retry_after)
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let path = uri.path().to_string();
    if let Some(code) = fail {
        lock(&state).failed += 1;
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let (429, Some(secs)) = (code, retry_after) {
            // As the services say it: Telegram in its body, Slack and others in a header.
            if path.ends_with("/sendMessage") {
                let body = json!({"ok": false, "error_code": 429, "description": format!("Too Many Requests: retry after {secs}"),
                    "parameters": {"retry_after": secs}});
                return (status, axum::Json(body)).into_response();
            }
            return (status, [("retry-after", secs.to_string())], "slow down").into_response();
        }
        return (status, "the stand-in was told to fail").into_response();
    }
    let got = Received {
        path: path.clone(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
        at: std::time::Instant::now(),
    };
    let mut s = lock(&state);
    if s.log {
        println!("alert received on {path}: {}", got.text().replace('\n', " | "));
    }
    s.received.push(got);
    drop(s);
    if path.ends_with("/sendMessage") {
        axum::Json(json!({"ok": true, "result": {"message_id": 1}})).into_response()
    } else if path.starts_with("/discord") {
        StatusCode::NO_CONTENT.into_response()
    } else {
        "ok".into_response()
    }
}
