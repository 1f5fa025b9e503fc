//! The PostgreSQL store, through sqlx: a connection pool, the migrations of
//! `platform/migrations/store` (the SQLite store's) plus the PostgreSQL-only
//! ones of `platform/migrations/store-postgres`, run at open.
//!
//! How it maps the port (see also [`super::sql`], shared with SQLite):
//! - the same tables, and the same statements where both dialects accept
//!   them; lists travel as arrays (`= ANY($1)`, `UNNEST`);
//! - each method is one transaction; [`Store::write`] sends a few
//!   multi-row statements per batch (one `INSERT … SELECT FROM UNNEST(…)`
//!   per table and chunk), each an idempotent `ON CONFLICT` upsert keyed by
//!   killmail, battle, event or dead-letter id;
//! - the event store numbers appends with an identity column (`events.seq`,
//!   see [`write::events`] for why appends take a lock), which
//!   [`Store::events_after`] reads in order;
//! - the battles a batch touches are locked (`FOR UPDATE`) before their
//!   documents are chosen, so concurrent writers decide as SQLite's single
//!   writer would;
//! - an unreachable database fails `ping` (not ready) and every call (the
//!   callers retry); nothing is half written, since each call is one
//!   transaction.
//!
//! The URL's options pick the schema: `?options=-c%20search_path%3Dname`
//! (the schema must exist).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use battlescope_core::intel::Entity;
use battlescope_core::{Battle, Killmail};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::Notify;
use uuid::Uuid;

use super::sql::reads::{self, BattleStateRow, StoredEventRow, StoredKillmailRow};
use super::sql::rows::Rows;
use super::sql::{id, now, statements, uid};
use crate::ports::source::SourceCursor;
use crate::ports::store::{
    BattleLookup, BattlePage, BattleQuery, Checkpoint, DeadLetter, KillmailPage, PilotShip, Store,
    StoreError, StoredEvent, StoredKillmail, StoredRuleset, WriteBatch,
};

mod write;

/// Connections per process: the writer, the clusterer's checkpoints,
/// ingest and the API's reads each hold one at a time, with room for a
/// burst of API requests. PostgreSQL's default limit (100) leaves room for
/// a dozen processes.
pub const POOL_SIZE: u32 = 8;

/// How long a call waits for a connection: short, so that an unreachable
/// database makes readiness answer "not ready" quickly rather than hang.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A failure of `what` in the database.
fn failed(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| StoreError::Backend(format!("{what}: {e}"))
}

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The `LISTEN` on [`write::EVENTS_CHANNEL`], started by the first
    /// [`Store::appends`] (only streaming processes need it).
    appends: Arc<OnceLock<Listener>>,
}

/// A notification listener; stopped with its store.
#[derive(Debug)]
struct Listener {
    appended: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Wake `appended` at every notification of appended events, and after a
/// lost connection (notifications sent meanwhile are lost: the streams
/// re-read). Holds one connection of the pool.
async fn listen(pool: PgPool, appended: Arc<Notify>) {
    let mut listener = loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut l) => match l.listen(write::EVENTS_CHANNEL).await {
                Ok(()) => {
                    // What was appended before the LISTEN is read now.
                    appended.notify_waiters();
                    break l;
                }
                Err(e) => tracing::warn!(error = %e, "LISTEN for appended events failed; retrying"),
            },
            Err(e) => {
                tracing::warn!(error = %e, "no connection to LISTEN for appended events; retrying");
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    loop {
        match listener.try_recv().await {
            // `None`: reconnected; what was sent meanwhile is lost.
            Ok(Some(_) | None) => appended.notify_waiters(),
            Err(e) => {
                tracing::debug!(error = %e, "appended-events listener lost its connection");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

impl PgStore {
    /// Connect to `url` (`postgres://user@host:port/db?…`) with
    /// [`POOL_SIZE`] connections and migrate.
    ///
    /// # Errors
    /// When the URL does not parse, the database cannot be reached, or a
    /// migration fails.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url.parse().map_err(|e| StoreError::Invalid {
            field: "PostgreSQL URL".to_owned(),
            reason: format!("{e}"),
        })?;
        Self::open(options, POOL_SIZE).await
    }

    /// Open a pool of at most `connections` with `options` and migrate.
    ///
    /// # Errors
    /// When the database cannot be reached or a migration fails.
    pub async fn open(options: PgConnectOptions, connections: u32) -> Result<Self, StoreError> {
        let at = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("")
        );
        let unreachable = |e: sqlx::Error| {
            StoreError::Backend(format!("cannot connect to PostgreSQL at {at}: {e}"))
        };
        // One connection first: the pool would retry until its timeout and
        // then report only that, not why (refused, bad password, no such
        // database).
        PgConnection::connect_with(&options)
            .await
            .map_err(unreachable)?
            .close()
            .await
            .map_err(unreachable)?;
        let pool = PgPoolOptions::new()
            .max_connections(connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(unreachable)?;
        migrate(&pool).await?;
        Ok(Self {
            pool,
            appends: Arc::default(),
        })
    }
}

/// The shared migrations, then the PostgreSQL-only ones. Both sets record
/// themselves in the one `_sqlx_migrations` table, so each run ignores the
/// other's versions (1–999 shared, 1001 up PostgreSQL-only).
async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let mut shared = sqlx::migrate!("./migrations/store");
    shared.set_ignore_missing(true);
    let mut postgres_only = sqlx::migrate!("./migrations/store-postgres");
    postgres_only.set_ignore_missing(true);
    shared
        .run(pool)
        .await
        .map_err(|e| StoreError::Backend(format!("store migrations: {e}")))?;
    postgres_only
        .run(pool)
        .await
        .map_err(|e| StoreError::Backend(format!("PostgreSQL store migrations: {e}")))
}

#[async_trait]
impl Store for PgStore {
    /// Reachable and writable: a standby (read-only) is not ready.
    async fn ping(&self) -> Result<(), StoreError> {
        let read_only: String =
            sqlx::query_scalar("SELECT current_setting('transaction_read_only')")
                .fetch_one(&self.pool)
                .await
                .map_err(failed("ping"))?;
        if read_only == "on" {
            return Err(StoreError::Backend(
                "ping: the database is read-only (a standby?)".to_owned(),
            ));
        }
        Ok(())
    }

    async fn put_ruleset(&self, ruleset: &StoredRuleset) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(failed("put ruleset"))?;
        // One active ruleset even when two are saved at once: the second
        // waits for the first (readers do not wait).
        sqlx::query("LOCK TABLE rulesets IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(failed("lock rulesets"))?;
        if ruleset.active {
            sqlx::query(statements::DEACTIVATE_RULESETS)
                .execute(&mut *tx)
                .await
                .map_err(failed("deactivate rulesets"))?;
        }
        statements::put_ruleset(ruleset)
            .execute(&mut *tx)
            .await
            .map_err(failed("put ruleset"))?;
        tx.commit().await.map_err(failed("put ruleset: commit"))
    }

    async fn active_ruleset(&self) -> Result<Option<StoredRuleset>, StoreError> {
        let row: Option<(String, String, String)> = sqlx::query_as(statements::ACTIVE_RULESET)
            .fetch_optional(&self.pool)
            .await
            .map_err(failed("active ruleset"))?;
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
            .fetch_optional(&self.pool)
            .await
            .map_err(failed("source cursor"))?;
        Ok(cursor.map(SourceCursor))
    }

    async fn ingested(&self, ids: &[u64]) -> Result<Vec<u64>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<i64> = ids.iter().copied().map(id).collect();
        let found: Vec<i64> = sqlx::query_scalar(
            "SELECT killmail_id FROM ingested_killmails WHERE killmail_id = ANY($1)",
        )
        .bind(wanted)
        .fetch_all(&self.pool)
        .await
        .map_err(failed("ingested killmails"))?;
        Ok(found.into_iter().map(uid).collect())
    }

    async fn record_ingested(
        &self,
        source: &str,
        ids: &[u64],
        cursor: Option<&SourceCursor>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(failed("record ingested"))?;
        if !ids.is_empty() {
            let ids: Vec<i64> = ids.iter().copied().map(id).collect();
            sqlx::query(
                "INSERT INTO ingested_killmails (killmail_id) SELECT * FROM UNNEST($1::bigint[]) \
                 ON CONFLICT (killmail_id) DO NOTHING",
            )
            .bind(ids)
            .execute(&mut *tx)
            .await
            .map_err(failed("record ingested killmails"))?;
        }
        if let Some(cursor) = cursor {
            sqlx::query(statements::SAVE_SOURCE_CURSOR)
                .bind(source)
                .bind(&cursor.0)
                .bind(now())
                .execute(&mut *tx)
                .await
                .map_err(failed("save source cursor"))?;
        }
        tx.commit().await.map_err(failed("record ingested: commit"))
    }

    async fn checkpoints(&self, group: &str, topic: &str) -> Result<Vec<Checkpoint>, StoreError> {
        let rows: Vec<reads::CheckpointRow> = sqlx::query_as(statements::CHECKPOINTS)
            .bind(group)
            .bind(topic)
            .fetch_all(&self.pool)
            .await
            .map_err(failed("clusterer checkpoints"))?;
        rows.into_iter()
            .map(|row| reads::checkpoint(group, topic, row))
            .collect()
    }

    async fn save_checkpoint(&self, cp: &Checkpoint) -> Result<(), StoreError> {
        statements::save_checkpoint(cp)
            .execute(&self.pool)
            .await
            .map_err(failed("save clusterer checkpoint"))?;
        Ok(())
    }

    async fn write(&self, batch: &WriteBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        // Serialised before the transaction opens: no locks held meanwhile.
        let rows = Rows::encode(batch)?;
        let mut tx = self.pool.begin().await.map_err(failed("write"))?;
        write::killmails(&mut tx, &rows).await?;
        write::battles(&mut tx, &rows).await?;
        write::dead_letters(&mut tx, &batch.dead_letters).await?;
        // Last: the append lock is held from here to the commit only.
        write::events(&mut tx, &rows.events).await?;
        tx.commit().await.map_err(failed("write: commit"))
    }

    async fn battles(&self, q: &BattleQuery) -> Result<BattlePage, StoreError> {
        let rows = statements::battle_list(statements::BATTLE_LIST_POSTGRES, q)?
            .fetch_all(&self.pool)
            .await
            .map_err(failed("battle list"))?;
        reads::battle_page(rows, q.limit)
    }

    async fn battle(&self, wanted: Uuid) -> Result<Option<BattleLookup>, StoreError> {
        reads::follow_merges(wanted, |current| async move {
            sqlx::query_as::<_, BattleStateRow>(statements::BATTLE)
                .bind(current.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(failed("battle"))
        })
        .await
    }

    async fn killmail(&self, kid: u64) -> Result<Option<StoredKillmail>, StoreError> {
        let row: Option<StoredKillmailRow> = sqlx::query_as(statements::KILLMAIL)
            .bind(id(kid))
            .fetch_optional(&self.pool)
            .await
            .map_err(failed("killmail"))?;
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
            .fetch_all(&self.pool)
            .await
            .map_err(failed("killmails in a window"))?;
        bodies.iter().map(|b| reads::parse_killmail(b)).collect()
    }

    async fn battles_holding(&self, killmail_ids: &[u64]) -> Result<Vec<Battle>, StoreError> {
        let ids: Vec<i64> = killmail_ids.iter().copied().map(id).collect();
        let documents: Vec<String> = sqlx::query_scalar(
            "SELECT b.document FROM battles b \
             WHERE b.id IN (SELECT battle_id FROM battle_kills WHERE killmail_id = ANY($1)) \
             AND b.document IS NOT NULL AND b.merged_into IS NULL",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await
        .map_err(failed("battles holding killmails"))?;
        documents.iter().map(|d| reads::parse_battle(d)).collect()
    }

    async fn last_event_seq(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0)::bigint FROM events")
            .fetch_one(&self.pool)
            .await
            .map_err(failed("newest event"))
    }

    fn appends(&self) -> Option<Arc<Notify>> {
        let listener = self.appends.get_or_init(|| {
            let appended = Arc::new(Notify::new());
            Listener {
                task: tokio::spawn(listen(self.pool.clone(), appended.clone())),
                appended,
            }
        });
        Some(listener.appended.clone())
    }

    async fn events_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        // Two reads, no transaction: a killmail is committed with (or
        // before) the event naming it, and never deleted.
        let rows: Vec<StoredEventRow> = sqlx::query_as(
            "SELECT seq, event_id, event_type, event_key, timestamp_ms, payload FROM events \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(failed("events"))?;
        let events = rows
            .into_iter()
            .map(reads::stored_event)
            .collect::<Result<Vec<_>, _>>()?;
        let referenced: Vec<i64> = reads::referenced_killmails(&events)
            .into_iter()
            .map(id)
            .collect();
        let killmails: Vec<StoredKillmailRow> = if referenced.is_empty() {
            Vec::new()
        } else {
            sqlx::query_as(
                "SELECT killmail_id, body, summary, names, NULL::text FROM killmails \
                 WHERE killmail_id = ANY($1)",
            )
            .bind(referenced)
            .fetch_all(&self.pool)
            .await
            .map_err(failed("killmails of events"))?
        };
        reads::with_envelopes(events, killmails)
    }

    async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>, StoreError> {
        let rows: Vec<reads::DeadLetterRow> = sqlx::query_as(statements::DEAD_LETTERS)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(failed("dead letters"))?;
        Ok(rows.into_iter().map(reads::dead_letter).collect())
    }

    async fn remove_dead_letters(&self, ids: &[String]) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(failed("remove dead letters"))?;
        for id in ids {
            sqlx::query(statements::REMOVE_DEAD_LETTER)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(failed("remove dead letters"))?;
        }
        tx.commit().await.map_err(failed("remove dead letters"))
    }

    async fn dead_letter_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(statements::DEAD_LETTER_COUNT)
            .fetch_one(&self.pool)
            .await
            .map_err(failed("dead letter count"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn battle_killmails(&self, battle_id: Uuid) -> Result<Vec<StoredKillmail>, StoreError> {
        let rows: Vec<StoredKillmailRow> = sqlx::query_as(statements::BATTLE_KILLMAILS)
            .bind(battle_id.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(failed("battle killmails"))?;
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
                    .fetch_all(&self.pool)
                    .await
            }
            Some((time, kid)) => {
                sqlx::query_as(statements::RECENT_KILLMAILS_AFTER)
                    .bind(time)
                    .bind(id(kid))
                    .bind(reads::page_rows(limit))
                    .fetch_all(&self.pool)
                    .await
            }
        }
        .map_err(failed("recent killmails"))?;
        reads::killmail_page(&rows, limit)
    }

    async fn entity_seen(&self, entity: Entity) -> Result<bool, StoreError> {
        let row: Option<i64> = sqlx::query_scalar(statements::entity_seen(entity))
            .bind(id(entity.id()))
            .fetch_optional(&self.pool)
            .await
            .map_err(failed("entity seen"))?;
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
            .fetch_all(&self.pool)
            .await
            .map_err(failed("pilot ships"))?;
        Ok(rows.into_iter().filter_map(reads::pilot_ship).collect())
    }
}
