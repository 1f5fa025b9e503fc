//! Implementations of the ports. Only the wiring ([`crate::serve`]) names them.

pub mod memory_bus;
pub mod replay;
pub mod sqlite;
