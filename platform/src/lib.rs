//! The platform's library half: a local stub of zKillboard and ESI for
//! tests and demos. The `battlescope` binary is the other half.

pub mod stub;
