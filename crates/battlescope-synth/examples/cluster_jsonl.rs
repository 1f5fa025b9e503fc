//! The Rust side of `benches/peers`: batch-cluster a JSON Lines file with
//! `battlescope_core::cluster::partition` and print battles in the same
//! shape as `benches/peers/cluster.py`, with timings on standard error.
//!
//! ```text
//! cargo run --release -p battlescope-synth --example cluster_jsonl -- kills.jsonl \
//!     [-o battles.jsonl] [--window 1800] [--max-gap 900] [--min-shared 1] \
//!     [--min-kills 2] [--correlate-by character|corporation|alliance]
//! ```

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use battlescope_core::cluster::{partition, ClusterConfig};
use battlescope_core::input::{read_path, ReadOptions};
use battlescope_core::killmail::Limits;

fn usage() -> ExitCode {
    eprintln!(
        "usage: cluster_jsonl FILE [-o OUT] [--window S] [--max-gap S] [--min-shared N] \
         [--min-kills N] [--correlate-by character|corporation|alliance]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut input = None;
    let mut output: Option<PathBuf> = None;
    let mut config = ClusterConfig::default();
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        let ok = match arg.as_str() {
            "-o" | "--output" => {
                output = Some(PathBuf::from(value()));
                true
            }
            "--window" => value()
                .parse()
                .map(|s| config.correlation_window = Duration::from_secs(s))
                .is_ok(),
            "--max-gap" => value()
                .parse()
                .map(|s| config.max_gap = Duration::from_secs(s))
                .is_ok(),
            "--min-shared" => value().parse().map(|n| config.min_shared = n).is_ok(),
            "--min-kills" => value().parse().map(|n| config.min_kills = n).is_ok(),
            "--correlate-by" => value().parse().map(|c| config.correlate_by = c).is_ok(),
            _ if input.is_none() && !arg.starts_with('-') => {
                input = Some(PathBuf::from(arg));
                true
            }
            _ => false,
        };
        if !ok {
            return usage();
        }
    }
    let Some(input) = input else {
        return usage();
    };

    let began = Instant::now();
    // Generated scenarios may lie in the future.
    let options = ReadOptions::default()
        .with_limits(Limits::default().with_max_future(chrono::TimeDelta::days(365 * 100)));
    let outcome = match read_path(&input, &options) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("cluster_jsonl: {e}");
            return ExitCode::FAILURE;
        }
    };
    let kills = outcome.killmails;
    let parsed = Instant::now();
    let groups = match partition(&kills, &config) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("cluster_jsonl: {e}");
            return ExitCode::FAILURE;
        }
    };
    let clustered = Instant::now();
    let write = |w: &mut dyn Write| -> io::Result<()> {
        for g in &groups {
            let mut ids: Vec<u64> = g.kills.iter().map(|&i| kills[i].killmail_id).collect();
            ids.sort_unstable();
            // The same bytes as cluster.py: "system" first, no spaces.
            write!(w, "{{\"system\":{},\"killmail_ids\":", g.system_id)?;
            serde_json::to_writer(&mut *w, &ids)?;
            w.write_all(b"}\n")?;
        }
        w.flush()
    };
    let result = match &output {
        Some(path) => File::create(path).and_then(|f| write(&mut BufWriter::new(f))),
        None => write(&mut BufWriter::new(io::stdout().lock())),
    };
    if let Err(e) = result {
        eprintln!("cluster_jsonl: cannot write: {e}");
        return ExitCode::FAILURE;
    }
    let done = Instant::now();
    let in_battles: usize = groups.iter().map(|g| g.kills.len()).sum();
    eprintln!(
        "kills {} battles {} kills_in_battles {in_battles} parse {:.3}s cluster {:.3}s write {:.3}s total {:.3}s",
        kills.len(),
        groups.len(),
        (parsed - began).as_secs_f64(),
        (clustered - parsed).as_secs_f64(),
        (done - clustered).as_secs_f64(),
        (done - began).as_secs_f64(),
    );
    ExitCode::SUCCESS
}
