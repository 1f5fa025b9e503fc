//! Measuring sides: two label-free checks for real battles, and agreement
//! with known teams for generated ones.
//!
//! Real killmails carry no side labels, but two facts hold on almost every
//! kill of a real fight, whatever the sides are called:
//!
//! - *hostile*: the victim is on another side than the attacker pilot who
//!   did the most damage (lumping everyone together fails this);
//! - *allied*: the two attacker pilots who did the most damage are on the
//!   same side (splitting everyone apart fails this).
//!
//! Neither is true of every kill (an awox kill fails the first, a third
//! party landing on a mail the second), so a perfect model does not score
//! 1.0; what matters is that neither degenerate answer can score well on
//! both. Scores over many battles are pooled over kills: each battle weighs
//! by the kills it had judged.

use rustc_hash::FxHashMap;

use super::groups::{attacker_group, victim_group};
use super::Side;
use crate::killmail::{Attacker, EntityId, Killmail};

/// Counts of the label-free checks over one or more battles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SideChecks {
    /// Kills with a victim pilot and an attacker pilot, both on a side.
    pub hostile_judged: u64,
    /// Of those, kills whose victim is on another side than the top-damage
    /// attacker pilot.
    pub hostile_passed: u64,
    /// Of the judged kills, those whose victim and top-damage attacker pilot
    /// are of one group (alliance, corporation): awox and friends' pods
    /// shot on purpose, which no side assignment can pass.
    pub hostile_same_group: u64,
    /// Kills with two attacker pilots on sides.
    pub allied_judged: u64,
    /// Of those, kills whose two top-damage attacker pilots share a side.
    pub allied_passed: u64,
}

impl SideChecks {
    /// Share of judged kills that pass the hostile check.
    #[must_use]
    pub fn hostile(&self) -> Option<f64> {
        ratio(self.hostile_passed, self.hostile_judged)
    }

    /// Share of judged kills that pass the allied check.
    #[must_use]
    pub fn allied(&self) -> Option<f64> {
        ratio(self.allied_passed, self.allied_judged)
    }

    /// Pool another battle's counts into these.
    pub fn add(&mut self, other: &Self) {
        self.hostile_judged += other.hostile_judged;
        self.hostile_passed += other.hostile_passed;
        self.hostile_same_group += other.hostile_same_group;
        self.allied_judged += other.allied_judged;
        self.allied_passed += other.allied_passed;
    }
}

#[allow(clippy::cast_precision_loss)] // counts stay far below 2^52
fn ratio(passed: u64, judged: u64) -> Option<f64> {
    (judged > 0).then(|| passed as f64 / judged as f64)
}

/// Side index of every pilot the sides list (the lowest when listed twice).
fn pilot_sides(sides: &[Side]) -> FxHashMap<EntityId, usize> {
    let mut map = FxHashMap::default();
    for (i, side) in sides.iter().enumerate() {
        for &p in &side.pilots {
            map.entry(p).or_insert(i);
        }
    }
    map
}

/// Run both checks on one battle's kills and the sides assigned to them.
#[must_use]
pub fn check_sides(kills: &[&Killmail], sides: &[Side]) -> SideChecks {
    let side_of = pilot_sides(sides);
    let mut out = SideChecks::default();
    let mut top: Vec<(&Attacker, usize)> = Vec::new();
    for km in kills {
        top.clear();
        top.extend(km.attackers.iter().filter_map(|a| {
            let side = side_of.get(&a.character_id?)?;
            Some((a, *side))
        }));
        // Most damage first; the killmail's order breaks ties.
        top.sort_by_key(|(a, _)| std::cmp::Reverse(a.damage_done));
        let victim_side = km.victim.character_id.and_then(|c| side_of.get(&c));
        if let (Some(&v), Some(&(attacker, a))) = (victim_side, top.first()) {
            out.hostile_judged += 1;
            out.hostile_passed += u64::from(v != a);
            let same = victim_group(&km.victim) == attacker_group(attacker);
            out.hostile_same_group += u64::from(same);
        }
        if let [(_, first), (_, second), ..] = top[..] {
            out.allied_judged += 1;
            out.allied_passed += u64::from(first == second);
        }
    }
    out
}

/// Rand index of the sides against known teams: the share of pilot pairs
/// on which both agree (same team and same side, or different team and
/// different side). `truth` lists each pilot once with their team; a pilot
/// no side lists counts as a side of their own. 1.0 for fewer than two
/// pilots.
#[must_use]
pub fn rand_index(truth: &[(EntityId, u32)], sides: &[Side]) -> f64 {
    let side_of = pilot_sides(sides);
    let mut cells: FxHashMap<(u32, usize), u64> = FxHashMap::default();
    let mut teams: FxHashMap<u32, u64> = FxHashMap::default();
    let mut predicted: FxHashMap<usize, u64> = FxHashMap::default();
    for (i, &(pilot, team)) in truth.iter().enumerate() {
        let side = side_of.get(&pilot).copied().unwrap_or(sides.len() + i);
        *cells.entry((team, side)).or_default() += 1;
        *teams.entry(team).or_default() += 1;
        *predicted.entry(side).or_default() += 1;
    }
    let pairs = |n: u64| n * n.saturating_sub(1) / 2;
    let total = pairs(truth.len() as u64);
    if total == 0 {
        return 1.0;
    }
    let both: u64 = cells.values().map(|&n| pairs(n)).sum();
    let same_team: u64 = teams.values().map(|&n| pairs(n)).sum();
    let same_side: u64 = predicted.values().map(|&n| pairs(n)).sum();
    // Agreements: pairs together in both, plus pairs apart in both.
    let apart_in_both = total + both - same_team - same_side;
    #[allow(clippy::cast_precision_loss)]
    let index = (both + apart_in_both) as f64 / total as f64;
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn side(index: u32, pilots: &[EntityId]) -> Side {
        Side {
            index,
            alliances: Vec::new(),
            corporations: Vec::new(),
            pilots: pilots.to_vec(),
            ships: BTreeMap::new(),
            kills: 0,
            losses: 0,
            isk_killed: 0.0,
            isk_lost: 0.0,
            losses_without_value: 0,
            efficiency: None,
        }
    }

    #[test]
    fn rand_index_counts_agreeing_pairs() {
        let truth = [(1, 0), (2, 0), (3, 1), (4, 1)];
        assert!((rand_index(&truth, &[side(0, &[1, 2]), side(1, &[3, 4])]) - 1.0).abs() < 1e-12);
        // Everyone together: only the 2 same-team pairs of 6 agree.
        let lumped = rand_index(&truth, &[side(0, &[1, 2, 3, 4])]);
        assert!((lumped - 2.0 / 6.0).abs() < 1e-12, "{lumped}");
        // Everyone apart (no side lists them): the 4 cross pairs agree.
        let apart = rand_index(&truth, &[]);
        assert!((apart - 4.0 / 6.0).abs() < 1e-12, "{apart}");
        // 3 with the wrong team: pairs (1,3),(2,3) wrong, (3,4) wrong.
        let one_off = rand_index(&truth, &[side(0, &[1, 2, 3]), side(1, &[4])]);
        assert!((one_off - 3.0 / 6.0).abs() < 1e-12, "{one_off}");
    }
}
