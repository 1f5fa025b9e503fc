//! The SQLite store, through sqlx: one file, WAL, the migrations of
//! `platform/migrations/store` (shared with PostgreSQL, as are the rows and
//! most statements: [`super::sql`]).
//!
//! Every query is a constant string with binds; lists travel as one JSON
//! array for `json_each`.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use battlescope_core::intel::Entity;
use battlescope_core::{Battle, Killmail};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};
use tokio::sync::{Mutex, Notify};
use uuid::Uuid;

use super::sql::reads::{self, BattleStateRow, StoredEventRow, StoredKillmailRow};
use super::sql::rows::{
    kill_pairs, kill_takers, live_battles, BattleRow, Retirement, Rows, StoredBattle,
};
use super::sql::{backend, id, now, statements, uid};
use crate::ports::source::SourceCursor;
use crate::ports::store::{
    BattleLookup, BattlePage, BattleQuery, Checkpoint, DeadLetter, KillmailPage, PilotShip, Store,
    StoreError, StoredEvent, StoredKillmail, StoredRuleset, WriteBatch,
};

mod wal;

use wal::{checkpoint, turn, Checkpointer, CHECKPOINT_EVERY, WAL_LIMIT_PAGES};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/store");

/// Rows per multi-row INSERT: 8 columns × 500 stays far below SQLite's
/// 32,766 bound parameters.
///
/// Only statements of this full size are kept prepared (`persistent`): the
/// last chunk of a batch has a row count of its own, so its SQL text is new
/// nearly every time, and sqlx kept each one prepared in the connection's
/// statement cache (up to 100 of them, each a program of hundreds of
/// bindings). Measured with heaptrack on the 100k replay: 24-35 MB of
/// SQLite's memory was such statements.
const ROWS_PER_STATEMENT: usize = 500;
/// (kill, battle) rows per INSERT into `battle_kills`: two parameters each
/// (kept prepared only at this size, as [`ROWS_PER_STATEMENT`]).
const KILL_PAIRS_PER_STATEMENT: usize = 4_000;
/// Read connections (the API, ingest's dedupe, the clusterer's
/// checkpoints, late kills, the WAL checkpointer) beside the one writer.
const READERS: u32 = 3;

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The writer's connection: every write transaction, under `write`.
    pool: SqlitePool,
    /// Everything else: reads and the WAL checkpointer (the same pool as
    /// `pool` for an in-memory database).
    read: SqlitePool,
    /// SQLite has one writer; a transaction that reads before it writes
    /// fails at once ("database is locked") when another writer got in
    /// between, so writes take turns here instead.
    write: Arc<Mutex<()>>,
    /// The background checkpointer of a file database (see [`SqliteStore::open`]).
    _checkpointer: Option<Arc<Checkpointer>>,
    /// Woken after each write that appended events ([`Store::appends`]):
    /// the one writer is in this process.
    appends: Arc<Notify>,
}

impl SqliteStore {
    /// Open (creating if needed) the database at `path` and migrate it.
    ///
    /// # Errors
    /// When the file cannot be opened or a migration fails.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            // The WAL is checkpointed by a task of its own (below): a
            // commit that crosses the threshold would otherwise copy the
            // WAL into the database itself, about a tenth of the writer's
            // time on the replay benchmark, with the other core idle.
            .pragma("wal_autocheckpoint", "0")
            // The size a restarted WAL is trimmed back to (see [`checkpoint`]).
            .pragma("journal_size_limit", "67108864")
            .pragma("temp_store", "memory");
        // Page caches are per connection. The one writer (writes take turns
        // anyway, see `write`) keeps 128 MiB: with SQLite's 2 MiB default
        // it spent its time spilling and re-reading index pages. Readers
        // get 8 MiB each: their caches are mostly dropped anyway whenever
        // the writer commits. With one pool of four connections at 128 MiB
        // each, every connection that served reads grew its cache with the
        // store: on the 1M replay SQLite held ~250 MB of the 644 MB peak
        // RSS (docs/benchmarks.md, "Session 7").
        let write_options = options.clone().pragma("cache_size", "-131072");
        let read_options = options.pragma("cache_size", "-8192");
        let pool = Self::pool(write_options, 1).await?;
        MIGRATOR.run(&pool).await.map_err(backend)?;
        let read = Self::pool(read_options, READERS).await?;
        let write = Arc::new(Mutex::new(()));
        let (checkpoints, turns) = (read.clone(), write.clone());
        let checkpointer = Arc::new(Checkpointer(tokio::spawn(async move {
            loop {
                tokio::time::sleep(CHECKPOINT_EVERY).await;
                if let Err(e) = checkpoint(&checkpoints, &turns, WAL_LIMIT_PAGES).await {
                    tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
                }
            }
        })));
        Ok(Self {
            pool,
            read,
            write,
            _checkpointer: Some(checkpointer),
            appends: Arc::new(Notify::new()),
        })
    }

    /// A private in-memory database (tests).
    ///
    /// # Errors
    /// When a migration fails.
    pub async fn in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:").map_err(backend)?;
        // One connection: each in-memory connection would be its own database.
        Self::connect(options, 1).await
    }

    async fn connect(options: SqliteConnectOptions, connections: u32) -> Result<Self, StoreError> {
        let pool = Self::pool(options, connections).await?;
        MIGRATOR.run(&pool).await.map_err(backend)?;
        Ok(Self {
            read: pool.clone(),
            pool,
            write: Arc::new(Mutex::new(())),
            _checkpointer: None,
            appends: Arc::new(Notify::new()),
        })
    }

    async fn pool(
        options: SqliteConnectOptions,
        connections: u32,
    ) -> Result<SqlitePool, StoreError> {
        SqlitePoolOptions::new()
            .max_connections(connections)
            .connect_with(options)
            .await
            .map_err(backend)
    }

    /// Killmails and their participants, many rows per statement (sqlx
    /// runs each statement through SQLite's worker thread, so per-row
    /// statements cost more than the rows themselves). Measured on the
    /// replay benchmark against rows sent as one JSON array and unpacked
    /// with `json_each`: no JSON built in Rust nor parsed by SQLite.
    async fn write_killmails(
        tx: &mut Transaction<'_, Sqlite>,
        rows: &Rows,
    ) -> Result<(), StoreError> {
        for chunk in rows.killmails.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO killmails (killmail_id, killmail_time, solar_system_id, total_value, body, summary, names) ",
            );
            q.push_values(chunk, |mut row, k| {
                row.push_bind(k.id)
                    .push_bind(k.time)
                    .push_bind(k.system)
                    .push_bind(k.total_value)
                    .push_bind(&k.body)
                    .push_bind(&k.summary)
                    .push_bind(&k.names);
            });
            q.push(" ON CONFLICT (killmail_id) DO NOTHING");
            q.build()
                .persistent(chunk.len() == ROWS_PER_STATEMENT)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
        }
        for chunk in rows.participants.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO participants (killmail_id, slot, killmail_time, character_id, corporation_id, alliance_id, ship_type_id, is_victim) ",
            );
            q.push_values(chunk, |mut row, p| {
                row.push_bind(p.killmail_id)
                    .push_bind(p.slot)
                    .push_bind(p.time)
                    .push_bind(p.character)
                    .push_bind(p.corporation)
                    .push_bind(p.alliance)
                    .push_bind(p.ship)
                    .push_bind(p.is_victim);
            });
            q.push(" ON CONFLICT (killmail_id, slot) DO NOTHING");
            q.build()
                .persistent(chunk.len() == ROWS_PER_STATEMENT)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    /// Battle documents, then merges and dissolutions in batch order. A
    /// few statements for the whole batch, not a few per battle: each
    /// statement is a round trip to SQLite's worker thread with the write
    /// turn held.
    async fn write_battles(
        tx: &mut Transaction<'_, Sqlite>,
        rows: &Rows,
    ) -> Result<(), StoreError> {
        if !rows.battles.is_empty() {
            let ids: Vec<&str> = rows.battles.iter().map(|b| b.id.as_str()).collect();
            let stored: HashMap<String, StoredBattle> = sqlx::query_as(
                "SELECT id, kill_count, merged_into FROM battles WHERE id IN (SELECT value FROM json_each(?))",
            )
            .bind(serde_json::to_string(&ids).map_err(backend)?)
            .fetch_all(&mut **tx)
            .await
            .map_err(backend)?
            .into_iter()
            .map(|(id, count, merged): (String, Option<i64>, Option<String>)| (id, (count, merged)))
            .collect();
            Self::upsert_battles(tx, &live_battles(&rows.battles, &stored)).await?;
        }
        for retirement in &rows.retirements {
            match *retirement {
                Retirement::Merged { gone, into } => Self::merge_battle(tx, gone, into).await?,
                Retirement::Dissolved { gone } => Self::dissolve_battle(tx, gone).await?,
            }
        }
        Ok(())
    }

    /// The documents of `battles` (each with the kill count stored before)
    /// and their kills.
    async fn upsert_battles(
        tx: &mut Transaction<'_, Sqlite>,
        battles: &[(&BattleRow, i64)],
    ) -> Result<(), StoreError> {
        for chunk in battles.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO battles (id, system_id, region_id, security_class, start_time, end_time, kill_count, isk_destroyed, document, merged_into) ",
            );
            q.push_values(chunk, |mut row, (b, _)| {
                row.push_bind(&b.id)
                    .push_bind(b.system_id)
                    .push_bind(b.region_id)
                    .push_bind(&b.security_class)
                    .push_bind(b.start_time)
                    .push_bind(b.end_time)
                    .push_bind(b.kill_count)
                    .push_bind(b.isk_destroyed)
                    .push_bind(&b.document)
                    .push_bind(None::<String>);
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET system_id = excluded.system_id, region_id = excluded.region_id, \
                 security_class = excluded.security_class, start_time = excluded.start_time, end_time = excluded.end_time, \
                 kill_count = excluded.kill_count, isk_destroyed = excluded.isk_destroyed, document = excluded.document",
            );
            q.build()
                .persistent(chunk.len() == ROWS_PER_STATEMENT)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
        }
        // Kills that left a battle first: a delete touches only rows still
        // pointing at that battle, so doing them all before the inserts
        // gives what battle-by-battle order gave.
        for (b, _) in battles.iter().filter(|(b, _)| !b.removed.is_empty()) {
            sqlx::query(
                "DELETE FROM battle_kills WHERE battle_id = ? AND killmail_id IN (SELECT value FROM json_each(?))",
            )
            .bind(&b.id)
            .bind(serde_json::to_string(&b.removed).map_err(backend)?)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        }
        let pairs = kill_pairs(battles);
        let kills: Vec<i64> = pairs.iter().map(|(k, _)| *k).collect();
        let previous: Vec<(i64, String)> = if kills.is_empty() {
            Vec::new()
        } else {
            sqlx::query_as(
                "SELECT killmail_id, battle_id FROM battle_kills WHERE killmail_id IN (SELECT value FROM json_each(?))",
            )
            .bind(serde_json::to_string(&kills).map_err(backend)?)
            .fetch_all(&mut **tx)
            .await
            .map_err(backend)?
        };
        for chunk in pairs.chunks(KILL_PAIRS_PER_STATEMENT) {
            let mut q =
                QueryBuilder::<Sqlite>::new("INSERT INTO battle_kills (killmail_id, battle_id) ");
            q.push_values(chunk, |mut row, (k, b)| {
                row.push_bind(*k).push_bind(*b);
            });
            q.push(" ON CONFLICT (killmail_id) DO UPDATE SET battle_id = excluded.battle_id");
            q.build()
                .persistent(chunk.len() == KILL_PAIRS_PER_STATEMENT)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
        }
        let takers = kill_takers(&previous, &pairs);
        if !takers.is_empty() {
            let candidates: Vec<&String> = takers.keys().collect();
            let emptied: Vec<(String,)> = sqlx::query_as(
                "SELECT id FROM battles b WHERE id IN (SELECT value FROM json_each(?)) \
                 AND merged_into IS NULL AND document IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM battle_kills k WHERE k.battle_id = b.id)",
            )
            .bind(serde_json::to_string(&candidates).map_err(backend)?)
            .fetch_all(&mut **tx)
            .await
            .map_err(backend)?;
            for (gone,) in emptied {
                sqlx::query(statements::TOMBSTONE_MERGED)
                    .bind(&gone)
                    .bind(&takers[&gone])
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
            }
        }
        Ok(())
    }

    /// A battle whose kills no longer form one: its row stays as a
    /// document-less tombstone and its kills are released.
    async fn dissolve_battle(
        tx: &mut Transaction<'_, Sqlite>,
        gone: Uuid,
    ) -> Result<(), StoreError> {
        sqlx::query(statements::TOMBSTONE_DISSOLVED)
            .bind(gone.to_string())
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        sqlx::query(statements::RELEASE_KILLS)
            .bind(gone.to_string())
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn merge_battle(
        tx: &mut Transaction<'_, Sqlite>,
        gone: Uuid,
        into: Uuid,
    ) -> Result<(), StoreError> {
        sqlx::query(statements::TOMBSTONE_MERGED)
            .bind(gone.to_string())
            .bind(into.to_string())
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        sqlx::query(statements::REPOINT_KILLS)
            .bind(into.to_string())
            .bind(gone.to_string())
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn put_ruleset(&self, ruleset: &StoredRuleset) -> Result<(), StoreError> {
        let _turn = turn(&self.write, "put_ruleset").await;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        if ruleset.active {
            sqlx::query(statements::DEACTIVATE_RULESETS)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        statements::put_ruleset(ruleset)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn active_ruleset(&self) -> Result<Option<StoredRuleset>, StoreError> {
        let row: Option<(String, String, String)> = sqlx::query_as(statements::ACTIVE_RULESET)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        Ok(row.map(|(name, format, text)| StoredRuleset {
            name,
            format,
            text,
            active: true,
        }))
    }

    async fn source_cursor(&self, source: &str) -> Result<Option<SourceCursor>, StoreError> {
        let cursor: Option<String> = sqlx::query_scalar(statements::SOURCE_CURSOR)
            .bind(source)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        Ok(cursor.map(SourceCursor))
    }

    async fn ingested(&self, ids: &[u64]) -> Result<Vec<u64>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One query per batch: the ids travel as one JSON array bind.
        let list = serde_json::to_string(ids).map_err(backend)?;
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT killmail_id FROM ingested_killmails \
             WHERE killmail_id IN (SELECT value FROM json_each(?))",
        )
        .bind(list)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(uid).collect())
    }

    async fn record_ingested(
        &self,
        source: &str,
        ids: &[u64],
        cursor: Option<&SourceCursor>,
    ) -> Result<(), StoreError> {
        let _turn = turn(&self.write, "record_ingested").await;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        if !ids.is_empty() {
            let list = serde_json::to_string(ids).map_err(backend)?;
            // `WHERE true`: SQLite's parser needs it before ON CONFLICT.
            sqlx::query(
                "INSERT INTO ingested_killmails (killmail_id) SELECT value FROM json_each(?) WHERE true \
                 ON CONFLICT (killmail_id) DO NOTHING",
            )
            .bind(list)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        if let Some(cursor) = cursor {
            sqlx::query(statements::SAVE_SOURCE_CURSOR)
                .bind(source)
                .bind(&cursor.0)
                .bind(now())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn checkpoints(&self, group: &str, topic: &str) -> Result<Vec<Checkpoint>, StoreError> {
        let rows: Vec<reads::CheckpointRow> = sqlx::query_as(statements::CHECKPOINTS)
            .bind(group)
            .bind(topic)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rows.into_iter()
            .map(|row| reads::checkpoint(group, topic, row))
            .collect()
    }

    async fn save_checkpoint(&self, cp: &Checkpoint) -> Result<(), StoreError> {
        let _turn = turn(&self.write, "save_checkpoint").await;
        statements::save_checkpoint(cp)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn write(&self, batch: &WriteBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let rows = Rows::encode(batch)?;
        let _turn = turn(&self.write, "write").await;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        Self::write_killmails(&mut tx, &rows).await?;
        Self::write_battles(&mut tx, &rows).await?;
        for chunk in rows.events.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (event_id, event_type, event_key, timestamp_ms, payload) ",
            );
            q.push_values(chunk, |mut row, e| {
                row.push_bind(&e.event_id)
                    .push_bind(&e.event_type)
                    .push_bind(&e.key)
                    .push_bind(e.timestamp_ms)
                    .push_bind(&e.payload);
            });
            q.push(" ON CONFLICT (event_id) DO NOTHING");
            q.build()
                .persistent(chunk.len() == ROWS_PER_STATEMENT)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        for chunk in batch.dead_letters.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO dead_letters (id, stage, position, error, payload, recorded_at) ",
            );
            q.push_values(chunk, |mut row, d| {
                row.push_bind(&d.id)
                    .push_bind(&d.stage)
                    .push_bind(&d.position)
                    .push_bind(&d.error)
                    .push_bind(&d.payload)
                    .push_bind(d.recorded_at);
            });
            q.push(" ON CONFLICT (id) DO NOTHING");
            q.build()
                .persistent(chunk.len() == ROWS_PER_STATEMENT)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        if !rows.events.is_empty() {
            self.appends.notify_waiters();
        }
        Ok(())
    }

    async fn battles(&self, q: &BattleQuery) -> Result<BattlePage, StoreError> {
        let rows = statements::battle_list(statements::BATTLE_LIST_SQLITE, q)?
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        reads::battle_page(rows, q.limit)
    }

    async fn battle(&self, wanted: Uuid) -> Result<Option<BattleLookup>, StoreError> {
        reads::follow_merges(wanted, |current| async move {
            sqlx::query_as::<_, BattleStateRow>(statements::BATTLE)
                .bind(current.to_string())
                .fetch_optional(&self.read)
                .await
                .map_err(backend)
        })
        .await
    }

    async fn killmail(&self, kid: u64) -> Result<Option<StoredKillmail>, StoreError> {
        let row: Option<StoredKillmailRow> = sqlx::query_as(statements::KILLMAIL)
            .bind(id(kid))
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        row.as_ref().map(reads::stored_killmail).transpose()
    }

    async fn killmails_in(
        &self,
        system_id: u32,
        from: i64,
        to: i64,
    ) -> Result<Vec<Killmail>, StoreError> {
        let bodies: Vec<String> = sqlx::query_scalar(statements::KILLMAILS_IN)
            .bind(i64::from(system_id))
            .bind(from)
            .bind(to)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        bodies.iter().map(|b| reads::parse_killmail(b)).collect()
    }

    async fn battles_holding(&self, killmail_ids: &[u64]) -> Result<Vec<Battle>, StoreError> {
        let documents: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT b.document FROM battle_kills bk JOIN battles b ON b.id = bk.battle_id \
             WHERE bk.killmail_id IN (SELECT value FROM json_each(?)) \
             AND b.document IS NOT NULL AND b.merged_into IS NULL",
        )
        .bind(serde_json::to_string(killmail_ids).map_err(backend)?)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        documents.iter().map(|d| reads::parse_battle(d)).collect()
    }

    async fn last_event_seq(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COALESCE(MAX(rowid), 0) FROM events")
            .fetch_one(&self.read)
            .await
            .map_err(backend)
    }

    fn appends(&self) -> Option<Arc<Notify>> {
        Some(self.appends.clone())
    }

    async fn events_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        // rowid: SQLite's own insertion order (PostgreSQL has an identity column).
        let rows: Vec<StoredEventRow> = sqlx::query_as(
            "SELECT rowid, event_id, event_type, event_key, timestamp_ms, payload FROM events \
             WHERE rowid > ? ORDER BY rowid LIMIT ?",
        )
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        let events = rows
            .into_iter()
            .map(reads::stored_event)
            .collect::<Result<Vec<_>, _>>()?;
        let referenced = reads::referenced_killmails(&events);
        let killmails: Vec<StoredKillmailRow> = if referenced.is_empty() {
            Vec::new()
        } else {
            sqlx::query_as(
                "SELECT k.killmail_id, k.body, k.summary, k.names, NULL FROM killmails k \
                 WHERE k.killmail_id IN (SELECT value FROM json_each(?))",
            )
            .bind(serde_json::to_string(&referenced).map_err(backend)?)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?
        };
        reads::with_envelopes(events, killmails)
    }

    async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>, StoreError> {
        let rows: Vec<reads::DeadLetterRow> = sqlx::query_as(statements::DEAD_LETTERS)
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().map(reads::dead_letter).collect())
    }

    async fn remove_dead_letters(&self, ids: &[String]) -> Result<(), StoreError> {
        let _turn = turn(&self.write, "remove_dead_letters").await;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        for id in ids {
            sqlx::query(statements::REMOVE_DEAD_LETTER)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn dead_letter_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(statements::DEAD_LETTER_COUNT)
            .fetch_one(&self.read)
            .await
            .map_err(backend)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn battle_killmails(&self, battle_id: Uuid) -> Result<Vec<StoredKillmail>, StoreError> {
        let rows: Vec<StoredKillmailRow> = sqlx::query_as(statements::BATTLE_KILLMAILS)
            .bind(battle_id.to_string())
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rows.iter().map(reads::stored_killmail).collect()
    }

    async fn recent_killmails(
        &self,
        after: Option<(i64, u64)>,
        limit: u32,
    ) -> Result<KillmailPage, StoreError> {
        let rows: Vec<StoredKillmailRow> = match after {
            None => {
                sqlx::query_as(statements::RECENT_KILLMAILS)
                    .bind(reads::page_rows(limit))
                    .fetch_all(&self.read)
                    .await
            }
            Some((time, kid)) => {
                sqlx::query_as(statements::RECENT_KILLMAILS_AFTER)
                    .bind(time)
                    .bind(id(kid))
                    .bind(reads::page_rows(limit))
                    .fetch_all(&self.read)
                    .await
            }
        }
        .map_err(backend)?;
        reads::killmail_page(&rows, limit)
    }

    async fn entity_seen(&self, entity: Entity) -> Result<bool, StoreError> {
        let row: Option<i64> = sqlx::query_scalar(statements::entity_seen(entity))
            .bind(id(entity.id()))
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        Ok(row.is_some())
    }

    async fn pilot_ships(
        &self,
        character_id: u64,
        limit: u32,
    ) -> Result<Vec<PilotShip>, StoreError> {
        let rows: Vec<reads::PilotShipRow> = sqlx::query_as(statements::PILOT_SHIPS)
            .bind(id(character_id))
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().filter_map(reads::pilot_ship).collect())
    }
}
