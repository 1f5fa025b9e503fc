//! Coalescing the events of many pushes: one event per battle per batch,
//! each with its document built once.
//!
//! A consumer that processes killmails in batches (the platform's clusterer
//! reads a thousand at a time) would otherwise publish, for a battle that
//! gains ten kills in the batch, ten updates each carrying the whole battle
//! document — O(n²) bytes over a battle's life, and a document (sides,
//! statistics) built per push. [`Coalescer`] folds them into one event
//! built from the battle's state at the end of the batch, and the stream
//! stays one a consumer can apply in order (the rules of
//! [`BattleChange`]): applying the coalesced events gives the same battles
//! as applying every push's events.
//!
//! How: a push whose events only create battles, add kills to them or seal
//! them (*simple*: nearly every push) is folded into one pending entry per
//! battle. A push that renames, merges, removes kills or deletes
//! (*structural*) is emitted right away in its own order, each of its
//! events absorbing the pending entry of the battle it names; the other
//! pending entries are emitted just before it, from the state after the
//! push, which that push did not touch. Sealed battles keep the document
//! they were sealed with.
//!
//! ```
//! use battlescope_core::cluster::{ClusterConfig, Clusterer, Coalescer};
//! # let kills: Vec<battlescope_core::Killmail> = Vec::new();
//! let mut clusterer = Clusterer::new(ClusterConfig::default())?;
//! let mut batch = Coalescer::new();
//! for km in kills {
//!     let pushed = clusterer.push(km);
//!     batch.add(pushed, &clusterer, ());
//! }
//! for item in batch.finish(&clusterer) {
//!     // item.change, with item.battle its document (None for a deletion)
//! }
//! # Ok::<(), battlescope_core::Error>(())
//! ```

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap, FxHashSet};
use uuid::Uuid;

use super::event::{BattleChange, BattleCreated, BattleSealed, BattleUpdated, UpdateReason};
use super::{Clusterer, Pushed};
use crate::battle::Battle;
use crate::killmail::SystemId;

/// One coalesced event, its battle's document (`None` for a deletion) and
/// the tag of the last push that contributed to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Coalesced<T> {
    /// What changed, in the order to apply.
    pub change: BattleChange,
    /// The battle's document as it stands at the end of the batch (as it
    /// was sealed, for a sealed battle).
    pub battle: Option<Battle>,
    /// The tag of the last push that contributed.
    pub tag: T,
}

/// Folds the events of consecutive pushes of one [`Clusterer`] into one
/// event per battle (see the module docs). `T` tags each event with the
/// push it came from (the platform carries the causing message's id).
#[derive(Debug)]
pub struct Coalescer<T> {
    /// Events whose document is already built, in order.
    ready: Vec<Coalesced<T>>,
    /// Pending entries, in order of first appearance.
    pending: Vec<Option<Entry<T>>>,
    /// Battle id → index in `pending`, for entries that can still grow.
    open: FxHashMap<Uuid, usize>,
}

#[derive(Debug)]
struct Entry<T> {
    battle_id: Uuid,
    system_id: SystemId,
    kind: Kind,
    tag: T,
    /// Set once the battle is sealed: its final document.
    sealed: Option<Battle>,
}

#[derive(Debug)]
enum Kind {
    /// Created within the batch: the document says everything.
    Created,
    /// Known before the batch; these kills joined it.
    Updated {
        added: FxHashSet<u64>,
        reason: UpdateReason,
    },
    /// Known before the batch and only sealed in it.
    Sealed,
}

impl<T> Default for Coalescer<T> {
    fn default() -> Self {
        Self {
            ready: Vec::new(),
            pending: Vec::new(),
            open: FxHashMap::default(),
        }
    }
}

impl<T: Clone> Coalescer<T> {
    /// An empty batch.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// True when nothing was added since the last [`finish`](Self::finish).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ready.is_empty() && self.pending.is_empty()
    }

    /// Add what one push changed. `clusterer` is the one that was pushed
    /// to, in its state right after the push.
    pub fn add(&mut self, pushed: Pushed, clusterer: &Clusterer, tag: T) {
        let Pushed { events, sealed, .. } = pushed;
        if events.iter().all(is_simple) {
            for event in events {
                self.add_simple(event, &sealed, &tag);
            }
        } else {
            self.add_structural(events, &sealed, clusterer, &tag);
        }
    }

    /// The coalesced events, in the order to apply them; the batch starts
    /// empty again.
    pub fn finish(&mut self, clusterer: &Clusterer) -> Vec<Coalesced<T>> {
        self.flush_pending(clusterer, &FxHashSet::default(), &[]);
        std::mem::take(&mut self.ready)
    }

    fn add_simple(&mut self, event: BattleChange, sealed: &[Battle], tag: &T) {
        match event {
            BattleChange::Created(e) => {
                self.open_entry(e.battle_id, e.system_id, Kind::Created, tag);
            }
            BattleChange::Updated(e) => match self.open.get(&e.battle_id) {
                Some(&i) => {
                    let entry = self.pending[i].as_mut().expect("open entries are pending");
                    entry.tag = tag.clone();
                    if let Kind::Updated { added, reason } = &mut entry.kind {
                        added.extend(&e.added_killmail_ids);
                        *reason = stronger(*reason, e.reason);
                    }
                }
                None => {
                    let kind = Kind::Updated {
                        added: e.added_killmail_ids.iter().copied().collect(),
                        reason: e.reason,
                    };
                    self.open_entry(e.battle_id, e.system_id, kind, tag);
                }
            },
            BattleChange::Sealed(e) => {
                let document = sealed.iter().find(|b| b.id == e.battle_id).cloned();
                let i = match self.open.remove(&e.battle_id) {
                    Some(i) => i,
                    None => {
                        self.pending.push(Some(Entry {
                            battle_id: e.battle_id,
                            system_id: e.system_id,
                            kind: Kind::Sealed,
                            tag: tag.clone(),
                            sealed: None,
                        }));
                        self.pending.len() - 1
                    }
                };
                let entry = self.pending[i].as_mut().expect("just found or made");
                entry.tag = tag.clone();
                entry.sealed = document;
            }
            // `is_simple` lets nothing else through.
            BattleChange::Deleted(_) => unreachable!("a deletion is structural"),
        }
    }

    fn open_entry(&mut self, battle_id: Uuid, system_id: SystemId, kind: Kind, tag: &T) {
        self.open.insert(battle_id, self.pending.len());
        self.pending.push(Some(Entry {
            battle_id,
            system_id,
            kind,
            tag: tag.clone(),
            sealed: None,
        }));
    }

    /// A structural push: the pending entries it does not name go out
    /// first (the push left them alone, so the current state is theirs);
    /// then its events in order, each absorbing the pending entry of the
    /// battle it names.
    fn add_structural(
        &mut self,
        events: Vec<BattleChange>,
        sealed: &[Battle],
        clusterer: &Clusterer,
        tag: &T,
    ) {
        let named: FxHashSet<Uuid> = events
            .iter()
            .flat_map(|e| match e {
                BattleChange::Updated(u) => vec![u.battle_id, u.previous_id.unwrap_or(u.battle_id)],
                other => vec![other.battle_id()],
            })
            .collect();
        let mut mine: FxHashMap<Uuid, Entry<T>> = FxHashMap::default();
        self.flush_pending(clusterer, &named, sealed);
        for entry in self.pending.drain(..).flatten() {
            mine.insert(entry.battle_id, entry);
        }
        self.open.clear();
        // Battles born in this batch and deleted by this push were never
        // published: both ends disappear.
        let unpublished: FxHashSet<Uuid> = events
            .iter()
            .filter_map(|e| match e {
                BattleChange::Deleted(d)
                    if mine
                        .get(&d.battle_id)
                        .is_some_and(|m| matches!(m.kind, Kind::Created)) =>
                {
                    Some(d.battle_id)
                }
                _ => None,
            })
            .collect();
        let document = |id: Uuid| {
            sealed
                .iter()
                .find(|b| b.id == id)
                .cloned()
                .or_else(|| clusterer.battle(id))
        };
        for event in events {
            match event {
                BattleChange::Updated(mut e) => {
                    let known = e.previous_id.unwrap_or(e.battle_id);
                    e.absorbed.retain(|a| !unpublished.contains(a));
                    let battle = document(e.battle_id);
                    let event = match mine.remove(&known).map(|m| m.kind) {
                        Some(Kind::Created) => match &battle {
                            Some(b) => created_from(b),
                            None => BattleChange::Updated(e),
                        },
                        Some(Kind::Updated { added, reason }) => {
                            let removed: BTreeSet<u64> =
                                e.removed_killmail_ids.iter().copied().collect();
                            let mut all: FxHashSet<u64> = added;
                            all.extend(&e.added_killmail_ids);
                            all.retain(|k| !removed.contains(k));
                            e.added_killmail_ids = in_document_order(battle.as_ref(), &all);
                            // A kill added earlier in the batch and removed now
                            // was never published as a member.
                            let earlier: FxHashSet<u64> =
                                e.added_killmail_ids.iter().copied().collect();
                            e.removed_killmail_ids.retain(|k| !earlier.contains(k));
                            e.reason = stronger(reason, e.reason);
                            BattleChange::Updated(e)
                        }
                        Some(Kind::Sealed) | None => BattleChange::Updated(e),
                    };
                    self.ready.push(Coalesced {
                        change: event,
                        battle,
                        tag: tag.clone(),
                    });
                }
                BattleChange::Deleted(d) => {
                    mine.remove(&d.battle_id);
                    if !unpublished.contains(&d.battle_id) {
                        self.ready.push(Coalesced {
                            change: BattleChange::Deleted(d),
                            battle: None,
                            tag: tag.clone(),
                        });
                    }
                }
                BattleChange::Created(c) => {
                    self.ready.push(Coalesced {
                        battle: document(c.battle_id),
                        change: BattleChange::Created(c),
                        tag: tag.clone(),
                    });
                }
                BattleChange::Sealed(s) => {
                    // A battle grown earlier in the batch: its growth first.
                    if let Some(entry) = mine.remove(&s.battle_id) {
                        self.emit(entry, clusterer, sealed);
                    }
                    self.ready.push(Coalesced {
                        battle: document(s.battle_id),
                        change: BattleChange::Sealed(s),
                        tag: tag.clone(),
                    });
                }
            }
        }
        // Named only as a merge target or in `absorbed` (not expected):
        // never lost.
        for entry in mine.into_values() {
            self.emit(entry, clusterer, sealed);
        }
    }

    /// Emit the pending entries not in `keep` (all when `keep` is empty);
    /// those in `keep` stay pending, in order. A sealed entry always goes:
    /// it carries the document it was sealed with.
    fn flush_pending(&mut self, clusterer: &Clusterer, keep: &FxHashSet<Uuid>, sealed: &[Battle]) {
        let pending = std::mem::take(&mut self.pending);
        self.open.clear();
        for entry in pending.into_iter().flatten() {
            if entry.sealed.is_none() && keep.contains(&entry.battle_id) {
                self.pending.push(Some(entry));
            } else {
                self.emit(entry, clusterer, sealed);
            }
        }
    }

    /// Build an entry's events from its document: the upsert, then the
    /// seal when it was sealed.
    fn emit(&mut self, entry: Entry<T>, clusterer: &Clusterer, sealed: &[Battle]) {
        let Entry {
            battle_id,
            system_id,
            kind,
            tag,
            sealed: document,
        } = entry;
        let battle = document.clone().or_else(|| {
            sealed
                .iter()
                .find(|b| b.id == battle_id)
                .cloned()
                .or_else(|| clusterer.battle(battle_id))
        });
        let Some(battle) = battle else {
            // Cannot happen for a consistent clusterer; say so rather
            // than drop a change.
            debug_assert!(false, "no document for pending battle {battle_id}");
            return;
        };
        let upsert = match kind {
            Kind::Created => Some(created_from(&battle)),
            Kind::Updated { added, reason } => Some(BattleChange::Updated(BattleUpdated {
                battle_id,
                previous_id: None,
                system_id,
                added_killmail_ids: in_document_order(Some(&battle), &added),
                removed_killmail_ids: Vec::new(),
                start_time: whole_seconds(battle.start_time),
                end_time: whole_seconds(battle.end_time),
                reason,
                absorbed: Vec::new(),
            })),
            Kind::Sealed => None,
        };
        if let Some(event) = upsert {
            self.ready.push(Coalesced {
                change: event,
                battle: Some(battle.clone()),
                tag: tag.clone(),
            });
        }
        if document.is_some() {
            self.ready.push(Coalesced {
                change: BattleChange::Sealed(BattleSealed {
                    battle_id,
                    system_id,
                    killmail_count: battle.killmail_ids.len(),
                    end_time: whole_seconds(battle.end_time),
                }),
                battle: Some(battle),
                tag,
            });
        }
    }
}

/// Events that only create, grow or seal a battle.
fn is_simple(event: &BattleChange) -> bool {
    match event {
        BattleChange::Created(_) | BattleChange::Sealed(_) => true,
        BattleChange::Updated(u) => {
            u.previous_id.is_none() && u.removed_killmail_ids.is_empty() && u.absorbed.is_empty()
        }
        BattleChange::Deleted(_) => false,
    }
}

/// The more telling of two reasons for one coalesced update.
fn stronger(a: UpdateReason, b: UpdateReason) -> UpdateReason {
    let rank = |r: UpdateReason| match r {
        UpdateReason::Appended => 0,
        UpdateReason::OutOfOrder => 1,
        UpdateReason::LateArrival => 2,
        UpdateReason::Merge => 3,
        UpdateReason::Replaced => 4,
        UpdateReason::Reclustered => 5,
    };
    if rank(b) >= rank(a) {
        b
    } else {
        a
    }
}

fn created_from(b: &Battle) -> BattleChange {
    BattleChange::Created(BattleCreated {
        battle_id: b.id,
        system_id: b.system_id,
        killmail_ids: b.killmail_ids.clone(),
        start_time: whole_seconds(b.start_time),
        end_time: whole_seconds(b.end_time),
    })
}

/// `ids` in the document's order (time, then id); ids not in it last.
fn in_document_order(battle: Option<&Battle>, ids: &FxHashSet<u64>) -> Vec<u64> {
    let mut out: Vec<u64> = battle
        .map(|b| {
            b.killmail_ids
                .iter()
                .copied()
                .filter(|k| ids.contains(k))
                .collect()
        })
        .unwrap_or_default();
    if out.len() < ids.len() {
        let present: FxHashSet<u64> = out.iter().copied().collect();
        let mut rest: Vec<u64> = ids
            .iter()
            .copied()
            .filter(|k| !present.contains(k))
            .collect();
        rest.sort_unstable();
        out.extend(rest);
    }
    out
}

fn whole_seconds(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}
