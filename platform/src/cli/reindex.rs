//! `battlescope reindex`: rebuild a search index from a store's event
//! store (after a new index, a lost one, or a change of document shape).

use anyhow::Context;
use clap::Args;

use crate::serve::open_store;
use crate::service::{SearchArgs, StoreUrl};
use crate::services::indexer::reindex;

/// Options of `battlescope reindex`.
#[derive(Debug, Args)]
pub struct ReindexArgs {
    /// The store to read.
    #[command(flatten)]
    store: StoreUrl,

    /// The index to write.
    #[command(flatten)]
    search: SearchArgs,

    /// Events read per page of the event store.
    #[arg(long, default_value_t = 2_000)]
    page: u32,
}

/// Run `battlescope reindex`.
///
/// # Errors
/// A port that cannot be opened, the store or the index failing.
pub async fn run(args: &ReindexArgs) -> anyhow::Result<()> {
    let store = open_store(&args.store.store).await?;
    let search = args.search.open().await?;
    let done = reindex(&*store, &*search, args.page.max(1))
        .await
        .context("reindex")?;
    eprintln!(
        "reindexed {} events into {} documents ({} skipped)",
        done.events, done.documents, done.skipped
    );
    Ok(())
}
