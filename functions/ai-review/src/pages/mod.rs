//! The AI pages, one file per page family.

pub mod flagged;
pub mod prompts;
pub mod quality;
pub mod settings;
pub mod ticket;
