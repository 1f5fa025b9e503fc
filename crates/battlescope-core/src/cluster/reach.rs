//! What a late kill can reach: its connected component, found window by
//! window from wherever the kills are stored.
//!
//! A kill that arrives beyond the horizon ([`PushOutcome::LateBeyondHorizon`](super::PushOutcome::LateBeyondHorizon))
//! is re-clustered with [`recluster`](super::recluster) from the store. The
//! kills to re-cluster are exactly its component: the kills linked to it,
//! transitively (a time range would not do: in a busy system it grows to
//! the system's whole history). [`Reach`] walks the component without I/O:
//! it names a time window of the kill's system, the caller fetches the
//! kills of that window, and [`Reach::add`] takes in those linked to the
//! component, until no member's window is left unfetched.
//!
//! ```
//! use battlescope_core::cluster::{ClusterConfig, Reach};
//! # let late: battlescope_core::Killmail = serde_json::from_str(r#"{"killmail_id":1,"killmail_time":"2024-01-01T00:00:00Z","solar_system_id":30000142,"victim":{"ship_type_id":587,"damage_taken":1},"attackers":[]}"#).unwrap();
//! # let stored: Vec<battlescope_core::Killmail> = Vec::new();
//! let mut reach = Reach::new(late, ClusterConfig::default());
//! while let Some((from, to)) = reach.next_window() {
//!     // The caller's store: the kills of the system between `from` and `to`.
//!     let kills = stored.iter().filter(|k| k.killmail_time >= from && k.killmail_time <= to).cloned();
//!     reach.add(kills);
//! }
//! let component = reach.into_kills();
//! assert_eq!(component.len(), 1);
//! ```

use chrono::{DateTime, Utc};
use rustc_hash::{FxHashMap, FxHashSet};

use super::event::time_of;
use super::participants::participants;
use super::ClusterConfig;
use crate::killmail::{EntityId, Killmail, SystemId};

/// The component of a late kill, walked window by window (module docs).
#[derive(Debug)]
pub struct Reach {
    config: ClusterConfig,
    system_id: SystemId,
    members: Vec<Killmail>,
    ids: FxHashSet<u64>,
    /// Participant → (time, member index) of the members it is on.
    index: FxHashMap<EntityId, Vec<(i64, usize)>>,
    /// Kills fetched but not (yet) linked to the component.
    pool: FxHashMap<u64, Killmail>,
    /// Members whose window has not been named yet.
    unexplored: Vec<usize>,
}

impl Reach {
    /// Start from the late kill.
    #[must_use]
    pub fn new(late: Killmail, config: ClusterConfig) -> Self {
        let mut reach = Self {
            system_id: late.solar_system_id,
            config,
            members: Vec::new(),
            ids: FxHashSet::default(),
            index: FxHashMap::default(),
            pool: FxHashMap::default(),
            unexplored: Vec::new(),
        };
        reach.join(late);
        reach
    }

    /// The next window of the system to fetch (inclusive), or `None` when
    /// every member's window was fetched: the component is complete.
    pub fn next_window(&mut self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let member = self.unexplored.pop()?;
        let t = self.members[member].killmail_time.timestamp();
        let w = self.config.window_secs();
        Some((time_of(t - w), time_of(t + w)))
    }

    /// The kills of a window just fetched (others of the system may come
    /// along; other systems' kills are ignored). Those linked to the
    /// component join it, and so do fetched kills linked to them.
    pub fn add(&mut self, kills: impl IntoIterator<Item = Killmail>) {
        for km in kills {
            if km.solar_system_id == self.system_id && !self.ids.contains(&km.killmail_id) {
                self.pool.insert(km.killmail_id, km);
            }
        }
        let mut parts = Vec::new();
        loop {
            let linked: Vec<u64> = self
                .pool
                .values()
                .filter(|km| self.linked(km, &mut parts))
                .map(|km| km.killmail_id)
                .collect();
            if linked.is_empty() {
                return;
            }
            for id in linked {
                if let Some(km) = self.pool.remove(&id) {
                    self.join(km);
                }
            }
        }
    }

    /// The component: the late kill and every kill linked to it.
    #[must_use]
    pub fn into_kills(self) -> Vec<Killmail> {
        self.members
    }

    fn join(&mut self, km: Killmail) {
        let at = self.members.len();
        let t = km.killmail_time.timestamp();
        let mut parts = Vec::new();
        participants(&km, self.config.correlate_by, &mut parts);
        for p in parts {
            self.index.entry(p).or_default().push((t, at));
        }
        self.ids.insert(km.killmail_id);
        self.members.push(km);
        self.unexplored.push(at);
    }

    /// Is `km` linked to a member (same rule as clustering: within the
    /// window, sharing at least `min_shared` participants)?
    fn linked(&self, km: &Killmail, parts: &mut Vec<EntityId>) -> bool {
        let t = km.killmail_time.timestamp();
        let w = self.config.window_secs();
        if self.config.min_shared == 0 {
            return self
                .members
                .iter()
                .any(|m| (m.killmail_time.timestamp() - t).abs() <= w);
        }
        participants(km, self.config.correlate_by, parts);
        let mut shared: FxHashMap<usize, u32> = FxHashMap::default();
        for p in parts.iter() {
            for &(mt, member) in self.index.get(p).into_iter().flatten() {
                if (mt - t).abs() <= w {
                    let n = shared.entry(member).or_default();
                    *n += 1;
                    if *n >= self.config.min_shared {
                        return true;
                    }
                }
            }
        }
        false
    }
}
