//! Who may call a route: recorded with each route in `routes::Routes`, enforced by the guard.

use super::{Role, Scope};

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: sign-in, first-run setup, health check, static assets.
    Public,
    /// A signed-in staff member whose role is at least this one.
    Staff(Role),
    /// As `Staff`, for a setting every panel shares (payment methods, report profiles, AI settings
    /// and prompts): the member must also see every panel, or an admin of one panel would change what
    /// another panel's staff see.
    AllPanels(Role),
    /// An admin API client whose `X-Api-Key` carries this scope (`/adminapi/v2`).
    ApiKey(Scope),
}
