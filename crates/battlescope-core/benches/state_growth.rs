//! State and snapshot size of a `Clusterer` over 30 simulated days of a
//! live feed at New Eden's rate (~800 kills an hour, late by up to 20
//! minutes, 1 % redelivered), with the default 6 h allowed lateness: the
//! figures must stay flat, since sealed state is pruned past the horizon.
//!
//! ```text
//! cargo bench -p battlescope-core --bench state_growth
//! ```
//! Prints one line per simulated day: live killmails, open battles, sealed
//! spans and ids remembered, snapshot bytes (JSON), and push throughput.

use std::time::Instant;

use battlescope_core::cluster::{ClusterConfig, Clusterer};
use battlescope_synth::{arrival_with_delay, generate, ScenarioConfig};

fn main() {
    let days = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<i64>().ok())
        .unwrap_or(30);
    let per_hour = 800.0;
    let kills = (per_hour * 24.0 * days as f64) as usize;
    let scenario = ScenarioConfig {
        kills_per_hour: per_hour,
        ..ScenarioConfig::with_kills(kills)
    };
    let kms = generate(&scenario, 30);
    let stream = arrival_with_delay(&kms, 0.01, 1200, 31);
    let start = kms.iter().map(|k| k.killmail_time).min().expect("kills");
    let mut c = Clusterer::new(ClusterConfig::default()).expect("default config");
    println!("day  live  open  spans  sealed_ids  snapshot_bytes  pushes/s");
    let mut day = 1;
    let mut t = Instant::now();
    let mut pushes = 0_u64;
    for km in stream {
        let at = km.killmail_time;
        c.set_trusted_time(at);
        c.push(km);
        pushes += 1;
        if (at - start).num_days() >= day {
            let rate = pushes as f64 / t.elapsed().as_secs_f64();
            let bytes = serde_json::to_vec(&c.snapshot()).expect("snapshot").len();
            let (spans, ids) = c.sealed_state_size();
            println!(
                "{day:>3}  {:>5}  {:>4}  {spans:>5}  {ids:>10}  {bytes:>14}  {rate:>8.0}",
                c.live_killmails(),
                c.open_battle_count(),
            );
            day += 1;
            pushes = 0;
            t = Instant::now();
        }
    }
    let counts = c.counts();
    println!("outcomes: {counts:?}");
}
