//! Logging setup shared by every binary.

use tracing_subscriber::EnvFilter;

/// JSON lines on Lambda (CloudWatch), readable text locally. `PANELOPS_LOG` sets the filter.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_env("PANELOPS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = if json { builder.json().without_time().try_init() } else { builder.try_init() };
}
