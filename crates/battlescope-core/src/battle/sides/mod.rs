//! Who fought on which side (DESIGN.md "Sides").
//!
//! MODEL-DOCS

mod build;
mod checks;
mod evidence;
mod groups;
mod merge;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use checks::{check_sides, rand_index, SideChecks};

use crate::killmail::{EntityId, Killmail};
use crate::universe::ShipClass;

/// One side of a battle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Side {
    /// 0-based; sides are ordered by pilots (most first), then lowest group id.
    pub index: u32,
    pub alliances: Vec<EntityId>,
    /// Corporations seen on this side (with or without alliance).
    pub corporations: Vec<EntityId>,
    /// Characters seen on this side.
    pub pilots: Vec<EntityId>,
    /// Distinct (pilot, hull) pairs by class; structures count once per loss.
    #[schemars(schema_with = "crate::events::schema::ship_class_counts")]
    pub ships: BTreeMap<ShipClass, u32>,
    /// Kills credited to this side: the final blow's side, or else the side
    /// with most attacking pilots (never the victim's own side).
    pub kills: u32,
    pub losses: u32,
    pub isk_killed: f64,
    pub isk_lost: f64,
    /// Losses without a known value (not counted as zero ISK).
    pub losses_without_value: u32,
    /// `isk_killed / (isk_killed + isk_lost)`, `None` when both are zero.
    pub efficiency: Option<f64>,
}

/// Assign the sides of a battle from its killmails (sorted by time, then
/// id): a pure function of the set of kills.
#[must_use]
pub fn assign_sides(kills: &[&Killmail]) -> Vec<Side> {
    let evidence = evidence::Evidence::gather(kills);
    if evidence.groups.is_empty() {
        return Vec::new();
    }
    let mut cluster_of = merge::merge_groups(evidence.groups.len(), evidence.rows.clone());
    merge::refine(&evidence.rows, &mut cluster_of);
    build::build_sides(kills, &evidence.groups, &evidence.index, &cluster_of)
}
