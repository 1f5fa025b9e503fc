//! The ports: one trait per way the services reach the outside world.
//!
//! A service is written against these traits only; the wiring
//! ([`crate::serve`]) picks an implementation per port from a URL. Every
//! port has an embedded implementation in [`crate::adapters`] and a
//! distributed one (Kafka, PostgreSQL, Typesense, HTTP) to follow.

pub mod bus;
pub mod esi;
pub mod search;
pub mod source;
pub mod store;

pub use bus::{Bus, BusError, Consumer, Message, OutgoingMessage, Position};
pub use esi::{Esi, EsiError};
pub use search::{SearchError, SearchIndex};
pub use source::{KillmailSource, RawPayload, SourceCursor, SourceError, SourcePoll, SourceRecord};
pub use store::{Store, StoreError};
