//! `battlescope cluster`: killmail files in, battles out.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use battlescope_core::cluster::{cluster, parse_duration, ClusterConfig, CorrelateBy};
use battlescope_core::input::{Format, ReadOptions};
use clap::{Args, ValueEnum};

use super::filter::parse_format;
use super::inputs::{expand, print_read_summary, read_all};
use super::output::{write_battles, OutputFormat};
use super::rules;

/// Options of `battlescope cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Killmail files or directories (directories are searched for .json,
    /// .jsonl, .ndjson and .tar.bz2 files).
    #[arg(required = true)]
    files: Vec<PathBuf>,

    /// Input format: auto, json, jsonl, archive, esi, r2z2, redisq, zkb-api,
    /// or container+shape such as jsonl+r2z2.
    #[arg(long, default_value = "auto", value_parser = parse_format)]
    input_format: Format,

    /// Kills further apart than this are never linked directly.
    #[arg(long, default_value = "30m", value_parser = duration("correlation-window"))]
    correlation_window: Duration,

    /// A silence longer than this splits a battle.
    #[arg(long, default_value = "15m", value_parser = duration("max-gap"))]
    max_gap: Duration,

    /// Participants two kills must share to be linked (0: place and time alone).
    #[arg(long, default_value_t = 1)]
    min_shared: u32,

    /// What a shared participant is.
    #[arg(long, value_enum, default_value_t = Correlate::Character)]
    correlate_by: Correlate,

    /// Fewest kills a battle has.
    #[arg(long, default_value_t = 2)]
    min_kills: u32,

    /// Accepted for parity with the incremental clusterer (batch reads
    /// everything, so nothing is ever late).
    #[arg(long, default_value = "6h", value_parser = duration("allowed-lateness"))]
    allowed_lateness: Duration,

    /// Keep only the killmails this ruleset (.json, .yaml, .yml, .toml)
    /// accepts before clustering; rejections by rule go to stderr.
    #[arg(long, value_name = "FILE")]
    ruleset: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    format: OutputFormat,

    /// Write to this file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,

    /// Exit with status 2 when any record was skipped.
    #[arg(long)]
    strict: bool,

    /// No progress bar and no summary on stderr.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Correlate {
    Character,
    Corporation,
    Alliance,
}

fn duration(flag: &'static str) -> impl Fn(&str) -> Result<Duration, String> + Clone {
    move |s| parse_duration(flag, s).map_err(|e| e.to_string())
}

pub fn run(args: &ClusterArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let config = ClusterConfig::default()
        .with_correlation_window(args.correlation_window)
        .with_max_gap(args.max_gap)
        .with_min_shared(args.min_shared)
        .with_correlate_by(match args.correlate_by {
            Correlate::Character => CorrelateBy::Character,
            Correlate::Corporation => CorrelateBy::Corporation,
            Correlate::Alliance => CorrelateBy::Alliance,
        })
        .with_min_kills(args.min_kills)
        .with_allowed_lateness(args.allowed_lateness);
    config.validate()?;
    let rules = args.ruleset.as_deref().map(rules::load).transpose()?;
    let files = expand(&args.files)?;
    let options = ReadOptions::default().with_format(args.input_format);
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let mut outcome = read_all(&files, &options, show_progress)?;
    let filtered = rules
        .as_ref()
        .map(|r| rules::retain(r, &mut outcome.killmails));

    let read_time = started.elapsed();
    let clustering = Instant::now();
    let battles = cluster(&outcome.killmails, &config)?;
    let cluster_time = clustering.elapsed();
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("{}: cannot create", path.display()))?;
            write_battles(
                std::io::BufWriter::new(file),
                &battles,
                &outcome.killmails,
                args.format,
            )
            .with_context(|| format!("{}: cannot write", path.display()))?;
        }
        None => write_battles(
            std::io::stdout().lock(),
            &battles,
            &outcome.killmails,
            args.format,
        )
        .context("cannot write to standard output")?,
    }

    let report = &outcome.report;
    if !args.quiet {
        print_read_summary(&outcome, files.len());
        eprintln!(
            "{} battles (read {read_time:.2?}, clustered {cluster_time:.2?}, total {:.2?})",
            battles.len(),
            started.elapsed()
        );
        if let Some(stats) = &filtered {
            rules::write_table(std::io::stderr().lock(), stats)?;
        }
    }
    for e in &outcome.unreadable {
        eprintln!("error: {e}");
    }
    Ok(if !outcome.unreadable.is_empty() {
        ExitCode::FAILURE
    } else if args.strict && report.skipped_total() > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
