//! The local runner and admin CLI: every function's router on one axum server, the scheduled jobs on
//! in-process timers (the stand-in for EventBridge Scheduler), and the admin commands.

pub mod alert_channels;
pub mod api_keys;
pub mod bench;
pub mod cli;
pub mod demo;
pub mod server;
pub mod sync_summary;
