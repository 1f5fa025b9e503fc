//! Read killmail files (or directories of them), cluster them, and print
//! the largest battles as a table.
//!
//! ```text
//! cargo run -p battlescope-examples --bin battles -- examples/data
//! ```

use std::process::ExitCode;

use battlescope_core::input::{expand_paths, read_paths, ReadOptions};
use battlescope_core::{cluster, ClusterConfig};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), battlescope_core::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = if args.is_empty() {
        vec!["examples/data".to_owned()]
    } else {
        args
    };
    let files = expand_paths(&args)?;
    let mut read = read_paths(&files, &ReadOptions::default(), &mut |_| Ok(()))?;
    read.check_readable()?;
    let mut battles = cluster(&read.killmails, &ClusterConfig::default())?;
    println!(
        "{} killmails from {} files ({} skipped): {} battles",
        read.killmails.len(),
        files.len(),
        read.report.skipped_total(),
        battles.len()
    );
    battles.sort_by_key(|b| std::cmp::Reverse(b.stats.kill_count));
    println!(
        "{:<16} {:<17} {:>5} {:>7} {:>10} {:>5}",
        "system", "start (UTC)", "kills", "pilots", "ISK (M)", "sides"
    );
    for b in battles.iter().take(10) {
        println!(
            "{:<16} {:<17} {:>5} {:>7} {:>10.1} {:>5}",
            b.system_name.as_deref().unwrap_or("?"),
            b.start_time.format("%Y-%m-%d %H:%M"),
            b.stats.kill_count,
            b.stats.unique_pilots,
            b.stats.isk_destroyed / 1e6,
            b.sides.len(),
        );
    }
    Ok(())
}
