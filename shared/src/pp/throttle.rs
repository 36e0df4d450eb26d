//! Never more than N requests per second to one panel, shared by everything that calls it.
//!
//! Within a process every caller (each resource of a sync run, a ticket reply, a report's live fetch)
//! queues on the panel's one throttle. Across processes — on AWS the sync, the console and the reports
//! are separate Lambdas — the throttle leases short windows of the panel's time from the database
//! (`panel_request_windows`), so all of them together stay under the limit. A lease covers the callers
//! already queued, up to one second, so a busy sync writes once a second, not once a request.
//!
//! What the throttle promises is about the moments it releases requests, measured after waking: two
//! releases, in this process or any other, are at least 1/N s apart. A machine too busy to wake a task
//! on time must not break that, so the release is checked when the caller wakes, not only planned: a
//! caller woken past its leased window takes a new one. (What it cannot control is the trip from
//! release to the panel; each request keeps a 10 ms margin for that.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::db::Db;
use crate::error::{AppError, AppResult};

/// Longest wait for the database before a request goes out on the local spacing alone.
const LEASE_TIMEOUT: Duration = Duration::from_secs(3);
/// Leases tried in a row before falling back (each is retried only when it came back already spent).
const LEASE_TRIES: u32 = 3;
/// The log target of each release (trace level, with the wall-clock time in µs in its message), for
/// checking the limit from outside a process: `PANELOPS_LOG=panel_requests=trace`.
pub const RELEASE_LOG: &str = "panel_requests";

pub struct Throttle {
    /// Between two releases of this process: the panel's least gap plus a margin.
    interval: Duration,
    /// The least gap between any two releases, whichever process they are in: 1/N s.
    gap: Duration,
    per_second: u32,
    state: tokio::sync::Mutex<Window>,
    ledger: Option<Ledger>,
    /// Callers queued for the state: a lease is sized for them.
    waiting: AtomicUsize,
}

/// This process's next free slot, and the end of the panel time it holds (as early as it can be).
struct Window {
    next: Instant,
    until: Instant,
    /// How long the last lease took to answer: the next one asks for that much more panel time, so
    /// it is not spent by the time it arrives.
    trip: Duration,
    /// The held lease, while nothing has been released in it: it can be given back.
    unused: Option<Lease>,
}

/// A lease as the database counts it: panel time from `start_ms` to `end_ms`.
#[derive(Clone, Copy)]
struct Lease {
    start_ms: i64,
    end_ms: i64,
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
        let gap =
            if per_second == 0 { Duration::ZERO } else { Duration::from_millis(1000 / per_second as u64) };
        let interval = if per_second == 0 { Duration::ZERO } else { gap + Duration::from_millis(10) };
        let now = Instant::now();
        Throttle {
            interval,
            gap,
            per_second,
            state: tokio::sync::Mutex::new(Window {
                next: now,
                until: now,
                trip: Duration::ZERO,
                unused: None,
            }),
            ledger,
            waiting: AtomicUsize::new(0),
        }
    }

    /// Waits for this caller's turn; returns the moment it was released.
    pub async fn acquire(&self) -> Instant {
        if self.interval.is_zero() {
            return Instant::now();
        }
        let queued = Queued::enter(&self.waiting);
        // One caller at a time, holding the state until it is released: the next one's slot is
        // counted from when this one really went, not from when it was meant to.
        let mut w = self.state.lock().await;
        drop(queued);
        loop {
            let mut slot = w.next.max(Instant::now());
            if let Some(ledger) = &self.ledger {
                slot = self.slot_in_lease(ledger, &mut w, slot).await;
            }
            tokio::time::sleep_until(slot.into()).await;
            let now = Instant::now();
            // Woken too late to finish before the leased window ends, where another process's
            // requests may begin: not released; a new slot from here.
            if self.ledger.is_some() && now + self.gap > w.until {
                w.next = now;
                continue;
            }
            w.next = now + self.interval;
            w.unused = None;
            // The wall-clock time of the release decision itself: taken now and stepped back by
            // what passed since, so a thread descheduled before this line does not log it late.
            let at = crate::time::now_micros() - now.elapsed().as_micros() as i64;
            tracing::trace!(target: RELEASE_LOG, "panel request released at {at} µs");
            return now;
        }
    }

    /// `slot` if the held window still has room for it, else the first slot of a new lease. A request
    /// at `t` needs the panel until `t + gap`: the next process's window starts at `until`.
    async fn slot_in_lease(&self, ledger: &Ledger, w: &mut Window, slot: Instant) -> Instant {
        if slot + self.gap <= w.until {
            return slot;
        }
        let wanted = (self.waiting.load(Ordering::Relaxed) + 1).min(self.per_second.max(1) as usize) as u32;
        let mut span = self.interval * wanted + w.trip;
        for _ in 0..LEASE_TRIES {
            let asked = lease(&ledger.db, &ledger.key, span, w.unused.take());
            match tokio::time::timeout(LEASE_TIMEOUT, asked).await {
                Ok(Ok(granted)) => {
                    w.until = granted.until;
                    w.trip = granted.trip;
                    w.unused = Some(granted.lease);
                    // Not before this process's own spacing, nor before now.
                    let slot = granted.start.max(slot).max(Instant::now());
                    if slot + self.gap <= granted.until {
                        return slot;
                    }
                    // The answer took longer than the window's slack: ask again for that much more,
                    // giving this one back.
                    span += granted.trip;
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
            // Expected now and then (a slow answer on a busy machine or network): asked again, larger.
            tracing::debug!(panel = %ledger.key, "request window came back already spent; leasing again");
        }
        // The database is unreachable or slow: the local spacing still holds within this process.
        w.until = slot + self.interval;
        w.unused = None;
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

/// A leased window as this process can be sure of it, and how long the lease took to answer.
struct Granted {
    start: Instant,
    until: Instant,
    trip: Duration,
    lease: Lease,
}

/// Leases `span` of the panel's time, starting now or where the last lease (of any process) ends;
/// `give_back`, this process's last lease if nothing was released in it and nobody leased after it,
/// is reused instead of left idle. "Now" is the database's clock once the statement holds the write
/// lock, so a lease that waited behind another process's write (a sync committing a page) starts
/// when it is granted, not when it was asked for. That moment lies somewhere in the statement's
/// trip, so the window is read cautiously: starting as late, and ending as early, as the trip allows.
async fn lease(db: &Db, key: &str, span: Duration, give_back: Option<Lease>) -> AppResult<Granted> {
    let span_ms = span.as_millis() as i64;
    let (back_end, back_start) = give_back.map_or((-1, 0), |l| (l.end_ms, l.start_ms));
    let conn = db.connect().await?;
    let sql = format!(
        "INSERT INTO panel_request_windows (panel_url, next_free_ms) VALUES (?1, {DB_NOW_MS} + ?2)
         ON CONFLICT (panel_url) DO UPDATE SET next_free_ms =
             max(CASE WHEN next_free_ms = ?3 THEN ?4 ELSE next_free_ms END, {DB_NOW_MS}) + ?2
         RETURNING next_free_ms - ?2 - {DB_NOW_MS}, next_free_ms"
    );
    let sent = Instant::now();
    let mut rows = conn.query(&sql, libsql::params![key, span_ms, back_end, back_start]).await?;
    let (wait_ms, end_ms): (i64, i64) = match rows.next().await? {
        Some(r) => (r.get(0)?, r.get(1)?),
        None => return Err(AppError::Internal("the request window lease returned nothing".into())),
    };
    let answered = Instant::now();
    drop(rows);
    // The database's clock counts whole milliseconds: its "now" may be up to 1 ms past the real one.
    let wait = Duration::from_millis(wait_ms.max(0) as u64);
    Ok(Granted {
        start: answered + wait,
        until: (sent + wait + span).checked_sub(Duration::from_millis(1)).unwrap_or(sent),
        trip: answered - sent,
        lease: Lease { start_ms: end_ms - span_ms, end_ms },
    })
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

    /// The shortest gap between two releases.
    fn closest(mut times: Vec<Instant>) -> Duration {
        times.sort();
        times.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(Duration::MAX)
    }

    fn spawn_callers(throttles: &[Arc<Throttle>], each: usize) -> Vec<tokio::task::JoinHandle<Instant>> {
        let mut tasks = Vec::new();
        for t in throttles {
            for _ in 0..each {
                let t = t.clone();
                tasks.push(tokio::spawn(async move { t.acquire().await }));
            }
        }
        tasks
    }

    /// When each caller was released, as the throttle measured it.
    async fn releases(tasks: Vec<tokio::task::JoinHandle<Instant>>) -> Vec<Instant> {
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        times
    }

    async fn grants(throttles: &[Arc<Throttle>], each: usize) -> Vec<Instant> {
        releases(spawn_callers(throttles, each)).await
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
    /// granted once the write is done, and the request goes out after the other process's window,
    /// however long the wait made the answer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lease_that_waited_for_another_write_starts_after_its_window() {
        let (_dir, db) = fresh_db().await;
        let url = "https://panel.example";
        let writer = db.connect().await.unwrap();
        let tx = crate::db::write_tx(&writer).await.unwrap();
        let theirs_until = crate::time::now_ms() + 700;
        tx.execute(
            "INSERT INTO panel_request_windows (panel_url, next_free_ms) VALUES (?1, ?2)",
            libsql::params![url, theirs_until],
        )
        .await
        .unwrap();
        let t = Arc::new(Throttle::shared(5, db.clone(), url));
        let caller = tokio::spawn({
            let t = t.clone();
            async move { t.acquire().await }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        tx.commit().await.unwrap();
        let released = caller.await.unwrap();
        let released_ms = crate::time::now_ms() - released.elapsed().as_millis() as i64;
        assert!(
            released_ms >= theirs_until - 1,
            "released {} ms inside their window",
            theirs_until - released_ms
        );
    }

    /// A machine too busy to wake tasks on time (here the runtime's one thread is blocked past
    /// several slots while requests of two processes wait their turn) must not release them together:
    /// a caller woken after its window takes a new one.
    #[tokio::test(flavor = "current_thread")]
    async fn requests_woken_late_are_not_released_together() {
        let (_dir, db) = fresh_db().await;
        let url = "https://panel.example";
        let two =
            [Arc::new(Throttle::shared(5, db.clone(), url)), Arc::new(Throttle::shared(5, db.clone(), url))];
        let tasks = spawn_callers(&two, 4);
        // The first leases are taken and the first callers sleep towards their slots; then the stall.
        tokio::time::sleep(Duration::from_millis(50)).await;
        std::thread::sleep(Duration::from_millis(700));
        let gap = closest(releases(tasks).await);
        assert!(gap >= Duration::from_millis(200), "two releases {gap:?} apart");
    }

    /// A lease that came back spent, or whose caller woke too late, is given back with the next ask
    /// instead of leaving the panel idle; one that may have been used is not.
    #[tokio::test]
    async fn an_unused_lease_is_given_back() {
        let (_dir, db) = fresh_db().await;
        let url = "https://panel.example";
        // Long windows: however slow the machine, the next ask comes while they last.
        let span = Duration::from_secs(60);
        let first = lease(&db, url, span, None).await.unwrap().lease;
        let again = lease(&db, url, span, Some(first)).await.unwrap().lease;
        assert!(again.start_ms < first.end_ms, "reused from {} ms in", again.start_ms - first.start_ms);
        let next = lease(&db, url, span, None).await.unwrap().lease;
        assert_eq!(next.start_ms, again.end_ms, "after a lease kept, the next one follows it");
        // Given back only while nobody leased after it.
        let late = lease(&db, url, span, Some(again)).await.unwrap().lease;
        assert_eq!(late.start_ms, next.end_ms);
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
