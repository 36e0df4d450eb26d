//! A first sync of a big panel (or one far behind) writes its orders without the three indexes on
//! scattered keys — who ordered, the link, the provider's order id. A page of 1,000 orders lands on
//! about 1,000 leaf pages of each, and every page's commit writes those out whole: about 12 KB of WAL
//! per order, four fifths of a million-order sync (`panelops bench sync`). Built once afterwards, each
//! is a sort: under a second per million orders. Meanwhile a search by user, link or external id reads
//! the table: slower, never wrong.
//!
//! The catch-up puts them back when it reaches the newest order; every run also ends by putting back
//! what is missing (unless a catch-up may still be on, here or in another process), so a killed run
//! leaves them off only until its hold runs out and the next run ends.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use libsql::params;

use shared::db::{Conn, Db, Reads, Stmt};
use shared::domain::sync::{
    build_missing_scattered_indexes, missing_of, orders_indexes_read, SCATTERED_INDEXES,
};
use shared::AppResult;

/// Below this many orders still to fetch, writing the indexes as we go costs less than a rebuild.
pub const DEFAULT_MIN_ROWS: i64 = 50_000;

/// A rebuild sorts every cached order; keeping the indexes costs ~20× more per order written: a
/// catch-up must bring at least a quarter of what the cache already holds.
const HELD_SHARE: i64 = 4;

/// One catch-up under way in this process; dropping it (the catch-up done, its run stopped) ends it.
pub struct CatchUp(Arc<AtomicUsize>);

impl Drop for CatchUp {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// No catch-up once the cache would pass this many orders: building one index over them then holds
/// the write lock longer than a writer waits for it (5 s), and console writes (a sign-in) would fail.
const MAX_REBUILD_ROWS: i64 = 5_000_000;

/// Whether `remaining` orders still to fetch make a catch-up, given what the cache holds.
pub async fn worth_it(conn: &Conn, remaining: i64, min_rows: i64) -> AppResult<bool> {
    if remaining < min_rows.max(1) {
        return Ok(false);
    }
    let mut rows =
        conn.query("SELECT COALESCE(SUM(cached), 0) FROM sync_state WHERE resource = 'orders'", ()).await?;
    let held: i64 = match rows.next().await? {
        Some(r) => r.get(0)?,
        None => 0,
    };
    Ok(remaining.saturating_mul(HELD_SHARE) >= held && held.saturating_add(remaining) <= MAX_REBUILD_ROWS)
}

/// Starts a catch-up: the statements that drop the indexes, to run in the write batch of the page
/// that needs them gone (if that write fails, the returned guard is dropped with it).
pub fn begin(db: &Db) -> (CatchUp, Vec<Stmt>) {
    let count = db.catch_ups();
    count.fetch_add(1, Ordering::SeqCst);
    let drops =
        SCATTERED_INDEXES.iter().map(|(name, _)| Stmt::new(format!("DROP INDEX IF EXISTS {name}"), ()));
    (CatchUp(count), drops.collect())
}

/// Builds the missing indexes, unless a catch-up still wants them off: one in this process (asked again
/// before each index: one may start while another is built), or one a run elsewhere may be doing — it
/// holds the orders of a panel other than `own` (scheduled runs overlap on AWS when the sync's
/// concurrency is not reserved; that run puts them back as it ends, and a killed one's hold runs out).
/// Both asked in one round trip.
pub async fn put_back(db: &Db, conn: &Conn, own: Option<i64>) -> AppResult<()> {
    let mut reads = Reads::new();
    let indexes = orders_indexes_read(&mut reads);
    let held = reads.add(
        Stmt::new(
            "SELECT 1 FROM sync_state WHERE resource = 'orders' AND lease_until > ?1 AND panel_id != ?2 LIMIT 1",
            params![shared::time::now(), own.unwrap_or(0)],
        ),
        |r| Ok(r.get::<i64>(0)?),
    );
    let mut done = reads.run(conn).await?;
    if missing_of(done.all(indexes).await?).is_empty() || done.first(held).await?.is_some() {
        return Ok(());
    }
    let count = db.catch_ups();
    build_missing_scattered_indexes(conn, || count.load(Ordering::SeqCst) > 0).await
}
