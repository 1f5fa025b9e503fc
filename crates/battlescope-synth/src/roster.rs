//! Stable rosters: coalitions → alliances → corporations → pilots.
//!
//! Every group is a contiguous range of pilot indices, so "a random pilot of
//! this alliance" is one random number. Each pilot also carries the time
//! until which they are busy in an episode, so two episodes that overlap in
//! time never share a pilot (a pilot is in one fight at a time).

use std::ops::Range;

use battlescope_core::killmail::EntityId;
use rand::seq::SliceRandom;
use rand::Rng;

use crate::config::RosterConfig;
use crate::rng::heavy;

/// One pilot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pilot {
    pub id: EntityId,
    pub corp: u32,
    /// Security status in tenths (-100..=50).
    pub sec_tenths: i8,
}

impl Pilot {
    pub(crate) fn security_status(self) -> f64 {
        f64::from(self.sec_tenths) / 10.0
    }
}

/// One corporation.
#[derive(Debug, Clone)]
pub(crate) struct Corp {
    pub id: EntityId,
    pub alliance: Option<u32>,
    pub pilots: Range<u32>,
}

/// One alliance.
#[derive(Debug, Clone)]
pub(crate) struct Alliance {
    pub id: EntityId,
    pub pilots: Range<u32>,
}

/// A group that fights together in a small gang: a whole alliance or one
/// corporation.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub pilots: Range<u32>,
    pub alliance: Option<u32>,
    pub corp: Option<u32>,
}

impl Group {
    /// True when the two groups could not be enemies (same alliance or corp).
    pub(crate) fn friendly(&self, other: &Group, roster: &Roster) -> bool {
        let alliance_of = |g: &Group| {
            g.alliance
                .or_else(|| g.corp.and_then(|c| roster.corps[c as usize].alliance))
        };
        match (alliance_of(self), alliance_of(other)) {
            (Some(a), Some(b)) => a == b,
            _ => self.corp.is_some() && self.corp == other.corp,
        }
    }
}

/// Everybody.
#[derive(Debug)]
pub(crate) struct Roster {
    pub pilots: Vec<Pilot>,
    pub corps: Vec<Corp>,
    pub alliances: Vec<Alliance>,
    /// Pilot range of each coalition.
    pub coalitions: Vec<Range<u32>>,
    /// Corporations without alliance (a range of `corps`).
    pub independents: Range<u32>,
    /// Time (unix seconds) until which each pilot is busy.
    busy_until: Vec<i64>,
}

fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Hands out increasing ids with random holes from a base.
struct IdSeq(EntityId);

impl IdSeq {
    fn next(&mut self, rng: &mut impl Rng) -> EntityId {
        self.0 += rng.gen_range(1..=40);
        self.0
    }
}

/// The id sequences of a roster.
struct Ids {
    chars_new: IdSeq,
    chars_old: IdSeq,
    corps: IdSeq,
    alliances: IdSeq,
}

impl Roster {
    pub(crate) fn generate(cfg: &RosterConfig, rng: &mut impl Rng) -> Self {
        let coalitions = cfg.coalitions.max(1);
        // The first coalitions get more alliances.
        let mut per_coalition = vec![0usize; coalitions];
        for _ in 0..cfg.alliances.max(coalitions) {
            let u: f64 = rng.gen();
            let c = ((u * u) * coalitions as f64) as usize;
            per_coalition[c.min(coalitions - 1)] += 1;
        }
        // Every coalition needs an alliance.
        for c in 0..coalitions {
            if per_coalition[c] == 0 {
                let donor = (0..coalitions)
                    .max_by_key(|&i| per_coalition[i])
                    .unwrap_or(0);
                per_coalition[donor] -= 1;
                per_coalition[c] += 1;
            }
        }

        let mut ids = Ids {
            chars_new: IdSeq(2_112_000_000),
            chars_old: IdSeq(90_000_000),
            corps: IdSeq(98_000_000),
            alliances: IdSeq(99_000_000),
        };
        let mut roster = Roster {
            pilots: Vec::new(),
            corps: Vec::new(),
            alliances: Vec::new(),
            coalitions: Vec::with_capacity(coalitions),
            independents: 0..0,
            busy_until: Vec::new(),
        };
        for &count in &per_coalition {
            let coalition_first = u32_of(roster.pilots.len());
            for _ in 0..count {
                let alliance = u32_of(roster.alliances.len());
                let first = u32_of(roster.pilots.len());
                let (lo, hi) = cfg.corps_per_alliance;
                let corps = heavy(rng, lo.max(1), hi.max(1), 1.2);
                for _ in 0..corps {
                    roster.add_corp(rng, Some(alliance), cfg.pilots_per_corp, &mut ids);
                }
                let id = ids.alliances.next(rng);
                roster.alliances.push(Alliance {
                    id,
                    pilots: first..u32_of(roster.pilots.len()),
                });
            }
            roster
                .coalitions
                .push(coalition_first..u32_of(roster.pilots.len()));
        }
        let first_independent = u32_of(roster.corps.len());
        for _ in 0..cfg.independent_corps {
            roster.add_corp(rng, None, cfg.pilots_per_independent_corp, &mut ids);
        }
        roster.independents = first_independent..u32_of(roster.corps.len());
        roster.busy_until = vec![i64::MIN; roster.pilots.len()];
        roster
    }

    fn add_corp(
        &mut self,
        rng: &mut impl Rng,
        alliance: Option<u32>,
        size: (u32, u32),
        ids: &mut Ids,
    ) {
        let corp = u32_of(self.corps.len());
        let n = heavy(rng, size.0.max(1), size.1.max(1), 1.1);
        let first = u32_of(self.pilots.len());
        for _ in 0..n {
            let id = if rng.gen_bool(0.35) {
                ids.chars_old.next(rng)
            } else {
                ids.chars_new.next(rng)
            };
            let sec_tenths = if rng.gen_bool(0.3) {
                50
            } else {
                rng.gen_range(-100i8..=50)
            };
            self.pilots.push(Pilot {
                id,
                corp,
                sec_tenths,
            });
        }
        let id = ids.corps.next(rng);
        self.corps.push(Corp {
            id,
            alliance,
            pilots: first..u32_of(self.pilots.len()),
        });
    }

    pub(crate) fn pilot(&self, ix: u32) -> Pilot {
        self.pilots[ix as usize]
    }

    /// Corporation id and alliance id of a pilot.
    pub(crate) fn affiliation(&self, ix: u32) -> (EntityId, Option<EntityId>) {
        let corp = &self.corps[self.pilots[ix as usize].corp as usize];
        (
            corp.id,
            corp.alliance.map(|a| self.alliances[a as usize].id),
        )
    }

    /// Whether a pilot is free at `from`.
    pub(crate) fn is_free(&self, ix: u32, from: i64) -> bool {
        self.busy_until[ix as usize] <= from
    }

    /// Mark a pilot busy until `until`.
    pub(crate) fn occupy(&mut self, ix: u32, until: i64) {
        let b = &mut self.busy_until[ix as usize];
        *b = (*b).max(until);
    }

    /// Reserve up to `count` distinct pilots of `range` that are free at
    /// `from`, marking them busy until `until` (> `from`).
    pub(crate) fn reserve(
        &mut self,
        range: Range<u32>,
        count: usize,
        from: i64,
        until: i64,
        rng: &mut impl Rng,
    ) -> Vec<u32> {
        let len = range.len();
        if len == 0 || count == 0 {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(count.min(len));
        if count * 3 >= len {
            let mut free: Vec<u32> = range.filter(|&p| self.is_free(p, from)).collect();
            let take = count.min(free.len());
            let (chosen, _) = free.partial_shuffle(rng, take);
            out.extend_from_slice(chosen);
        } else {
            for _ in 0..count * 4 {
                let p = rng.gen_range(range.clone());
                if self.is_free(p, from) {
                    // Occupy at once: a second pick of the same pilot is then not free.
                    self.occupy(p, until.max(from + 1));
                    out.push(p);
                    if out.len() == count {
                        break;
                    }
                }
            }
        }
        for &p in &out {
            self.occupy(p, until.max(from + 1));
        }
        out
    }

    /// A random small-gang group, picked through a random pilot (so bigger
    /// groups are picked more often): their alliance, or their corporation.
    pub(crate) fn random_group(&self, rng: &mut impl Rng) -> Group {
        let p = rng.gen_range(0..u32_of(self.pilots.len()));
        let c = self.pilots[p as usize].corp;
        let corp = &self.corps[c as usize];
        match corp.alliance {
            Some(a) if rng.gen_bool(0.6) => Group {
                pilots: self.alliances[a as usize].pilots.clone(),
                alliance: Some(a),
                corp: None,
            },
            _ => Group {
                pilots: corp.pilots.clone(),
                alliance: None,
                corp: Some(c),
            },
        }
    }

    /// A random independent corporation (or any corporation when there are none).
    pub(crate) fn random_independent(&self, rng: &mut impl Rng) -> Group {
        let c = if self.independents.is_empty() {
            rng.gen_range(0..u32_of(self.corps.len()))
        } else {
            rng.gen_range(self.independents.clone())
        };
        Group {
            pilots: self.corps[c as usize].pilots.clone(),
            alliance: self.corps[c as usize].alliance,
            corp: Some(c),
        }
    }

    /// Two groups that are not friendly; `None` after a few failed draws.
    pub(crate) fn enemy_groups(&self, rng: &mut impl Rng) -> Option<(Group, Group)> {
        for _ in 0..16 {
            let a = self.random_group(rng);
            let b = self.random_group(rng);
            if !a.friendly(&b, self) {
                return Some((a, b));
            }
        }
        None
    }
}
