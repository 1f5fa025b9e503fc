//! Doctrine detection (the algorithm is described in the [parent
//! module](super#doctrines)).
//!
//! Guarantees: the doctrines are a pure function of the set of battles
//! (battles are read in time order, ties go to the earlier group); every
//! battle belongs to at most one doctrine; a doctrine's hull shares add up
//! to 1.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::context::{BattleView, Context, Who};
use super::ships::class_of;
use super::summary::won;
use super::{count, efficiency};
use crate::killmail::{EntityId, TypeId};
use crate::universe::{self, ShipClass};

/// Whose ships make up a battle's hull mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoctrineScope {
    /// Every pilot of the entity's side, allies included: the fleet.
    #[default]
    Side,
    /// The entity's own pilots only.
    Entity,
}

impl std::str::FromStr for DoctrineScope {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, crate::Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "side" => Ok(Self::Side),
            "entity" => Ok(Self::Entity),
            _ => Err(crate::Error::Config {
                field: "scope".to_owned(),
                reason: crate::error::shorten_values(&format!("`{s}` is not one of: side, entity")),
            }),
        }
    }
}

/// Knobs of doctrine detection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DoctrineConfig {
    /// Whose ships count.
    pub scope: DoctrineScope,
    /// Least similarity (the cosine of square-rooted hull counts, see the
    /// [module documentation](super#doctrines)) for a mix to join a group,
    /// 0 to 1. The default, 0.7, keeps the generator's ten fleet doctrines
    /// apart while five- to ten-pilot fleets of one doctrine still join it.
    pub similarity: f64,
    /// Fewest pilots in a battle's mix for it to count (default 5).
    pub min_fleet: u32,
    /// Fewest battles for a group to be reported as a doctrine (default 2).
    pub min_battles: u32,
}

impl DoctrineConfig {
    /// Check every knob; the error names it (`similarity`, `min_fleet`).
    ///
    /// # Errors
    /// [`crate::Error::Config`] for a similarity that is not a number from
    /// 0 to 1 (NaN included) or a `min_fleet` of 0.
    pub fn validate(&self) -> Result<(), crate::Error> {
        check_similarity(self.similarity)?;
        if self.min_fleet == 0 {
            return Err(crate::Error::Config {
                field: "min_fleet".to_owned(),
                reason: "must be at least 1".to_owned(),
            });
        }
        Ok(())
    }
}

/// A doctrine similarity, checked: a number from 0 to 1.
///
/// # Errors
/// [`crate::Error::Config`] naming `similarity`.
pub fn check_similarity(x: f64) -> Result<f64, crate::Error> {
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(crate::Error::Config {
            field: "similarity".to_owned(),
            reason: format!("{x} is not a number from 0 to 1"),
        })
    }
}

impl Default for DoctrineConfig {
    fn default() -> Self {
        Self {
            scope: DoctrineScope::Side,
            similarity: 0.7,
            min_fleet: 5,
            min_battles: 2,
        }
    }
}

/// A fleet composition fielded repeatedly.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Doctrine {
    /// The dominant hulls' names, `"Muninn / Scimitar"`.
    pub name: String,
    /// Every hull of the doctrine's battles, largest share first.
    pub hulls: Vec<DoctrineHull>,
    /// Battles it was flown in.
    pub times_flown: u32,
    /// Mean pilots of the mix per battle.
    pub average_fleet: f64,
    /// Value of the kills of its battles' sides (the kills that have one).
    pub isk_killed: f64,
    /// Value of the losses of its battles' sides (the losses that have one).
    pub isk_lost: f64,
    /// `iskKilled / (iskKilled + iskLost)`.
    pub efficiency: Option<f64>,
    /// Battles won (the side's ISK efficiency above 0.5).
    pub wins: u32,
    /// `wins / timesFlown`.
    pub win_rate: f64,
    /// Start of the first battle it was flown in.
    pub first_flown: DateTime<Utc>,
    /// Start of the last battle it was flown in.
    pub last_flown: DateTime<Utc>,
    /// The battles, in time order.
    pub battles: Vec<Uuid>,
}

/// One hull of a doctrine.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DoctrineHull {
    /// The hull's ship type.
    pub type_id: TypeId,
    /// The type's name; `None` for types the universe table does not know.
    pub name: Option<String>,
    /// The hull's class.
    pub class: ShipClass,
    /// Pilots in this hull, summed over the doctrine's battles.
    pub pilots: u32,
    /// Share of all pilots of the doctrine's battles.
    pub share: f64,
}

/// Classes that are not part of a fleet composition.
const NOT_FLEET: [ShipClass; 6] = [
    ShipClass::Capsule,
    ShipClass::Shuttle,
    ShipClass::Structure,
    ShipClass::Deployable,
    ShipClass::Fighter,
    ShipClass::Npc,
];

/// Least share of a hull to be named in the doctrine's name.
const NAMED_SHARE: f64 = 0.1;
/// Most hulls in a doctrine's name.
const NAMED_HULLS: usize = 3;

/// A hull-count vector, sorted by type id.
type Mix = Vec<(TypeId, u32)>;

/// One battle's mix.
struct Fleet<'v, 'a> {
    view: &'v BattleView<'a>,
    mix: Mix,
    /// The mix, L2-normalised.
    unit: Vec<(TypeId, f64)>,
}

fn mix_of(view: &BattleView<'_>, ctx: &Context<'_>, scope: DoctrineScope) -> Mix {
    let Some(side) = view
        .own_sides
        .first()
        .and_then(|&i| view.battle.sides.get(i))
    else {
        return Vec::new();
    };
    let in_scope = |who: &Who| match scope {
        DoctrineScope::Side => who
            .character
            .is_some_and(|c| side.pilots.binary_search(&c).is_ok()),
        DoctrineScope::Entity => who.character.is_some() && ctx.entity.matches(who),
    };
    let mut pairs: FxHashSet<(EntityId, TypeId)> = FxHashSet::default();
    for km in &view.kills {
        let people =
            std::iter::once(Who::victim(&km.victim)).chain(km.attackers.iter().map(Who::attacker));
        for who in people.filter(in_scope) {
            if let (Some(c), Some(ship)) = (who.character, who.ship) {
                if !NOT_FLEET.contains(&class_of(ship)) {
                    pairs.insert((c, ship));
                }
            }
        }
    }
    let mut counts: BTreeMap<TypeId, u32> = BTreeMap::new();
    for (_, ship) in pairs {
        *counts.entry(ship).or_default() += 1;
    }
    counts.into_iter().collect()
}

/// The square roots of the counts, L2-normalised.
fn normalise(mix: &Mix) -> Vec<(TypeId, f64)> {
    // sqrt(n)² = n: the norm is the square root of the pilot count.
    let norm = f64::from(mix.iter().map(|&(_, n)| n).sum::<u32>()).sqrt();
    mix.iter()
        .map(|&(t, n)| {
            let x = f64::from(n).sqrt();
            (t, if norm > 0.0 { x / norm } else { 0.0 })
        })
        .collect()
}

/// Cosine similarity of a unit vector with a (non-normalised) centroid.
fn similarity(unit: &[(TypeId, f64)], centroid: &FxHashMap<TypeId, f64>, norm: f64) -> f64 {
    if norm <= 0.0 {
        return 0.0;
    }
    unit.iter()
        .map(|(t, x)| x * centroid.get(t).copied().unwrap_or(0.0))
        .sum::<f64>()
        / norm
}

#[derive(Default)]
struct Group {
    sum: FxHashMap<TypeId, f64>,
    norm: f64,
    members: Vec<usize>,
}

impl Group {
    fn add(&mut self, index: usize, unit: &[(TypeId, f64)]) {
        for &(t, x) in unit {
            *self.sum.entry(t).or_default() += x;
        }
        self.members.push(index);
        self.renorm();
    }

    fn absorb(&mut self, other: Group) {
        for (t, x) in other.sum {
            *self.sum.entry(t).or_default() += x;
        }
        self.members.extend(other.members);
        self.renorm();
    }

    fn renorm(&mut self) {
        self.norm = self.sum.values().map(|x| x * x).sum::<f64>().sqrt();
    }

    /// Cosine similarity of two centroids.
    fn similarity(&self, other: &Group) -> f64 {
        if self.norm <= 0.0 || other.norm <= 0.0 {
            return 0.0;
        }
        let dot: f64 = self
            .sum
            .iter()
            .map(|(t, x)| x * other.sum.get(t).copied().unwrap_or(0.0))
            .sum();
        dot / (self.norm * other.norm)
    }
}

/// Merge groups whose centroids reach `threshold`, most similar pair first
/// (ties: the lowest pair of indices), until no pair does.
fn merge_similar(mut groups: Vec<Group>, threshold: f64) -> Vec<Group> {
    loop {
        let mut best: Option<(usize, usize, f64)> = None;
        for i in 0..groups.len() {
            for j in i + 1..groups.len() {
                let s = groups[i].similarity(&groups[j]);
                if s >= threshold && best.is_none_or(|(_, _, b)| s > b) {
                    best = Some((i, j, s));
                }
            }
        }
        let Some((i, j, _)) = best else {
            return groups;
        };
        let absorbed = groups.remove(j);
        groups[i].absorb(absorbed);
    }
}

/// The most similar group: (index, similarity); ties go to the lower index.
fn best(unit: &[(TypeId, f64)], groups: &[Group]) -> Option<(usize, f64)> {
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| (i, similarity(unit, &g.sum, g.norm)))
        .fold(None, |acc, (i, s)| match acc {
            Some((_, best)) if best >= s => acc,
            _ => Some((i, s)),
        })
}

pub(super) fn doctrines(ctx: &Context<'_>, config: &DoctrineConfig) -> Vec<Doctrine> {
    let fleets: Vec<Fleet<'_, '_>> = ctx
        .battles
        .iter()
        .map(|view| (view, mix_of(view, ctx, config.scope)))
        .filter(|(_, mix)| mix.iter().map(|&(_, n)| n).sum::<u32>() >= config.min_fleet.max(1))
        .map(|(view, mix)| Fleet {
            view,
            unit: normalise(&mix),
            mix,
        })
        .collect();

    // Pass 1: leader grouping in battle order.
    let mut groups: Vec<Group> = Vec::new();
    for (i, fleet) in fleets.iter().enumerate() {
        match best(&fleet.unit, &groups) {
            Some((g, s)) if s >= config.similarity => groups[g].add(i, &fleet.unit),
            _ => {
                let mut group = Group::default();
                group.add(i, &fleet.unit);
                groups.push(group);
            }
        }
    }
    let groups = merge_similar(groups, config.similarity);
    // Pass 2: every mix to its most similar centroid.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for (i, fleet) in fleets.iter().enumerate() {
        if let Some((g, _)) = best(&fleet.unit, &groups) {
            members[g].push(i);
        }
    }

    let mut out: Vec<Doctrine> = members
        .into_iter()
        .filter(|m| count(m.len()) >= config.min_battles.max(1))
        .map(|m| report(&m.iter().map(|&i| &fleets[i]).collect::<Vec<_>>()))
        .collect();
    out.sort_by_key(|d| (Reverse(d.times_flown), d.first_flown, d.name.clone()));
    out
}

fn report(fleets: &[&Fleet<'_, '_>]) -> Doctrine {
    let mut pilots: BTreeMap<TypeId, u32> = BTreeMap::new();
    for fleet in fleets {
        for &(t, n) in &fleet.mix {
            *pilots.entry(t).or_default() += n;
        }
    }
    let total: u32 = pilots.values().sum();
    let mut hulls: Vec<DoctrineHull> = pilots
        .into_iter()
        .map(|(type_id, n)| DoctrineHull {
            type_id,
            name: universe::ship_type(type_id).map(|s| s.name.to_owned()),
            class: class_of(type_id),
            pilots: n,
            share: f64::from(n) / f64::from(total.max(1)),
        })
        .collect();
    hulls.sort_by_key(|h| (Reverse(h.pilots), h.type_id));
    let name = hulls
        .iter()
        .enumerate()
        .take_while(|(i, h)| *i == 0 || h.share >= NAMED_SHARE)
        .take(NAMED_HULLS)
        .map(|(_, h)| {
            h.name
                .clone()
                .unwrap_or_else(|| format!("type {}", h.type_id))
        })
        .collect::<Vec<_>>()
        .join(" / ");
    let (mut isk_killed, mut isk_lost, mut wins) = (0.0, 0.0, 0_u32);
    for fleet in fleets {
        if let Some(side) = fleet
            .view
            .own_sides
            .first()
            .and_then(|&i| fleet.view.battle.sides.get(i))
        {
            isk_killed += side.isk_killed;
            isk_lost += side.isk_lost;
        }
        if won(fleet.view) {
            wins += 1;
        }
    }
    let times_flown = count(fleets.len());
    Doctrine {
        name,
        hulls,
        times_flown,
        average_fleet: f64::from(total) / f64::from(times_flown.max(1)),
        isk_killed,
        isk_lost,
        efficiency: efficiency(isk_killed, isk_lost),
        wins,
        win_rate: f64::from(wins) / f64::from(times_flown.max(1)),
        first_flown: fleets
            .iter()
            .map(|f| f.view.battle.start_time)
            .min()
            .unwrap_or_default(),
        last_flown: fleets
            .iter()
            .map(|f| f.view.battle.start_time)
            .max()
            .unwrap_or_default(),
        battles: fleets.iter().map(|f| f.view.battle.id).collect(),
    }
}

with_setters!(DoctrineConfig {
    /// Sets [`DoctrineConfig::scope`].
    with_scope => scope: DoctrineScope,
    /// Sets [`DoctrineConfig::similarity`] (checked by [`DoctrineConfig::validate`]).
    with_similarity => similarity: f64,
    /// Sets [`DoctrineConfig::min_fleet`].
    with_min_fleet => min_fleet: u32,
    /// Sets [`DoctrineConfig::min_battles`].
    with_min_battles => min_battles: u32,
});

#[cfg(test)]
mod tests {
    use super::*;

    fn group(mixes: &[&Mix]) -> Group {
        let mut g = Group::default();
        for (i, mix) in mixes.iter().enumerate() {
            g.add(i, &normalise(mix));
        }
        g
    }

    #[test]
    fn similarity_ignores_fleet_size_and_separates_disjoint_fleets() {
        let small: Mix = vec![(1, 6), (2, 2)];
        let big: Mix = vec![(1, 30), (2, 10)];
        let other: Mix = vec![(3, 5), (4, 5)];
        let g = group(&[&small]);
        assert!((similarity(&normalise(&big), &g.sum, g.norm) - 1.0).abs() < 1e-12);
        assert!(similarity(&normalise(&other), &g.sum, g.norm).abs() < 1e-12);
        assert!((group(&[&big]).similarity(&group(&[&small])) - 1.0).abs() < 1e-12);
        assert_eq!(
            similarity(&normalise(&small), &FxHashMap::default(), 0.0),
            0.0
        );
    }

    #[test]
    fn square_roots_forgive_small_sample_noise() {
        // A 60/25/15 doctrine seen as five pilots: 2/0/3.
        let planned: Mix = vec![(1, 60), (2, 25), (3, 15)];
        let seen: Mix = vec![(1, 2), (3, 3)];
        let g = group(&[&planned]);
        let s = similarity(&normalise(&seen), &g.sum, g.norm);
        assert!(s > 0.75, "{s}");
    }

    #[test]
    fn similar_groups_merge_most_similar_first() {
        let a: Mix = vec![(1, 10), (2, 3)];
        let a2: Mix = vec![(1, 9), (2, 4)];
        let b: Mix = vec![(5, 10)];
        let merged = merge_similar(vec![group(&[&a]), group(&[&b]), group(&[&a2])], 0.9);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].members.len(), 2);
        assert_eq!(merged[1].members.len(), 1);
    }
}
