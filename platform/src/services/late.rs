//! Kills that arrive beyond the clusterer's horizon: re-clustered from the
//! store (core's [`Reach`] walks the kill's component window by window,
//! [`recluster`] turns the stored battles it touches into the batch
//! result).
//!
//! Two conditions keep the result right, else the kill is dead-lettered
//! with the reason (nothing is dropped):
//! - **the store has caught up**: the sealed battles the clusterer
//!   remembers around the kill are stored, and every member of every
//!   stored battle the component touches is stored (the writer runs beside
//!   the clusterer and may lag); the re-cluster waits for it a while;
//! - **the component is sealed**: a kill of it at or after the horizon may
//!   still be live in the clusterer, whose later events would then undo
//!   the re-cluster.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use battlescope_core::cluster::{recluster, ClusterConfig, Reach, StoredBattle};
use battlescope_core::events::{Event, EventMetadata};
use battlescope_core::Killmail;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ports::bus::OutgoingMessage;
use crate::ports::store::Store;

/// How long a late kill waits for the writer to store what it needs.
const CATCH_UP: Duration = Duration::from_secs(30);

/// A kill the clusterer found beyond its horizon.
#[derive(Debug)]
pub(crate) struct Late {
    pub killmail: Killmail,
    /// Sealed battles the clusterer remembers around it.
    pub remembered: Vec<Uuid>,
    pub metadata: EventMetadata,
    /// Where it came from, for a dead letter.
    pub position: String,
    pub payload: Arc<[u8]>,
}

/// The battle events that re-cluster `late` into the stored battles.
///
/// # Errors
/// Why it could not be re-clustered (for the dead letter).
pub(crate) async fn recluster_late(
    store: &dyn Store,
    config: &ClusterConfig,
    horizon: Option<DateTime<Utc>>,
    late: &Late,
) -> Result<Vec<OutgoingMessage>, String> {
    let deadline = Instant::now() + CATCH_UP;
    loop {
        match attempt(store, config, horizon, late).await? {
            Some(messages) => return Ok(messages),
            None if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            None => {
                return Err(format!(
                    "the store did not catch up with the battles around it within {} s",
                    CATCH_UP.as_secs()
                ))
            }
        }
    }
}

/// One try: `None` when the store has not caught up yet.
async fn attempt(
    store: &dyn Store,
    config: &ClusterConfig,
    horizon: Option<DateTime<Utc>>,
    late: &Late,
) -> Result<Option<Vec<OutgoingMessage>>, String> {
    let store_error = |e: crate::ports::StoreError| format!("store: {e}");
    for id in &late.remembered {
        if store.battle(*id).await.map_err(store_error)?.is_none() {
            return Ok(None);
        }
    }
    let system = late.killmail.solar_system_id;
    let mut reach = Reach::new(late.killmail.clone(), config.clone());
    while let Some((from, to)) = reach.next_window() {
        let kills = store
            .killmails_in(system, from.timestamp(), to.timestamp())
            .await
            .map_err(store_error)?;
        reach.add(kills);
    }
    let kills = reach.into_kills();
    if let Some(h) = horizon {
        if let Some(live) = kills.iter().find(|k| k.killmail_time >= h) {
            return Err(format!(
                "it links to killmail {}, which the clusterer may still hold (at or after its horizon {h}): a re-cluster from the store would race it",
                live.killmail_id
            ));
        }
    }
    let ids: BTreeSet<u64> = kills.iter().map(|k| k.killmail_id).collect();
    let wanted: Vec<u64> = ids.iter().copied().collect();
    let battles = store.battles_holding(&wanted).await.map_err(store_error)?;
    if battles
        .iter()
        .any(|b| b.killmail_ids.iter().any(|k| !ids.contains(k)))
    {
        return Ok(None);
    }
    let stored: Vec<StoredBattle> = battles.iter().map(StoredBattle::from).collect();
    let out = recluster(&kills, &stored, config).map_err(|e| e.to_string())?;
    let now = Utc::now();
    let mut messages = Vec::with_capacity(out.events.len());
    for change in &out.events {
        let battle = out.battles.iter().find(|b| b.id == change.battle_id());
        let event = Event::from_battle_change(change, battle, now, late.metadata.clone())
            .map_err(|e| format!("battle event not built: {e}"))?;
        let payload = serde_json::to_vec(&event).map_err(|e| e.to_string())?;
        messages.push(OutgoingMessage::new(event.partition_key(), payload).attach(event));
    }
    Ok(Some(messages))
}
