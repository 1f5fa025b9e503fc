//! Command-line interface: argument parsing and dispatch.

mod cluster;
mod dlq;
mod filter;
pub(crate) mod inputs;
mod intel;
mod output;
mod reindex;
mod rules;
mod stub;

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
    /// Keep the killmails a ruleset accepts: JSON Lines on stdout, a table
    /// of rejections by rule on stderr.
    Filter(filter::FilterArgs),
    /// Battle intel on an alliance, corporation or character: opponents,
    /// allies, ships, doctrines, activity and pilots (JSON or a table).
    Intel(intel::IntelArgs),
    /// Run the whole platform in one process on embedded defaults: replay
    /// or poll killmails, cluster them into battles, serve the HTTP API.
    Serve(crate::serve::ServeArgs),
    /// Run one service of the platform (ingest, enrich, clusterer, writer,
    /// indexer, api) on shared backends: Kafka, PostgreSQL, Typesense.
    Service(crate::service::ServiceArgs),
    /// Rebuild a search index from the event store of a store.
    Reindex(reindex::ReindexArgs),
    /// List the dead-letter queue of a store, or replay it onto the bus.
    Dlq(dlq::DlqArgs),
    /// A local stub of zKillboard (R2Z2, RedisQ) and ESI serving real
    /// samples and generated killmails, with faults on demand.
    Stub(stub::StubArgs),
}

/// Run the parsed command line.
///
/// # Errors
/// Any error that stops the command; it names the file or record at fault.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Cluster(args) => cluster::run(&args),
        Command::Filter(args) => filter::run(&args),
        Command::Intel(args) => intel::run(&args),
        Command::Serve(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(crate::serve::run(args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Service(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(crate::service::run(args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reindex(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(reindex::run(&args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Dlq(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(dlq::run(&args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Stub(args) => stub::run(&args),
    }
}
