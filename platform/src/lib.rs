//! The BattleScope platform: the file commands ([`cli`]), the ports the
//! services reach the outside through ([`ports`]), their implementations
//! ([`adapters`]), the services ([`services`]), the HTTP API ([`api`]) and
//! the wiring that runs them all in one process ([`serve`]).

pub mod adapters;
pub mod api;
pub mod cli;
pub mod ports;
pub mod serve;
pub mod services;
