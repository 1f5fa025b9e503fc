//! Arrival streams: the same killmails as a live feed would deliver them,
//! out of order and with repeats.

use battlescope_core::Killmail;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Repeat each killmail with probability `duplicate_rate` (a repeat is an
/// identical copy: the same id, the same content), then return them all in
/// a random order. Deterministic for a given `seed`.
///
/// Feeding this to an incremental clusterer and comparing with batch
/// clustering of `kills` is the order-independence property of the design.
#[must_use]
pub fn arrival_order(kills: &[Killmail], duplicate_rate: f64, seed: u64) -> Vec<Killmail> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = with_duplicates(kills, duplicate_rate, &mut rng);
    out.shuffle(&mut rng);
    out
}

/// A gentler arrival stream: each killmail (and each repeat) arrives at its
/// time plus a uniform delay in `0..=max_delay_secs`, and the stream is in
/// arrival order. Kills are out of order only within `max_delay_secs`, as
/// with a live feed whose lateness stays under the clusterer's
/// `allowed_lateness`.
#[must_use]
pub fn arrival_with_delay(
    kills: &[Killmail],
    duplicate_rate: f64,
    max_delay_secs: i64,
    seed: u64,
) -> Vec<Killmail> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let all = with_duplicates(kills, duplicate_rate, &mut rng);
    let mut keyed: Vec<(i64, usize, Killmail)> = all
        .into_iter()
        .enumerate()
        .map(|(i, km)| {
            let at = km.killmail_time.timestamp() + rng.gen_range(0..=max_delay_secs.max(0));
            (at, i, km)
        })
        .collect();
    keyed.sort_by_key(|&(at, i, _)| (at, i));
    keyed.into_iter().map(|(_, _, km)| km).collect()
}

fn with_duplicates(kills: &[Killmail], rate: f64, rng: &mut ChaCha8Rng) -> Vec<Killmail> {
    let rate = rate.clamp(0.0, 1.0);
    let mut out = Vec::with_capacity(kills.len() + (kills.len() as f64 * rate) as usize + 1);
    for km in kills {
        out.push(km.clone());
        if rng.gen_bool(rate) {
            out.push(km.clone());
        }
    }
    out
}
