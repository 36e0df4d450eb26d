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

/// A cached row: the panel's own row as the sync parsed it (`crate::pp::rows`), with the panel it
/// came from. It reads as that row (`order.status`), so the row's fields are written once.
#[derive(Clone, Debug)]
pub struct Cached<R> {
    pub panel_id: i64,
    pub row: R,
}

impl<R> std::ops::Deref for Cached<R> {
    type Target = R;
    fn deref(&self) -> &R {
        &self.row
    }
}
