//! Alerts: Settings → Alerts (channels and the rules' settings) and Alerts → History (and its CSV).

pub mod channel_form;
pub mod export;
pub mod history;
pub mod settings;
pub mod tables;
