//! SQLite's one writer and its write-ahead log: writes take turns (a
//! turn held too long is logged, with what held it), and a task of its own
//! copies the WAL into the database beside the writer.

use std::time::Duration;

use sqlx::SqlitePool;
use tokio::sync::Mutex;

/// Copies the WAL into the database from its own connection, beside the
/// writer instead of inside its commits; stops with the last store handle.
#[derive(Debug)]
pub(super) struct Checkpointer(pub(super) tokio::task::JoinHandle<()>);

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A turn at SQLite's one writer. A turn held longer than [`SLOW_TURN`]
/// stalls every other write behind it, so it is logged with what held it
/// (the kill → battle latency's tail is made of such waits).
pub(super) struct Turn<'a> {
    _guard: tokio::sync::MutexGuard<'a, ()>,
    what: &'static str,
    since: std::time::Instant,
}

/// See [`Turn`].
const SLOW_TURN: Duration = Duration::from_millis(250);

pub(super) async fn turn<'a>(write: &'a Mutex<()>, what: &'static str) -> Turn<'a> {
    let _guard = write.lock().await;
    Turn {
        _guard,
        what,
        since: std::time::Instant::now(),
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let held = self.since.elapsed();
        if held >= SLOW_TURN {
            tracing::info!(
                operation = self.what,
                held_ms = held.as_millis(),
                "slow store write"
            );
        }
    }
}

/// How often the checkpointer runs.
pub(super) const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// WAL pages (4 KiB) past which the checkpointer makes the WAL start
/// over: a writer that never pauses keeps appending while a passive
/// checkpoint copies, so the WAL would otherwise never be reused (a 1M
/// replay grew it to 17 GB before this bound).
pub(super) const WAL_LIMIT_PAGES: i64 = 16_384;

/// One run of the checkpointer: a passive checkpoint beside the writer;
/// when the WAL has grown past `limit_pages` ([`WAL_LIMIT_PAGES`] in a store), a second one with the
/// writer held, which only has the frames written since the first to copy,
/// after which the next write starts the WAL over from its beginning
/// (`journal_size_limit` trims the file then).
///
/// Measured at 1,000 kills/s (benches/serve-live.sh): a truncating
/// checkpoint with the writer held for the whole copy held it ~400 ms every
/// two seconds, and that wait was the kill → battle latency's tail.
pub(super) async fn checkpoint(
    pool: &SqlitePool,
    write: &Mutex<()>,
    limit_pages: i64,
) -> Result<(), sqlx::Error> {
    let (_busy, wal_pages, _copied): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(pool)
            .await?;
    if wal_pages > limit_pages {
        let _turn = turn(write, "WAL restart").await;
        sqlx::query("PRAGMA wal_checkpoint(RESTART)")
            .execute(pool)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

    use super::*;

    /// A writer that never pauses: without the restart under the writer's
    /// turn, passive checkpoints never catch up and the WAL only grows.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_starts_over_while_a_writer_never_pauses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("wal_autocheckpoint", "0")
            .pragma("journal_size_limit", "262144");
        let pool = SqlitePoolOptions::new()
            .max_connections(3)
            .connect_with(options)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x BLOB)")
            .execute(&pool)
            .await
            .unwrap();
        let write = Arc::new(Mutex::new(()));
        let writer = {
            let (pool, write) = (pool.clone(), write.clone());
            tokio::spawn(async move {
                // 400 transactions of 16 KiB: ~6 MiB of WAL frames at least.
                for _ in 0..400 {
                    let _turn = turn(&write, "test").await;
                    sqlx::query(
                        "INSERT INTO t (x) SELECT randomblob(4096) FROM json_each('[1,2,3,4]')",
                    )
                    .execute(&pool)
                    .await
                    .unwrap();
                }
            })
        };
        let wal = path.with_extension("db-wal");
        let mut largest = 0;
        while !writer.is_finished() {
            checkpoint(&pool, &write, 64).await.unwrap();
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
            tokio::task::yield_now().await;
        }
        writer.await.unwrap();
        let db = std::fs::metadata(&path).unwrap().len();
        assert!(db > 6 << 20, "the writes reached the database: {db} bytes");
        assert!(
            largest < 3 << 20,
            "the WAL grew to {largest} bytes past a limit of 64 pages (256 KiB)"
        );
    }
}
