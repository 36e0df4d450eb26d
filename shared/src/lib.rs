//! Everything the panelops functions share: configuration, the database, staff access, secrets,
//! the console's layout and UI pieces, and the one error type.

pub mod audit;
pub mod auth;
pub mod base_path;
pub mod cache;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod export;
pub mod form_post;
pub mod fs_mode;
pub mod health;
pub mod invocation;
pub mod outbound;
pub mod pp;
pub mod routes;
pub mod schedule;
pub mod security_headers;
pub mod state;
pub mod telemetry;
pub mod time;
pub mod ui;

pub use error::{AppError, AppResult};
pub use routes::{Access, RouteSpec, Routes};
pub use state::AppState;
