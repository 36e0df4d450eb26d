//! Alerts: Settings → Alerts (channels and the rules' settings) and Alerts → History.

pub mod history;
pub mod settings;
