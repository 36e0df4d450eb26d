//! A first sync of a big panel (or one far behind) writes its orders without the three indexes on
//! scattered keys — who ordered, the link, the provider's order id. A page of 1,000 orders lands on
//! about 1,000 leaf pages of each, and every page's commit writes those out whole: about 12 KB of WAL
//! per order, four fifths of a million-order sync (`panelops bench sync`). Built once afterwards, each
//! is a sort: under a second per million orders. Meanwhile a search by user, link or external id reads
//! the table: slower, never wrong.
//!
//! The catch-up puts them back when it reaches the newest order; every run also ends by putting back
//! what is missing (unless another catch-up in this process is on), so a killed run leaves them off
//! only until the next run ends.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use shared::db::{Conn, Db, Stmt};
use shared::domain::sync::{build_missing_scattered_indexes, SCATTERED_INDEXES};
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

/// Builds the missing indexes, unless a catch-up in this process still wants them off (asked again
/// before each: one may start while another is built).
pub async fn put_back(db: &Db, conn: &Conn) -> AppResult<()> {
    let count = db.catch_ups();
    build_missing_scattered_indexes(conn, || count.load(Ordering::SeqCst) > 0).await
}
