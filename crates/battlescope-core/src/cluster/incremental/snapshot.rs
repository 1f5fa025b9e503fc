//! The whole state of a [`Clusterer`] as plain data, to persist it and
//! rebuild it (a restarted service resumes where it stopped).

use std::cmp::Reverse;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::outcome::PushCounts;
use super::state::{Component, Kept, Node, Run};
use super::Clusterer;
use crate::cluster::participants::participants;
use crate::cluster::{key_of, ClusterConfig, Key};
use crate::error::Error;
use crate::killmail::{Killmail, SystemId};

/// Version of [`ClustererSnapshot`]; bumped on incompatible changes.
pub const SNAPSHOT_VERSION: u32 = 2;

/// The whole state of a [`Clusterer`], to persist and rebuild it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClustererSnapshot {
    /// [`SNAPSHOT_VERSION`] of the build that wrote it.
    pub version: u32,
    /// The clusterer's configuration.
    pub config: ClusterConfig,
    /// Newest kill time seen (seconds since the epoch).
    pub max_time: Option<i64>,
    /// The trusted time (seconds since the epoch), when given.
    #[serde(default)]
    pub trusted_time: Option<i64>,
    /// Live killmails.
    pub killmails: Vec<Killmail>,
    /// Components: per component, its runs as (battle id if a battle, member ids).
    pub components: Vec<Vec<(Option<Uuid>, Vec<u64>)>>,
    /// Sealed spans per system: (from, to, battles), seconds since the epoch.
    pub sealed: Vec<(SystemId, i64, i64, Vec<Uuid>)>,
    /// Recently sealed killmails: (id, horizon when sealed, content digest),
    /// in sealing order.
    #[serde(default)]
    pub sealed_ids: Vec<(u64, i64, u64)>,
    /// Sealed killmails and battles, when the clusterer keeps them.
    #[serde(default)]
    pub kept: Option<KeptSnapshot>,
    /// Outcomes counted so far.
    #[serde(default)]
    pub counts: PushCounts,
}

/// The sealed history of a [`Clusterer::keep_sealed`] clusterer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptSnapshot {
    /// Sealed killmails kept.
    pub killmails: Vec<Killmail>,
    /// Sealed battles: (id, member ids).
    pub battles: Vec<(Uuid, Vec<u64>)>,
}

impl Clusterer {
    /// The whole state, to persist.
    #[must_use]
    pub fn snapshot(&self) -> ClustererSnapshot {
        let mut systems: Vec<&SystemId> = self.systems.keys().collect();
        systems.sort_unstable();
        let mut killmails = Vec::new();
        let mut components = Vec::new();
        let mut sealed = Vec::new();
        for system_id in systems {
            let state = &self.systems[system_id];
            let mut comps: Vec<&Component> = state.comps.iter().flatten().collect();
            comps.sort_by_key(|c| c.runs[0].first());
            for comp in comps {
                let mut runs = Vec::new();
                for run in &comp.runs {
                    let ids = run.nodes.iter().map(|n| n.0 .1).collect();
                    killmails.extend(run.nodes.iter().map(|n| state.node(n.1).km.clone()));
                    runs.push((run.battle, ids));
                }
                components.push(runs);
            }
            for (&from, (to, battles)) in &state.sealed {
                sealed.push((*system_id, from, *to, battles.clone()));
            }
        }
        let sealed_ids = self
            .sealed_queue
            .iter()
            .filter_map(|&(time, id)| {
                let &(t, digest) = self.sealed_ids.get(&id)?;
                (t == time).then_some((id, time, digest))
            })
            .collect();
        let kept = self.kept.as_ref().map(|kept| {
            let mut systems: Vec<(&SystemId, &Kept)> = kept.iter().collect();
            systems.sort_unstable_by_key(|(s, _)| **s);
            let mut out = KeptSnapshot {
                killmails: Vec::new(),
                battles: Vec::new(),
            };
            for (_, k) in systems {
                let mut kills: Vec<&Killmail> = k.kills.values().collect();
                kills.sort_by_key(|km| key_of(km));
                out.killmails.extend(kills.into_iter().cloned());
                out.battles.extend(
                    k.battles
                        .values()
                        .map(|(id, keys)| (*id, keys.iter().map(|k| k.1).collect())),
                );
            }
            out
        });
        ClustererSnapshot {
            version: SNAPSHOT_VERSION,
            config: self.config.clone(),
            max_time: self.max_time,
            trusted_time: self.trusted_time,
            killmails,
            components,
            sealed,
            sealed_ids,
            kept,
            counts: self.counts,
        }
    }

    /// Rebuild a clusterer from a snapshot.
    ///
    /// # Errors
    /// [`Error::Config`] for an unsupported version, an invalid config, or a
    /// snapshot whose parts do not fit together.
    pub fn restore(snapshot: ClustererSnapshot) -> Result<Self, Error> {
        let corrupt = |reason: String| Error::Config {
            field: "snapshot".to_owned(),
            reason,
        };
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(corrupt(format!(
                "version {} is not supported (this build reads version {SNAPSHOT_VERSION})",
                snapshot.version
            )));
        }
        let mut me = Self::new(snapshot.config)?.keep_sealed(snapshot.kept.is_some());
        me.max_time = snapshot.max_time;
        me.trusted_time = snapshot.trusted_time;
        me.counts = snapshot.counts;
        let mut by_id: FxHashMap<u64, Killmail> = snapshot
            .killmails
            .into_iter()
            .map(|k| (k.killmail_id, k))
            .collect();
        let mut scratch = Vec::new();
        for runs in snapshot.components {
            let mut system: Option<SystemId> = None;
            let mut new_runs = Vec::new();
            let mut pending = Vec::new();
            for (battle, ids) in runs {
                let mut nodes = Vec::new();
                for id in ids {
                    let km = by_id
                        .remove(&id)
                        .ok_or_else(|| corrupt(format!("killmail {id} is missing or repeated")))?;
                    if *system.get_or_insert(km.solar_system_id) != km.solar_system_id {
                        return Err(corrupt(format!(
                            "killmail {id} is not in its component's system"
                        )));
                    }
                    pending.push(km);
                    nodes.push(pending.len() - 1);
                }
                if nodes.is_empty() {
                    return Err(corrupt("a run has no killmails".to_owned()));
                }
                new_runs.push((battle, nodes));
            }
            let Some(system_id) = system else { continue };
            let state = me.systems.entry(system_id).or_default();
            let comp_id = state.alloc_comp();
            let mut node_ids = Vec::with_capacity(pending.len());
            for km in pending {
                let key = key_of(&km);
                participants(&km, me.config.correlate_by, &mut scratch);
                let n = state.alloc_node(Node {
                    key,
                    comp: comp_id,
                    participants: scratch.clone(),
                    km,
                });
                for &p in &scratch {
                    let occ = state.index.entry(p).or_default();
                    let at = occ.partition_point(|o| o.0 < key);
                    occ.insert(at, (key, n));
                }
                if me.config.min_shared == 0 {
                    state.by_time.insert((key, n));
                }
                me.live.insert(state.node(n).km.killmail_id, (system_id, n));
                node_ids.push((key, n));
            }
            let runs: Vec<Run> = new_runs
                .into_iter()
                .map(|(battle, idx)| {
                    let mut nodes: Vec<(Key, u32)> = idx.iter().map(|&i| node_ids[i]).collect();
                    nodes.sort_unstable();
                    Run { nodes, battle }
                })
                .collect();
            let size = runs.iter().map(|r| r.nodes.len()).sum();
            let last_time = runs.iter().map(|r| r.last().0).max().unwrap_or(i64::MIN);
            for id in runs.iter().filter_map(|r| r.battle) {
                me.battles.insert(id, (system_id, comp_id));
            }
            me.generation += 1;
            state.comps[comp_id as usize] = Some(Component {
                runs,
                size,
                generation: me.generation,
            });
            me.expiry
                .push(Reverse((last_time, system_id, comp_id, me.generation)));
        }
        if let Some(id) = by_id.keys().next() {
            return Err(corrupt(format!("killmail {id} belongs to no component")));
        }
        for (system_id, from, to, battles) in snapshot.sealed {
            me.systems
                .entry(system_id)
                .or_default()
                .sealed
                .insert(from, (to, battles));
        }
        for (id, time, digest) in snapshot.sealed_ids {
            me.sealed_ids.insert(id, (time, digest));
            me.sealed_queue.push_back((time, id));
        }
        if let (Some(kept), Some(snap)) = (me.kept.as_mut(), snapshot.kept) {
            let keys: FxHashMap<u64, (SystemId, Key)> = snap
                .killmails
                .iter()
                .map(|k| (k.killmail_id, (k.solar_system_id, key_of(k))))
                .collect();
            for (id, members) in snap.battles {
                let mut ks = Vec::with_capacity(members.len());
                let mut system = None;
                for m in members {
                    let &(s, k) = keys
                        .get(&m)
                        .ok_or_else(|| corrupt(format!("kept killmail {m} is missing")))?;
                    system = Some(s);
                    ks.push(k);
                }
                ks.sort_unstable();
                let Some(system_id) = system else {
                    return Err(corrupt(format!("kept battle {id} has no killmails")));
                };
                kept.entry(system_id)
                    .or_default()
                    .battles
                    .insert(ks[0], (id, ks));
            }
            for km in snap.killmails {
                kept.entry(km.solar_system_id)
                    .or_default()
                    .kills
                    .insert(km.killmail_id, km);
            }
        }
        Ok(me)
    }
}
