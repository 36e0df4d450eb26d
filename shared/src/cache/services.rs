//! `services_cache`: a panel's catalogue (through its public API); a service that left it is marked
//! removed, not deleted, so reports still name it.

use super::upsert::Table;

/// How the sync writes a service.
pub const TABLE: Table = Table {
    name: "services_cache",
    columns: &[
        "panel_id",
        "id",
        "name",
        "type",
        "category",
        "rate",
        "min",
        "max",
        "refill",
        "cancel",
        "dripfeed",
        "removed_at",
        "min_per_day",
        "checked_at",
    ],
    key: &["panel_id", "id"],
    insert_only: &[],
    fingerprint: None,
};
