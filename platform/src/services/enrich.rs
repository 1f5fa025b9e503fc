//! Enrich: `killmail.ingested` → `killmail.enriched`.
//!
//! A killmail whose body came with it passes through; a reference (id and
//! hash only) is fetched through the [`Esi`] port. Names are resolved
//! through the port when asked for; a names failure only leaves names out
//! (the payload allows that), a body failure dead-letters the message with
//! ESI's error and its bus position. Offsets are committed after the
//! batch's outputs are published.

use std::sync::Arc;
use std::time::Instant;

use battlescope_core::events::{Envelope, KillmailEnrichedData, KillmailIngestedData};
use battlescope_core::Killmail;

use super::ingest::IngestedKillmail;
use super::{
    commit, dead_letter, drained, finished, poll, publish_dead_letters, retry, PipelineStats,
    ServiceError, Upstream,
};
use crate::ports::bus::{
    latest_positions, topics, Bus, Message, OutgoingMessage, KILLMAIL_BODY_HEADER,
};
use crate::ports::esi::{Esi, EsiError};

const SERVICE: &str = "enrich";
/// The `source` of the events enrich emits.
pub const EVENT_SOURCE: &str = "battlescope-enrich";

/// The enrich service.
#[derive(Debug)]
pub struct Enrich {
    pub bus: Arc<dyn Bus>,
    /// `None`: no ESI client in this process; references are dead-lettered.
    pub esi: Option<Arc<dyn Esi>>,
    /// Ask ESI for the names on every killmail.
    pub resolve_names: bool,
    pub stats: Arc<PipelineStats>,
    pub group: String,
    pub batch: usize,
}

impl Enrich {
    /// Run until `upstream` has finished and nothing is left to read.
    ///
    /// # Errors
    /// When the bus refuses the subscription.
    pub async fn run(self, upstream: Upstream) -> Result<(), ServiceError> {
        if let Some(esi) = &self.esi {
            let _ = self.stats.esi.set(esi.clone());
        }
        let mut consumer = self
            .bus
            .subscribe(topics::KILLMAIL_INGESTED, &self.group)
            .await
            .map_err(|source| ServiceError::Bus {
                service: SERVICE,
                source,
            })?;
        loop {
            let done = finished(&upstream);
            let messages = poll(&self.stats, &mut *consumer, self.batch).await;
            if messages.is_empty() {
                if done && drained(&mut *consumer).await {
                    return Ok(());
                }
                continue;
            }
            let started = Instant::now();
            let mut out = Vec::with_capacity(messages.len());
            let mut letters = Vec::new();
            for m in &messages {
                match self.enrich(m).await {
                    Ok(message) => out.push(message),
                    Err(error) => {
                        tracing::warn!(stage = SERVICE, position = %m.describe(), error = %error, "message dead-lettered");
                        letters.push(dead_letter(SERVICE, &m.describe(), &error, &m.payload));
                    }
                }
            }
            let published = out.len();
            if !out.is_empty() {
                retry(&self.stats, "publish killmail.enriched", || {
                    self.bus.publish(topics::KILLMAIL_ENRICHED, out.clone())
                })
                .await;
            }
            publish_dead_letters(&self.stats, &*self.bus, &letters).await;
            let positions = latest_positions(messages.iter().map(Message::position));
            commit(&self.stats, &mut *consumer, &positions).await;
            self.stats.processing.record(SERVICE, started.elapsed());
            PipelineStats::add(&self.stats.enriched, published);
            PipelineStats::add(&self.stats.dead_letters, letters.len());
        }
    }

    async fn enrich(&self, m: &Message) -> Result<OutgoingMessage, String> {
        let (ingested, body) = match m.attached::<IngestedKillmail>() {
            Some(a) => (a.envelope.clone(), a.killmail.clone()),
            None => {
                let envelope: Envelope<KillmailIngestedData> =
                    serde_json::from_slice(&m.payload)
                        .map_err(|e| format!("not a killmail.ingested event: {e}"))?;
                let body = m
                    .header(KILLMAIL_BODY_HEADER)
                    .map(serde_json::from_slice::<Killmail>)
                    .transpose()
                    .map_err(|e| {
                        format!("killmail {}: body header: {e}", envelope.data.killmail_id)
                    })?;
                (envelope, body)
            }
        };
        let data = &ingested.data;
        let killmail = match body {
            Some(km) => km,
            None => self.fetch(data).await.map_err(|e| e.to_string())?,
        };
        let names = if self.resolve_names {
            self.names(&killmail).await
        } else {
            Vec::new()
        };
        let key = killmail.solar_system_id.to_string();
        let metadata = ingested.caused(EVENT_SOURCE);
        let envelope = Envelope::new(
            KillmailEnrichedData::new(killmail, names),
            chrono::Utc::now(),
            metadata,
        );
        let payload = serde_json::to_vec(&envelope).map_err(|e| e.to_string())?;
        let mut out = OutgoingMessage::new(key, payload).attach(envelope);
        if let Some(ms) = m.received_at_ms() {
            out = out.received_at(ms);
        }
        Ok(out)
    }

    async fn fetch(&self, data: &KillmailIngestedData) -> Result<Killmail, EsiError> {
        let esi = self.esi.as_ref().ok_or(EsiError::NotConfigured)?;
        let mut km = esi.killmail(data.killmail_id, &data.hash).await?;
        if km.killmail_id != data.killmail_id {
            return Err(EsiError::Invalid {
                killmail_id: data.killmail_id,
                reason: format!("ESI answered killmail {}", km.killmail_id),
            });
        }
        if km.zkb.is_none() {
            km.zkb.clone_from(&data.zkb);
        }
        Ok(km)
    }

    async fn names(&self, km: &Killmail) -> Vec<battlescope_core::events::EntityName> {
        let Some(esi) = &self.esi else {
            return Vec::new();
        };
        let v = &km.victim;
        let mut ids: Vec<u64> = [v.character_id, v.corporation_id, v.alliance_id]
            .into_iter()
            .flatten()
            .chain(
                km.attackers
                    .iter()
                    .flat_map(|a| [a.character_id, a.corporation_id, a.alliance_id])
                    .flatten(),
            )
            .chain([u64::from(km.solar_system_id), u64::from(v.ship_type_id)])
            .collect();
        ids.sort_unstable();
        ids.dedup();
        match esi.names(&ids).await {
            Ok(names) => names,
            Err(e) => {
                tracing::warn!(stage = SERVICE, killmail_id = km.killmail_id, error = %e, "names not resolved");
                Vec::new()
            }
        }
    }
}
