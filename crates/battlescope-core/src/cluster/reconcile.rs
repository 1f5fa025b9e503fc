//! Re-clustering: the events that turn the battles a caller holds into the
//! batch result.
//!
//! The [`Clusterer`](super::Clusterer) keeps a bounded window of history; a
//! kill older than that (or an admin's "re-cluster this range") needs the
//! kills from wherever they are stored. [`recluster`] takes them, with the
//! battles stored for them, and returns the events that make the stored
//! battles equal to [`cluster`](super::cluster) of the kills:
//!
//! - every resulting battle is named by its earliest kill, as in batch;
//! - a stored battle *lives on* in the new battle holding its earliest
//!   remaining kill; of several stored battles living on in one new battle,
//!   the one with the earliest first kill is updated (renamed, with
//!   `previous_id`, when the earliest kill changed) and the others are
//!   deleted into it;
//! - a stored battle none of whose kills is in a battle any more is deleted
//!   with `merged_into: None`; a new battle no stored battle lives on in is
//!   created.
//!
//! Events come in the order to apply them: updates (each followed by the
//! deletions it absorbed), then dissolved battles, then creations.
//!
//! The caller passes every kill of the range *and* every kill of the stored
//! battles that touch it (a stored kill missing from `killmails` is taken as
//! removed from its battle).

use rustc_hash::{FxHashMap, FxHashSet};
use uuid::Uuid;

use super::event::{time_of, BattleChange, BattleCreated, BattleDeleted, BattleUpdated};
use super::{battle_id, key_of, partition, ClusterConfig, Key, UpdateReason};
use crate::battle::Battle;
use crate::error::Error;
use crate::killmail::{Killmail, SystemId};

/// A battle as a store holds it: enough to re-cluster it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBattle {
    /// Its id, kept when the re-cluster leaves it a battle.
    pub id: Uuid,
    /// Its solar system.
    pub system_id: SystemId,
    /// Its member killmails.
    pub killmail_ids: Vec<u64>,
}

impl From<&Battle> for StoredBattle {
    fn from(b: &Battle) -> Self {
        Self {
            id: b.id,
            system_id: b.system_id,
            killmail_ids: b.killmail_ids.clone(),
        }
    }
}

/// The result of [`recluster`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Reclustered {
    /// Events that turn the stored battles into `battles`, in order.
    pub events: Vec<BattleChange>,
    /// The batch result on the kills, sorted by first kill.
    pub battles: Vec<Battle>,
}

/// Re-cluster `killmails` and reconcile the result with `stored` (see the
/// module docs). Duplicate ids in `killmails` are resolved as in batch.
///
/// # Errors
/// [`Error::Config`] when `config` is invalid.
pub fn recluster(
    killmails: &[Killmail],
    stored: &[StoredBattle],
    config: &ClusterConfig,
) -> Result<Reclustered, Error> {
    let groups = partition(killmails, config)?;
    let mut key_by_id: FxHashMap<u64, Key> = FxHashMap::default();
    for g in &groups {
        for &i in &g.kills {
            key_by_id.insert(killmails[i].killmail_id, key_of(&killmails[i]));
        }
    }
    // Kills outside any new battle still need their keys to order deltas.
    for km in killmails {
        key_by_id
            .entry(km.killmail_id)
            .or_insert_with(|| key_of(km));
    }
    let mut systems: Vec<SystemId> = groups
        .iter()
        .map(|g| g.system_id)
        .chain(stored.iter().map(|s| s.system_id))
        .collect();
    systems.sort_unstable();
    systems.dedup();

    let mut events = Vec::new();
    let mut battles = Vec::with_capacity(groups.len());
    for system_id in systems {
        let runs: Vec<Vec<Key>> = groups
            .iter()
            .filter(|g| g.system_id == system_id)
            .map(|g| g.kills.iter().map(|&i| key_of(&killmails[i])).collect())
            .collect();
        let old: Vec<OldBattle> = stored
            .iter()
            .filter(|s| s.system_id == system_id)
            .map(|s| OldBattle::new(s.id, &s.killmail_ids, |id| key_by_id.get(&id).copied()))
            .collect();
        events.extend(reconcile(system_id, old, &runs, UpdateReason::Reclustered));
    }
    for g in &groups {
        let kills: Vec<&Killmail> = g.kills.iter().map(|&i| &killmails[i]).collect();
        battles.push(Battle::from_sorted_kills(
            battle_id(g.system_id, kills[0].killmail_id),
            &kills,
        ));
    }
    Ok(Reclustered { events, battles })
}

/// A battle before the change: its id and members (sorted by key; members
/// whose key is unknown sort last, by id).
#[derive(Debug, Clone)]
pub(crate) struct OldBattle {
    pub id: Uuid,
    pub members: Vec<(Option<Key>, u64)>,
}

impl OldBattle {
    pub(crate) fn new(id: Uuid, ids: &[u64], key: impl Fn(u64) -> Option<Key>) -> Self {
        let mut members: Vec<(Option<Key>, u64)> = ids.iter().map(|&i| (key(i), i)).collect();
        members.sort_unstable_by_key(|&(k, i)| (k.is_none(), k, i));
        Self { id, members }
    }

    pub(crate) fn from_keys(id: Uuid, keys: &[Key]) -> Self {
        Self {
            id,
            members: keys.iter().map(|&k| (Some(k), k.1)).collect(),
        }
    }

    fn first(&self) -> (bool, Option<Key>, u64) {
        self.members
            .first()
            .map_or((true, None, 0), |&(k, i)| (k.is_none(), k, i))
    }
}

/// Events turning `old` battles of one system into `runs` (each sorted by
/// key, each a battle). See the module docs for the rules.
pub(crate) fn reconcile(
    system_id: SystemId,
    mut old: Vec<OldBattle>,
    runs: &[Vec<Key>],
    reason: UpdateReason,
) -> Vec<BattleChange> {
    old.sort_by_key(OldBattle::first);
    let mut run_of: FxHashMap<u64, usize> = FxHashMap::default();
    for (r, run) in runs.iter().enumerate() {
        for k in run {
            run_of.insert(k.1, r);
        }
    }
    let ids: Vec<Uuid> = runs.iter().map(|r| battle_id(system_id, r[0].1)).collect();
    let mut heirs: Vec<Vec<usize>> = vec![Vec::new(); runs.len()];
    let mut dissolved = Vec::new();
    for (o, battle) in old.iter().enumerate() {
        match battle.members.iter().find_map(|m| run_of.get(&m.1)) {
            Some(&r) => heirs[r].push(o),
            None => dissolved.push(o),
        }
    }

    let mut events = Vec::new();
    let mut created = Vec::new();
    for (r, run) in runs.iter().enumerate() {
        let (start, end) = (time_of(run[0].0), time_of(run[run.len() - 1].0));
        let Some((&base, others)) = heirs[r].split_first() else {
            created.push(BattleChange::Created(BattleCreated {
                battle_id: ids[r],
                system_id,
                killmail_ids: run.iter().map(|k| k.1).collect(),
                start_time: start,
                end_time: end,
            }));
            continue;
        };
        let before = &old[base];
        let in_before: FxHashSet<u64> = before.members.iter().map(|m| m.1).collect();
        let in_run: FxHashSet<u64> = run.iter().map(|k| k.1).collect();
        let added: Vec<u64> = run
            .iter()
            .map(|k| k.1)
            .filter(|i| !in_before.contains(i))
            .collect();
        let removed: Vec<u64> = before
            .members
            .iter()
            .map(|m| m.1)
            .filter(|i| !in_run.contains(i))
            .collect();
        let absorbed: Vec<Uuid> = others.iter().map(|&o| old[o].id).collect();
        let previous_id = (before.id != ids[r]).then_some(before.id);
        if added.is_empty() && removed.is_empty() && absorbed.is_empty() && previous_id.is_none() {
            continue;
        }
        events.push(BattleChange::Updated(BattleUpdated {
            battle_id: ids[r],
            previous_id,
            system_id,
            added_killmail_ids: added,
            removed_killmail_ids: removed,
            start_time: start,
            end_time: end,
            reason,
            absorbed: absorbed.clone(),
        }));
        events.extend(absorbed.into_iter().map(|gone| {
            BattleChange::Deleted(BattleDeleted {
                battle_id: gone,
                system_id,
                merged_into: Some(ids[r]),
            })
        }));
    }
    events.extend(dissolved.into_iter().map(|o| {
        BattleChange::Deleted(BattleDeleted {
            battle_id: old[o].id,
            system_id,
            merged_into: None,
        })
    }));
    events.extend(created);
    events
}
