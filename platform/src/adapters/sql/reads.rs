//! Rows read back into the port's types, the same for both SQL stores:
//! each row type is the tuple the store's query returns, and each decoder
//! names what did not read back ([`StoreError::Corrupt`]).

use std::collections::HashMap;
use std::future::Future;

use battlescope_core::{Battle, Killmail};
use uuid::Uuid;

use super::{corrupt, uid};
use crate::ports::store::{
    BattleLookup, BattlePage, Checkpoint, DeadLetter, EventBody, EventRecord, KillmailPage,
    PilotShip, StoreError, StoredEvent, StoredKillmail,
};

/// Killmail id, body, summary, names, battle id ([`super::statements::KILLMAIL`]).
pub(crate) type StoredKillmailRow = (i64, String, String, String, Option<String>);
/// Partition, log id, next offset, snapshot ([`super::statements::CHECKPOINTS`]).
pub(crate) type CheckpointRow = (i64, String, i64, String);
/// Id, stage, position, error, payload, recorded at.
pub(crate) type DeadLetterRow = (String, String, String, String, String, i64);
/// Ship type (NULL for a pod-less attacker), killmail id, time, lost.
pub(crate) type PilotShipRow = (Option<i64>, i64, i64, bool);
/// Seq, event id, type, key, timestamp (ms), payload (an [`EventBody`] column).
pub(crate) type StoredEventRow = (i64, String, String, String, i64, String);
/// Document (NULL for a tombstone), merged into.
pub(crate) type BattleStateRow = (Option<String>, Option<String>);

/// The largest page of the battle list.
pub(crate) const MAX_PAGE: u32 = 500;

/// How far a chain of merges is followed before giving up (a cycle would be a bug).
const MAX_MERGE_HOPS: usize = 64;

pub(crate) fn parse_battle(text: &str) -> Result<Battle, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt("battle document", e))
}

pub(crate) fn parse_uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|e| corrupt("uuid", e))
}

pub(crate) fn parse_killmail(text: &str) -> Result<Killmail, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt("killmail", e))
}

/// The rows a page query asks for: `limit` clamped to `1..=MAX_PAGE`, plus
/// one to tell whether more follow.
pub(crate) fn page_rows(limit: u32) -> i64 {
    i64::from(limit.clamp(1, MAX_PAGE)) + 1
}

/// One page of the battle list from rows of (document, start, id) asked
/// for with [`page_rows`].
pub(crate) fn battle_page(
    rows: Vec<(String, i64, String)>,
    limit: u32,
) -> Result<BattlePage, StoreError> {
    let limit = limit.clamp(1, MAX_PAGE) as usize;
    let more = rows.len() > limit;
    let mut battles = Vec::with_capacity(rows.len().min(limit));
    let mut next = None;
    for (document, start, id) in rows.into_iter().take(limit) {
        battles.push(parse_battle(&document)?);
        next = Some((start, parse_uuid(&id)?));
    }
    Ok(BattlePage {
        battles,
        next: if more { next } else { None },
    })
}

/// One page of recent killmails from rows asked for with [`page_rows`]
/// ([`super::statements::RECENT_KILLMAILS`]).
pub(crate) fn killmail_page(
    rows: &[StoredKillmailRow],
    limit: u32,
) -> Result<KillmailPage, StoreError> {
    let limit = limit.clamp(1, MAX_PAGE) as usize;
    let killmails = rows
        .iter()
        .take(limit)
        .map(stored_killmail)
        .collect::<Result<Vec<_>, _>>()?;
    let next = if rows.len() > limit {
        killmails
            .last()
            .map(|k| (k.killmail.killmail_time.timestamp(), k.killmail.killmail_id))
    } else {
        None
    };
    Ok(KillmailPage { killmails, next })
}

/// A battle looked up by id, following merges: `fetch` reads one battle's
/// row ([`super::statements::BATTLE`]).
pub(crate) async fn follow_merges<F, Fut>(
    wanted: Uuid,
    mut fetch: F,
) -> Result<Option<BattleLookup>, StoreError>
where
    F: FnMut(Uuid) -> Fut,
    Fut: Future<Output = Result<Option<BattleStateRow>, StoreError>>,
{
    let mut current = wanted;
    for _ in 0..MAX_MERGE_HOPS {
        match fetch(current).await? {
            // Merged into a battle never stored (its document not written
            // yet): still a redirect, the survivor will answer.
            None => return Ok((current != wanted).then_some(BattleLookup::MergedInto(current))),
            Some((_, Some(into))) => current = parse_uuid(&into)?,
            Some((Some(document), None)) => {
                return Ok(Some(if current == wanted {
                    BattleLookup::Found(Box::new(parse_battle(&document)?))
                } else {
                    BattleLookup::MergedInto(current)
                }));
            }
            // Dissolved.
            Some((None, None)) => return Ok(None),
        }
    }
    Err(corrupt(
        "battle merges",
        format!("chain from {wanted} longer than {MAX_MERGE_HOPS}"),
    ))
}

pub(crate) fn stored_killmail(row: &StoredKillmailRow) -> Result<StoredKillmail, StoreError> {
    let (_, body, summary, names, battle) = row;
    Ok(StoredKillmail {
        killmail: parse_killmail(body)?,
        summary: serde_json::from_str(summary).map_err(|e| corrupt("kill summary", e))?,
        names: serde_json::from_str(names).map_err(|e| corrupt("names", e))?,
        battle_id: battle.as_deref().map(parse_uuid).transpose()?,
    })
}

pub(crate) fn checkpoint(
    group: &str,
    topic: &str,
    (partition, log_id, next_offset, snapshot): CheckpointRow,
) -> Result<Checkpoint, StoreError> {
    Ok(Checkpoint {
        group: group.to_owned(),
        topic: topic.to_owned(),
        partition: u32::try_from(partition).map_err(|e| corrupt("checkpoint partition", e))?,
        log_id,
        next_offset: u64::try_from(next_offset).map_err(|e| corrupt("checkpoint offset", e))?,
        snapshot,
    })
}

pub(crate) fn dead_letter(
    (id, stage, position, error, payload, recorded_at): DeadLetterRow,
) -> DeadLetter {
    DeadLetter {
        id,
        stage,
        position,
        error,
        payload,
        recorded_at,
    }
}

/// `None` for an entry without a ship or with one out of range (nothing to show).
pub(crate) fn pilot_ship(
    (ship, killmail_id, killmail_time, lost): PilotShipRow,
) -> Option<PilotShip> {
    Some(PilotShip {
        ship_type_id: u32::try_from(ship?).ok()?,
        killmail_id: uid(killmail_id),
        killmail_time,
        lost,
    })
}

/// An event as stored: a killmail reference stays one until
/// [`with_envelopes`] rebuilds it.
pub(crate) fn stored_event(
    (seq, event_id, event_type, key, timestamp_ms, payload): StoredEventRow,
) -> Result<StoredEvent, StoreError> {
    Ok(StoredEvent {
        seq,
        record: EventRecord {
            event_id: parse_uuid(&event_id)?,
            event_type,
            key,
            timestamp_ms,
            body: EventBody::from_column(payload),
        },
    })
}

/// The killmails `events` hold by reference, to read in one query.
pub(crate) fn referenced_killmails(events: &[StoredEvent]) -> Vec<u64> {
    let mut ids: Vec<u64> = events
        .iter()
        .filter_map(|e| match e.record.body {
            EventBody::Killmail { killmail_id, .. } => Some(killmail_id),
            EventBody::Json(_) => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Every reference of `events` made whole again from `killmails` (rows of
/// the ids [`referenced_killmails`] gave): readers get envelopes only.
pub(crate) fn with_envelopes(
    events: Vec<StoredEvent>,
    killmails: Vec<StoredKillmailRow>,
) -> Result<Vec<StoredEvent>, StoreError> {
    let stored: HashMap<u64, StoredKillmailRow> =
        killmails.into_iter().map(|row| (uid(row.0), row)).collect();
    events
        .into_iter()
        .map(|mut event| {
            let event_id = event.record.event_id;
            if let EventBody::Killmail {
                killmail_id,
                timestamp,
                metadata,
            } = event.record.body
            {
                let row = stored.get(&killmail_id).ok_or_else(|| {
                    corrupt(
                        "event store",
                        format!(
                            "event {event_id} names killmail {killmail_id}, which is not stored"
                        ),
                    )
                })?;
                let envelope = EventBody::killmail_envelope(
                    event_id,
                    stored_killmail(row)?,
                    timestamp,
                    metadata,
                )
                .map_err(|e| corrupt("event store", e))?;
                event.record.body = EventBody::Json(envelope);
            }
            Ok(event)
        })
        .collect()
}
