//! The outside world as concrete types, one module per implementation:
//! the zKillboard pollers ([`r2z2`], [`redisq`]), the ESI client
//! ([`esi`]) and the embedded search index ([`search`]), with what they
//! share ([`http`], [`breaker`], [`source`]).

pub mod breaker;
pub mod esi;
pub mod http;
pub mod r2z2;
pub mod redisq;
pub mod search;
pub mod source;
