//! A connection, on either backend, with the same calls: `query`, `execute`, and the two that make a
//! request cheap over the network — `batch` (several reads, one round trip) and `write_batch` (a whole
//! write transaction, one round trip).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use libsql::params::{IntoParams, Params};
use libsql::{Connection, Statement};

use super::error::{DbError, DbResult};
use super::remote::{self, Remote, Stream};
use super::rows::Rows;

/// Prepared statements kept per pooled local connection (emptied when full: list queries vary in text).
const MAX_STATEMENTS: usize = 32;

pub(super) type Statements = HashMap<String, Arc<Statement>>;

/// An idle local connection and the statements prepared on it.
pub(super) struct Pooled {
    pub conn: Connection,
    pub statements: Statements,
}

pub(super) type Idle = Arc<Mutex<Vec<Pooled>>>;

/// Idle local connections kept per process; more concurrent requests simply open more.
const MAX_IDLE: usize = 16;

/// One statement of a batch.
pub struct Stmt {
    sql: String,
    params: DbResult<Params>,
}

impl Stmt {
    pub fn new(sql: impl Into<String>, params: impl IntoParams) -> Stmt {
        Stmt { sql: sql.into(), params: params.into_params().map_err(DbError::from) }
    }
}

pub struct Conn {
    inner: Inner,
    /// Set by a transaction dropped without commit or rollback: the next call rolls back first.
    abandoned: AtomicBool,
}

enum Inner {
    File(FileConn),
    Remote(RemoteConn),
}

/// A connection to a remote database: no stream is held, except while an interactive transaction is
/// open (its BEGIN waits to go out with its first statement).
struct RemoteConn {
    remote: Arc<Remote>,
    stream: tokio::sync::Mutex<Stream>,
    pending_begin: AtomicBool,
    last_rowid: AtomicI64,
}

impl RemoteConn {
    /// Runs one statement: inside the open transaction if there is one (sending its BEGIN with this
    /// first statement), else on its own.
    async fn one(
        &self,
        sql: &str,
        params: Params,
        want_rows: bool,
    ) -> DbResult<libsql_hrana::proto::StmtResult> {
        let stmt = remote::stmt(sql, params, want_rows);
        let mut stream = self.stream.lock().await;
        let result = if self.pending_begin.swap(false, Ordering::AcqRel) {
            self.remote.begin(&mut stream, stmt).await?
        } else {
            let mut results = self.remote.run(&mut stream, vec![stmt]).await?;
            results.pop().ok_or_else(|| DbError::Protocol("no result".into()))?
        };
        if let Some(id) = result.last_insert_rowid {
            self.last_rowid.store(id, Ordering::Release);
        }
        Ok(result)
    }

    /// The stream, with a pending BEGIN sent first (several statements of a transaction in one request).
    async fn stream(&self) -> DbResult<tokio::sync::MutexGuard<'_, Stream>> {
        let mut stream = self.stream.lock().await;
        if self.pending_begin.swap(false, Ordering::AcqRel) {
            self.remote.begin(&mut stream, remote::stmt("SELECT 1", Params::None, false)).await?;
        }
        Ok(stream)
    }
}

struct FileConn {
    conn: Option<Connection>,
    idle: Option<Idle>,
    statements: Mutex<Statements>,
    /// Statements may be kept prepared (a pooled local file's connection; not the replica's).
    keeps_statements: bool,
}

impl FileConn {
    fn conn(&self) -> &Connection {
        // Only `drop` takes the connection out.
        self.conn.as_ref().unwrap_or_else(|| unreachable!("connection used after drop"))
    }
}

impl Drop for FileConn {
    fn drop(&mut self) {
        if let (Some(conn), Some(idle)) = (self.conn.take(), &self.idle) {
            // A connection left inside a transaction is closed (SQLite rolls it back), never reused.
            if conn.is_autocommit() {
                let statements = std::mem::take(self.statements.get_mut().unwrap_or_else(|e| e.into_inner()));
                // Rows that outlived their connection must not leave a read open on the idle one.
                statements.values().for_each(|s| s.reset());
                if let Ok(mut list) = idle.lock() {
                    if list.len() < MAX_IDLE {
                        list.push(Pooled { conn, statements });
                    }
                }
            }
        }
    }
}

impl Conn {
    pub(super) fn file(conn: Connection, statements: Statements, idle: Option<Idle>) -> Conn {
        let keeps_statements = idle.is_some();
        let file = FileConn { conn: Some(conn), idle, statements: Mutex::new(statements), keeps_statements };
        Conn { inner: Inner::File(file), abandoned: AtomicBool::new(false) }
    }

    pub(super) fn remote(remote: Arc<Remote>) -> Conn {
        let conn = RemoteConn {
            remote,
            stream: tokio::sync::Mutex::new(Stream::default()),
            pending_begin: AtomicBool::new(false),
            last_rowid: AtomicI64::new(0),
        };
        Conn { inner: Inner::Remote(conn), abandoned: AtomicBool::new(false) }
    }

    /// Keeps this local connection out of the idle list (its settings belong to a bulk run).
    pub(super) fn detach(&mut self) {
        if let Inner::File(f) = &mut self.inner {
            f.idle = None;
        }
    }

    /// The local connection, where there is one (pragmas and checkpoints of a local file).
    pub(super) fn local(&self) -> Option<&Connection> {
        match &self.inner {
            Inner::File(f) => Some(f.conn()),
            Inner::Remote(_) => None,
        }
    }

    async fn settle(&self) -> DbResult<()> {
        if self.abandoned.swap(false, Ordering::AcqRel) {
            match &self.inner {
                Inner::File(f) => {
                    if !f.conn().is_autocommit() {
                        f.conn().execute("ROLLBACK", ()).await?;
                    }
                }
                Inner::Remote(r) => {
                    r.pending_begin.store(false, Ordering::Release);
                    r.remote.end(&mut *r.stream.lock().await, false).await?;
                }
            }
        }
        Ok(())
    }

    /// `sql` prepared once on this local connection and kept, reset and ready; None where statements
    /// are not kept (remote, replica): the caller runs the SQL plainly.
    pub async fn kept_statement(&self, sql: &str) -> DbResult<Option<Arc<Statement>>> {
        let Inner::File(f) = &self.inner else { return Ok(None) };
        if !f.keeps_statements {
            return Ok(None);
        }
        let found = f.statements.lock().ok().and_then(|m| m.get(sql).cloned());
        let statement = match found {
            Some(s) => s,
            None => {
                let s = Arc::new(f.conn().prepare(sql).await?);
                if let Ok(mut m) = f.statements.lock() {
                    if m.len() >= MAX_STATEMENTS {
                        m.clear();
                    }
                    m.insert(sql.to_string(), s.clone());
                }
                s
            }
        };
        statement.reset();
        Ok(Some(statement))
    }

    /// A statement prepared on this local connection (benchmarks of SQLite itself); none over the network.
    pub async fn prepare(&self, sql: &str) -> DbResult<Statement> {
        match &self.inner {
            Inner::File(f) => Ok(f.conn().prepare(sql).await?),
            Inner::Remote(_) => Err(DbError::Misuse("statements are not prepared over the network".into())),
        }
    }

    pub async fn query(&self, sql: &str, params: impl IntoParams) -> DbResult<Rows> {
        self.settle().await?;
        let params = params.into_params()?;
        match &self.inner {
            Inner::File(f) => Ok(Rows::local(f.conn().query(sql, params).await?)),
            Inner::Remote(r) => Ok(Rows::values(remote::rows_of(r.one(sql, params, true).await?))),
        }
    }

    /// `query`, with the statement prepared once per local connection and reused: every page runs the
    /// same few reads, and SQLite's parsing and planning of a small read costs as much as running it.
    pub async fn query_cached(&self, sql: &str, params: impl IntoParams) -> DbResult<Rows> {
        match self.kept_statement(sql).await? {
            Some(statement) => {
                self.settle().await?;
                let rows = statement.query(params).await?;
                Ok(Rows::kept(rows, statement))
            }
            None => self.query(sql, params).await,
        }
    }

    /// Runs a statement; the number of rows it changed.
    pub async fn execute(&self, sql: &str, params: impl IntoParams) -> DbResult<u64> {
        self.settle().await?;
        let params = params.into_params()?;
        match &self.inner {
            Inner::File(f) => Ok(f.conn().execute(sql, params).await?),
            Inner::Remote(r) => Ok(r.one(sql, params, false).await?.affected_row_count),
        }
    }

    /// Runs a statement built elsewhere (a `Stmt`); the number of rows it changed.
    pub async fn execute_stmt(&self, s: Stmt) -> DbResult<u64> {
        self.execute(&s.sql, s.params?).await
    }

    /// Several statements without parameters (DDL): one request.
    pub async fn execute_batch(&self, sql: &str) -> DbResult<()> {
        self.settle().await?;
        match &self.inner {
            Inner::File(f) => {
                f.conn().execute_batch(sql).await?;
                Ok(())
            }
            Inner::Remote(r) => r.remote.sequence(&mut *r.stream().await?, sql).await,
        }
    }

    /// Reads (or independent writes) in one round trip; each statement's rows, in order. Locally they
    /// run one after another on this connection.
    pub async fn batch(&self, stmts: Vec<Stmt>) -> DbResult<Vec<Rows>> {
        self.settle().await?;
        match &self.inner {
            Inner::File(_) => {
                let mut out = Vec::with_capacity(stmts.len());
                for s in stmts {
                    out.push(Rows::values(self.query_cached(&s.sql, s.params?).await?.collect().await?));
                }
                Ok(out)
            }
            Inner::Remote(r) => {
                let wire = stmts
                    .into_iter()
                    .map(|s| Ok(remote::stmt(&s.sql, s.params?, true)))
                    .collect::<DbResult<Vec<_>>>()?;
                let results = r.remote.run(&mut *r.stream().await?, wire).await?;
                Ok(results.into_iter().map(|r| Rows::values(remote::rows_of(r))).collect())
            }
        }
    }

    /// A whole write transaction in one round trip: `BEGIN IMMEDIATE`, the statements in order,
    /// `COMMIT`; if one fails, nothing is kept and its error is returned. Each statement's rows (a
    /// `RETURNING` clause, a read between writes) come back in order.
    pub async fn write_batch(&self, stmts: Vec<Stmt>) -> DbResult<Vec<Rows>> {
        self.settle().await?;
        match &self.inner {
            Inner::File(f) => {
                let conn = f.conn();
                conn.execute("BEGIN IMMEDIATE", ()).await?;
                let mut out = Vec::with_capacity(stmts.len());
                let mut failed = None;
                for s in stmts {
                    let run = async {
                        let rows = self.query_cached(&s.sql, s.params?).await?;
                        rows.collect().await
                    };
                    match run.await {
                        Ok(rows) => out.push(Rows::values(rows)),
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                match failed {
                    None => {
                        conn.execute("COMMIT", ()).await?;
                        Ok(out)
                    }
                    Some(e) => {
                        if !conn.is_autocommit() {
                            conn.execute("ROLLBACK", ()).await?;
                        }
                        Err(e)
                    }
                }
            }
            Inner::Remote(r) => {
                let wire = stmts
                    .into_iter()
                    .map(|s| Ok(remote::stmt(&s.sql, s.params?, true)))
                    .collect::<DbResult<Vec<_>>>()?;
                let results = r.remote.atomic(wire).await?;
                Ok(results.into_iter().map(|r| Rows::values(remote::rows_of(r))).collect())
            }
        }
    }

    /// An interactive write transaction that takes the write lock at its first statement (waiting up
    /// to the busy timeout), so it never fails half-way because another writer came first. Over the
    /// network each statement in it is a round trip and the server holds the lock meanwhile: keep it
    /// short, and never await a panel or a sleep inside it; prefer `write_batch`.
    pub async fn transaction(&self) -> DbResult<Tx<'_>> {
        self.settle().await?;
        match &self.inner {
            Inner::File(f) => {
                f.conn().execute("BEGIN IMMEDIATE", ()).await?;
            }
            Inner::Remote(r) => r.pending_begin.store(true, Ordering::Release),
        }
        Ok(Tx { conn: self, done: false })
    }

    pub fn last_insert_rowid(&self) -> i64 {
        match &self.inner {
            Inner::File(f) => f.conn().last_insert_rowid(),
            Inner::Remote(r) => r.last_rowid.load(Ordering::Acquire),
        }
    }

    pub fn is_autocommit(&self) -> bool {
        match &self.inner {
            Inner::File(f) => f.conn().is_autocommit(),
            Inner::Remote(r) => {
                !r.pending_begin.load(Ordering::Acquire)
                    && r.stream.try_lock().map(|s| !s.is_open()).unwrap_or(false)
            }
        }
    }

    async fn finish(&self, commit: bool) -> DbResult<()> {
        match &self.inner {
            Inner::File(f) => {
                if !f.conn().is_autocommit() {
                    f.conn().execute(if commit { "COMMIT" } else { "ROLLBACK" }, ()).await?;
                }
                Ok(())
            }
            Inner::Remote(r) => {
                // A transaction that never ran a statement never began.
                if r.pending_begin.swap(false, Ordering::AcqRel) {
                    return Ok(());
                }
                r.remote.end(&mut *r.stream.lock().await, commit).await
            }
        }
    }
}

/// An open write transaction of a [`Conn`]; its statements are the connection's (`tx.query`…).
/// Dropped without `commit`, it is rolled back: at once over the network (so the server's write lock
/// is not held until the stream expires), before the connection's next use locally.
pub struct Tx<'a> {
    conn: &'a Conn,
    done: bool,
}

impl std::ops::Deref for Tx<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl Tx<'_> {
    pub async fn commit(mut self) -> DbResult<()> {
        self.done = true;
        self.conn.finish(true).await
    }

    pub async fn rollback(mut self) -> DbResult<()> {
        self.done = true;
        self.conn.finish(false).await
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Inner::Remote(r) = &self.conn.inner {
            if r.pending_begin.swap(false, Ordering::AcqRel) {
                return;
            }
            // Release the server's write lock now: take the stream and roll it back in the background.
            if let (Ok(mut s), Ok(rt)) = (r.stream.try_lock(), tokio::runtime::Handle::try_current()) {
                let mut taken = std::mem::take(&mut *s);
                let remote = r.remote.clone();
                rt.spawn(async move {
                    if let Err(e) = remote.end(&mut taken, false).await {
                        tracing::warn!(error = %e, "rolling back an abandoned transaction failed");
                    }
                });
                return;
            }
        }
        self.conn.abandoned.store(true, Ordering::Release);
    }
}
