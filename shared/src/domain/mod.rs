//! Domain types and their storage.

pub mod panels;
pub mod service_name;
pub mod sync;
pub mod text;
pub mod ticket_messages;
