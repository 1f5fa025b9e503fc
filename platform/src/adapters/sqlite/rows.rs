//! A write batch encoded into the rows SQLite keeps, before the store's one
//! write turn is taken: serialising bodies and documents is most of a
//! batch's CPU, and done inside the turn it would stall every other writer
//! (measured on benches/serve-replay.sh: the turn was held for it).

use std::collections::HashMap;

use battlescope_core::{Battle, Killmail};
use uuid::Uuid;

use super::{backend, id};
use crate::ports::store::{BattleChange, StoreError, WriteBatch};

/// A batch as rows; built by [`Rows::encode`] outside the write turn.
#[derive(Debug, Default)]
pub(super) struct Rows {
    pub killmails: Vec<KillmailRow>,
    pub participants: Vec<Participant>,
    /// Per battle only its last document (a system's events arrive in
    /// order: the last is current), with the union of the added kills.
    pub battles: Vec<BattleRow>,
    /// Merges and dissolutions, in batch order, after the documents: a
    /// document of a battle merged in the same batch is written and then
    /// tombstoned.
    pub retirements: Vec<Retirement>,
    pub events: Vec<EventRow>,
}

/// One row of `killmails`.
#[derive(Debug)]
pub(super) struct KillmailRow {
    pub id: i64,
    pub time: i64,
    pub system: i64,
    pub total_value: Option<f64>,
    pub body: String,
    pub summary: String,
    pub names: String,
}

/// One row of `participants`: slot 0 is the victim.
#[derive(Debug, Clone, Copy)]
pub(super) struct Participant {
    pub killmail_id: i64,
    pub slot: i64,
    pub time: i64,
    pub character: Option<i64>,
    pub corporation: Option<i64>,
    pub alliance: Option<i64>,
    pub ship: Option<i64>,
    pub is_victim: bool,
}

/// One battle document to upsert, and its kills to (re)point.
#[derive(Debug)]
pub(super) struct BattleRow {
    pub id: String,
    pub system_id: i64,
    pub region_id: Option<i64>,
    pub security_class: Option<String>,
    pub start_time: i64,
    pub end_time: i64,
    pub kill_count: i64,
    pub isk_destroyed: f64,
    pub document: String,
    /// The kills new to it in this batch, and all of its kills.
    pub added: Vec<i64>,
    pub all: Vec<i64>,
    /// The kills that left it, as a JSON array for `json_each` (None when
    /// none did).
    pub removed: Option<String>,
}

/// A battle that stops answering with a document.
#[derive(Debug, Clone, Copy)]
pub(super) enum Retirement {
    Merged { gone: Uuid, into: Uuid },
    Dissolved { gone: Uuid },
}

/// One row of the event store.
#[derive(Debug)]
pub(super) struct EventRow {
    pub event_id: String,
    pub event_type: String,
    pub key: String,
    pub timestamp_ms: i64,
    pub payload: String,
}

impl Rows {
    /// Encode `batch`.
    ///
    /// # Errors
    /// When a document cannot be serialised.
    pub fn encode(batch: &WriteBatch) -> Result<Self, StoreError> {
        let mut rows = Self::default();
        for (km, summary, names) in &batch.killmails {
            rows.killmails.push(KillmailRow {
                id: id(km.killmail_id),
                time: km.killmail_time.timestamp(),
                system: i64::from(km.solar_system_id),
                total_value: km.total_value(),
                body: serde_json::to_string(km).map_err(backend)?,
                summary: serde_json::to_string(summary).map_err(backend)?,
                names: serde_json::to_string(names).map_err(backend)?,
            });
            rows.participants.extend(participants(km));
        }
        rows.battles = latest_documents(&batch.battles)?;
        rows.retirements = batch
            .battles
            .iter()
            .filter_map(|change| match change {
                BattleChange::Merged { id, into } => Some(Retirement::Merged {
                    gone: *id,
                    into: *into,
                }),
                BattleChange::Dissolved { id } => Some(Retirement::Dissolved { gone: *id }),
                BattleChange::Upsert { .. } => None,
            })
            .collect();
        rows.events = batch
            .events
            .iter()
            .map(|e| EventRow {
                event_id: e.event_id.to_string(),
                event_type: e.event_type.clone(),
                key: e.key.clone(),
                timestamp_ms: e.timestamp_ms,
                payload: e.body.to_column(),
            })
            .collect();
        Ok(rows)
    }
}

/// The last document of each battle in `changes`, with the union of its
/// added kills and the kills that left it and did not come back.
fn latest_documents(changes: &[BattleChange]) -> Result<Vec<BattleRow>, StoreError> {
    let mut latest: Vec<(&Battle, Vec<u64>, Vec<u64>)> = Vec::new();
    let mut at: HashMap<Uuid, usize> = HashMap::new();
    for change in changes {
        if let BattleChange::Upsert {
            battle,
            added,
            removed,
        } = change
        {
            if let Some(&i) = at.get(&battle.id) {
                let entry = &mut latest[i];
                entry.0 = battle;
                entry.1.extend_from_slice(added);
                entry.2.extend_from_slice(removed);
            } else {
                at.insert(battle.id, latest.len());
                latest.push((battle, added.clone(), removed.clone()));
            }
        }
    }
    latest
        .into_iter()
        .map(|(battle, mut added, removed)| {
            added.sort_unstable();
            added.dedup();
            // A kill that left and came back within the batch stays.
            let removed: Vec<u64> = removed
                .into_iter()
                .filter(|k| !battle.killmail_ids.contains(k))
                .collect();
            Ok(BattleRow {
                id: battle.id.to_string(),
                system_id: i64::from(battle.system_id),
                region_id: battle.region_id.map(i64::from),
                security_class: battle.security_class.map(|c| c.as_str().to_owned()),
                start_time: battle.start_time.timestamp(),
                end_time: battle.end_time.timestamp(),
                kill_count: i64::from(battle.stats.kill_count),
                isk_destroyed: battle.stats.isk_destroyed,
                document: serde_json::to_string(battle).map_err(backend)?,
                added: added.into_iter().map(id).collect(),
                all: battle.killmail_ids.iter().copied().map(id).collect(),
                removed: if removed.is_empty() {
                    None
                } else {
                    Some(serde_json::to_string(&removed).map_err(backend)?)
                },
            })
        })
        .collect()
}

fn participants(km: &Killmail) -> impl Iterator<Item = Participant> + '_ {
    let (killmail_id, time) = (id(km.killmail_id), km.killmail_time.timestamp());
    let v = &km.victim;
    let victim = (
        v.character_id,
        v.corporation_id,
        v.alliance_id,
        Some(v.ship_type_id),
        true,
    );
    let attackers = km.attackers.iter().map(|a| {
        (
            a.character_id,
            a.corporation_id,
            a.alliance_id,
            a.ship_type_id,
            false,
        )
    });
    std::iter::once(victim).chain(attackers).zip(0..).map(
        move |((character, corporation, alliance, ship, is_victim), slot)| Participant {
            killmail_id,
            slot,
            time,
            character: character.map(id),
            corporation: corporation.map(id),
            alliance: alliance.map(id),
            ship: ship.map(i64::from),
            is_victim,
        },
    )
}
