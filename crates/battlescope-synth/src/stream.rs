//! The streaming generator: episodes in start order, killmails out in id
//! order, holding only the kills that are still "in flight".

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use battlescope_core::Killmail;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::ScenarioConfig;
use crate::rng::{between, exp};
use crate::world::World;

/// Stop after this many episodes in a row that produced nothing (a roster
/// too small for the mix): the stream then ends early instead of spinning.
const MAX_EMPTY_EPISODES: u32 = 100_000;

/// Killmails parked in a slab; the heaps order `(time, seq, slot)` keys.
#[derive(Debug, Default)]
struct Slab {
    slots: Vec<Option<Killmail>>,
    free: Vec<u32>,
}

impl Slab {
    fn put(&mut self, km: Killmail) -> u32 {
        if let Some(i) = self.free.pop() {
            self.slots[i as usize] = Some(km);
            i
        } else {
            self.slots.push(Some(km));
            u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
        }
    }

    fn take(&mut self, i: u32) -> Option<Killmail> {
        let km = self.slots.get_mut(i as usize)?.take();
        self.free.push(i);
        km
    }

    fn get(&self, i: u32) -> Option<&Killmail> {
        self.slots.get(i as usize)?.as_ref()
    }
}

type Key = Reverse<(i64, u64, u32)>;

/// An endless-until-`kills` iterator of killmails; see [`crate::stream`].
///
/// Killmails come out in killmail-id order, which follows time only roughly
/// (see [`crate::IdConfig`]). Memory is bounded by the kills of the episodes
/// in progress plus those within the id jitter, not by the total.
#[derive(Debug)]
pub struct KillStream {
    world: World,
    id_rng: ChaCha8Rng,
    slab: Slab,
    /// Generated kills not yet given an id, by kill time.
    pending: BinaryHeap<Key>,
    /// Kills waiting for their id, by report time (kill time + jitter).
    reports: BinaryHeap<Key>,
    next_start: i64,
    seq: u64,
    next_id: u64,
    emitted: usize,
    empty_run: u32,
    exhausted: bool,
    buf: Vec<Killmail>,
}

impl KillStream {
    /// A stream for `config` and `seed`.
    #[must_use]
    pub fn new(config: ScenarioConfig, seed: u64) -> Self {
        let next_start = config.start.timestamp();
        let next_id = config.ids.first_id.max(1);
        Self {
            world: World::new(config, seed),
            id_rng: ChaCha8Rng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15),
            slab: Slab::default(),
            pending: BinaryHeap::new(),
            reports: BinaryHeap::new(),
            next_start,
            seq: 0,
            next_id,
            emitted: 0,
            empty_run: 0,
            exhausted: false,
            buf: Vec::new(),
        }
    }

    /// The configuration the stream runs.
    #[must_use]
    pub fn config(&self) -> &ScenarioConfig {
        &self.world.cfg
    }

    /// Killmails handed out so far.
    #[must_use]
    pub fn emitted(&self) -> usize {
        self.emitted
    }

    /// Generate the next episode; false when the stream should give up.
    fn spawn(&mut self) -> bool {
        let start = self.next_start;
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        self.world.episode(start, &mut buf);
        let produced = buf.len();
        for km in buf.drain(..) {
            let t = km.killmail_time.timestamp();
            let slot = self.slab.put(km);
            self.pending.push(Reverse((t, self.seq, slot)));
            self.seq += 1;
        }
        self.buf = buf;
        // The next episode starts after a delay proportional to this one's
        // size, so that the global rate averages `kills_per_hour`.
        let rate = self.world.cfg.kills_per_hour.max(1e-6);
        let mean_secs = (produced.max(1) as f64) / rate * 3600.0;
        let delay = exp(&mut self.world.rng, mean_secs).round() as i64;
        self.next_start = start + delay.max(1);
        if produced == 0 {
            self.empty_run += 1;
            self.empty_run < MAX_EMPTY_EPISODES
        } else {
            self.empty_run = 0;
            true
        }
    }

    fn jitter(&mut self) -> i64 {
        let ids = &self.world.cfg.ids;
        if self.id_rng.gen_bool(ids.late_rate.clamp(0.0, 1.0)) {
            between(&mut self.id_rng, 0, ids.late_max_secs.max(0))
        } else {
            exp(&mut self.id_rng, ids.jitter_mean_secs.max(0.0)) as i64
        }
    }

    fn issue(&mut self, slot: u32) -> Option<Killmail> {
        let mut km = self.slab.take(slot)?;
        km.killmail_id = self.next_id;
        let hole = self
            .id_rng
            .gen_bool(self.world.cfg.ids.hole_rate.clamp(0.0, 1.0));
        self.next_id += if hole {
            1 + self.id_rng.gen_range(1..=3)
        } else {
            1
        };
        self.emitted += 1;
        Some(km)
    }
}

impl Iterator for KillStream {
    type Item = Killmail;

    fn next(&mut self) -> Option<Killmail> {
        if self.emitted >= self.world.cfg.kills {
            return None;
        }
        loop {
            // Every episode starting at or before the earliest pending kill
            // must exist before that kill is released: episodes only add
            // kills at or after their start.
            while !self.exhausted
                && self
                    .pending
                    .peek()
                    .is_none_or(|Reverse((t, _, _))| self.next_start <= *t)
            {
                if !self.spawn() {
                    self.exhausted = true;
                }
            }
            let Some(&Reverse((t, _, _))) = self.pending.peek() else {
                // Nothing more will be generated: drain what is left.
                let Reverse((_, _, slot)) = self.reports.pop()?;
                return self.issue(slot);
            };
            // A kill reported before `t` can no longer be overtaken: every
            // kill still to come happens (hence is reported) at or after `t`.
            if let Some(&Reverse((r, _, slot))) = self.reports.peek() {
                if r < t {
                    self.reports.pop();
                    return self.issue(slot);
                }
            }
            let Reverse((t, seq, slot)) = self.pending.pop()?;
            debug_assert!(self.slab.get(slot).is_some());
            let report = t + self.jitter();
            self.reports.push(Reverse((report, seq, slot)));
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.world.cfg.kills - self.emitted))
    }
}
