//! Order actions: resend, request cancel, edit link, cancel and refund, set partial and change
//! status, on one order or up to 500 across panels, from the console and the admin API. See
//! `kind` (what each is), `plan` (what it will do), `store` (the action and its orders in the
//! database), `send` (one write) and `run` (a time-boxed slice of the sending).

pub mod plan;
pub mod run;
pub mod send;
pub mod store;

pub use shared::domain::order_actions as kind;
