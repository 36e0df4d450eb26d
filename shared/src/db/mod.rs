//! The libSQL database: one `Database` per process (kept for the life of a Lambda), a connection per
//! request, pragmas for local files, and the embedded migrations.

mod migrations;
pub mod rows;

use std::sync::Arc;

use libsql::{Builder, Connection, Database};

use crate::config::DatabaseMode;
use crate::error::{AppError, AppResult};

pub use migrations::{migrate, pending_migrations, schema_version, CURRENT_VERSION, MIGRATIONS};
pub use rows::{opt_i64, opt_text};

#[derive(Clone)]
pub struct Db {
    inner: Arc<Database>,
    local: bool,
    replica: bool,
    /// An idle connection handed back by `recycle`, taken by the next `connect`: a cold start opens
    /// one connection for the WAL switch, the migrations check and its first reads, not one each.
    spare: Arc<std::sync::Mutex<Option<Connection>>>,
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
        let db = Db { inner: Arc::new(database), local, replica, spare: Default::default() };
        if db.local && !db.replica {
            // WAL is a property of the file: set once. libsql does not default to it.
            let conn = db.connect().await?;
            let mut rows = conn.query("PRAGMA journal_mode=WAL", ()).await?;
            while rows.next().await?.is_some() {}
            drop(rows);
            db.recycle(conn);
        }
        Ok(db)
    }

    /// Hands back a connection with nothing open on it (no transaction, no unread rows) for the next
    /// `connect` to reuse.
    pub fn recycle(&self, conn: Connection) {
        if conn.is_autocommit() {
            if let Ok(mut spare) = self.spare.lock() {
                *spare = Some(conn);
            }
        }
    }

    /// A connection with the per-connection pragmas a local file needs (the spare one, if any).
    pub async fn connect(&self) -> AppResult<Connection> {
        if let Some(conn) = self.spare.lock().ok().and_then(|mut s| s.take()) {
            return Ok(conn);
        }
        let conn = self.inner.connect()?;
        if self.local && !self.replica {
            conn.execute_batch(
                "PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;",
            )
            .await?;
        }
        Ok(conn)
    }
}

impl Db {
    /// A connection kept for a long run of bulk writes (a sync resource): as `connect`, with a page
    /// cache large enough to keep the cache tables' index pages between pages of rows (SQLite's default
    /// 2 MB makes every page of orders re-read most of its index pages), and checkpoints every 64 MB of
    /// WAL instead of 4 MB: a page of orders lands on thousands of index pages (link, user, external
    /// id are random keys), so the default checkpointed after every commit, writing each page twice.
    pub async fn connect_bulk(&self) -> AppResult<Connection> {
        let conn = self.connect().await?;
        if self.local && !self.replica {
            let mut rows = conn.query("PRAGMA wal_autocheckpoint=16384", ()).await?;
            while rows.next().await?.is_some() {}
            drop(rows);
            conn.execute_batch("PRAGMA cache_size=-32768;").await?;
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
