//! A libSQL server (Turso, `sqld`) over HTTP: Hrana's `/v3/pipeline`, one request per round trip.
//!
//! Why not the libsql crate's remote connection: its `query` asks the server to describe every
//! statement before running it (two round trips per read), and it cannot send several
//! parameterised statements in one request. Here every call is exactly one HTTP request carrying
//! as many statements as the caller has ready: a page's reads, or a whole write transaction as one
//! conditional batch (BEGIN … COMMIT, ROLLBACK if a step failed), so no transaction is ever left
//! open on the server between two requests, let alone across a panel call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use libsql::params::Params;
use libsql::Value;
use libsql_hrana::proto::Value as Wire;
use libsql_hrana::proto::{
    Batch, BatchCond, BatchStep, BatchStreamReq, CloseStreamReq, ExecuteStreamReq, PipelineReqBody,
    PipelineRespBody, SequenceStreamReq, Stmt, StmtResult, StreamRequest, StreamResponse, StreamResult,
};

use super::error::{DbError, DbResult};

/// The client of one remote database, shared by every connection of the process.
pub struct Remote {
    http: reqwest::Client,
    /// `https://host` (or `http://127.0.0.1:PORT` for a local sqld), without a trailing slash.
    base: String,
    token: Option<String>,
    round_trips: AtomicU64,
    /// The last round trips' durations: their minimum is the network's own delay, without time spent
    /// waiting for a lock or running a statement.
    recent: std::sync::Mutex<std::collections::VecDeque<Duration>>,
}

/// A server-side stream kept between requests: only while an interactive transaction is open.
#[derive(Debug, Default)]
pub struct Stream {
    baton: Option<String>,
    base_url: Option<String>,
}

impl Stream {
    pub fn is_open(&self) -> bool {
        self.baton.is_some()
    }
}

/// The HTTP address of a database URL: Turso's `libsql://` is https.
pub fn http_base(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    match url.strip_prefix("libsql://") {
        Some(rest) => format!("https://{rest}"),
        None => url.to_string(),
    }
}

impl Remote {
    pub fn new(url: &str, token: &str) -> DbResult<Remote> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            // An index build over millions of rows (the sync's catch-up) is the slowest statement.
            .timeout(Duration::from_secs(120))
            // Shorter than a server's or load balancer's keep-alive, so a pooled connection is not
            // reused just as the other side closes it.
            .pool_idle_timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| DbError::Misuse(format!("cannot build the database client: {e}")))?;
        let token = Some(token.trim().to_string()).filter(|t| !t.is_empty());
        Ok(Remote {
            http,
            base: http_base(url),
            token,
            round_trips: AtomicU64::new(0),
            recent: Default::default(),
        })
    }

    /// The network's round trip to the server: the quickest of the last few requests.
    pub fn network_rtt(&self) -> Duration {
        self.recent.lock().ok().and_then(|r| r.iter().min().copied()).unwrap_or_default()
    }

    fn record(&self, took: Duration) {
        if let Ok(mut r) = self.recent.lock() {
            if r.len() >= 32 {
                r.pop_front();
            }
            r.push_back(took);
        }
    }

    /// HTTP requests sent so far: what a round-trip budget counts.
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// One HTTP request carrying `requests` on `stream` (a new stateless one when it holds no baton).
    /// With `close`, the stream ends with this request.
    async fn pipeline(
        &self,
        stream: &mut Stream,
        mut requests: Vec<StreamRequest>,
        close: bool,
    ) -> DbResult<Vec<StreamResult>> {
        if close {
            requests.push(StreamRequest::Close(CloseStreamReq {}));
        }
        let body = PipelineReqBody { baton: stream.baton.clone(), requests };
        let base = stream.base_url.as_deref().map(http_base).unwrap_or_else(|| self.base.clone());
        let mut req = self.http.post(format!("{base}/v3/pipeline")).json(&body);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let sent = std::time::Instant::now();
        let res = req.send().await.map_err(|e| DbError::Unreachable(describe(&e)))?;
        let status = res.status();
        let bytes = res.bytes().await.map_err(|e| DbError::Unreachable(describe(&e)))?;
        self.record(sent.elapsed());
        if !status.is_success() {
            *stream = Stream::default();
            return Err(http_error(status.as_u16(), &bytes));
        }
        let answer: PipelineRespBody = serde_json::from_slice(&bytes)
            .map_err(|e| DbError::Protocol(format!("unreadable pipeline answer: {e}")))?;
        if close {
            *stream = Stream::default();
        } else {
            stream.baton = answer.baton;
            if answer.base_url.is_some() {
                stream.base_url = answer.base_url;
            }
        }
        Ok(answer.results)
    }

    /// Each statement on its own, in order, in one round trip (reads; independent writes). The first
    /// statement that failed fails the call; the others ran regardless.
    pub async fn run(&self, stream: &mut Stream, stmts: Vec<Stmt>) -> DbResult<Vec<StmtResult>> {
        let n = stmts.len();
        let requests =
            stmts.into_iter().map(|stmt| StreamRequest::Execute(ExecuteStreamReq { stmt })).collect();
        let close = !stream.is_open();
        let results = self.pipeline(stream, requests, close).await?;
        results.into_iter().take(n).map(executed).collect()
    }

    /// The statements as one transaction in one round trip: `BEGIN IMMEDIATE`, each step only if the
    /// one before succeeded, `COMMIT`, and `ROLLBACK` if anything failed. Nothing stays open.
    pub async fn atomic(&self, stmts: Vec<Stmt>) -> DbResult<Vec<StmtResult>> {
        let n = stmts.len() as u32;
        let mut steps = vec![BatchStep { condition: None, stmt: Stmt::new("BEGIN IMMEDIATE", false) }];
        for (i, stmt) in stmts.into_iter().enumerate() {
            steps.push(BatchStep { condition: Some(BatchCond::Ok { step: i as u32 }), stmt });
        }
        steps
            .push(BatchStep { condition: Some(BatchCond::Ok { step: n }), stmt: Stmt::new("COMMIT", false) });
        let rollback = BatchCond::Not { cond: Box::new(BatchCond::Ok { step: n + 1 }) };
        steps.push(BatchStep { condition: Some(rollback), stmt: Stmt::new("ROLLBACK", false) });
        let batch = Batch { steps, replication_index: None };
        let request = StreamRequest::Batch(BatchStreamReq { batch });
        let mut results = self.pipeline(&mut Stream::default(), vec![request], true).await?;
        let result = match results.drain(..).next() {
            Some(StreamResult::Ok { response: StreamResponse::Batch(b) }) => b.result,
            Some(StreamResult::Error { error }) => return Err(remote(error)),
            _ => return Err(DbError::Protocol("no batch result".into())),
        };
        // The first failed step is the cause; a step skipped for it has neither result nor error.
        if let Some(error) = result.step_errors.iter().flatten().next() {
            return Err(remote(error.clone()));
        }
        let mut out: Vec<StmtResult> = Vec::with_capacity(n as usize);
        for r in result.step_results.into_iter().skip(1).take(n as usize) {
            out.push(r.ok_or_else(|| DbError::Protocol("a step of a committed batch did not run".into()))?);
        }
        Ok(out)
    }

    /// SQL text of several statements without parameters (migrations, DDL), on `stream`.
    pub async fn sequence(&self, stream: &mut Stream, sql: &str) -> DbResult<()> {
        let req = SequenceStreamReq { sql: Some(sql.to_string()), sql_id: None, replication_index: None };
        let close = !stream.is_open();
        let results = self.pipeline(stream, vec![StreamRequest::Sequence(req)], close).await?;
        match results.into_iter().next() {
            Some(StreamResult::Ok { .. }) => Ok(()),
            Some(StreamResult::Error { error }) => Err(remote(error)),
            _ => Err(DbError::Protocol("no sequence result".into())),
        }
    }

    /// Opens an interactive transaction with its first statement, in one round trip: a conditional
    /// batch, so the statement never runs outside the transaction when `BEGIN` fails (a lock wait
    /// that timed out).
    pub async fn begin(&self, stream: &mut Stream, first: Stmt) -> DbResult<StmtResult> {
        let steps = vec![
            BatchStep { condition: None, stmt: Stmt::new("BEGIN IMMEDIATE", false) },
            BatchStep { condition: Some(BatchCond::Ok { step: 0 }), stmt: first },
        ];
        let request =
            StreamRequest::Batch(BatchStreamReq { batch: Batch { steps, replication_index: None } });
        let results = self.pipeline(stream, vec![request], false).await?;
        let result = match results.into_iter().next() {
            Some(StreamResult::Ok { response: StreamResponse::Batch(b) }) => b.result,
            Some(StreamResult::Error { error }) => return Err(remote(error)),
            _ => return Err(DbError::Protocol("no batch result".into())),
        };
        if let Some(error) = result.step_errors.iter().flatten().next() {
            // Whether BEGIN or the statement failed, roll back what may have begun and close the
            // stream (a ROLLBACK without a transaction only fails harmlessly); the cause is kept.
            self.end(stream, false).await.ok();
            return Err(remote(error.clone()));
        }
        result
            .step_results
            .into_iter()
            .nth(1)
            .flatten()
            .ok_or_else(|| DbError::Protocol("no statement result".into()))
    }

    /// Ends the stream's transaction with COMMIT (or ROLLBACK) and closes the stream.
    pub async fn end(&self, stream: &mut Stream, commit: bool) -> DbResult<()> {
        if !stream.is_open() {
            return Ok(());
        }
        let sql = if commit { "COMMIT" } else { "ROLLBACK" };
        let requests = vec![StreamRequest::Execute(ExecuteStreamReq { stmt: Stmt::new(sql, false) })];
        let results = self.pipeline(stream, requests, true).await?;
        results
            .into_iter()
            .next()
            .map(executed)
            .unwrap_or_else(|| Err(DbError::Protocol("no result".into())))?;
        Ok(())
    }
}

fn executed(r: StreamResult) -> DbResult<StmtResult> {
    match r {
        StreamResult::Ok { response: StreamResponse::Execute(e) } => Ok(e.result),
        StreamResult::Ok { .. } => Err(DbError::Protocol("not an execute result".into())),
        StreamResult::Error { error } => Err(remote(error)),
        StreamResult::None => Err(DbError::Protocol("empty result".into())),
    }
}

fn remote(e: libsql_hrana::proto::Error) -> DbError {
    DbError::Remote { code: e.code, message: e.message }
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn http_error(status: u16, body: &[u8]) -> DbError {
    #[derive(serde::Deserialize)]
    struct Answer {
        message: Option<String>,
        error: Option<String>,
        code: Option<String>,
    }
    let text = String::from_utf8_lossy(body).chars().take(300).collect::<String>();
    let parsed: Option<Answer> = serde_json::from_slice(body).ok();
    let message = parsed
        .as_ref()
        .and_then(|a| a.message.clone().or_else(|| a.error.clone()))
        .unwrap_or_else(|| if text.trim().is_empty() { format!("HTTP {status}") } else { text.clone() });
    match status {
        401 | 403 => DbError::Auth { status, message },
        502..=504 => DbError::Unreachable(format!("HTTP {status}: {message}")),
        _ => DbError::Remote {
            code: parsed.and_then(|a| a.code).unwrap_or_else(|| format!("HTTP_{status}")),
            message,
        },
    }
}

/// A statement with its parameters in the wire form.
pub fn stmt(sql: &str, params: Params, want_rows: bool) -> Stmt {
    let mut s = Stmt::new(sql, want_rows);
    match params {
        Params::None => {}
        Params::Positional(values) => s.args = values.into_iter().map(to_wire).collect(),
        Params::Named(values) => {
            for (name, v) in values {
                s.bind_named(name, to_wire(v));
            }
        }
    }
    s
}

fn to_wire(v: Value) -> Wire {
    match v {
        Value::Null => Wire::Null,
        Value::Integer(value) => Wire::Integer { value },
        Value::Real(value) => Wire::Float { value },
        Value::Text(s) => Wire::Text { value: s.into() },
        Value::Blob(b) => Wire::Blob { value: b.into() },
    }
}

fn from_wire(v: Wire) -> Value {
    match v {
        Wire::None | Wire::Null => Value::Null,
        Wire::Integer { value } => Value::Integer(value),
        Wire::Float { value } => Value::Real(value),
        Wire::Text { value } => Value::Text(value.to_string()),
        Wire::Blob { value } => Value::Blob(value.to_vec()),
    }
}

/// A statement result's rows as values.
pub fn rows_of(result: StmtResult) -> Vec<Vec<Value>> {
    result.rows.into_iter().map(|r| r.values.into_iter().map(from_wire).collect()).collect()
}
