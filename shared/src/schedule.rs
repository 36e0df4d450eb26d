//! How often the scheduled sync wakes up. On AWS this is an EventBridge Scheduler schedule (updated with
//! aws-sdk-scheduler in `functions/sync`); locally the runner's timer. Behind a trait so local runs and
//! tests never touch AWS.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::AppResult;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait SyncSchedule: Send + Sync {
    /// Wake the sync every `secs` seconds (whole minutes, at least one).
    fn set_every(&self, secs: u64) -> BoxFuture<'_, AppResult<()>>;
}

/// The in-process timer's period, read by the local runner before each wait.
#[derive(Debug)]
pub struct LocalSchedule(AtomicU64);

impl LocalSchedule {
    pub fn new(secs: u64) -> Self {
        LocalSchedule(AtomicU64::new(secs))
    }
    pub fn every(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl SyncSchedule for LocalSchedule {
    fn set_every(&self, secs: u64) -> BoxFuture<'_, AppResult<()>> {
        self.0.store(secs, Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }
}

/// The period the schedule should have: the shortest enabled interval, in whole minutes (EventBridge's
/// rate unit), between one minute and one hour so a long interval never delays retries for long.
pub fn period_for(shortest_interval: Option<i64>) -> u64 {
    let secs = shortest_interval.unwrap_or(60).clamp(60, 3600) as u64;
    secs / 60 * 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_whole_minutes() {
        assert_eq!(period_for(None), 60);
        assert_eq!(period_for(Some(30)), 60);
        assert_eq!(period_for(Some(150)), 120);
        assert_eq!(period_for(Some(86_400)), 3600);
    }
}
