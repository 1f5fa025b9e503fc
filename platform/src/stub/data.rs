//! What the stub serves: the R2Z2 feed, the RedisQ queues and ESI's
//! killmails and names, all in memory and growable while it runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use battlescope_core::universe;
use battlescope_core::Killmail;
use bytes::Bytes;
use serde::Serialize;
use tokio::sync::watch;

use super::fixtures;

/// One answer of ESI's `POST /universe/names/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameEntry {
    pub category: &'static str,
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Default)]
struct Content {
    /// R2Z2 items by sequence number.
    r2z2: BTreeMap<u64, Bytes>,
    /// The sequence number the next item gets.
    next_sequence: u64,
    /// Every RedisQ package in publication order.
    redisq: Vec<Bytes>,
    /// How far each RedisQ queue has read.
    queues: HashMap<String, usize>,
    /// ESI killmail bodies by (id, hash).
    esi: HashMap<(u64, String), Bytes>,
}

/// The stub's content, shared by its handlers. Every change bumps a
/// version that long-polling handlers wait on.
#[derive(Debug)]
pub struct StubData {
    content: Mutex<Content>,
    version: watch::Sender<u64>,
}

impl StubData {
    /// An empty feed whose first item will get sequence `first_sequence`.
    #[must_use]
    pub fn new(first_sequence: u64) -> Self {
        Self {
            content: Mutex::new(Content {
                next_sequence: first_sequence,
                ..Content::default()
            }),
            version: watch::channel(0).0,
        }
    }

    /// Add the real samples: the R2Z2 items (renumbered to follow the
    /// feed), the RedisQ packages and the ESI killmails whose hash is known.
    pub fn add_fixtures(&self) {
        for item in fixtures::R2Z2_ITEMS {
            self.push_r2z2(Bytes::from_static(item));
        }
        for package in fixtures::REDISQ_PACKAGES {
            self.push_redisq(Bytes::from_static(package));
        }
        for (id, hash, body) in fixtures::ESI_KILLMAILS {
            self.put_esi(*id, hash, Bytes::from_static(body));
        }
    }

    /// Publish a killmail everywhere: as the next R2Z2 item, as a RedisQ
    /// package and at its ESI address. Killmails without a `zkb.hash` get
    /// one made from the id (ESI needs one).
    pub fn publish(&self, km: &Killmail) -> u64 {
        let hash = km
            .zkb
            .as_ref()
            .and_then(|z| z.hash.clone())
            .unwrap_or_else(|| made_up_hash(km.killmail_id));
        let mut zkb = km.zkb.clone().unwrap_or_default();
        zkb.hash = Some(hash.clone());
        let mut esi = km.clone();
        esi.zkb = None;
        let esi_body = to_bytes(&esi);
        let sequence = self.lock().next_sequence;
        let item = serde_json::json!({
            "killmail_id": km.killmail_id,
            "hash": hash,
            "esi": esi,
            "zkb": zkb,
            "uploaded_at": chrono::Utc::now().timestamp(),
            "sequence_id": sequence,
        });
        let package = serde_json::json!({
            "package": { "killID": km.killmail_id, "killmail": esi, "zkb": zkb }
        });
        self.put_esi(km.killmail_id, &hash, esi_body);
        self.push_redisq(to_bytes(&package));
        self.push_r2z2(to_bytes(&item))
    }

    /// Append raw bytes as the next R2Z2 item; returns its sequence number.
    pub fn push_r2z2(&self, item: Bytes) -> u64 {
        let sequence = {
            let mut c = self.lock();
            let sequence = c.next_sequence;
            c.r2z2.insert(sequence, item);
            c.next_sequence += 1;
            sequence
        };
        self.bump();
        sequence
    }

    /// Append raw bytes as the next RedisQ package (the whole
    /// `{"package": …}` document).
    pub fn push_redisq(&self, package: Bytes) {
        self.lock().redisq.push(package);
        self.bump();
    }

    /// Serve `body` at `/killmails/{id}/{hash}/`.
    pub fn put_esi(&self, id: u64, hash: &str, body: Bytes) {
        self.lock().esi.insert((id, hash.to_owned()), body);
        self.bump();
    }

    /// The newest sequence number (`sequence.json`): the last item
    /// published, or the first one to come while there is none (a poller
    /// starting there gets 404 until it is published).
    #[must_use]
    pub fn sequence(&self) -> u64 {
        let c = self.lock();
        if c.r2z2.is_empty() {
            c.next_sequence
        } else {
            c.next_sequence - 1
        }
    }

    pub(super) fn r2z2_item(&self, sequence: u64) -> Option<Bytes> {
        self.lock().r2z2.get(&sequence).cloned()
    }

    /// The next package of `queue`, moving the queue past it. A new queue
    /// starts at the first package (real RedisQ starts at "now"; starting
    /// at the beginning lets a demo see the samples).
    pub(super) fn redisq_next(&self, queue: &str) -> Option<Bytes> {
        let mut c = self.lock();
        let at = c.queues.get(queue).copied().unwrap_or(0);
        let package = c.redisq.get(at).cloned()?;
        c.queues.insert(queue.to_owned(), at + 1);
        Some(package)
    }

    pub(super) fn esi_killmail(&self, id: u64, hash: &str) -> Option<Bytes> {
        self.lock().esi.get(&(id, hash.to_owned())).cloned()
    }

    /// A receiver that changes whenever content is added.
    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn bump(&self) {
        self.version.send_modify(|v| *v += 1);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Content> {
        // Every update is a single insert or push: a poisoned lock still
        // guards consistent data.
        self.content
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The name ESI would give `id`: real names for solar systems and ship
/// types (from the static data in core); players, corporations and
/// alliances are not in the samples, so they get a name made from the id
/// (`Alliance 99003581`). `None` for an id in no known range, which makes
/// the stub answer 404 like ESI.
#[must_use]
pub fn name_of(id: u64) -> Option<NameEntry> {
    let entry = |category, name| Some(NameEntry { category, id, name });
    if let Ok(small) = u32::try_from(id) {
        if let Some(system) = universe::system(small) {
            return entry("solar_system", system.name.to_owned());
        }
        if let Some(ship) = universe::ship_type(small) {
            return entry("inventory_type", ship.name.to_owned());
        }
    }
    match id {
        500_000..=999_999 => entry("faction", format!("Faction {id}")),
        1_000_000..=1_999_999 => entry("corporation", format!("NPC Corporation {id}")),
        3_000_000..=3_999_999 => entry("character", format!("NPC {id}")),
        90_000_000..=97_999_999 | 2_100_000_000..=2_199_999_999 => {
            entry("character", format!("Pilot {id}"))
        }
        98_000_000..=98_999_999 => entry("corporation", format!("Corporation {id}")),
        99_000_000..=99_999_999 => entry("alliance", format!("Alliance {id}")),
        _ => None,
    }
}

fn made_up_hash(id: u64) -> String {
    // 40 hex digits like a real SHA-1 hash; only needs to be stable.
    format!(
        "{:016x}{:016x}{:08x}",
        id.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        id.rotate_left(29) ^ 0xC2B2_AE3D_27D4_EB4F,
        id & 0xFFFF_FFFF
    )
}

fn to_bytes(value: &impl Serialize) -> Bytes {
    // Serialising plain data (no maps with non-string keys) cannot fail.
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_fill_every_feed() {
        let data = StubData::new(1000);
        assert_eq!(data.sequence(), 1000);
        data.add_fixtures();
        assert_eq!(data.sequence(), 1001);
        assert!(data.r2z2_item(1000).is_some());
        assert!(data.r2z2_item(1002).is_none());
        assert!(data.redisq_next("a").is_some());
        assert!(data.redisq_next("a").is_some());
        assert!(data.redisq_next("a").is_none());
        assert!(data.redisq_next("b").is_some());
        assert!(data
            .esi_killmail(134_265_477, "aa937ee180fca44b172de00f2a26e751f5b2a851")
            .is_some());
        assert!(data.esi_killmail(134_265_477, "00").is_none());
    }

    #[test]
    fn names_are_real_for_static_data() {
        assert_eq!(name_of(30_000_142).unwrap().name, "Jita");
        assert_eq!(name_of(587).unwrap().category, "inventory_type");
        assert_eq!(name_of(99_003_581).unwrap().category, "alliance");
        assert_eq!(name_of(7).map(|n| n.id), None);
    }

    #[test]
    fn made_up_hashes_look_like_hashes() {
        let h = made_up_hash(123);
        assert_eq!(h.len(), 40);
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
