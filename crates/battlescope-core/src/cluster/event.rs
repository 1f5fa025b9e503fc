//! What clustering changed: the events of the [`Clusterer`](super::Clusterer)
//! and of [`recluster`](super::recluster).
//!
//! Applying a stream of events in order to a map *battle id → members*
//! always yields the current battles:
//! - [`BattleChange::Created`]: insert the battle.
//! - [`BattleChange::Updated`]: if `previous_id` is set, the battle was known
//!   under that id until now (a battle is always named by its earliest kill,
//!   and an earlier kill joined or the earliest left): move it, and redirect
//!   the old id here. Then add `added_killmail_ids`, remove
//!   `removed_killmail_ids`.
//! - [`BattleChange::Deleted`]: remove the battle; `merged_into` names the
//!   battle that now holds its kills (redirect the old id there), or is
//!   `None` when its kills no longer form a battle.
//! - [`BattleChange::Sealed`]: nothing changes; the battle is final as far
//!   as this clusterer goes (only a re-cluster of its range can change it).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::killmail::SystemId;

/// Why a battle was updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UpdateReason {
    /// New kills at or after the battle's end: the fight goes on.
    Appended,
    /// A kill older than the battle's end arrived (out of order), still
    /// within the allowed lateness.
    OutOfOrder,
    /// A kill older than the watermark (newest kill − allowed lateness)
    /// joined a battle that was still open.
    LateArrival,
    /// Other battles were absorbed (each gets a `BattleDeleted`).
    Merge,
    /// A better copy of one of its killmails replaced the kept one (see
    /// [`Killmail::is_preferred_over`](crate::Killmail::is_preferred_over)).
    Replaced,
    /// A re-cluster of its range (late kills beyond the horizon, or a
    /// re-cluster asked for) changed it.
    Reclustered,
}

/// A group of kills became a battle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BattleCreated {
    /// The new battle's id (named by its earliest kill).
    pub battle_id: Uuid,
    /// Its solar system.
    pub system_id: SystemId,
    /// All member killmails, sorted by time then id.
    pub killmail_ids: Vec<u64>,
    /// Time of its first kill.
    pub start_time: DateTime<Utc>,
    /// Time of its last kill.
    pub end_time: DateTime<Utc>,
}

/// A battle changed: kills joined or left, or other battles merged into it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BattleUpdated {
    /// Its id after the change: [`battle_id`](super::battle_id) of its
    /// system and earliest kill.
    pub battle_id: Uuid,
    /// The id it had before, when that differs (its earliest kill changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<Uuid>,
    /// Its solar system.
    pub system_id: SystemId,
    /// Killmails new to this battle, sorted by time then id: the pushed
    /// kill, and the kills of absorbed battles and pending groups.
    pub added_killmail_ids: Vec<u64>,
    /// Killmails that left it (only a replaced copy or a re-cluster removes
    /// kills), sorted by time then id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_killmail_ids: Vec<u64>,
    /// Time of its first kill after the change.
    pub start_time: DateTime<Utc>,
    /// Time of its last kill after the change.
    pub end_time: DateTime<Utc>,
    /// Why it changed.
    pub reason: UpdateReason,
    /// Battles merged into this one by this update.
    pub absorbed: Vec<Uuid>,
}

/// A battle is gone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BattleDeleted {
    /// The battle that is gone.
    pub battle_id: Uuid,
    /// Its solar system.
    pub system_id: SystemId,
    /// The battle that now holds its kills; `None` when they no longer form
    /// a battle (after a re-cluster or a replaced copy).
    pub merged_into: Option<Uuid>,
}

/// A battle was sealed: no kill within the allowed lateness can change it
/// any more, and the clusterer let go of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BattleSealed {
    /// The sealed battle.
    pub battle_id: Uuid,
    /// Its solar system.
    pub system_id: SystemId,
    /// Killmails it ends with.
    pub killmail_count: usize,
    /// Time of its last kill.
    pub end_time: DateTime<Utc>,
}

/// What clustering changed, one battle at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BattleChange {
    /// A group of kills became a battle.
    Created(BattleCreated),
    /// A battle gained (or lost) kills or absorbed others.
    Updated(BattleUpdated),
    /// A battle is gone: merged into another, or no longer a battle.
    Deleted(BattleDeleted),
    /// A battle is final: the clusterer let go of it.
    Sealed(BattleSealed),
}

impl BattleChange {
    /// The battle the event is about (events are ordered per battle id).
    #[must_use]
    pub fn battle_id(&self) -> Uuid {
        match self {
            Self::Created(e) => e.battle_id,
            Self::Updated(e) => e.battle_id,
            Self::Deleted(e) => e.battle_id,
            Self::Sealed(e) => e.battle_id,
        }
    }

    /// The solar system of the battle.
    #[must_use]
    pub fn system_id(&self) -> SystemId {
        match self {
            Self::Created(e) => e.system_id,
            Self::Updated(e) => e.system_id,
            Self::Deleted(e) => e.system_id,
            Self::Sealed(e) => e.system_id,
        }
    }
}

pub(crate) fn time_of(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
