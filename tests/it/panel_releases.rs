//! When the throttles released panel requests, read from their trace log
//! (`shared::pp::throttle::RELEASE_LOG`): what the throttle controls, unlike the arrival times a
//! simulator records, which a busy machine's scheduling bunches together after the fact.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use shared::pp::throttle::RELEASE_LOG;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Release times in µs since the epoch (one clock for every process on the machine).
#[derive(Clone, Default)]
pub struct Releases(Arc<Mutex<Vec<i64>>>);

/// The `PANELOPS_LOG` that makes a `panelops` process log its releases.
pub const CHILD_LOG: &str = "error,panel_requests=trace";

impl Releases {
    /// A subscriber recording this process's releases (install it where the requests are made).
    pub fn dispatch(&self) -> tracing::Dispatch {
        tracing::Dispatch::new(tracing_subscriber::registry().with(self.clone()))
    }

    /// Adds the releases a `panelops` process logged (with [`CHILD_LOG`]); returns how many.
    pub fn add_log(&self, text: &str) -> usize {
        let found: Vec<i64> = text.lines().filter_map(release_time).collect();
        let n = found.len();
        self.0.lock().unwrap().extend(found);
        n
    }

    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The most releases within any one second.
    pub fn peak_per_second(&self) -> usize {
        let mut t = self.0.lock().unwrap().clone();
        t.sort_unstable();
        let (mut best, mut lo) = (0, 0);
        for hi in 0..t.len() {
            while t[hi] - t[lo] >= 1_000_000 {
                lo += 1;
            }
            best = best.max(hi - lo + 1);
        }
        best
    }
}

/// The time in a release's message ("panel request released at 1750000000123456 µs").
fn release_time(line: &str) -> Option<i64> {
    line.split("released at ").nth(1)?.split_whitespace().next()?.parse().ok()
}

impl<S: Subscriber> Layer<S> for Releases {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == RELEASE_LOG {
            let mut message = Message(String::new());
            event.record(&mut message);
            if let Some(t) = release_time(&message.0) {
                self.0.lock().unwrap().push(t);
            }
        }
    }
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}
