//! Alerts: Settings → Alerts (channels and the rules' settings) and Alerts → History.

pub mod channel_form;
pub mod history;
pub mod settings;
pub mod tables;
