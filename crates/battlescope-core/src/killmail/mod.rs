//! Killmails: the model (ESI + zKillboard wire names) and its validation.

mod copies;
mod model;
mod validate;

pub use model::{
    is_npc_corporation, Attacker, EntityId, Item, Killmail, Position, SystemId, TypeId, Victim,
    ZkbMeta,
};
pub use validate::{validate, Limits, EARLIEST_KILLMAIL};
