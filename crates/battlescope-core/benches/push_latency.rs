//! Incremental push latency (p50 / p99 / max) with ~10k open battles, and
//! peak memory of batch and incremental clustering of generated fights.
//!
//! ```text
//! cargo bench -p battlescope-core --bench push_latency -- latency
//! cargo bench -p battlescope-core --bench push_latency -- memory-batch 1000000
//! cargo bench -p battlescope-core --bench push_latency -- memory-incremental 1000000
//! ```
//! Peak memory is the process's high-water mark (`VmHWM`), so each memory
//! mode runs in its own process.

use std::time::{Duration, Instant};

use battlescope_core::cluster::{cluster, ClusterConfig, Clusterer};
use battlescope_synth::{arrival_with_delay, generate, ScenarioConfig};

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn latency() {
    // Many systems busy at once: a long allowed lateness keeps every battle
    // open, and the stream is built up until 10k battles are open.
    let config = ClusterConfig::default().with_allowed_lateness(Duration::from_secs(365 * 86_400));
    let kms = generate(&ScenarioConfig::with_kills(300_000), 11);
    let stream = arrival_with_delay(&kms, 0.01, 600, 3);
    let mut c = Clusterer::new(config).unwrap();
    let mut warm = 0;
    for km in &stream {
        c.push(km.clone());
        warm += 1;
        if warm % 1000 == 0 && c.open_battle_count() >= 10_000 {
            break;
        }
    }
    let open = c.open_battle_count();
    let mut samples = Vec::with_capacity(stream.len() - warm);
    for km in &stream[warm..] {
        let km = km.clone();
        let t = Instant::now();
        std::hint::black_box(c.push(km));
        samples.push(t.elapsed());
    }
    samples.sort_unstable();
    println!(
        "push latency with {open} open battles after {warm} warm-up pushes, over {} pushes: \
         p50 {:?}, p99 {:?}, p99.9 {:?}, max {:?}; open battles at the end: {}",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        percentile(&samples, 0.999),
        samples[samples.len() - 1],
        c.open_battle_count()
    );
}

fn memory(mode: &str, n: usize) {
    let kms = generate(&ScenarioConfig::with_kills(n), 42);
    let input = peak_rss_mib();
    let t = Instant::now();
    let battles = match mode {
        "memory-batch" => cluster(&kms, &ClusterConfig::default()).unwrap().len(),
        _ => {
            let mut c = Clusterer::new(ClusterConfig::default()).unwrap();
            let mut sealed = 0;
            for km in &kms {
                sealed += c.push(km.clone()).sealed.len();
            }
            sealed + c.battles().len()
        }
    };
    println!(
        "{mode}: {n} killmails, {battles} battles in {:.2?}; peak RSS {:.0} MiB \
         (of which the generated input {:.0} MiB)",
        t.elapsed(),
        peak_rss_mib(),
        input
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let mode = args.first().map_or("latency", String::as_str);
    let n = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    match mode {
        "latency" => latency(),
        "memory-batch" | "memory-incremental" => memory(mode, n),
        other => eprintln!("unknown mode {other}: latency | memory-batch N | memory-incremental N"),
    }
}
