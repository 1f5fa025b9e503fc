//! The platform's library half: the adapters that reach the outside world
//! (zKillboard, ESI, the embedded search index) and a local stub of
//! zKillboard and ESI for tests and demos. The `battlescope` binary is the
//! other half.

pub mod adapters;
pub mod stub;
