//! A loopback stand-in for the AWS Lambda Runtime API, enough to time a real Lambda binary from process
//! start to its first answered invocation: it hands out one event and reports the answer.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{mpsc, Notify};

use shared::{AppError, AppResult};

#[derive(Clone)]
struct Api {
    event: Arc<Mutex<Option<String>>>,
    answers: mpsc::UnboundedSender<String>,
    never: Arc<Notify>,
}

pub struct RuntimeApi {
    pub addr: SocketAddr,
    event: Arc<Mutex<Option<String>>>,
    answers: mpsc::UnboundedReceiver<String>,
}

impl RuntimeApi {
    pub async fn start() -> AppResult<RuntimeApi> {
        let (tx, rx) = mpsc::unbounded_channel();
        let event = Arc::new(Mutex::new(None));
        let api = Api { event: event.clone(), answers: tx, never: Arc::new(Notify::new()) };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(response))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(api);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| AppError::internal(format!("bind: {e}")))?;
        let addr = listener.local_addr().map_err(|e| AppError::internal(e.to_string()))?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RuntimeApi { addr, event, answers: rx })
    }

    /// Queues the one event the next started function will receive.
    pub fn arm(&self, event: &str) {
        if let Ok(mut slot) = self.event.lock() {
            *slot = Some(event.to_string());
        }
    }

    pub async fn answer(&mut self) -> Option<String> {
        self.answers.recv().await
    }
}

async fn next(State(api): State<Api>) -> (HeaderMap, String) {
    let taken = api.event.lock().ok().and_then(|mut e| e.take());
    let Some(body) = taken else {
        // The function asks for its next event after answering: park it until it is killed.
        api.never.notified().await;
        return (HeaderMap::new(), String::new());
    };
    let mut h = HeaderMap::new();
    let deadline = (chrono::Utc::now().timestamp_millis() + 60_000).to_string();
    for (k, v) in [
        ("lambda-runtime-aws-request-id", "bench-request"),
        ("lambda-runtime-deadline-ms", deadline.as_str()),
        ("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:000000000000:function:bench"),
        ("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000"),
        ("content-type", "application/json"),
    ] {
        if let Ok(v) = v.parse() {
            h.insert(k, v);
        }
    }
    (h, body)
}

async fn response(State(api): State<Api>, Path(_id): Path<String>, body: String) -> &'static str {
    let _ = api.answers.send(body);
    "{}"
}

async fn init_error(State(api): State<Api>, body: String) -> &'static str {
    let _ = api.answers.send(format!("init error: {body}"));
    "{}"
}
