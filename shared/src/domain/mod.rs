//! Domain types and their storage.

pub mod ai_verdicts;
pub mod competitors;
pub mod fraud;
pub mod order_actions;
pub mod panels;
pub mod refill;
pub mod service_name;
pub mod stored_secrets;
pub mod sync;
pub mod text;
