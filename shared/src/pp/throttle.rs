//! Never more than N requests per second to one panel, shared by everything that calls it.
//!
//! Within a process every caller (each resource of a sync run, a ticket reply, a report's live fetch)
//! queues on the panel's one throttle. Across processes — on AWS the sync, the console and the reports
//! are separate Lambdas — the throttle leases short windows of the panel's time from the database
//! (`panel_request_windows`), so all of them together stay under the limit. A lease covers the callers
//! already queued, up to one second, so a busy sync writes once a second, not once a request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::db::Db;
use crate::error::{AppError, AppResult};

/// Longest wait for the database before a request goes out on the local spacing alone.
const LEASE_TIMEOUT: Duration = Duration::from_secs(3);
/// How far into its window a request may start: the leasing answer's trip back.
const LATE_OK: Duration = Duration::from_millis(5);
/// Leases tried in a row before falling back (each is retried only when it came back already spent).
const LEASE_TRIES: u32 = 3;

pub struct Throttle {
    interval: Duration,
    per_second: u32,
    state: tokio::sync::Mutex<Window>,
    ledger: Option<Ledger>,
    /// Callers queued for the state: a lease is sized for them.
    waiting: AtomicUsize,
}

/// This process's next free slot, and the end of the panel time it holds.
struct Window {
    next: Instant,
    until: Instant,
}

struct Ledger {
    db: Db,
    key: String,
}

impl Throttle {
    /// `per_second` = 0 means no limit. A small margin keeps us under the panel's own count at the
    /// edges of its one-second window.
    pub fn new(per_second: u32) -> Self {
        Self::with_ledger(per_second, None)
    }

    /// A throttle that also leases the panel's time from the database, shared with other processes
    /// calling the same panel (keyed by its base URL).
    pub fn shared(per_second: u32, db: Db, panel_url: &str) -> Self {
        Self::with_ledger(per_second, Some(Ledger { db, key: panel_url.to_string() }))
    }

    fn with_ledger(per_second: u32, ledger: Option<Ledger>) -> Self {
        let interval = if per_second == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(1000 / per_second as u64 + 10)
        };
        let now = Instant::now();
        Throttle {
            interval,
            per_second,
            state: tokio::sync::Mutex::new(Window { next: now, until: now }),
            ledger,
            waiting: AtomicUsize::new(0),
        }
    }

    /// Waits for this caller's slot.
    pub async fn acquire(&self) {
        if self.interval.is_zero() {
            return;
        }
        let queued = Queued::enter(&self.waiting);
        let mut w = self.state.lock().await;
        drop(queued);
        let mut slot = w.next.max(Instant::now());
        if let Some(ledger) = &self.ledger {
            slot = self.slot_in_lease(ledger, &mut w, slot).await;
        }
        w.next = slot + self.interval;
        drop(w);
        tokio::time::sleep_until(slot.into()).await;
    }

    /// `slot` if the held window still has room for it, else the first slot of a new lease. A request
    /// at `t` needs the panel until `t + interval`: the next process's window starts at `until`.
    async fn slot_in_lease(&self, ledger: &Ledger, w: &mut Window, slot: Instant) -> Instant {
        if slot + self.interval <= w.until {
            return slot;
        }
        let wanted = (self.waiting.load(Ordering::Relaxed) + 1).min(self.per_second.max(1) as usize) as u32;
        let span = self.interval * wanted;
        for _ in 0..LEASE_TRIES {
            let leased = tokio::time::timeout(LEASE_TIMEOUT, lease(&ledger.db, &ledger.key, span)).await;
            match leased {
                Ok(Ok((start, until))) => {
                    w.until = until;
                    // Not before this process's own spacing, nor before now. A window that begins at
                    // once has begun by the time its answer is read: being that late is covered by
                    // the 10 ms margin each request keeps.
                    let slot = start.max(slot).max(Instant::now());
                    if slot + self.interval <= until + LATE_OK {
                        return slot;
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(panel = %ledger.key, error = %e, "request window not leased; spacing this request locally");
                    break;
                }
                Err(_) => {
                    tracing::warn!(panel = %ledger.key, "request window lease timed out; spacing this request locally");
                    break;
                }
            }
            tracing::warn!(panel = %ledger.key, "request window came back already spent; leasing again");
        }
        // The database is unreachable or slow: the local spacing still holds within this process.
        w.until = slot + self.interval;
        slot
    }
}

/// A caller counted as queued for the throttle until it holds the state, or gives up waiting (a
/// request ahead that was stopped): the count sizes leases, so it must not drift up.
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Queued(count)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The database's clock in ms, read by a statement when it runs: for a write, once it holds the write
/// lock ('now' is fixed for one step of a statement, RETURNING included).
const DB_NOW_MS: &str = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

/// The farthest ahead a window is asked for: over a slower network, requests are spaced locally more
/// often than leased.
const MAX_LEAD: Duration = Duration::from_millis(250);

/// Leases `span` of the panel's time, starting now or where the last lease (of any process) ends, as
/// (start, end) in this process's clock. "Now" is the database's clock once the statement holds the
/// write lock, so a lease that waited behind another process's write (a sync committing a page)
/// starts when it is granted, not when it was asked for. Every process reads the one clock.
///
/// Over the network the statement ran up to one network round trip before its answer arrived: the
/// window is asked for that much ahead and that much longer, and counted from the earliest the
/// statement can have run, so the whole span is still ahead when the answer arrives and no request is
/// placed past the window's end (where another process's begins). Locally that round trip is zero.
async fn lease(db: &Db, key: &str, span: Duration) -> AppResult<(Instant, Instant)> {
    let lead = db.network_rtt().min(MAX_LEAD);
    let lead_ms = lead.as_millis() as i64;
    let asked_ms = span.as_millis() as i64 + lead_ms;
    let conn = db.connect().await?;
    let sql = format!(
        "INSERT INTO panel_request_windows (panel_url, next_free_ms) VALUES (?1, {DB_NOW_MS} + ?3 + ?2)
         ON CONFLICT (panel_url) DO UPDATE SET next_free_ms = max(next_free_ms, {DB_NOW_MS} + ?3) + ?2
         RETURNING next_free_ms - ?2 - {DB_NOW_MS}"
    );
    let mut rows = conn.query(&sql, libsql::params![key, asked_ms, lead_ms]).await?;
    let wait_ms: i64 = match rows.next().await? {
        Some(r) => r.get(0)?,
        None => return Err(AppError::Internal("the request window lease returned nothing".into())),
    };
    drop(rows);
    let arrived = Instant::now();
    let wait = Duration::from_millis(wait_ms.max(0) as u64);
    let asked = Duration::from_millis(asked_ms as u64);
    let ran_earliest = arrived.checked_sub(lead).unwrap_or(arrived);
    Ok((arrived + wait, ran_earliest + wait + asked))
}

type Registry = Mutex<HashMap<(String, u32, bool), Arc<Throttle>>>;

/// The process-wide throttle of one panel (keyed by its base URL); with `shared`, leased from that
/// database so other processes calling the panel count too.
pub fn for_panel(base_url: &str, per_second: u32, shared: Option<&Db>) -> Arc<Throttle> {
    static ALL: OnceLock<Registry> = OnceLock::new();
    let map = ALL.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    map.entry((base_url.to_string(), per_second, shared.is_some()))
        .or_insert_with(|| {
            Arc::new(match shared {
                Some(db) => Throttle::shared(per_second, db.clone(), base_url),
                None => Throttle::new(per_second),
            })
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spaces_requests() {
        let t = Throttle::new(5);
        let start = Instant::now();
        for _ in 0..6 {
            t.acquire().await;
        }
        assert!(start.elapsed() >= Duration::from_millis(1000), "{:?}", start.elapsed());
    }

    /// A migrated database in a folder of its own (kept while the folder lives).
    async fn fresh_db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&crate::config::DatabaseMode::Local(dir.path().join("t.db"))).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        (dir, db)
    }

    /// The shortest gap between two grants.
    fn closest(mut times: Vec<Instant>) -> Duration {
        times.sort();
        times.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(Duration::MAX)
    }

    async fn grants(throttles: &[Arc<Throttle>], each: usize) -> Vec<Instant> {
        let mut tasks = Vec::new();
        for t in throttles {
            for _ in 0..each {
                let t = t.clone();
                tasks.push(tokio::spawn(async move {
                    t.acquire().await;
                    Instant::now()
                }));
            }
        }
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        times
    }

    /// A request ahead that is stopped while it waits its turn leaves the queue: leases stay sized
    /// for the callers really waiting.
    #[tokio::test]
    async fn a_stopped_caller_leaves_the_queue() {
        let t = Arc::new(Throttle::new(5));
        let held = t.state.lock().await;
        let waiting: Vec<_> = (0..3)
            .map(|_| {
                let t = t.clone();
                tokio::spawn(async move { t.acquire().await })
            })
            .collect();
        while t.waiting.load(Ordering::Relaxed) < 3 {
            tokio::task::yield_now().await;
        }
        for w in &waiting {
            w.abort();
        }
        for w in waiting {
            let _ = w.await;
        }
        drop(held);
        assert_eq!(t.waiting.load(Ordering::Relaxed), 0);
    }

    /// A lone request to an idle panel goes out at once, on one lease.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lone_request_to_an_idle_panel_goes_out_at_once() {
        let (_dir, db) = fresh_db().await;
        let t = Throttle::shared(5, db.clone(), "https://panel.example");
        let start = Instant::now();
        t.acquire().await;
        assert!(start.elapsed() < Duration::from_millis(100), "waited {:?}", start.elapsed());
        // A second request keeps the spacing, on the next lease.
        t.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(200), "{:?}", start.elapsed());
    }

    /// A lease asked for while another process holds the write lock (a sync committing a page) is
    /// still ahead of us when it arrives, instead of a window that passed while it waited.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lease_that_waited_for_another_write_is_still_usable() {
        let (_dir, db) = fresh_db().await;
        let writer = db.connect().await.unwrap();
        let tx = crate::db::write_tx(&writer).await.unwrap();
        tx.execute("INSERT INTO panel_request_windows (panel_url, next_free_ms) VALUES ('other', 0)", ())
            .await
            .unwrap();
        let span = Duration::from_millis(210);
        let leasing = tokio::spawn({
            let db = db.clone();
            async move { lease(&db, "https://panel.example", span).await }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        tx.commit().await.unwrap();
        let (_, until) = leasing.await.unwrap().unwrap();
        let left = until.saturating_duration_since(Instant::now());
        assert!(left >= Duration::from_millis(150), "only {left:?} of the 210 ms lease left on arrival");
    }

    /// Two throttles on one database stand for two processes calling one panel.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn processes_sharing_a_database_share_the_limit() {
        let (_dir, db) = fresh_db().await;
        let url = "https://panel.example";
        let two =
            [Arc::new(Throttle::shared(5, db.clone(), url)), Arc::new(Throttle::shared(5, db.clone(), url))];
        let start = Instant::now();
        // 210 ms apart, less a little for the clock: never more than 5 in a second.
        let gap = closest(grants(&two, 8).await);
        assert!(gap >= Duration::from_millis(200), "{gap:?}");
        // 16 requests at 5 a second: the first goes at once, the last at 3 s at the earliest.
        assert!(start.elapsed() >= Duration::from_millis(3000), "{:?}", start.elapsed());
        // Apart, the two would send twice as fast: the check above can fail.
        let apart = [Arc::new(Throttle::new(5)), Arc::new(Throttle::new(5))];
        assert!(closest(grants(&apart, 8).await) < Duration::from_millis(100));
    }
}
