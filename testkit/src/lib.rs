//! A simulated Perfect Panel for tests, benchmarks and the demo: both APIs over loopback HTTP, data
//! generated deterministically from a seed, and fault switches.

pub mod catalog;
pub mod data;
pub mod faults;
pub mod lambda_runtime;
pub mod llm;
pub mod rival;
pub mod rng;
pub mod server;
pub mod sqld;

pub use data::SimConfig;
pub use faults::Faults;
pub use llm::{LlmFault, LlmHandle};
pub use server::SimHandle;
