//! Clusterer events ⇄ bus events, without loss.
//!
//! A [`BattleChange`] names what changed; the bus event also carries the
//! battle's whole document, so consumers need nothing else. Building one
//! checks that the document describes the event (same battle, same
//! members or a superset of the added ones, same span), which is what makes
//! [`Event::to_battle_change`] give the clusterer event back exactly.

use chrono::{DateTime, Utc};
use rustc_hash::FxHashSet;
use uuid::Uuid;

use super::{
    BattleCreatedData, BattleDeletedData, BattleSealedData, BattleUpdatedData, Envelope, Event,
    EventMetadata, EventType,
};
use crate::battle::Battle;
use crate::cluster::{
    BattleChange, BattleCreated, BattleDeleted, BattleSealed, BattleUpdated, Clusterer, Pushed,
};
use crate::error::Error;

impl Event {
    /// The bus event of one clusterer event. `battle` is the battle's
    /// document right after the event (not needed for `Deleted`).
    ///
    /// # Errors
    /// [`Error::Event`] on `battle` when a created/updated change comes
    /// without a document, on the differing field when the document does
    /// not describe the change.
    pub fn from_battle_change(
        event: &BattleChange,
        battle: Option<&Battle>,
        timestamp: DateTime<Utc>,
        metadata: EventMetadata,
    ) -> Result<Self, Error> {
        let document = |id: Uuid| {
            battle.ok_or_else(|| {
                Error::event(
                    format!("battle {id}"),
                    "battle",
                    "no document for the battle: build events right after the push that made them",
                )
            })
        };
        Ok(match event {
            BattleChange::Created(e) => {
                let battle = document(e.battle_id)?;
                check_created(e, battle)?;
                let data = BattleCreatedData {
                    battle: battle.clone(),
                };
                Envelope::new(data, timestamp, metadata).into()
            }
            BattleChange::Updated(e) => {
                let battle = document(e.battle_id)?;
                check_updated(e, battle)?;
                let data = BattleUpdatedData {
                    battle: battle.clone(),
                    previous_id: e.previous_id,
                    added_killmail_ids: e.added_killmail_ids.clone(),
                    removed_killmail_ids: e.removed_killmail_ids.clone(),
                    reason: e.reason,
                    absorbed: e.absorbed.clone(),
                };
                Envelope::new(data, timestamp, metadata).into()
            }
            BattleChange::Deleted(e) => {
                let data = BattleDeletedData {
                    battle_id: e.battle_id,
                    system_id: e.system_id,
                    merged_into: e.merged_into,
                };
                Envelope::new(data, timestamp, metadata).into()
            }
            BattleChange::Sealed(e) => {
                let battle = document(e.battle_id)?;
                check_sealed(e, battle)?;
                let data = BattleSealedData {
                    battle: battle.clone(),
                };
                Envelope::new(data, timestamp, metadata).into()
            }
        })
    }

    /// The bus events of one [`Clusterer::push`], in order. Call it right
    /// after the push: the documents are read from the clusterer (or from
    /// the battles the push sealed), and must be the state the push left.
    ///
    /// # Errors
    /// As [`Event::from_battle_change`].
    pub fn from_push(
        pushed: &Pushed,
        clusterer: &Clusterer,
        timestamp: DateTime<Utc>,
        metadata: &EventMetadata,
    ) -> Result<Vec<Self>, Error> {
        pushed
            .events
            .iter()
            .map(|event| {
                let battle = match event {
                    BattleChange::Deleted(_) => None,
                    _ => {
                        let id = event.battle_id();
                        clusterer
                            .battle(id)
                            .or_else(|| pushed.sealed.iter().find(|b| b.id == id).cloned())
                    }
                };
                Self::from_battle_change(event, battle.as_ref(), timestamp, metadata.clone())
            })
            .collect()
    }

    /// The clusterer event a battle event carries (`None` for killmail
    /// events). For an event built by [`Event::from_battle_change`] this is
    /// the event it was built from.
    #[must_use]
    pub fn to_battle_change(&self) -> Option<BattleChange> {
        match self {
            Self::BattleCreated(e) => {
                let b = &e.data.battle;
                Some(BattleChange::Created(BattleCreated {
                    battle_id: b.id,
                    system_id: b.system_id,
                    killmail_ids: b.killmail_ids.clone(),
                    start_time: whole_seconds(b.start_time),
                    end_time: whole_seconds(b.end_time),
                }))
            }
            Self::BattleUpdated(e) => {
                let b = &e.data.battle;
                Some(BattleChange::Updated(BattleUpdated {
                    battle_id: b.id,
                    system_id: b.system_id,
                    previous_id: e.data.previous_id,
                    added_killmail_ids: e.data.added_killmail_ids.clone(),
                    removed_killmail_ids: e.data.removed_killmail_ids.clone(),
                    start_time: whole_seconds(b.start_time),
                    end_time: whole_seconds(b.end_time),
                    reason: e.data.reason,
                    absorbed: e.data.absorbed.clone(),
                }))
            }
            Self::BattleDeleted(e) => Some(BattleChange::Deleted(BattleDeleted {
                battle_id: e.data.battle_id,
                system_id: e.data.system_id,
                merged_into: e.data.merged_into,
            })),
            Self::BattleSealed(e) => {
                let b = &e.data.battle;
                Some(BattleChange::Sealed(BattleSealed {
                    battle_id: b.id,
                    system_id: b.system_id,
                    killmail_count: b.killmail_ids.len(),
                    end_time: whole_seconds(b.end_time),
                }))
            }
            Self::KillmailIngested(_) | Self::KillmailEnriched(_) => None,
        }
    }
}

/// The clusterer works in whole seconds (killmail times have no fraction).
fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

fn check_created(e: &BattleCreated, b: &Battle) -> Result<(), Error> {
    let mismatch = |field| mismatch(EventType::BattleCreated, e.battle_id, field);
    check_common(e.battle_id, e.system_id, e.start_time, e.end_time, b).map_err(mismatch)?;
    if b.killmail_ids != e.killmail_ids {
        return Err(mismatch("killmailIds"));
    }
    Ok(())
}

fn check_updated(e: &BattleUpdated, b: &Battle) -> Result<(), Error> {
    let mismatch = |field| mismatch(EventType::BattleUpdated, e.battle_id, field);
    check_common(e.battle_id, e.system_id, e.start_time, e.end_time, b).map_err(mismatch)?;
    // A scan is cheapest for the usual one or two added kills; a set for merges.
    let all_members = if e.added_killmail_ids.len() <= 8 {
        e.added_killmail_ids
            .iter()
            .all(|id| b.killmail_ids.contains(id))
    } else {
        let members: FxHashSet<u64> = b.killmail_ids.iter().copied().collect();
        e.added_killmail_ids.iter().all(|id| members.contains(id))
    };
    if !all_members
        || e.removed_killmail_ids
            .iter()
            .any(|id| b.killmail_ids.contains(id))
    {
        return Err(mismatch("killmailIds"));
    }
    Ok(())
}

fn check_sealed(e: &BattleSealed, b: &Battle) -> Result<(), Error> {
    let mismatch = |field| mismatch(EventType::BattleSealed, e.battle_id, field);
    if b.id != e.battle_id {
        return Err(mismatch("id"));
    }
    if b.system_id != e.system_id {
        return Err(mismatch("systemId"));
    }
    if b.killmail_ids.len() != e.killmail_count {
        return Err(mismatch("killmailIds"));
    }
    if whole_seconds(b.end_time) != e.end_time {
        return Err(mismatch("endTime"));
    }
    Ok(())
}

fn check_common(
    battle_id: Uuid,
    system_id: u32,
    start_time: DateTime<Utc>,
    end_time: DateTime<Utc>,
    b: &Battle,
) -> Result<(), &'static str> {
    if b.id != battle_id {
        return Err("id");
    }
    if b.system_id != system_id {
        return Err("systemId");
    }
    if whole_seconds(b.start_time) != start_time {
        return Err("startTime");
    }
    if whole_seconds(b.end_time) != end_time {
        return Err("endTime");
    }
    Ok(())
}

/// The document does not describe the change: the envelope would not carry
/// it without loss.
fn mismatch(event_type: EventType, battle_id: Uuid, field: &'static str) -> Error {
    Error::event(
        format!("{event_type} of battle {battle_id}"),
        field,
        format!("the battle document does not match its change: `{field}` differs"),
    )
}
