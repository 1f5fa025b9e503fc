//! Reading the killmail files named on the command line, with a progress
//! bar on stderr (drawn only when stderr is a terminal).

use std::path::PathBuf;
use std::time::Duration;

use battlescope_core::input::{expand_paths, read_paths, ReadOptions, ReadOutcome};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Expand arguments: files as given, directories to the killmail files
/// under them (core's `expand_paths`: sorted, every extension core reads).
pub fn expand(args: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    Ok(expand_paths(args)?)
}

/// Read every file into one outcome (core's `read_paths`: duplicates
/// collapse across files, a file that fails stops only itself and is listed
/// in `outcome.unreadable`).
pub fn read_all(
    files: &[PathBuf],
    options: &ReadOptions,
    show_progress: bool,
) -> anyhow::Result<ReadOutcome> {
    let bar = if show_progress {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
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
    let outcome = read_paths(files, options, &mut |p| {
        bar.set_length(p.total_bytes);
        bar.set_position(p.bytes);
        if let Some(file) = &p.current {
            bar.set_message(file.clone());
        }
        Ok(())
    });
    bar.finish_and_clear();
    Ok(outcome?)
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
