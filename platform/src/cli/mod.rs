//! Command-line interface: argument parsing and dispatch.

mod cluster;
mod inputs;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// BattleScope turns EVE Online killmails into battles.
#[derive(Debug, Parser)]
#[command(name = "battlescope", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Cluster killmail files into battles (ESI JSON, R2Z2, RedisQ,
    /// zKillboard API rows, JSON arrays, JSON Lines, daily .tar.bz2 archives).
    Cluster(cluster::ClusterArgs),
}

/// Run the parsed command line.
///
/// # Errors
/// Any error that stops the command; it names the file or record at fault.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Cluster(args) => cluster::run(&args),
    }
}
