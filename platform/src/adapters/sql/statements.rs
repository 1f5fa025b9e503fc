//! The statements SQLite and PostgreSQL both run as written: `$N`
//! parameters (SQLite reads `$N` as the N-th bind, as sqlx binds it), the
//! standard `ON CONFLICT` upsert, no dialect functions. A statement whose
//! dialects differ stays in its store. The longer ones come with their
//! binds too ([`battle_list`], [`put_ruleset`], [`save_checkpoint`]),
//! generic over the database.

use uuid::Uuid;

// --- rulesets

/// Before saving an active ruleset: only one is active.
pub(crate) const DEACTIVATE_RULESETS: &str = "UPDATE rulesets SET active = FALSE WHERE active";

/// `$1` name, `$2` format, `$3` text, `$4` active, `$5` updated at.
pub(crate) const PUT_RULESET: &str =
    "INSERT INTO rulesets (name, format, body, active, updated_at) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (name) DO UPDATE SET format = excluded.format, body = excluded.body, \
     active = excluded.active, updated_at = excluded.updated_at";

/// Name, format and text of the active ruleset.
pub(crate) const ACTIVE_RULESET: &str =
    "SELECT name, format, body FROM rulesets WHERE active LIMIT 1";

// --- ingest

/// `$1` source.
pub(crate) const SOURCE_CURSOR: &str = "SELECT cursor FROM source_cursors WHERE source = $1";

/// `$1` source, `$2` cursor, `$3` updated at.
pub(crate) const SAVE_SOURCE_CURSOR: &str =
    "INSERT INTO source_cursors (source, cursor, updated_at) VALUES ($1, $2, $3) \
     ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at";

// --- clusterer

/// `$1` group, `$2` topic: partition, log id, next offset, snapshot.
pub(crate) const CHECKPOINTS: &str =
    "SELECT partition_id, log_id, next_offset, snapshot FROM clusterer_checkpoints \
     WHERE consumer_group = $1 AND topic = $2 ORDER BY partition_id";

/// `$1` group, `$2` topic, `$3` partition, `$4` log id, `$5` next offset,
/// `$6` snapshot, `$7` saved at.
pub(crate) const SAVE_CHECKPOINT: &str =
    "INSERT INTO clusterer_checkpoints (consumer_group, topic, partition_id, log_id, next_offset, snapshot, saved_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (consumer_group, topic, partition_id) DO UPDATE SET \
     log_id = excluded.log_id, next_offset = excluded.next_offset, snapshot = excluded.snapshot, saved_at = excluded.saved_at";

// --- battles retired

/// `$1` battle: its row stays, without a document (it answers 404 and
/// leaves the list); a later document of the same id, from a re-cluster
/// that forms it again, brings it back.
pub(crate) const TOMBSTONE_DISSOLVED: &str =
    "INSERT INTO battles (id, merged_into, document, kill_count) VALUES ($1, NULL, NULL, NULL) \
     ON CONFLICT (id) DO UPDATE SET document = NULL";

/// `$1` battle: its kills no longer belong to a battle.
pub(crate) const RELEASE_KILLS: &str = "DELETE FROM battle_kills WHERE battle_id = $1";

/// `$1` battle merged away into `$2`.
pub(crate) const TOMBSTONE_MERGED: &str = "INSERT INTO battles (id, merged_into) VALUES ($1, $2) \
     ON CONFLICT (id) DO UPDATE SET merged_into = excluded.merged_into";

/// `$1` survivor, `$2` battle merged away: its kills belong to the
/// survivor, whose update re-points them too (it precedes the merge, but
/// may travel on another partition).
pub(crate) const REPOINT_KILLS: &str =
    "UPDATE battle_kills SET battle_id = $1 WHERE battle_id = $2";

// --- reads

/// The battle list with a dialect's way of reading a JSON array of ids
/// (`$13`): newest first, one row past `$14` rows (to tell whether a next
/// page exists). `$1` system, `$2` region, `$3` security class, `$4`
/// since, `$5` until, `$6` min kills, `$7`/`$8` resume after (start, id),
/// `$9` alliance, `$10` corporation, `$11` character, `$12` min ISK, `$13`
/// only these ids (a JSON array); each NULL when not filtered on. Rows:
/// document, start time, id.
macro_rules! battle_list {
    ($ids:literal) => {
        concat!(
            "SELECT document, start_time, id FROM battles b \
             WHERE document IS NOT NULL AND merged_into IS NULL \
             AND ($1 IS NULL OR system_id = $1) \
             AND ($2 IS NULL OR region_id = $2) \
             AND ($3 IS NULL OR security_class = $3) \
             AND ($4 IS NULL OR end_time >= $4) \
             AND ($5 IS NULL OR start_time <= $5) \
             AND ($6 IS NULL OR kill_count >= $6) \
             AND ($7 IS NULL OR start_time < $7 OR (start_time = $7 AND id < $8)) \
             AND ($9 IS NULL OR EXISTS (SELECT 1 FROM battle_kills bk JOIN participants p ON p.killmail_id = bk.killmail_id \
                  WHERE bk.battle_id = b.id AND p.alliance_id = $9)) \
             AND ($10 IS NULL OR EXISTS (SELECT 1 FROM battle_kills bk JOIN participants p ON p.killmail_id = bk.killmail_id \
                  WHERE bk.battle_id = b.id AND p.corporation_id = $10)) \
             AND ($11 IS NULL OR EXISTS (SELECT 1 FROM battle_kills bk JOIN participants p ON p.killmail_id = bk.killmail_id \
                  WHERE bk.battle_id = b.id AND p.character_id = $11)) \
             AND ($12 IS NULL OR isk_destroyed >= $12) \
             AND ($13 IS NULL OR id IN (",
            $ids,
            ")) ORDER BY start_time DESC, id DESC LIMIT $14"
        )
    };
}

/// [`battle_list!`] for SQLite: the ids through `json_each`.
pub(crate) const BATTLE_LIST_SQLITE: &str = battle_list!("SELECT value FROM json_each($13)");

/// [`battle_list!`] for PostgreSQL: the ids through `json_array_elements_text`.
pub(crate) const BATTLE_LIST_POSTGRES: &str =
    battle_list!("SELECT json_array_elements_text(CAST($13 AS json))");

/// `$1` battle: its document and the battle it was merged into.
pub(crate) const BATTLE: &str = "SELECT document, merged_into FROM battles WHERE id = $1";

/// `$1` killmail: body, summary, names and battle ([`super::reads::KillmailRow`]).
pub(crate) const KILLMAIL: &str =
    "SELECT k.killmail_id, k.body, k.summary, k.names, bk.battle_id FROM killmails k \
     LEFT JOIN battle_kills bk ON bk.killmail_id = k.killmail_id WHERE k.killmail_id = $1";

/// `$1` battle: its killmails oldest first ([`super::reads::StoredKillmailRow`]).
pub(crate) const BATTLE_KILLMAILS: &str =
    "SELECT k.killmail_id, k.body, k.summary, k.names, bk.battle_id FROM battle_kills bk \
     JOIN killmails k ON k.killmail_id = bk.killmail_id WHERE bk.battle_id = $1 \
     ORDER BY k.killmail_time, k.killmail_id";

/// `$1` limit: the newest killmails ([`super::reads::StoredKillmailRow`]).
pub(crate) const RECENT_KILLMAILS: &str =
    "SELECT k.killmail_id, k.body, k.summary, k.names, bk.battle_id FROM killmails k \
     LEFT JOIN battle_kills bk ON bk.killmail_id = k.killmail_id \
     ORDER BY k.killmail_time DESC, k.killmail_id DESC LIMIT $1";

/// `$1`/`$2` resume after (time, id), `$3` limit: as [`RECENT_KILLMAILS`].
/// `killmail_time <= $1` bounds the index range; the rest skips the ties
/// already given.
pub(crate) const RECENT_KILLMAILS_AFTER: &str =
    "SELECT k.killmail_id, k.body, k.summary, k.names, bk.battle_id FROM killmails k \
     LEFT JOIN battle_kills bk ON bk.killmail_id = k.killmail_id \
     WHERE k.killmail_time <= $1 AND (k.killmail_time < $1 OR k.killmail_id < $2) \
     ORDER BY k.killmail_time DESC, k.killmail_id DESC LIMIT $3";

/// `$1` entity id: one participant row naming it, by kind (each column has
/// its index).
pub(crate) fn entity_seen(entity: battlescope_core::intel::Entity) -> &'static str {
    use battlescope_core::intel::Entity;
    match entity {
        Entity::Alliance(_) => {
            "SELECT killmail_id FROM participants WHERE alliance_id = $1 LIMIT 1"
        }
        Entity::Corporation(_) => {
            "SELECT killmail_id FROM participants WHERE corporation_id = $1 LIMIT 1"
        }
        Entity::Character(_) => {
            "SELECT killmail_id FROM participants WHERE character_id = $1 LIMIT 1"
        }
    }
}

/// `$1` system, `$2`..`$3` the window (inclusive): bodies in time order.
pub(crate) const KILLMAILS_IN: &str =
    "SELECT body FROM killmails WHERE solar_system_id = $1 AND killmail_time BETWEEN $2 AND $3 \
     ORDER BY killmail_time, killmail_id";

/// `$1` limit: newest first ([`super::reads::DeadLetterRow`]).
pub(crate) const DEAD_LETTERS: &str =
    "SELECT id, stage, position, error, payload, recorded_at FROM dead_letters \
     ORDER BY recorded_at DESC, id LIMIT $1";

/// `$1` id: a replayed dead letter leaves the queue.
pub(crate) const REMOVE_DEAD_LETTER: &str = "DELETE FROM dead_letters WHERE id = $1";

/// The DLQ depth.
pub(crate) const DEAD_LETTER_COUNT: &str = "SELECT count(*) FROM dead_letters";

/// `$1` character, `$2` limit: newest first ([`super::reads::PilotShipRow`]).
/// Entries without a ship are left out here, not after the `LIMIT`, so
/// they do not take places of the page.
pub(crate) const PILOT_SHIPS: &str =
    "SELECT ship_type_id, killmail_id, killmail_time, lost FROM pilot_ship_history \
     WHERE character_id = $1 AND ship_type_id IS NOT NULL \
     ORDER BY killmail_time DESC, killmail_id DESC LIMIT $2";

/// The battle list's query, rows of (document, start time, id).
pub(crate) type BattleListQuery<'q, DB> =
    sqlx::query::QueryAs<'q, DB, (String, i64, String), <DB as sqlx::Database>::Arguments<'q>>;

/// The battle list (`sql`: [`BATTLE_LIST_SQLITE`] or
/// [`BATTLE_LIST_POSTGRES`]) with the binds of `q`.
///
/// # Errors
/// When the id list cannot be serialised (not expected).
pub(crate) fn battle_list<'q, DB>(
    sql: &'static str,
    q: &'q crate::ports::store::BattleQuery,
) -> Result<BattleListQuery<'q, DB>, crate::ports::store::StoreError>
where
    DB: sqlx::Database,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<f64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    (String, i64, String): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let ids = q
        .ids
        .as_ref()
        .map(|ids| serde_json::to_string(&ids.iter().map(Uuid::to_string).collect::<Vec<_>>()))
        .transpose()
        .map_err(super::backend)?;
    Ok(sqlx::query_as(sql)
        .bind(q.system_id.map(i64::from))
        .bind(q.region_id.map(i64::from))
        .bind(
            q.security_class
                .map(battlescope_core::universe::SecurityClass::as_str),
        )
        .bind(q.since)
        .bind(q.until)
        .bind(q.min_kills.map(i64::from))
        .bind(q.after.map(|a| a.0))
        .bind(q.after.map(|a| a.1.to_string()))
        .bind(q.alliance_id.map(super::id))
        .bind(q.corporation_id.map(super::id))
        .bind(q.character_id.map(super::id))
        .bind(q.min_isk)
        .bind(ids)
        .bind(super::reads::page_rows(q.limit)))
}

/// [`PUT_RULESET`] with the binds of `ruleset`, for either database.
pub(crate) fn put_ruleset<'q, DB>(
    ruleset: &'q crate::ports::store::StoredRuleset,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(PUT_RULESET)
        .bind(ruleset.name.as_str())
        .bind(ruleset.format.as_str())
        .bind(ruleset.text.as_str())
        .bind(ruleset.active)
        .bind(super::now())
}

/// [`SAVE_CHECKPOINT`] with the binds of `cp`, for either database.
pub(crate) fn save_checkpoint<'q, DB>(
    cp: &'q crate::ports::store::Checkpoint,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(SAVE_CHECKPOINT)
        .bind(cp.group.as_str())
        .bind(cp.topic.as_str())
        .bind(i64::from(cp.partition))
        .bind(cp.log_id.as_str())
        .bind(super::id(cp.next_offset))
        .bind(cp.snapshot.as_str())
        .bind(super::now())
}
