//! The outside world as concrete types, one module per implementation:
//! the zKillboard pollers ([`r2z2`], [`redisq`]), with what they share
//! ([`http`], [`source`]).

pub mod http;
pub mod r2z2;
pub mod redisq;
pub mod source;
