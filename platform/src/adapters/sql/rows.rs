//! A write batch encoded into the rows the SQL stores keep, before a store
//! takes its write turn (SQLite) or opens its transaction (PostgreSQL):
//! serialising bodies and documents is most of a batch's CPU, and done
//! inside the turn it would stall every other writer (measured on
//! benches/serve-replay.sh: the turn was held for it). Also what a store
//! decides from the rows it read back before writing: which battles still
//! take documents ([`live_battles`]) and which kills to point at them
//! ([`kill_pairs`]).

use std::collections::HashMap;

use battlescope_core::{Battle, Killmail};
use uuid::Uuid;

use super::{backend, id};
use crate::ports::store::{BattleChange, StoreError, WriteBatch};

/// A batch as rows; built by [`Rows::encode`] outside the write turn.
#[derive(Debug, Default)]
pub(crate) struct Rows {
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
pub(crate) struct KillmailRow {
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
pub(crate) struct Participant {
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
pub(crate) struct BattleRow {
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
    /// The kills that left it (and did not come back in the batch).
    pub removed: Vec<i64>,
}

/// A battle that stops answering with a document.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Retirement {
    Merged { gone: Uuid, into: Uuid },
    Dissolved { gone: Uuid },
}

/// One row of the event store.
#[derive(Debug)]
pub(crate) struct EventRow {
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
                removed: removed.into_iter().map(id).collect(),
            })
        })
        .collect()
}

/// What a battle row holds before a batch is written: its kill count and
/// the battle it was merged into (`battles.kill_count`, `merged_into`).
pub(crate) type StoredBattle = (Option<i64>, Option<String>);

/// The battles of `rows` that take their document, each with the kill
/// count stored before (0 when new or dissolved). A battle merged away
/// takes none: a redelivered update of a retired id changes nothing.
/// (Sizes are no revision: a re-cluster can shrink a battle; a system's
/// events arrive in order, so the last write is current.)
pub(crate) fn live_battles<'a>(
    battles: &'a [BattleRow],
    stored: &HashMap<String, StoredBattle>,
) -> Vec<(&'a BattleRow, i64)> {
    battles
        .iter()
        .filter_map(|b| match stored.get(&b.id) {
            Some((_, Some(_))) => None,
            Some((count, None)) => Some((b, count.unwrap_or(0))),
            None => Some((b, 0)),
        })
        .collect()
}

/// The (kill, battle) pairs to upsert into `battle_kills` for `battles`
/// (from [`live_battles`]). The delta is enough when the stored document
/// was the one just before; otherwise (an update missed or reordered) all
/// of a battle's kills. A kill claimed twice ends with the later battle of
/// the batch, and appears once (PostgreSQL refuses to update a row twice
/// in one statement).
pub(crate) fn kill_pairs<'a>(battles: &[(&'a BattleRow, i64)]) -> Vec<(i64, &'a str)> {
    let mut pairs: Vec<(i64, &'a str)> = Vec::new();
    let mut at: HashMap<i64, usize> = HashMap::new();
    for (b, prior) in battles {
        let added = i64::try_from(b.added.len()).unwrap_or(i64::MAX);
        let kills = if added > 0 && b.removed.is_empty() && prior + added == b.kill_count {
            &b.added
        } else {
            &b.all
        };
        for &kill in kills {
            match at.get(&kill) {
                Some(&i) => pairs[i].1 = b.id.as_str(),
                None => {
                    at.insert(kill, pairs.len());
                    pairs.push((kill, b.id.as_str()));
                }
            }
        }
    }
    pairs
}

/// Battles that held kills `pairs` now give to another battle, each with
/// the battle that took its (first such) kill: if one is left with no
/// kill at all, it is merged into that one. A clusterer that resumed from
/// a checkpoint (after a crash or a rebalance) may group the kills it
/// reads again differently: a battle the first run published only in
/// passing is then never named again, and without this it would stay,
/// listing kills other battles hold.
pub(crate) fn kill_takers(
    previous: &[(i64, String)],
    pairs: &[(i64, &str)],
) -> HashMap<String, String> {
    let new_owner: HashMap<i64, &str> = pairs.iter().copied().collect();
    let written: std::collections::HashSet<&str> = pairs.iter().map(|(_, b)| *b).collect();
    let mut takers: HashMap<String, String> = HashMap::new();
    for (kill, before) in previous {
        if let Some(&after) = new_owner.get(kill) {
            if after != before && !written.contains(before.as_str()) {
                takers
                    .entry(before.clone())
                    .or_insert_with(|| after.to_owned());
            }
        }
    }
    takers
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
