//! The SQLite store, through sqlx: one file, WAL, the migrations of
//! `platform/migrations/store` (portable to PostgreSQL).
//!
//! Every query is a constant string with binds. Ids are stored as BIGINT
//! (EVE ids fit in 2^53), UUIDs and JSON as TEXT, times as seconds.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use battlescope_core::{Battle, Killmail};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::ports::source::SourceCursor;
use crate::ports::store::{
    BattleLookup, BattlePage, BattleQuery, Checkpoint, DeadLetter, EventBody, EventRecord,
    PilotShip, Store, StoreError, StoredEvent, StoredKillmail, StoredRuleset, WriteBatch,
};

mod rows;
mod wal;

use rows::{BattleRow, Retirement, Rows};
use wal::{checkpoint, turn, Checkpointer, CHECKPOINT_EVERY, WAL_LIMIT_PAGES};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/store");

/// Rows per multi-row INSERT: 8 columns × 500 stays far below SQLite's
/// 32,766 bound parameters.
const ROWS_PER_STATEMENT: usize = 500;
/// (kill, battle) rows per INSERT into `battle_kills`: two parameters each.
const KILL_PAIRS_PER_STATEMENT: usize = 4_000;

/// How far a chain of merges is followed before giving up (a cycle would be a bug).
const MAX_MERGE_HOPS: usize = 64;

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// SQLite has one writer; a transaction that reads before it writes
    /// fails at once ("database is locked") when another writer got in
    /// between, so writes take turns here instead.
    write: Arc<Mutex<()>>,
    /// The background checkpointer of a file database (see [`SqliteStore::open`]).
    _checkpointer: Option<Arc<Checkpointer>>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: what.to_owned(),
        reason: e.to_string(),
    }
}

/// EVE ids fit in 2^53, so the cast never wraps on real data; a foreign
/// value out of range saturates instead of wrapping.
fn id(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn uid(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
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
            // Measured on the replay benchmark: with SQLite's 2 MiB default
            // the writer spent its time spilling and re-reading pages; 128
            // MiB keeps the hot index pages of a 1M-kill store (peak RSS
            // of the whole replay stays near 320 MB).
            .pragma("cache_size", "-131072")
            // The WAL is checkpointed by a task of its own (below): a
            // commit that crosses the threshold would otherwise copy the
            // WAL into the database itself, about a tenth of the writer's
            // time on the replay benchmark, with the other core idle.
            .pragma("wal_autocheckpoint", "0")
            // The size a restarted WAL is trimmed back to (see [`checkpoint`]).
            .pragma("journal_size_limit", "67108864")
            .pragma("temp_store", "memory");
        let mut store = Self::connect(options, 4).await?;
        let (pool, write) = (store.pool.clone(), store.write.clone());
        store._checkpointer = Some(Arc::new(Checkpointer(tokio::spawn(async move {
            loop {
                tokio::time::sleep(CHECKPOINT_EVERY).await;
                if let Err(e) = checkpoint(&pool, &write, WAL_LIMIT_PAGES).await {
                    tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
                }
            }
        }))));
        Ok(store)
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
        let pool = SqlitePoolOptions::new()
            .max_connections(connections)
            .connect_with(options)
            .await
            .map_err(backend)?;
        MIGRATOR.run(&pool).await.map_err(backend)?;
        Ok(Self {
            pool,
            write: Arc::new(Mutex::new(())),
            _checkpointer: None,
        })
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
            q.build().execute(&mut **tx).await.map_err(backend)?;
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
            q.build().execute(&mut **tx).await.map_err(backend)?;
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
            let stored: HashMap<String, (Option<i64>, Option<String>)> = sqlx::query_as(
                "SELECT id, kill_count, merged_into FROM battles WHERE id IN (SELECT value FROM json_each(?))",
            )
            .bind(serde_json::to_string(&ids).map_err(backend)?)
            .fetch_all(&mut **tx)
            .await
            .map_err(backend)?
            .into_iter()
            .map(|(id, count, merged): (String, Option<i64>, Option<String>)| (id, (count, merged)))
            .collect();
            // Merged away: a redelivered update of a retired id changes
            // nothing. (Sizes are no revision: a re-cluster can shrink a
            // battle; a system's events arrive in order, so the last write
            // is current.)
            let live: Vec<(&BattleRow, i64)> = rows
                .battles
                .iter()
                .filter_map(|b| match stored.get(&b.id) {
                    Some((_, Some(_))) => None,
                    Some((count, None)) => Some((b, count.unwrap_or(0))),
                    None => Some((b, 0)),
                })
                .collect();
            Self::upsert_battles(tx, &live).await?;
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
            q.build().execute(&mut **tx).await.map_err(backend)?;
        }
        // Kills that left a battle first: a delete touches only rows still
        // pointing at that battle, so doing them all before the inserts
        // gives what battle-by-battle order gave.
        for (b, _) in battles {
            if let Some(removed) = &b.removed {
                sqlx::query(
                    "DELETE FROM battle_kills WHERE battle_id = ? AND killmail_id IN (SELECT value FROM json_each(?))",
                )
                .bind(&b.id)
                .bind(removed)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
            }
        }
        // The delta is enough when the stored document was the one just
        // before; otherwise (an update missed or reordered) write them all.
        // In batch order: a kill claimed twice ends with the later battle.
        let pairs: Vec<(i64, &str)> = battles
            .iter()
            .flat_map(|(b, prior)| {
                let added = i64::try_from(b.added.len()).unwrap_or(i64::MAX);
                let kills = if added > 0 && b.removed.is_none() && prior + added == b.kill_count {
                    &b.added
                } else {
                    &b.all
                };
                kills.iter().map(|&k| (k, b.id.as_str()))
            })
            .collect();
        for chunk in pairs.chunks(KILL_PAIRS_PER_STATEMENT) {
            let mut q =
                QueryBuilder::<Sqlite>::new("INSERT INTO battle_kills (killmail_id, battle_id) ");
            q.push_values(chunk, |mut row, (k, b)| {
                row.push_bind(*k).push_bind(*b);
            });
            q.push(" ON CONFLICT (killmail_id) DO UPDATE SET battle_id = excluded.battle_id");
            q.build().execute(&mut **tx).await.map_err(backend)?;
        }
        Ok(())
    }

    /// A battle whose kills no longer form one: its row stays as a
    /// document-less tombstone (so a late copy of an old document cannot
    /// revive it) and its kills are released.
    async fn dissolve_battle(
        tx: &mut Transaction<'_, Sqlite>,
        gone: Uuid,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO battles (id, merged_into, document, kill_count) VALUES (?, NULL, NULL, NULL) \
             ON CONFLICT (id) DO UPDATE SET document = NULL",
        )
        .bind(gone.to_string())
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
        sqlx::query("DELETE FROM battle_kills WHERE battle_id = ?")
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
        sqlx::query(
            "INSERT INTO battles (id, merged_into) VALUES (?, ?) \
             ON CONFLICT (id) DO UPDATE SET merged_into = excluded.merged_into",
        )
        .bind(gone.to_string())
        .bind(into.to_string())
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
        // Its kills belong to the survivor, whose update re-points them (it
        // precedes the delete, but may travel on another partition).
        sqlx::query("UPDATE battle_kills SET battle_id = ? WHERE battle_id = ?")
            .bind(into.to_string())
            .bind(gone.to_string())
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

fn parse_battle(text: &str) -> Result<Battle, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt("battle document", e))
}

fn parse_uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|e| corrupt("uuid", e))
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn put_ruleset(&self, ruleset: &StoredRuleset) -> Result<(), StoreError> {
        let _turn = turn(&self.write, "put_ruleset").await;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        if ruleset.active {
            sqlx::query("UPDATE rulesets SET active = FALSE WHERE active")
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        sqlx::query(
            "INSERT INTO rulesets (name, format, body, active, updated_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET format = excluded.format, body = excluded.body, \
             active = excluded.active, updated_at = excluded.updated_at",
        )
        .bind(&ruleset.name)
        .bind(&ruleset.format)
        .bind(&ruleset.text)
        .bind(ruleset.active)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn active_ruleset(&self) -> Result<Option<StoredRuleset>, StoreError> {
        let row: Option<(String, String, String)> =
            sqlx::query_as("SELECT name, format, body FROM rulesets WHERE active LIMIT 1")
                .fetch_optional(&self.pool)
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
        let row: Option<(String,)> =
            sqlx::query_as("SELECT cursor FROM source_cursors WHERE source = ?")
                .bind(source)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        Ok(row.map(|(c,)| SourceCursor(c)))
    }

    async fn ingested(&self, ids: &[u64]) -> Result<Vec<u64>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One query per batch: the ids travel as one JSON array bind.
        let list = serde_json::to_string(ids).map_err(backend)?;
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT killmail_id FROM ingested_killmails \
             WHERE killmail_id IN (SELECT value FROM json_each(?))",
        )
        .bind(list)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(|(k,)| uid(k)).collect())
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
            sqlx::query(
                "INSERT INTO source_cursors (source, cursor, updated_at) VALUES (?, ?, ?) \
                 ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
            )
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
        let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
            "SELECT partition_id, log_id, next_offset, snapshot FROM clusterer_checkpoints \
             WHERE consumer_group = ? AND topic = ? ORDER BY partition_id",
        )
        .bind(group)
        .bind(topic)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(partition, log_id, next_offset, snapshot)| {
                Ok(Checkpoint {
                    group: group.to_owned(),
                    topic: topic.to_owned(),
                    partition: u32::try_from(partition)
                        .map_err(|e| corrupt("checkpoint partition", e))?,
                    log_id,
                    next_offset: u64::try_from(next_offset)
                        .map_err(|e| corrupt("checkpoint offset", e))?,
                    snapshot,
                })
            })
            .collect()
    }

    async fn save_checkpoint(&self, cp: &Checkpoint) -> Result<(), StoreError> {
        let _turn = turn(&self.write, "save_checkpoint").await;
        sqlx::query(
            "INSERT INTO clusterer_checkpoints (consumer_group, topic, partition_id, log_id, next_offset, snapshot, saved_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (consumer_group, topic, partition_id) DO UPDATE SET \
             log_id = excluded.log_id, next_offset = excluded.next_offset, snapshot = excluded.snapshot, saved_at = excluded.saved_at",
        )
        .bind(&cp.group)
        .bind(&cp.topic)
        .bind(i64::from(cp.partition))
        .bind(&cp.log_id)
        .bind(id(cp.next_offset))
        .bind(&cp.snapshot)
        .bind(now())
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
            q.build().execute(&mut *tx).await.map_err(backend)?;
        }
        for d in &batch.dead_letters {
            sqlx::query(
                "INSERT INTO dead_letters (id, stage, position, error, payload, recorded_at) VALUES (?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&d.id)
            .bind(&d.stage)
            .bind(&d.position)
            .bind(&d.error)
            .bind(&d.payload)
            .bind(d.recorded_at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn battles(&self, q: &BattleQuery) -> Result<BattlePage, StoreError> {
        let security = q.security_class.map(|c| c.as_str().to_owned());
        let limit = q.limit.clamp(1, 500);
        let rows = sqlx::query(
            "SELECT document, start_time, id FROM battles b \
             WHERE document IS NOT NULL AND merged_into IS NULL \
             AND (?1 IS NULL OR system_id = ?1) \
             AND (?2 IS NULL OR region_id = ?2) \
             AND (?3 IS NULL OR security_class = ?3) \
             AND (?4 IS NULL OR end_time >= ?4) \
             AND (?5 IS NULL OR start_time <= ?5) \
             AND (?6 IS NULL OR kill_count >= ?6) \
             AND (?7 IS NULL OR start_time < ?7 OR (start_time = ?7 AND id < ?8)) \
             AND (?9 IS NULL OR EXISTS (SELECT 1 FROM battle_kills bk JOIN participants p ON p.killmail_id = bk.killmail_id \
                  WHERE bk.battle_id = b.id AND p.alliance_id = ?9)) \
             AND (?10 IS NULL OR EXISTS (SELECT 1 FROM battle_kills bk JOIN participants p ON p.killmail_id = bk.killmail_id \
                  WHERE bk.battle_id = b.id AND p.corporation_id = ?10)) \
             AND (?11 IS NULL OR EXISTS (SELECT 1 FROM battle_kills bk JOIN participants p ON p.killmail_id = bk.killmail_id \
                  WHERE bk.battle_id = b.id AND p.character_id = ?11)) \
             ORDER BY start_time DESC, id DESC LIMIT ?12",
        )
        .bind(q.system_id.map(i64::from))
        .bind(q.region_id.map(i64::from))
        .bind(security)
        .bind(q.since)
        .bind(q.until)
        .bind(q.min_kills.map(i64::from))
        .bind(q.after.map(|a| a.0))
        .bind(q.after.map(|a| a.1.to_string()))
        .bind(q.alliance_id.map(id))
        .bind(q.corporation_id.map(id))
        .bind(q.character_id.map(id))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut battles = Vec::with_capacity(rows.len());
        let mut keys = Vec::with_capacity(rows.len());
        for row in &rows {
            let doc: String = row.try_get(0).map_err(backend)?;
            let start: i64 = row.try_get(1).map_err(backend)?;
            let bid: String = row.try_get(2).map_err(backend)?;
            battles.push(parse_battle(&doc)?);
            keys.push((start, parse_uuid(&bid)?));
        }
        let more = battles.len() > limit as usize;
        battles.truncate(limit as usize);
        let next = if more {
            keys.get(limit as usize - 1).copied()
        } else {
            None
        };
        Ok(BattlePage { battles, next })
    }

    async fn battle(&self, wanted: Uuid) -> Result<Option<BattleLookup>, StoreError> {
        let mut current = wanted;
        for _ in 0..MAX_MERGE_HOPS {
            let row: Option<(Option<String>, Option<String>)> =
                sqlx::query_as("SELECT document, merged_into FROM battles WHERE id = ?")
                    .bind(current.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
            match row {
                None => {
                    return Ok((current != wanted).then_some(BattleLookup::MergedInto(current)));
                }
                Some((_, Some(into))) => current = parse_uuid(&into)?,
                Some((Some(doc), None)) => {
                    return Ok(Some(if current == wanted {
                        BattleLookup::Found(Box::new(parse_battle(&doc)?))
                    } else {
                        BattleLookup::MergedInto(current)
                    }));
                }
                Some((None, None)) => return Ok(None),
            }
        }
        Err(corrupt(
            "battle merges",
            format!("chain from {wanted} longer than {MAX_MERGE_HOPS}"),
        ))
    }

    async fn killmail(&self, kid: u64) -> Result<Option<StoredKillmail>, StoreError> {
        let row: Option<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT k.body, k.summary, k.names, bk.battle_id FROM killmails k \
             LEFT JOIN battle_kills bk ON bk.killmail_id = k.killmail_id WHERE k.killmail_id = ?",
        )
        .bind(id(kid))
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some((body, summary, names, battle)) = row else {
            return Ok(None);
        };
        Ok(Some(StoredKillmail {
            killmail: serde_json::from_str(&body).map_err(|e| corrupt("killmail", e))?,
            summary: serde_json::from_str(&summary).map_err(|e| corrupt("kill summary", e))?,
            names: serde_json::from_str(&names).map_err(|e| corrupt("names", e))?,
            battle_id: battle.as_deref().map(parse_uuid).transpose()?,
        }))
    }

    async fn killmails_in(
        &self,
        system_id: u32,
        from: i64,
        to: i64,
    ) -> Result<Vec<Killmail>, StoreError> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM killmails WHERE solar_system_id = ? AND killmail_time BETWEEN ? AND ? \
             ORDER BY killmail_time, killmail_id",
        )
        .bind(i64::from(system_id))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).map_err(|e| corrupt("killmail", e)))
            .collect()
    }

    async fn battles_holding(&self, killmail_ids: &[u64]) -> Result<Vec<Battle>, StoreError> {
        let documents: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT b.document FROM battle_kills bk JOIN battles b ON b.id = bk.battle_id \
             WHERE bk.killmail_id IN (SELECT value FROM json_each(?)) \
             AND b.document IS NOT NULL AND b.merged_into IS NULL",
        )
        .bind(serde_json::to_string(killmail_ids).map_err(backend)?)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        documents.iter().map(|d| parse_battle(d)).collect()
    }

    async fn events_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        // rowid: SQLite's own insertion order (PostgreSQL adds an identity column).
        let rows: Vec<(i64, String, String, String, i64, String)> = sqlx::query_as(
            "SELECT rowid, event_id, event_type, event_key, timestamp_ms, payload FROM events \
             WHERE rowid > ? ORDER BY rowid LIMIT ?",
        )
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut events = Vec::with_capacity(rows.len());
        for (seq, event_id, event_type, key, timestamp_ms, payload) in rows {
            let event_id = parse_uuid(&event_id)?;
            let body = match EventBody::from_column(payload) {
                EventBody::Killmail {
                    killmail_id,
                    timestamp,
                    metadata,
                } => {
                    let stored = self.killmail(killmail_id).await?.ok_or_else(|| {
                        corrupt("event store", format!("event {event_id} names killmail {killmail_id}, which is not stored"))
                    })?;
                    EventBody::Json(
                        EventBody::killmail_envelope(event_id, stored, timestamp, metadata)
                            .map_err(|e| corrupt("event store", e))?,
                    )
                }
                json => json,
            };
            events.push(StoredEvent {
                seq,
                record: EventRecord {
                    event_id,
                    event_type,
                    key,
                    timestamp_ms,
                    body,
                },
            });
        }
        Ok(events)
    }

    async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>, StoreError> {
        let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, stage, position, error, payload, recorded_at FROM dead_letters \
             ORDER BY recorded_at DESC, id LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, stage, position, error, payload, recorded_at)| DeadLetter {
                    id,
                    stage,
                    position,
                    error,
                    payload,
                    recorded_at,
                },
            )
            .collect())
    }

    async fn pilot_ships(
        &self,
        character_id: u64,
        limit: u32,
    ) -> Result<Vec<PilotShip>, StoreError> {
        let rows: Vec<(Option<i64>, i64, i64, bool)> = sqlx::query_as(
            "SELECT ship_type_id, killmail_id, killmail_time, lost FROM pilot_ship_history \
             WHERE character_id = ? ORDER BY killmail_time DESC, killmail_id DESC LIMIT ?",
        )
        .bind(id(character_id))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .filter_map(|(ship, killmail_id, killmail_time, lost)| {
                Some(PilotShip {
                    ship_type_id: u32::try_from(ship?).ok()?,
                    killmail_id: uid(killmail_id),
                    killmail_time,
                    lost,
                })
            })
            .collect())
    }
}
