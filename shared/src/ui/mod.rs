//! The console's look: one layout, one stylesheet, and the UI pieces every page reuses.

pub mod assets;
pub mod components;
pub mod form;
pub mod layout;
pub mod nav;

pub use components::*;
pub use layout::{bare_page, page};
