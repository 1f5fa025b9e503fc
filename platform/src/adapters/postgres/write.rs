//! A write batch into PostgreSQL, inside the caller's transaction: each
//! table gets one `INSERT … SELECT FROM UNNEST(…)` per chunk of rows (one
//! array per column, so one round trip however many rows), never one
//! statement per row. Every insert is an `ON CONFLICT` upsert, so a
//! redelivered batch changes nothing.

use std::collections::HashMap;

use sqlx::{Postgres, Transaction};

use super::failed;
use crate::adapters::sql::rows::{
    kill_pairs, kill_takers, live_battles, BattleRow, EventRow, Retirement, Rows, StoredBattle,
};
use crate::adapters::sql::statements;
use crate::ports::store::{DeadLetter, StoreError};

/// Rows per statement. Arrays have no parameter limit; this bounds one
/// message's size (killmail bodies are a few KiB each).
const ROWS_PER_STATEMENT: usize = 2_000;

/// The advisory lock event appends take (any constant no other code uses).
const EVENT_APPEND_LOCK: i64 = 0x6261_7474_6c65_7376; // "battlesv"

/// One column of `rows`, to bind as an array.
fn column<'a, T, U>(rows: &'a [T], value: impl Fn(&'a T) -> U) -> Vec<U> {
    rows.iter().map(value).collect()
}

/// Killmails and their participants; a killmail already stored is kept
/// as it is (its id is its identity).
pub(super) async fn killmails(
    tx: &mut Transaction<'_, Postgres>,
    rows: &Rows,
) -> Result<(), StoreError> {
    for chunk in rows.killmails.chunks(ROWS_PER_STATEMENT) {
        sqlx::query(
            "INSERT INTO killmails (killmail_id, killmail_time, solar_system_id, total_value, body, summary, names) \
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::text[], $6::text[], $7::text[]) \
             ON CONFLICT (killmail_id) DO NOTHING",
        )
        .bind(column(chunk, |k| k.id))
        .bind(column(chunk, |k| k.time))
        .bind(column(chunk, |k| k.system))
        .bind(column(chunk, |k| k.total_value))
        .bind(column(chunk, |k| k.body.as_str()))
        .bind(column(chunk, |k| k.summary.as_str()))
        .bind(column(chunk, |k| k.names.as_str()))
        .execute(&mut **tx)
        .await
        .map_err(failed("write killmails"))?;
    }
    for chunk in rows.participants.chunks(ROWS_PER_STATEMENT) {
        sqlx::query(
            "INSERT INTO participants (killmail_id, slot, killmail_time, character_id, corporation_id, alliance_id, ship_type_id, is_victim) \
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::boolean[]) \
             ON CONFLICT (killmail_id, slot) DO NOTHING",
        )
        .bind(column(chunk, |p| p.killmail_id))
        .bind(column(chunk, |p| p.slot))
        .bind(column(chunk, |p| p.time))
        .bind(column(chunk, |p| p.character))
        .bind(column(chunk, |p| p.corporation))
        .bind(column(chunk, |p| p.alliance))
        .bind(column(chunk, |p| p.ship))
        .bind(column(chunk, |p| p.is_victim))
        .execute(&mut **tx)
        .await
        .map_err(failed("write participants"))?;
    }
    Ok(())
}

/// Battle documents and their kills, then merges and dissolutions in
/// batch order, as the SQLite store decides them ([`live_battles`],
/// [`kill_pairs`]).
pub(super) async fn battles(
    tx: &mut Transaction<'_, Postgres>,
    rows: &Rows,
) -> Result<(), StoreError> {
    if !rows.battles.is_empty() {
        let ids = column(&rows.battles, |b| b.id.as_str());
        // Locked in id order (concurrent writers cannot deadlock on these
        // rows), so no other writer changes them between this read and
        // the upsert that depends on it.
        let stored: HashMap<String, StoredBattle> = sqlx::query_as(
            "SELECT id, kill_count, merged_into FROM battles WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        )
        .bind(ids)
        .fetch_all(&mut **tx)
        .await
        .map_err(failed("read stored battles"))?
        .into_iter()
        .map(|(id, count, merged): (String, Option<i64>, Option<String>)| (id, (count, merged)))
        .collect();
        let live = live_battles(&rows.battles, &stored);
        upsert_documents(tx, &live.iter().map(|(b, _)| *b).collect::<Vec<_>>()).await?;
        release_removed(tx, &live).await?;
        let pairs = kill_pairs(&live);
        let previous: Vec<(i64, String)> = sqlx::query_as(
            "SELECT killmail_id, battle_id FROM battle_kills WHERE killmail_id = ANY($1)",
        )
        .bind(column(&pairs, |(kill, _)| *kill))
        .fetch_all(&mut **tx)
        .await
        .map_err(failed("read the kills' battles"))?;
        for chunk in pairs.chunks(ROWS_PER_STATEMENT) {
            sqlx::query(
                "INSERT INTO battle_kills (killmail_id, battle_id) \
                 SELECT * FROM UNNEST($1::bigint[], $2::text[]) \
                 ON CONFLICT (killmail_id) DO UPDATE SET battle_id = excluded.battle_id",
            )
            .bind(column(chunk, |(kill, _)| *kill))
            .bind(column(chunk, |(_, battle)| *battle))
            .execute(&mut **tx)
            .await
            .map_err(failed("write battle kills"))?;
        }
        // See kill_takers: a battle whose every kill another took is merged into it.
        let takers = kill_takers(&previous, &pairs);
        if !takers.is_empty() {
            let emptied: Vec<(String,)> = sqlx::query_as(
                "SELECT id FROM battles b WHERE id = ANY($1) \
                 AND merged_into IS NULL AND document IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM battle_kills k WHERE k.battle_id = b.id)",
            )
            .bind(takers.keys().map(String::as_str).collect::<Vec<_>>())
            .fetch_all(&mut **tx)
            .await
            .map_err(failed("find emptied battles"))?;
            for (gone,) in emptied {
                sqlx::query(statements::TOMBSTONE_MERGED)
                    .bind(&gone)
                    .bind(&takers[&gone])
                    .execute(&mut **tx)
                    .await
                    .map_err(failed("retire an emptied battle"))?;
            }
        }
    }
    // Few and order-dependent (a chain of merges): one at a time.
    for retirement in &rows.retirements {
        let (first, second) = match *retirement {
            Retirement::Merged { gone, into } => (
                sqlx::query(statements::TOMBSTONE_MERGED)
                    .bind(gone.to_string())
                    .bind(into.to_string()),
                sqlx::query(statements::REPOINT_KILLS)
                    .bind(into.to_string())
                    .bind(gone.to_string()),
            ),
            Retirement::Dissolved { gone } => (
                sqlx::query(statements::TOMBSTONE_DISSOLVED).bind(gone.to_string()),
                sqlx::query(statements::RELEASE_KILLS).bind(gone.to_string()),
            ),
        };
        first
            .execute(&mut **tx)
            .await
            .map_err(failed("retire battle"))?;
        second
            .execute(&mut **tx)
            .await
            .map_err(failed("retire battle: its kills"))?;
    }
    Ok(())
}

/// The documents of the live battles. The `WHERE` repeats what
/// [`live_battles`] decided, in the statement itself.
async fn upsert_documents(
    tx: &mut Transaction<'_, Postgres>,
    battles: &[&BattleRow],
) -> Result<(), StoreError> {
    for chunk in battles.chunks(ROWS_PER_STATEMENT) {
        sqlx::query(
            "INSERT INTO battles (id, system_id, region_id, security_class, start_time, end_time, kill_count, isk_destroyed, document) \
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::float8[], $9::text[]) \
             ON CONFLICT (id) DO UPDATE SET system_id = excluded.system_id, region_id = excluded.region_id, \
             security_class = excluded.security_class, start_time = excluded.start_time, end_time = excluded.end_time, \
             kill_count = excluded.kill_count, isk_destroyed = excluded.isk_destroyed, document = excluded.document \
             WHERE battles.merged_into IS NULL",
        )
        .bind(column(chunk, |b| b.id.as_str()))
        .bind(column(chunk, |b| b.system_id))
        .bind(column(chunk, |b| b.region_id))
        .bind(column(chunk, |b| b.security_class.as_deref()))
        .bind(column(chunk, |b| b.start_time))
        .bind(column(chunk, |b| b.end_time))
        .bind(column(chunk, |b| b.kill_count))
        .bind(column(chunk, |b| b.isk_destroyed))
        .bind(column(chunk, |b| b.document.as_str()))
        .execute(&mut **tx)
        .await
        .map_err(failed("write battles"))?;
    }
    Ok(())
}

/// Kills that left a battle, before any kill is (re)pointed: a delete
/// touches only rows still pointing at that battle, so doing them all
/// first gives what battle-by-battle order gave.
async fn release_removed(
    tx: &mut Transaction<'_, Postgres>,
    live: &[(&BattleRow, i64)],
) -> Result<(), StoreError> {
    let (battles, kills): (Vec<&str>, Vec<i64>) = live
        .iter()
        .flat_map(|(b, _)| b.removed.iter().map(|&k| (b.id.as_str(), k)))
        .unzip();
    if kills.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "DELETE FROM battle_kills bk USING UNNEST($1::text[], $2::bigint[]) AS gone(battle_id, killmail_id) \
         WHERE bk.battle_id = gone.battle_id AND bk.killmail_id = gone.killmail_id",
    )
    .bind(battles)
    .bind(kills)
    .execute(&mut **tx)
    .await
    .map_err(failed("release removed kills"))?;
    Ok(())
}

pub(super) async fn dead_letters(
    tx: &mut Transaction<'_, Postgres>,
    letters: &[DeadLetter],
) -> Result<(), StoreError> {
    for chunk in letters.chunks(ROWS_PER_STATEMENT) {
        sqlx::query(
            "INSERT INTO dead_letters (id, stage, position, error, payload, recorded_at) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(column(chunk, |d| d.id.as_str()))
        .bind(column(chunk, |d| d.stage.as_str()))
        .bind(column(chunk, |d| d.position.as_str()))
        .bind(column(chunk, |d| d.error.as_str()))
        .bind(column(chunk, |d| d.payload.as_str()))
        .bind(column(chunk, |d| d.recorded_at))
        .execute(&mut **tx)
        .await
        .map_err(failed("write dead letters"))?;
    }
    Ok(())
}

/// Appends to the event store, numbered by `events.seq` in batch order.
///
/// Appends take turns (an advisory lock held to the commit): a sequence
/// hands out numbers when rows are inserted, not when they commit, so two
/// writers could otherwise commit seq 11 before seq 10, and a reader that
/// resumed after 11 would never see 10. Call last before the commit.
/// The notification channel of appended events
/// ([`Store::appends`](crate::ports::Store::appends)).
pub(super) const EVENTS_CHANNEL: &str = "battlescope_events";

pub(super) async fn events(
    tx: &mut Transaction<'_, Postgres>,
    events: &[EventRow],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(EVENT_APPEND_LOCK)
        .execute(&mut **tx)
        .await
        .map_err(failed("lock the event store"))?;
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        sqlx::query(
            "INSERT INTO events (event_id, event_type, event_key, timestamp_ms, payload) \
             SELECT event_id, event_type, event_key, timestamp_ms, payload \
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) \
             WITH ORDINALITY AS e(event_id, event_type, event_key, timestamp_ms, payload, n) \
             ORDER BY n \
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(column(chunk, |e| e.event_id.as_str()))
        .bind(column(chunk, |e| e.event_type.as_str()))
        .bind(column(chunk, |e| e.key.as_str()))
        .bind(column(chunk, |e| e.timestamp_ms))
        .bind(column(chunk, |e| e.payload.as_str()))
        .execute(&mut **tx)
        .await
        .map_err(failed("append events"))?;
    }
    // Delivered at the commit, to every process listening (the API's
    // streams).
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(EVENTS_CHANNEL)
        .execute(&mut **tx)
        .await
        .map_err(failed("notify appended events"))?;
    Ok(())
}
