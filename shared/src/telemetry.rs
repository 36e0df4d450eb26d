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
        .and_then(|v| parse_filter(&v))
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let fmt = tracing_subscriber::fmt::layer().with_target(false);
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if json {
        registry.with(fmt.json().without_time()).try_init()
    } else {
        registry.with(fmt).try_init()
    };
}

/// The filter `PANELOPS_LOG` asks for, or None when it is not one. A lone word must be a level: the
/// parser would take `verbose` for a target name and show nothing else, where `info` was meant.
fn parse_filter(v: &str) -> Option<Targets> {
    let lone_word = v.split(',').any(|d| !d.contains('=') && d.trim().parse::<LevelFilter>().is_err());
    if lone_word {
        return None;
    }
    v.parse::<Targets>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_filter_is_refused() {
        assert!(parse_filter("verbose").is_none());
        assert!(parse_filter("warn,verbose").is_none());
        assert!(parse_filter("sync=nonsense").is_none());
        let t = parse_filter("warn,sync=debug").unwrap();
        assert!(t.would_enable("sync", &tracing::Level::DEBUG));
        assert!(!t.would_enable("other", &tracing::Level::INFO));
        assert!(parse_filter("debug").unwrap().would_enable("x", &tracing::Level::DEBUG));
    }
}
