//! The libSQL database: one `Database` per process (kept for the life of a Lambda), a connection per
//! request, pragmas for local files, and the embedded migrations.

mod filter;
mod migrations;
pub mod rows;

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

use libsql::params::IntoParams;
use libsql::{Builder, Connection, Database, Row, Rows, Statement};

use crate::config::DatabaseMode;
use crate::error::{AppError, AppResult};

pub use filter::Where;
pub use migrations::{migrate, pending_migrations, schema_version, CURRENT_VERSION, MIGRATIONS};
pub use rows::{opt_i64, opt_text};

#[derive(Clone)]
pub struct Db {
    inner: Arc<Database>,
    local: bool,
    replica: bool,
    /// Idle local connections for reuse: opening one (the file, its schema, the pragmas) costs more than
    /// most page queries, and a page makes several.
    idle: Arc<Mutex<Vec<Pooled>>>,
    /// Sync catch-ups under way in this process that keep some cache indexes off (see the sync's
    /// `catch_up`): whoever ends a run leaves those indexes off while one is still going.
    catch_ups: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("local", &self.local).field("replica", &self.replica).finish()
    }
}

/// Idle connections kept per process; more concurrent requests simply open more.
const MAX_IDLE: usize = 16;
/// Prepared statements kept per pooled connection (emptied when full: list queries vary in text).
const MAX_STATEMENTS: usize = 32;

type Statements = HashMap<String, Arc<Statement>>;

/// An idle connection and the statements prepared on it.
struct Pooled {
    conn: Connection,
    statements: Statements,
}

/// A connection that goes back to the idle list when dropped, unless it is inside a transaction (a
/// transaction dropped without commit rolls back first, so this only catches the unexpected).
pub struct Conn {
    conn: Option<Connection>,
    idle: Option<Arc<Mutex<Vec<Pooled>>>>,
    statements: Mutex<Statements>,
    /// Statements may be kept prepared: a local file's connection (over HTTP a statement belongs to
    /// the stream of the transaction that prepared it, which its commit closes).
    keeps_statements: bool,
}

impl Deref for Conn {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        // Only `drop` takes the connection out.
        self.conn.as_ref().unwrap_or_else(|| unreachable!("connection used after drop"))
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let (Some(conn), Some(idle)) = (self.conn.take(), &self.idle) {
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
    fn new(conn: Connection, statements: Statements, idle: Option<Arc<Mutex<Vec<Pooled>>>>) -> Conn {
        let keeps_statements = idle.is_some();
        Conn { conn: Some(conn), idle, statements: Mutex::new(statements), keeps_statements }
    }

    /// `sql` prepared once on this connection and kept, reset and ready; None where statements are
    /// not kept (remote, replica): the caller runs the SQL plainly.
    pub async fn kept_statement(&self, sql: &str) -> AppResult<Option<Arc<Statement>>> {
        if !self.keeps_statements {
            return Ok(None);
        }
        let found = self.statements.lock().ok().and_then(|m| m.get(sql).cloned());
        let statement = match found {
            Some(s) => s,
            None => {
                let s = Arc::new(self.prepare(sql).await?);
                if let Ok(mut m) = self.statements.lock() {
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

    /// `query`, with the statement prepared once per local connection and reused: every page runs the
    /// same few reads (session, staff, panels, freshness), and SQLite's parsing and planning of a small
    /// read costs as much as running it. The rows reset the statement when dropped, so a half-read
    /// result never keeps a read open.
    pub async fn query_cached(&self, sql: &str, params: impl IntoParams) -> AppResult<CachedRows> {
        match self.kept_statement(sql).await? {
            Some(statement) => {
                let rows = statement.query(params).await?;
                Ok(CachedRows { rows: Some(rows), statement: Some(statement) })
            }
            None => Ok(CachedRows { rows: Some(self.query(sql, params).await?), statement: None }),
        }
    }
}

/// Rows of [`Conn::query_cached`].
pub struct CachedRows {
    rows: Option<Rows>,
    statement: Option<Arc<Statement>>,
}

impl CachedRows {
    pub async fn next(&mut self) -> libsql::Result<Option<Row>> {
        match self.rows.as_mut() {
            Some(rows) => rows.next().await,
            None => Ok(None),
        }
    }
}

impl Drop for CachedRows {
    fn drop(&mut self) {
        self.rows = None;
        if let Some(s) = &self.statement {
            s.reset();
        }
    }
}

impl Db {
    pub async fn open(mode: &DatabaseMode) -> AppResult<Db> {
        let (database, local, replica) = match mode {
            DatabaseMode::Local(path) => {
                if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        AppError::Config(format!("cannot create database folder {}: {e}", dir.display()))
                    })?;
                }
                (Builder::new_local(path).build().await?, true, false)
            }
            DatabaseMode::Remote { url, token } => {
                (Builder::new_remote(url.clone(), token.clone()).build().await?, false, false)
            }
            #[cfg(feature = "replica")]
            DatabaseMode::Replica { path, url, token } => {
                let db = Builder::new_remote_replica(path, url.clone(), token.clone())
                    .read_your_writes(true)
                    .build()
                    .await?;
                db.sync().await?;
                (db, true, true)
            }
            #[cfg(not(feature = "replica"))]
            DatabaseMode::Replica { url, token, .. } => {
                // Write-heavy job functions are built without the replica client: they use the primary.
                tracing::info!("embedded replica not built into this function; using the primary");
                (Builder::new_remote(url.clone(), token.clone()).build().await?, false, false)
            }
        };
        let db = Db {
            inner: Arc::new(database),
            local,
            replica,
            idle: Arc::new(Mutex::new(Vec::new())),
            catch_ups: Arc::new(AtomicUsize::new(0)),
        };
        if db.local && !db.replica {
            // WAL is a property of the file: set once. libsql does not default to it.
            let conn = db.connect().await?;
            let mut rows = conn.query("PRAGMA journal_mode=WAL", ()).await?;
            while rows.next().await?.is_some() {}
            // Dropped, it waits idle for the migrations check and the first reads: a cold start opens one.
            drop(rows);
        }
        Ok(db)
    }

    /// A connection with the per-connection pragmas a local file needs: an idle one when there is one.
    pub async fn connect(&self) -> AppResult<Conn> {
        let pooled = self.local && !self.replica;
        if pooled {
            if let Some(p) = self.idle.lock().ok().and_then(|mut l| l.pop()) {
                return Ok(Conn::new(p.conn, p.statements, Some(self.idle.clone())));
            }
        }
        let conn = self.inner.connect()?;
        if pooled {
            // Reads through a memory map: a report or list page that reads thousands of rows by key
            // otherwise spends more time in pread calls than in SQLite.
            conn.execute_batch(
                "PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=1073741824;",
            )
            .await?;
        }
        Ok(Conn::new(conn, Statements::new(), pooled.then(|| self.idle.clone())))
    }
}

impl Db {
    /// Sync catch-ups under way in this process (see the field).
    pub fn catch_ups(&self) -> Arc<AtomicUsize> {
        self.catch_ups.clone()
    }

    /// A connection kept for a long run of bulk writes (a sync resource): as `connect`, with a page
    /// cache large enough to keep the cache tables' index pages between pages of rows (SQLite's default
    /// 2 MB makes every page of orders re-read most of its index pages), and checkpoints every 64 MB of
    /// WAL instead of 4 MB: a page of orders lands on thousands of index pages (link, user, external
    /// id are random keys), so the default checkpointed after every commit, writing each page twice.
    /// Not returned to the idle list, so its settings stay with the bulk run; it keeps its prepared
    /// statements (a page upsert is prepared once per run).
    pub async fn connect_bulk(&self) -> AppResult<Conn> {
        let mut conn = self.connect().await?;
        conn.idle = None;
        if self.local && !self.replica {
            let mut rows = conn.query("PRAGMA wal_autocheckpoint=16384", ()).await?;
            while rows.next().await?.is_some() {}
            drop(rows);
            // No memory map: a bulk run touches most index pages, which a map would keep counted in
            // the process's resident memory; the page cache above is bounded.
            conn.execute_batch("PRAGMA cache_size=-32768; PRAGMA mmap_size=0;").await?;
        }
        Ok(conn)
    }
}

impl Db {
    /// After a bulk run on a `connect_bulk` connection: moves its (up to 64 MB of) WAL into the database
    /// now, so the next small write on an ordinary connection does not pay for it.
    pub async fn checkpoint_after_bulk(&self, conn: &Connection) -> AppResult<()> {
        if self.local && !self.replica {
            let mut rows = conn.query("PRAGMA wal_checkpoint(PASSIVE)", ()).await?;
            while rows.next().await?.is_some() {}
        }
        Ok(())
    }
}

/// A write transaction that takes the write lock at `BEGIN` (waiting up to `busy_timeout`), so it never
/// fails half-way with "database is locked" because another connection wrote first.
pub async fn write_tx(conn: &Connection) -> AppResult<libsql::Transaction> {
    Ok(conn.transaction_with_behavior(libsql::TransactionBehavior::Immediate).await?)
}
