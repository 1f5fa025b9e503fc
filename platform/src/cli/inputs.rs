//! Reading the killmail files named on the command line, with a progress
//! bar on stderr (drawn only when stderr is a terminal).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use battlescope_core::input::{ReadOptions, ReadOutcome};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Extensions of files worth reading inside a directory argument.
const KILLMAIL_EXTENSIONS: [&str; 6] = [".json", ".jsonl", ".ndjson", ".tar.bz2", ".tbz2", ".tbz"];

/// Expand arguments: files as given, directories to the killmail files
/// under them (sorted, so runs are reproducible).
pub fn expand(args: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for arg in args {
        if arg.is_dir() {
            let mut found = Vec::new();
            walk(arg, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(arg.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))?
    {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            let name = path.to_string_lossy().to_ascii_lowercase();
            if KILLMAIL_EXTENSIONS.iter().any(|e| name.ends_with(e)) {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// A file that could not be read to the end; the message names it.
pub struct FileFailure {
    pub error: String,
}

/// Read every file into one outcome (duplicates collapse across files).
/// A file that fails stops only itself.
pub fn read_all(
    files: &[PathBuf],
    options: &ReadOptions,
    show_progress: bool,
) -> (ReadOutcome, Vec<FileFailure>) {
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = if show_progress {
        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} reading {msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut outcome = ReadOutcome::default();
    let mut failures = Vec::new();
    for path in files {
        let name = path.display().to_string();
        bar.set_message(name.clone());
        let result = File::open(path)
            .map_err(|e| format!("{name}: cannot open: {e}"))
            .and_then(|file| {
                outcome
                    .read(bar.wrap_read(file), Some(&name), options)
                    .map_err(|e| e.to_string())
            });
        if let Err(error) = result {
            failures.push(FileFailure { error });
        }
    }
    bar.finish_and_clear();
    (outcome, failures)
}

/// How many record errors the summary prints before "and N more".
const ERRORS_SHOWN: usize = 20;

/// Skipped records and one line of counts, on stderr.
pub fn print_read_summary(outcome: &ReadOutcome, files: usize) {
    let report = &outcome.report;
    for e in outcome.errors.iter().take(ERRORS_SHOWN) {
        eprintln!("skipped: {e}");
    }
    let skipped = report.skipped_total();
    if skipped > ERRORS_SHOWN as u64 {
        eprintln!("skipped: … and {} more", skipped - ERRORS_SHOWN as u64);
    }
    let reasons: Vec<String> = report
        .skipped
        .iter()
        .map(|(reason, n)| format!("{reason}: {n}"))
        .collect();
    eprintln!(
        "{files} files, {} records, {} killmails, {} duplicates, {skipped} skipped{}, {} references needing ESI",
        report.records,
        report.killmails,
        report.duplicates,
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", reasons.join(", "))
        },
        report.references,
    );
}
