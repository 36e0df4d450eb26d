//! Logging setup shared by every binary.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// JSON lines on Lambda (CloudWatch), readable text locally. `PANELOPS_LOG` sets the filter: a level
/// (`info`) or `target=level` directives (`warn,sync=debug`). Targets rather than EnvFilter: the same
/// directives without a regex engine in every binary.
pub fn init(json: bool) {
    let filter = std::env::var("PANELOPS_LOG")
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let fmt = tracing_subscriber::fmt::layer().with_target(false);
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if json {
        registry.with(fmt.json().without_time()).try_init()
    } else {
        registry.with(fmt).try_init()
    };
}
