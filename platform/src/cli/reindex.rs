//! `battlescope reindex`: rebuild a search index from a store's event
//! store (after a new index, a lost one, or a change of document shape).

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use crate::serve::{open_search, open_store};
use crate::services::indexer::reindex;

/// Options of `battlescope reindex`.
#[derive(Debug, Args)]
pub struct ReindexArgs {
    /// Store to read: `postgres://…` or `sqlite://PATH`.
    #[arg(long, env = "BATTLESCOPE_STORE", value_name = "URL")]
    store: String,

    /// Index to write: `typesense://HOST:PORT` (key from
    /// `TYPESENSE_API_KEY`) or `embedded` (under --data).
    #[arg(long, env = "BATTLESCOPE_SEARCH", value_name = "URL")]
    search: String,

    /// Directory of the embedded search index.
    #[arg(
        long,
        env = "BATTLESCOPE_DATA",
        default_value = "battlescope-data",
        value_name = "DIR"
    )]
    data: PathBuf,

    /// Events read per page of the event store.
    #[arg(long, default_value_t = 2_000)]
    page: u32,
}

/// Run `battlescope reindex`.
///
/// # Errors
/// A port that cannot be opened, the store or the index failing.
pub async fn run(args: &ReindexArgs) -> anyhow::Result<()> {
    let store = open_store(&args.store).await?;
    let Some(search) = open_search(&args.search, &args.data).await? else {
        bail!("--search {}: names no index to rebuild", args.search);
    };
    let done = reindex(&*store, &*search, args.page.max(1))
        .await
        .context("reindex")?;
    eprintln!(
        "reindexed {} events into {} documents ({} skipped)",
        done.events, done.documents, done.skipped
    );
    Ok(())
}
