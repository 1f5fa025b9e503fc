//! How fast the generator is: `cargo run --release -p battlescope-synth
//! --example generate_timing -- [KILLS] [SEED]` (default 1,000,000 kills).

use std::time::Instant;

use battlescope_synth::{generate, stream, ScenarioConfig};

fn main() {
    let mut args = std::env::args().skip(1);
    let kills: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let config = ScenarioConfig::with_kills(kills);

    let began = Instant::now();
    let attackers: usize = stream(&config, seed).map(|k| k.attackers.len()).sum();
    let streamed = began.elapsed();
    println!(
        "stream:   {kills} kills ({attackers} attackers) in {:.2} s, {:.0} kills/s",
        streamed.as_secs_f64(),
        kills as f64 / streamed.as_secs_f64()
    );

    let began = Instant::now();
    let all = generate(&config, seed);
    let generated = began.elapsed();
    println!(
        "generate: {} kills held in memory in {:.2} s",
        all.len(),
        generated.as_secs_f64()
    );
}
