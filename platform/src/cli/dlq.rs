//! `battlescope dlq list|replay`: the dead-letter queue of a store, and
//! replaying its messages onto a shared bus once their cause is fixed.

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::serve::open_store;
use crate::service::{open_shared_bus, StoreUrl};
use crate::services::dlq::{replay, Selection};

/// Options of `battlescope dlq`.
#[derive(Debug, Args)]
pub struct DlqArgs {
    #[command(subcommand)]
    command: DlqCommand,
}

#[derive(Debug, Subcommand)]
enum DlqCommand {
    /// Print the dead letters, newest first, as JSON Lines.
    List(ListArgs),
    /// Publish dead letters back to the topic they were read from and
    /// remove them from the queue.
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
struct ListArgs {
    #[command(flatten)]
    store: StoreUrl,
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    limit: u32,
}

#[derive(Debug, Args)]
struct ReplayArgs {
    #[command(flatten)]
    store: StoreUrl,
    /// The bus the services share: `kafka://HOST:PORT`.
    #[arg(long, env = "BATTLESCOPE_BUS", value_name = "URL")]
    bus: String,
    /// Partitions per topic, when the bus creates the topics.
    #[arg(long, env = "BATTLESCOPE_PARTITIONS", default_value_t = 8)]
    partitions: u32,
    /// Only these dead letters (repeatable; default: all selected).
    #[arg(long = "id", value_name = "ID")]
    ids: Vec<String>,
    /// Only the dead letters of this stage (enrich, clusterer, writer…).
    #[arg(long)]
    stage: Option<String>,
    /// At most this many, newest first.
    #[arg(long, default_value_t = 10_000)]
    limit: u32,
}

/// Run `battlescope dlq`.
///
/// # Errors
/// A port that cannot be opened, the store or the bus failing, a replay
/// that kept letters it was asked for by id.
pub async fn run(args: &DlqArgs) -> anyhow::Result<()> {
    match &args.command {
        DlqCommand::List(a) => {
            let store = open_store(&a.store.store).await?;
            for letter in store.dead_letters(a.limit).await.context("dead letters")? {
                println!("{}", serde_json::to_string(&letter)?);
            }
            Ok(())
        }
        DlqCommand::Replay(a) => {
            let store = open_store(&a.store.store).await?;
            let bus = open_shared_bus(&a.bus, a.partitions).await?;
            let selection = Selection {
                ids: a.ids.clone(),
                stage: a.stage.clone(),
                limit: a.limit,
            };
            let done = replay(&*bus, &*store, &selection).await.context("replay")?;
            for (id, reason) in &done.kept {
                eprintln!("kept {id}: {reason}");
            }
            eprintln!(
                "replayed {} dead letter(s), kept {}",
                done.replayed.len(),
                done.kept.len()
            );
            let asked_and_kept = done
                .kept
                .iter()
                .filter(|(id, _)| a.ids.contains(id))
                .count();
            if asked_and_kept > 0 {
                anyhow::bail!("{asked_and_kept} dead letter(s) asked for by id were not replayed");
            }
            Ok(())
        }
    }
}
