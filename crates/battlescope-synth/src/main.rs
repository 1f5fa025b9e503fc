//! `battlescope-synth`: write a generated scenario as JSON Lines.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use battlescope_synth::{stream, write_jsonl, ScenarioConfig};
use chrono::{DateTime, Utc};
use clap::{Parser, ValueEnum};

/// Generate realistic EVE Online killmails (ESI JSON with the `zkb` object),
/// one per line, deterministically from a seed.
#[derive(Debug, Parser)]
#[command(name = "battlescope-synth", version)]
struct Args {
    /// Killmails to write.
    #[arg(long)]
    kills: usize,
    /// Random seed: the same seed and options give the same file.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Known-space solar systems in play (hotspots included).
    #[arg(long)]
    systems: Option<usize>,
    /// Start of the scenario (RFC 3339).
    #[arg(long, default_value = "2024-01-01T00:00:00Z")]
    start: DateTime<Utc>,
    /// Scenario preset: `default` (benchmark scale) or `small` (few systems,
    /// few pilots, dense overlaps).
    #[arg(long, value_enum, default_value_t = Preset::Default)]
    preset: Preset,
    /// Output file; standard output when absent.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Preset {
    Default,
    Small,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut config = match args.preset {
        Preset::Default => ScenarioConfig::default(),
        Preset::Small => ScenarioConfig::small(),
    };
    config.kills = args.kills;
    config.start = args.start;
    if let Some(systems) = args.systems {
        config.universe.systems = systems;
    }
    let began = Instant::now();
    let result = match &args.output {
        Some(path) => File::create(path).and_then(|f| {
            write_jsonl(
                BufWriter::with_capacity(1 << 20, f),
                stream(&config, args.seed),
            )
        }),
        None => {
            let stdout = io::stdout().lock();
            write_jsonl(
                BufWriter::with_capacity(1 << 20, stdout),
                stream(&config, args.seed),
            )
        }
    };
    match result {
        Ok(n) => {
            let _ = writeln!(
                io::stderr(),
                "wrote {n} killmails in {:.2} s",
                began.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let target = args
                .output
                .as_ref()
                .map_or_else(|| "standard output".to_owned(), |p| p.display().to_string());
            let _ = writeln!(
                io::stderr(),
                "battlescope-synth: cannot write {target}: {e}"
            );
            ExitCode::FAILURE
        }
    }
}
