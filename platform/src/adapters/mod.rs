//! Implementations of the ports, one module per implementation; only the
//! wiring ([`crate::serve`]) names them. Embedded: the in-process bus
//! ([`memory_bus`]), the SQLite store ([`sqlite`]), file replay
//! ([`replay`]). Distributed: the PostgreSQL store ([`postgres`]), which
//! shares its tables, rows and most statements with SQLite's ([`sql`]),
//! the Typesense index ([`typesense`]) and, with the `backends` feature,
//! the Kafka bus (`kafka`). The outside world: the zKillboard pollers ([`r2z2`],
//! [`redisq`]), the ESI client ([`esi`]) and the embedded search index
//! ([`search`]), with what they share ([`http`], [`breaker`], [`source`]).

pub mod breaker;
pub mod esi;
pub mod http;
#[cfg(feature = "backends")]
pub mod kafka;
pub mod memory_bus;
pub mod postgres;
pub mod r2z2;
pub mod redisq;
pub mod replay;
pub mod search;
pub mod source;
mod sql;
pub mod sqlite;
pub mod typesense;
