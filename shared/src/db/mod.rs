//! The database: one `Db` per process (kept for the life of a Lambda), a connection per request.
//!
//! Two backends behind the same calls: a local file (and the embedded replica) through the libsql
//! crate's SQLite, and a remote libSQL server (Turso, `sqld`) through [`remote`], Hrana over HTTP,
//! where every call is one round trip. Code that reads several things at once uses
//! [`Conn::batch`]; a write transaction that needs no answer half-way uses [`Conn::write_batch`].

mod conn;
mod error;
mod filter;
mod migrations;
mod reads;
pub mod remote;
pub mod rows;

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

use libsql::Builder;

use crate::config::DatabaseMode;

pub use conn::{Conn, Stmt, Tx};
pub use error::{DbError, DbResult};
pub use filter::Where;
pub use migrations::{migrate, pending_migrations, schema_version, CURRENT_VERSION, MIGRATIONS};
pub use reads::{read_all, Decode, Done, Read, Reads};
pub use rows::{opt_i64, opt_text, FromSql, Row, Rows};

use conn::Idle;
use remote::Remote;

#[derive(Clone)]
pub struct Db {
    backend: Arc<Backend>,
    /// Sync catch-ups under way in this process that keep some cache indexes off (see the sync's
    /// `catch_up`): whoever ends a run leaves those indexes off while one is still going.
    catch_ups: Arc<AtomicUsize>,
}

enum Backend {
    /// A local file: connections are pooled with their prepared statements (opening one — the file,
    /// its schema, the pragmas — costs more than most page queries).
    File {
        db: libsql::Database,
        idle: Idle,
    },
    /// An embedded replica of a remote primary: reads local, writes forwarded by libsql.
    #[cfg_attr(not(feature = "replica"), allow(dead_code))]
    Replica {
        db: libsql::Database,
    },
    Remote(Arc<Remote>),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &*self.backend {
            Backend::File { .. } => "file",
            Backend::Replica { .. } => "replica",
            Backend::Remote(_) => "remote",
        };
        f.debug_struct("Db").field("backend", &kind).finish()
    }
}

impl Db {
    pub async fn open(mode: &DatabaseMode) -> DbResult<Db> {
        let backend = match mode {
            DatabaseMode::Local(path) => {
                if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        DbError::Misuse(format!("cannot create database folder {}: {e}", dir.display()))
                    })?;
                }
                let db = Builder::new_local(path).build().await?;
                // WAL is a property of the file: set once. libsql does not default to it. Switching
                // needs the file to itself: wait for other processes starting at the same moment.
                let conn = db.connect()?;
                conn.execute_batch("PRAGMA busy_timeout=5000;").await?;
                // The switch can meet another starting process's lock without the busy handler
                // waiting for it (SQLite answers "locked" at once): try again for a while.
                let started = std::time::Instant::now();
                loop {
                    match wal(&conn).await {
                        Err(e) if e.to_string().contains("locked") && started.elapsed().as_secs() < 10 => {
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await
                        }
                        other => break other?,
                    }
                }
                Backend::File { db, idle: Arc::new(Mutex::new(Vec::new())) }
            }
            DatabaseMode::Remote { url, token } => Backend::Remote(Arc::new(Remote::new(url, token)?)),
            #[cfg(feature = "replica")]
            DatabaseMode::Replica { path, url, token } => {
                let db = Builder::new_remote_replica(path, remote::http_base(url), token.clone())
                    .read_your_writes(true)
                    .build()
                    .await?;
                db.sync().await?;
                Backend::Replica { db }
            }
            #[cfg(not(feature = "replica"))]
            DatabaseMode::Replica { url, token, .. } => {
                // Write-heavy job functions are built without the replica client: they use the primary.
                tracing::info!("embedded replica not built into this function; using the primary");
                Backend::Remote(Arc::new(Remote::new(url, token)?))
            }
        };
        Ok(Db { backend: Arc::new(backend), catch_ups: Arc::new(AtomicUsize::new(0)) })
    }

    /// A connection: over the network nothing is opened (each call is its own request); on a local
    /// file an idle one when there is one, with the pragmas a local file needs.
    pub async fn connect(&self) -> DbResult<Conn> {
        match &*self.backend {
            Backend::Remote(r) => Ok(Conn::remote(r.clone())),
            Backend::Replica { db } => Ok(Conn::file(db.connect()?, Default::default(), None)),
            Backend::File { db, idle } => {
                if let Some(p) = idle.lock().ok().and_then(|mut l| l.pop()) {
                    return Ok(Conn::file(p.conn, p.statements, Some(idle.clone())));
                }
                let conn = db.connect()?;
                // Reads through a memory map: a report or list page that reads thousands of rows by
                // key otherwise spends more time in pread calls than in SQLite.
                conn.execute_batch(
                    "PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=1073741824;",
                )
                .await?;
                Ok(Conn::file(conn, Default::default(), Some(idle.clone())))
            }
        }
    }

    /// True over the network (Turso, `sqld`), where every call is a round trip.
    pub fn is_remote(&self) -> bool {
        matches!(&*self.backend, Backend::Remote(_))
    }

    /// True on a plain local file (not the replica): file-only tuning (pragmas, checkpoints).
    pub fn is_local_file(&self) -> bool {
        matches!(&*self.backend, Backend::File { .. })
    }

    /// HTTP requests sent to a remote database so far (0 on a local file): what a round-trip budget
    /// counts.
    pub fn round_trips(&self) -> u64 {
        match &*self.backend {
            Backend::Remote(r) => r.round_trips(),
            _ => 0,
        }
    }

    /// The network's round trip to a remote database (zero on a local file): what a time-critical
    /// caller (the panel throttle's leases) allows for an answer's way back.
    pub fn network_rtt(&self) -> std::time::Duration {
        match &*self.backend {
            Backend::Remote(r) => r.network_rtt(),
            _ => std::time::Duration::ZERO,
        }
    }

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
    pub async fn connect_bulk(&self) -> DbResult<Conn> {
        let mut conn = self.connect().await?;
        if self.is_local_file() {
            conn.detach();
            if let Some(local) = conn.local() {
                let mut rows = local.query("PRAGMA wal_autocheckpoint=16384", ()).await?;
                while rows.next().await?.is_some() {}
                drop(rows);
                // No memory map: a bulk run touches most index pages, which a map would keep counted
                // in the process's resident memory; the page cache above is bounded.
                local.execute_batch("PRAGMA cache_size=-32768; PRAGMA mmap_size=0;").await?;
            }
        }
        Ok(conn)
    }

    /// After a bulk run on a `connect_bulk` connection: moves its (up to 64 MB of) WAL into the database
    /// now, so the next small write on an ordinary connection does not pay for it.
    pub async fn checkpoint_after_bulk(&self, conn: &Conn) -> DbResult<()> {
        if let (true, Some(local)) = (self.is_local_file(), conn.local()) {
            let mut rows = local.query("PRAGMA wal_checkpoint(PASSIVE)", ()).await?;
            while rows.next().await?.is_some() {}
        }
        Ok(())
    }
}

/// A write transaction that takes the write lock at `BEGIN` (waiting up to `busy_timeout`), so it never
/// fails half-way with "database is locked" because another connection wrote first.
pub async fn write_tx(conn: &Conn) -> DbResult<Tx<'_>> {
    conn.transaction().await
}

/// Sets a local file to WAL (a property of the file, set once).
async fn wal(conn: &libsql::Connection) -> Result<(), libsql::Error> {
    let mut rows = conn.query("PRAGMA journal_mode=WAL", ()).await?;
    while rows.next().await?.is_some() {}
    Ok(())
}
