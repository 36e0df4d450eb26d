//! Never more than N requests per second to one panel, shared by everything in this process that
//! calls it (every resource of a sync run, a ticket reply, a catalogue refresh).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct Throttle {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Throttle {
    /// `per_second` = 0 means no limit. A small margin keeps us under the panel's own count at the
    /// edges of its one-second window.
    pub fn new(per_second: u32) -> Self {
        let interval = if per_second == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(1000 / per_second as u64 + 10)
        };
        Throttle { interval, next: Mutex::new(Instant::now()) }
    }

    /// Waits for this caller's slot.
    pub async fn acquire(&self) {
        if self.interval.is_zero() {
            return;
        }
        let wait = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

type Registry = Mutex<HashMap<(String, u32), Arc<Throttle>>>;

/// The process-wide throttle of one panel (keyed by its base URL).
pub fn for_panel(base_url: &str, per_second: u32) -> Arc<Throttle> {
    static ALL: OnceLock<Registry> = OnceLock::new();
    let map = ALL.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    map.entry((base_url.to_string(), per_second))
        .or_insert_with(|| Arc::new(Throttle::new(per_second)))
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
}
