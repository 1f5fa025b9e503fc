//! `battlescope filter`: killmail files in, the killmails a ruleset accepts
//! out (JSON Lines), with a table of rejections by rule on stderr.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use battlescope_core::input::{Format, ReadOptions};
use clap::Args;
use serde::Serialize;

use super::inputs::{expand, print_read_summary, read_all};
use super::rules;

/// Options of `battlescope filter`.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Killmail files or directories (directories are searched for .json,
    /// .jsonl, .ndjson and .tar.bz2 files).
    #[arg(required = true)]
    files: Vec<PathBuf>,

    /// The ruleset (.json, .yaml, .yml or .toml).
    #[arg(long, value_name = "FILE")]
    ruleset: PathBuf,

    /// Input format: auto, json, jsonl, archive, esi, r2z2, redisq, zkb-api,
    /// or container+shape such as jsonl+r2z2.
    #[arg(long, default_value = "auto", value_parser = parse_format)]
    input_format: Format,

    /// Write the accepted killmails (JSON Lines) to this file instead of
    /// standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,

    /// Also write one JSON line per rejected killmail (id, rule, value,
    /// reason) to this file.
    #[arg(long, value_name = "FILE")]
    rejected: Option<PathBuf>,

    /// Exit with status 2 when any record was skipped as unreadable.
    #[arg(long)]
    strict: bool,

    /// No progress bar, summary or table on stderr.
    #[arg(short, long)]
    quiet: bool,
}

pub(super) fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
        .map_err(|e: battlescope_core::Error| e.to_string())
}

/// One line of `--rejected`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RejectedLine<'a> {
    killmail_id: u64,
    rule: &'a str,
    value: &'a str,
    reason: &'a str,
}

pub fn run(args: &FilterArgs) -> anyhow::Result<ExitCode> {
    let rules = rules::load(&args.ruleset)?;
    let files = expand(&args.files)?;
    let options = ReadOptions::default().with_format(args.input_format);
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let outcome = read_all(&files, &options, show_progress)?;
    let (accepted, rejected, stats) = rules::split(&rules, &outcome.killmails);

    let write_accepted = |out: &mut dyn Write| -> anyhow::Result<()> {
        for km in &accepted {
            serde_json::to_writer(&mut *out, km)?;
            writeln!(out)?;
        }
        out.flush()?;
        Ok(())
    };
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("{}: cannot create", path.display()))?;
            write_accepted(&mut std::io::BufWriter::new(file))
                .with_context(|| format!("{}: cannot write", path.display()))?;
        }
        None => write_accepted(&mut std::io::stdout().lock())
            .context("cannot write to standard output")?,
    }
    if let Some(path) = &args.rejected {
        let file = std::fs::File::create(path)
            .with_context(|| format!("{}: cannot create", path.display()))?;
        let mut out = std::io::BufWriter::new(file);
        for (km, r) in &rejected {
            let line = RejectedLine {
                killmail_id: km.killmail_id,
                rule: r.rule,
                value: &r.value,
                reason: &r.reason,
            };
            serde_json::to_writer(&mut out, &line)?;
            writeln!(out)?;
        }
        out.flush()
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }

    if !args.quiet {
        print_read_summary(&outcome, files.len());
        let mut err = std::io::stderr().lock();
        rules::write_table(&mut err, &stats)?;
    }
    for e in &outcome.unreadable {
        eprintln!("error: {e}");
    }
    Ok(if !outcome.unreadable.is_empty() {
        ExitCode::FAILURE
    } else if args.strict && outcome.report.skipped_total() > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
