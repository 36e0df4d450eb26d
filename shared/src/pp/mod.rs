//! Perfect Panel: the admin API v2 and public API v2 clients, a per-panel throttle, and defensive
//! parsing of what panels send (see `shared/reference/perfect-panel-api.md`).

pub mod admin;
pub mod error;
pub mod fast;
pub mod lenient;
pub mod money;
pub mod public;
pub mod rows;
pub mod throttle;
mod transport;

pub use admin::{AdminClient, ListPage};
pub use error::PpError;
pub use fast::OrdersPage;
pub use public::PublicClient;
pub use transport::ClientOptions;
