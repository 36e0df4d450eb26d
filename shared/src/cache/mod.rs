//! The cache of each panel's data, one home per table: its columns, its row type, its status words as
//! an enum, and how the sync writes it (`upsert`). Pages, reports, the admin API and the sync all take
//! a table's shape from here, so a column or a status word is written out once.

pub mod orders;
pub mod payments;
pub mod rollups;
pub mod services;
pub mod speeds;
pub mod ticket_messages;
pub mod tickets;
pub mod upsert;
pub mod users;
