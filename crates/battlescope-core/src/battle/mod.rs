//! The battle document: membership, statistics and sides, computed from a
//! battle's killmails alone — so batch and incremental clustering, which
//! agree on memberships, agree on everything here too.

mod sides;
mod stats;
mod summary;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use sides::{assign_sides, check_sides, rand_index, victim_side, Side, SideChecks};
pub use stats::BattleStats;
pub use summary::KillSummary;

use crate::killmail::{Killmail, SystemId};
use crate::universe::{self, SecurityClass};

/// A battle with everything a reader wants to know about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Battle {
    /// Deterministic id (see [`crate::cluster::battle_id`]).
    pub id: Uuid,
    /// Solar system of every kill.
    pub system_id: SystemId,
    /// From the embedded universe data; `None` for ids it does not know.
    pub system_name: Option<String>,
    /// The system's region, from the embedded universe data.
    pub region_id: Option<u32>,
    /// The region's name, from the embedded universe data.
    pub region_name: Option<String>,
    /// Class of space of the system (high-sec, wormhole, …); `None` for unknown systems.
    pub security_class: Option<SecurityClass>,
    /// Time of the first kill.
    pub start_time: DateTime<Utc>,
    /// Time of the last kill.
    pub end_time: DateTime<Utc>,
    /// `endTime - startTime`, in seconds.
    pub duration_seconds: i64,
    /// Member killmails sorted by time, then id.
    pub killmail_ids: Vec<u64>,
    /// Kills, pilots, ships and ISK of the whole battle.
    pub stats: BattleStats,
    /// Sides, largest first (see [`assign_sides`]).
    pub sides: Vec<Side>,
    /// zKillboard's related-kills page for the hour of the first kill.
    pub zkillboard_url: String,
}

impl Battle {
    /// Build the document of a battle from its killmails, which must be
    /// sorted by time then id, non-empty and in one system.
    ///
    /// # Panics
    /// If `kills` is empty (a battle always has at least one kill).
    #[must_use]
    pub fn from_sorted_kills(id: Uuid, kills: &[&Killmail]) -> Self {
        let first = kills.first().expect("a battle has at least one killmail");
        let last = kills[kills.len() - 1];
        let system_id = first.solar_system_id;
        let system = universe::system(system_id);
        let start_time = first.killmail_time;
        let end_time = last.killmail_time;
        Self {
            id,
            system_id,
            system_name: system.map(|s| s.name.to_owned()),
            region_id: system.map(|s| s.region_id),
            region_name: system.map(|s| s.region_name.to_owned()),
            security_class: SecurityClass::of_system(system_id),
            start_time,
            end_time,
            duration_seconds: (end_time - start_time).num_seconds(),
            killmail_ids: kills.iter().map(|k| k.killmail_id).collect(),
            stats: BattleStats::compute(kills),
            sides: assign_sides(kills),
            zkillboard_url: related_url(system_id, start_time),
        }
    }

    /// The index of the side the victim of `killmail` (one of this
    /// battle's) was on; `None` for a victim on no side (an NPC). See
    /// [`sides::victim_side`].
    #[must_use]
    pub fn victim_side(&self, killmail: &Killmail) -> Option<u32> {
        sides::victim_side(&self.sides, &killmail.victim)
    }
}

/// `https://zkillboard.com/related/{system}/{YYYYMMDDHH00}/` for the hour of `time`.
#[must_use]
pub fn related_url(system_id: SystemId, time: DateTime<Utc>) -> String {
    format!(
        "https://zkillboard.com/related/{system_id}/{}/",
        time.format("%Y%m%d%H00")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn related_url_uses_the_hour_of_the_first_kill() {
        let t = DateTime::parse_from_rfc3339("2024-03-05T17:42:10Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            related_url(30_000_142, t),
            "https://zkillboard.com/related/30000142/202403051700/"
        );
    }
}
