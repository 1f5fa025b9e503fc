//! `battlescope`: the platform binary. One subcommand per job.

use std::process::ExitCode;

use battlescope_platform::cli;
use clap::Parser;

/// mimalloc instead of glibc's malloc: the services hand many short-lived
/// buffers between threads, and glibc's malloc took about 30 % of the CPU of
/// a `serve` replay (benches/serve-replay.sh, docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
