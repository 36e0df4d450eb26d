//! Staff accounts, sessions, CSRF, sign-in throttling, roles and panel scope.

pub mod access;
pub mod api_key;
pub mod context;
pub mod cookies;
pub mod csrf;
pub mod guard;
pub mod in_scope;
pub mod password;
pub mod role;
pub mod scope;
pub mod session;
pub mod staff;
pub mod throttle;
pub mod viewer;

pub use api_key::{ApiCaller, Scope};
pub use in_scope::InScope;
pub use role::Role;
pub use scope::PanelScope;
pub use viewer::{ClientInfo, Viewer};
