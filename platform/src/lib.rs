//! The BattleScope platform: the file commands ([`cli`]), the ports the
//! services reach the outside through ([`ports`]), their implementations
//! ([`adapters`]: embedded ones and those that reach zKillboard, ESI and the
//! embedded search index), the services ([`services`]), the HTTP API
//! ([`api`]), the wiring that runs them all in one process ([`serve`]) or
//! one per process ([`service`]), and a local stub of zKillboard and ESI for
//! tests and demos ([`stub`]).

pub mod adapters;
pub mod api;
pub mod cli;
pub mod ports;
pub mod serve;
pub mod service;
pub mod services;
pub mod stub;
