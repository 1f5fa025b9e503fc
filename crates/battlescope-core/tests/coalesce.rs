//! Coalescing a batch of pushes' events (`Coalescer`) changes how many
//! events a consumer sees, never what they add up to: for every arrival
//! order and every batching, the coalesced stream applies cleanly, each
//! event matches the document it carries, and the battles and their last
//! published documents equal those of the uncoalesced stream.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use battlescope_core::cluster::{BattleChange, ClusterConfig, Clusterer, Coalescer};
use battlescope_core::events::{Event, EventMetadata};
use battlescope_core::{Battle, Killmail};
use battlescope_synth::{generate, ScenarioConfig};
use common::*;
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use uuid::Uuid;

/// How the kills arrive, and what the clusterer does with them.
#[derive(Debug, Clone, Copy)]
enum Feed {
    /// In time order, with a short lateness: battles are sealed on the way.
    InOrderSealing,
    /// Shuffled, keeping sealed history: late kills are re-clustered on
    /// the spot (renames, merges, removals, deletions).
    ShuffledReclustering,
    /// Shuffled with conflicting copies of some kills: replaced copies
    /// rebuild battles.
    ConflictingCopies,
}

fn feed_strategy() -> impl Strategy<Value = Feed> {
    prop_oneof![
        Just(Feed::InOrderSealing),
        Just(Feed::ShuffledReclustering),
        Just(Feed::ConflictingCopies),
    ]
}

fn setup(feed: Feed, seed: u64, order: u64) -> (Vec<Killmail>, Clusterer) {
    let kms = generate(
        &ScenarioConfig {
            kills: 300,
            ..ScenarioConfig::small()
        },
        seed,
    );
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(order);
    let short = ClusterConfig::default().with_allowed_lateness(Duration::from_secs(1800));
    match feed {
        Feed::InOrderSealing => {
            let mut kms = kms;
            kms.sort_by_key(|k| (k.killmail_time, k.killmail_id));
            (kms, Clusterer::new(short).unwrap())
        }
        Feed::ShuffledReclustering => {
            let mut kms = kms;
            kms.shuffle(&mut rng);
            (kms, Clusterer::new(short).unwrap().keep_sealed(true))
        }
        Feed::ConflictingCopies => {
            let forever = ClusterConfig::default()
                .with_allowed_lateness(Duration::from_secs(10 * 365 * 86_400));
            (
                with_conflicting_copies(&kms, order),
                Clusterer::new(forever).unwrap(),
            )
        }
    }
}

/// Battle id → the last document published for it, from a stream of
/// events with their documents.
fn last_documents<'a>(
    stream: impl IntoIterator<Item = (&'a BattleChange, Option<&'a Battle>)>,
) -> BTreeMap<Uuid, Battle> {
    let mut docs = BTreeMap::new();
    for (event, battle) in stream {
        match event {
            BattleChange::Updated(u) => {
                if let Some(previous) = u.previous_id {
                    docs.remove(&previous);
                }
                docs.insert(
                    u.battle_id,
                    battle.expect("an update has a document").clone(),
                );
            }
            BattleChange::Created(_) | BattleChange::Sealed(_) => {
                let b = battle.expect("created and sealed events have a document");
                docs.insert(b.id, b.clone());
            }
            BattleChange::Deleted(d) => {
                docs.remove(&d.battle_id);
            }
            _ => unreachable!(),
        }
    }
    docs
}

fn metadata() -> EventMetadata {
    EventMetadata {
        correlation_id: Uuid::nil(),
        causation_id: Uuid::nil(),
        source: "test".to_owned(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: case_count().min(128), ..ProptestConfig::default() })]

    #[test]
    fn coalesced_batches_add_up_to_the_same_battles(
        feed in feed_strategy(),
        seed in any::<u64>(),
        order in any::<u64>(),
        batch_sizes in prop::collection::vec(1_usize..120, 1..8),
    ) {
        let (kms, mut clusterer) = setup(feed, seed, order);

        // Every push's events with the documents of that moment (what a
        // consumer gets without coalescing)…
        let mut raw: Vec<(BattleChange, Option<Battle>)> = Vec::new();
        // …and the same pushes coalesced batch by batch.
        let mut coalesced: Vec<(BattleChange, Option<Battle>, usize)> = Vec::new();
        let mut batch = Coalescer::new();
        let mut in_batch = 0;
        let mut sizes = batch_sizes.iter().cycle();
        let mut size = *sizes.next().unwrap();
        for (i, km) in kms.iter().enumerate() {
            let pushed = clusterer.push(km.clone());
            for event in &pushed.events {
                let doc = match event {
                    BattleChange::Deleted(_) => None,
                    e => pushed.sealed.iter().find(|b| b.id == e.battle_id()).cloned()
                        .or_else(|| clusterer.battle(e.battle_id())),
                };
                raw.push((event.clone(), doc));
            }
            batch.add(pushed, &clusterer, i);
            in_batch += 1;
            if in_batch == size || i + 1 == kms.len() {
                for item in batch.finish(&clusterer) {
                    prop_assert!(item.tag <= i);
                    coalesced.push((item.change, item.battle, item.tag));
                }
                prop_assert!(batch.is_empty());
                in_batch = 0;
                size = *sizes.next().unwrap();
            }
        }

        // The coalesced stream applies cleanly and gives the same battles.
        let raw_events: Vec<BattleChange> = raw.iter().map(|(e, _)| e.clone()).collect();
        let coalesced_events: Vec<BattleChange> = coalesced.iter().map(|(e, ..)| e.clone()).collect();
        let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
        apply(&raw_events, &mut a);
        apply(&coalesced_events, &mut b);
        prop_assert_eq!(&b, &a);
        prop_assert!(coalesced_events.len() <= raw_events.len());

        // Each event matches the document it carries…
        for (event, battle, _) in &coalesced {
            let built = Event::from_battle_change(event, battle.as_ref(), chrono::Utc::now(), metadata());
            prop_assert!(built.is_ok(), "{:?}: {:?}", event, built.err());
        }
        // …and the last document published per battle is its current one:
        // the clusterer's, or the one it was sealed with. (Raw documents
        // can be older: a replaced copy that moves no member emits nothing.)
        let raw_docs = last_documents(raw.iter().map(|(e, d)| (e, d.as_ref())));
        let coalesced_docs = last_documents(coalesced.iter().map(|(e, d, _)| (e, d.as_ref())));
        prop_assert_eq!(raw_docs.keys().collect::<Vec<_>>(), coalesced_docs.keys().collect::<Vec<_>>());
        let differing: Vec<String> = coalesced_docs
            .iter()
            .filter_map(|(id, doc)| {
                let current = clusterer.battle(*id).or_else(|| raw_docs.get(id).cloned());
                (current.as_ref() != Some(doc)).then(|| format!(
                    "{id}: current {:?} / coalesced {:?}",
                    current.map(|b| b.killmail_ids),
                    doc.killmail_ids,
                ))
            })
            .collect();
        prop_assert!(differing.is_empty(), "last documents differ: {:#?}", differing);
    }
}

/// On an ordinary feed (kills in time order, the platform's case) a batch
/// of a thousand pushes publishes far fewer events than the pushes made.
#[test]
fn a_time_ordered_feed_coalesces_to_a_fraction_of_the_events() {
    let mut kms = generate(
        &ScenarioConfig {
            kills: 3_000,
            ..ScenarioConfig::small()
        },
        7,
    );
    kms.sort_by_key(|k| (k.killmail_time, k.killmail_id));
    let mut clusterer = Clusterer::new(ClusterConfig::default()).unwrap();
    let mut batch = Coalescer::new();
    let (mut raw, mut coalesced) = (0, 0);
    for chunk in kms.chunks(1_000) {
        for km in chunk {
            let pushed = clusterer.push(km.clone());
            raw += pushed.events.len();
            batch.add(pushed, &clusterer, ());
        }
        coalesced += batch.finish(&clusterer).len();
    }
    assert!(raw > 1_000, "the feed makes events: {raw}");
    assert!(
        coalesced * 3 < raw,
        "{coalesced} coalesced events for {raw} raw ones"
    );
}
