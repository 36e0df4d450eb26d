//! Writing to the activity log on behalf of the signed-in staff member (`shared::audit::log`).

pub use shared::audit::log;
