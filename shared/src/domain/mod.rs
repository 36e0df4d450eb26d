//! Domain types and their storage.

pub mod panels;
pub mod sync;
