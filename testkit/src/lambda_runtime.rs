//! A loopback stand-in for the AWS Lambda Runtime API (`AWS_LAMBDA_RUNTIME_API`), so a real Lambda
//! binary runs as Lambda runs it: it polls `/invocation/next` for events queued with [`RuntimeApi::invoke`]
//! and posts each answer to `/invocation/{id}/response` or `/invocation/{id}/error` (or, when it cannot
//! start, `/init/error`), which [`RuntimeApi::answer`] hands back. `bench startup` times binaries with it;
//! the Lambda-runtime tests drive each function through it.
//!
//! One function process per emulator: a killed process's poll may still be parked here, and would take
//! the next event queued.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{mpsc, watch, Notify};

/// Where an answer was posted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `/invocation/{id}/response`: the function's result.
    Response,
    /// `/invocation/{id}/error`: the invocation failed (an unusable event, a handler error).
    Error,
    /// `/init/error`: the function could not start.
    InitError,
}

/// One answer posted by the function.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The invocation it answers (none for an init error).
    pub request_id: Option<String>,
    pub outcome: Outcome,
    /// The `Lambda-Runtime-Function-Error-Type` header of an error.
    pub error_type: Option<String>,
    pub body: String,
}

impl Answer {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

struct Queued {
    id: String,
    body: String,
}

struct Shared {
    queue: Mutex<VecDeque<Queued>>,
    queued: Notify,
    answers: mpsc::UnboundedSender<Answer>,
    /// How many times a function asked for its next event: it is initialised (and idle) once it has.
    polls: watch::Sender<u64>,
    deadline: Duration,
}

pub struct RuntimeApi {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    answers: mpsc::UnboundedReceiver<Answer>,
    polls: watch::Receiver<u64>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        // Stops accepting: a function started later cannot reach an emulator nobody reads.
        self.server.abort();
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl RuntimeApi {
    /// Serves on a free loopback port on the caller's runtime; each invocation gets 60 s.
    pub async fn start() -> std::io::Result<RuntimeApi> {
        Self::with_deadline(Duration::from_secs(60)).await
    }

    /// As `start`, each invocation's deadline `deadline` after the function receives it.
    pub async fn with_deadline(deadline: Duration) -> std::io::Result<RuntimeApi> {
        let (tx, rx) = mpsc::unbounded_channel();
        let (polls, polls_rx) = watch::channel(0);
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            queued: Notify::new(),
            answers: tx,
            polls,
            deadline,
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RuntimeApi { addr, shared, answers: rx, polls: polls_rx, server })
    }

    /// Queues an event for the function's next poll; returns its request id.
    pub fn invoke(&self, event: &str) -> String {
        let id = format!("req-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
        if let Ok(mut q) = self.shared.queue.lock() {
            q.push_back(Queued { id: id.clone(), body: event.to_string() });
        }
        // A permit is kept when no poll waits yet, so an event queued before the poll is not missed.
        self.shared.queued.notify_one();
        id
    }

    /// The next answer posted, in the order they came.
    pub async fn answer(&mut self) -> Option<Answer> {
        self.answers.recv().await
    }

    /// Waits until functions have asked for their next event `n` times in all (the first poll comes
    /// once a function has finished its init). False if the API stopped.
    pub fn until_polled(&self, n: u64) -> impl std::future::Future<Output = bool> + 'static {
        // Not borrowing the emulator, so the caller can wait for an answer at the same time.
        let mut polls = self.polls.clone();
        async move { polls.wait_for(|p| *p >= n).await.is_ok() }
    }

    /// Polls so far.
    pub fn polls(&self) -> u64 {
        *self.polls.borrow()
    }
}

async fn next(State(api): State<Arc<Shared>>) -> (HeaderMap, String) {
    api.polls.send_modify(|p| *p += 1);
    let event = loop {
        let taken = api.queue.lock().ok().and_then(|mut q| q.pop_front());
        match taken {
            Some(e) => break e,
            // Parked until an event is queued (or the function is killed).
            None => api.queued.notified().await,
        }
    };
    let mut h = HeaderMap::new();
    let deadline = (chrono::Utc::now().timestamp_millis() + api.deadline.as_millis() as i64).to_string();
    for (k, v) in [
        ("lambda-runtime-aws-request-id", event.id.as_str()),
        ("lambda-runtime-deadline-ms", deadline.as_str()),
        ("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:000000000000:function:local"),
        ("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000"),
        ("content-type", "application/json"),
    ] {
        if let Ok(v) = v.parse() {
            h.insert(k, v);
        }
    }
    (h, event.body)
}

fn error_type(headers: &HeaderMap) -> Option<String> {
    headers.get("lambda-runtime-function-error-type").and_then(|v| v.to_str().ok()).map(str::to_string)
}

async fn response(State(api): State<Arc<Shared>>, Path(id): Path<String>, body: String) -> &'static str {
    let _ =
        api.answers.send(Answer { request_id: Some(id), outcome: Outcome::Response, error_type: None, body });
    "{}"
}

async fn error(
    State(api): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> &'static str {
    let error_type = error_type(&headers);
    let _ = api.answers.send(Answer { request_id: Some(id), outcome: Outcome::Error, error_type, body });
    "{}"
}

async fn init_error(State(api): State<Arc<Shared>>, headers: HeaderMap, body: String) -> &'static str {
    let error_type = error_type(&headers);
    let _ = api.answers.send(Answer { request_id: None, outcome: Outcome::InitError, error_type, body });
    "{}"
}
