//! `battlescope`: the platform binary. One subcommand per job.

use std::process::ExitCode;

use battlescope_platform::cli;
use clap::Parser;

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
