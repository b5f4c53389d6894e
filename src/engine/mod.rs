//! The engine: tokio actors that run tasks durably. It never names a terminal library.

pub mod catalog;
pub mod inputs;
pub mod process;
pub mod skills;
pub mod template;
pub mod workflow;
