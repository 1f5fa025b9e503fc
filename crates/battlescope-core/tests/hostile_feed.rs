//! The engine on a live, hostile feed: conflicting copies of one killmail,
//! kills dated in the future, late kills beyond the horizon, redeliveries,
//! long feeds — every result stays a function of the set of records.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use battlescope_core::cluster::{
    cluster, recluster, BattleChange, ClusterConfig, Clusterer, PushOutcome, StoredBattle,
};
use battlescope_core::input::{read_killmails, ReadOptions};
use battlescope_core::Killmail;
use battlescope_synth::{generate, ScenarioConfig};
use chrono::TimeDelta;
use common::*;
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;

fn forever() -> ClusterConfig {
    ClusterConfig::default().with_allowed_lateness(Duration::from_secs(10 * 365 * 86_400))
}

fn shuffled(records: &[Killmail], seed: u64) -> Vec<Killmail> {
    let mut out = records.to_vec();
    out.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    out
}

fn run(records: &[Killmail], clusterer: &mut Clusterer) -> Vec<BattleChange> {
    records
        .iter()
        .flat_map(|km| {
            let pushed = clusterer.push(km.clone());
            assert!(!pushed.outcome.needs_attention(), "{:?}", pushed.outcome);
            pushed.events
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: case_count(), ..ProptestConfig::default() })]

    /// Records with conflicting copies of one id, in any order: batch, the
    /// file reader and the incremental clusterer all keep the same copy, so
    /// they end with the same battles (ids included).
    #[test]
    fn conflicting_copies_in_any_order_give_the_same_battles(seed in any::<u64>(), order in any::<u64>()) {
        let kms = generate(&ScenarioConfig::small(), seed);
        let records = with_conflicting_copies(&kms, seed ^ 7);
        let other_order = shuffled(&records, order);
        let config = forever();

        let batch = cluster(&records, &config).unwrap();
        prop_assert_eq!(&cluster(&other_order, &config).unwrap(), &batch);

        let mut c = Clusterer::new(config.clone()).unwrap();
        let events = run(&other_order, &mut c);
        prop_assert_eq!(&c.battles(), &batch);
        let mut replayed = BTreeMap::new();
        apply(&events, &mut replayed);
        prop_assert_eq!(replayed, memberships(&batch));

        // The reader keeps the same copies from JSON Lines in either order.
        let jsonl = |kms: &[Killmail]| -> Vec<u8> {
            kms.iter().flat_map(|k| {
                let mut line = serde_json::to_vec(k).unwrap();
                line.push(b'\n');
                line
            }).collect()
        };
        let read = |bytes: Vec<u8>| {
            let mut kms = read_killmails(&bytes[..], Some("x.jsonl"), &ReadOptions::default())
                .unwrap()
                .killmails;
            kms.sort_by_key(|k| k.killmail_id);
            kms
        };
        prop_assert_eq!(read(jsonl(&records)), read(jsonl(&other_order)));
    }

    /// Stored battles (from part of the kills, or from another
    /// configuration) plus the re-cluster events equal batch on all kills.
    #[test]
    fn stored_battles_plus_recluster_events_equal_batch(seed in any::<u64>(), cut in 0.0_f64..1.0, other in 0_u8..3) {
        let kms = generate(&ScenarioConfig::small(), seed);
        let config = ClusterConfig::default();
        let stored_config = match other {
            0 => config.clone(),
            1 => config.clone().with_min_shared(0),
            _ => config.clone()
                .with_max_gap(Duration::from_secs(300))
                .with_min_kills(3),
        };
        let part = shuffled(&kms, seed ^ 3)[..(kms.len() as f64 * cut) as usize].to_vec();
        let stored_battles = cluster(&part, &stored_config).unwrap();
        let stored: Vec<StoredBattle> = stored_battles.iter().map(StoredBattle::from).collect();
        let out = recluster(&kms, &stored, &config).unwrap();
        let batch = cluster(&kms, &config).unwrap();
        prop_assert_eq!(&out.battles, &batch);
        let mut map = memberships(&stored_battles);
        apply(&out.events, &mut map);
        prop_assert_eq!(map, memberships(&batch));
        // Nothing to do when the store already holds the batch result.
        let same: Vec<StoredBattle> = batch.iter().map(StoredBattle::from).collect();
        prop_assert!(recluster(&kms, &same, &config).unwrap().events.is_empty());
    }

    /// A live feed with a short allowed lateness, shuffled so that many
    /// kills arrive beyond the horizon: a `keep_sealed` clusterer
    /// re-clusters them on the spot and ends with the batch battles.
    #[test]
    fn a_keep_sealed_clusterer_equals_batch_in_any_order(seed in any::<u64>(), order in any::<u64>()) {
        let config = ClusterConfig::default().with_allowed_lateness(Duration::from_secs(1800));
        let kms = generate(&ScenarioConfig { kills: 400, ..ScenarioConfig::small() }, seed);
        let stream = shuffled(&kms, order);
        let mut c = Clusterer::new(config.clone()).unwrap().keep_sealed(true);
        let mut events = Vec::new();
        for km in &stream {
            events.extend(c.push(km.clone()).events);
        }
        let batch = cluster(&kms, &config).unwrap();
        prop_assert_eq!(&c.battles(), &batch);
        prop_assert!(c.counts().reclustered > 0, "the shuffle sends kills beyond the horizon");
        let mut replayed = BTreeMap::new();
        apply(&events, &mut replayed);
        prop_assert_eq!(replayed, memberships(&batch));
        // The same holds after a snapshot round trip.
        let back = Clusterer::restore(c.snapshot()).unwrap();
        prop_assert_eq!(back.battles(), batch);
    }

    /// One kill dated a day ahead of the trusted time changes nothing else:
    /// it is refused, the watermark does not move, nothing is evicted.
    #[test]
    fn a_future_dated_kill_changes_nothing(seed in any::<u64>(), at in 0.0_f64..1.0) {
        let config = ClusterConfig::default().with_allowed_lateness(Duration::from_secs(3600));
        let kms = generate(&ScenarioConfig { kills: 300, ..ScenarioConfig::small() }, seed);
        let mut sorted = kms.clone();
        sorted.sort_by_key(|k| (k.killmail_time, k.killmail_id));
        let cut = (sorted.len() as f64 * at) as usize;
        let mut bad = sorted[cut.min(sorted.len() - 1)].clone();
        bad.killmail_id = 1;
        bad.killmail_time += TimeDelta::days(1);

        let feed = |with_bad: bool| {
            let mut c = Clusterer::new(config.clone()).unwrap();
            let mut events = Vec::new();
            let mut sealed = Vec::new();
            for (i, km) in sorted.iter().enumerate() {
                c.set_trusted_time(km.killmail_time + TimeDelta::seconds(30));
                if with_bad && i == cut {
                    let pushed = c.push(bad.clone());
                    assert!(matches!(pushed.outcome, PushOutcome::FutureDated { .. }));
                    assert!(pushed.events.is_empty() && pushed.sealed.is_empty());
                }
                let pushed = c.push(km.clone());
                events.extend(pushed.events);
                sealed.extend(pushed.sealed);
            }
            (c.watermark(), events, sealed, c.open_battles())
        };
        prop_assert_eq!(feed(true), feed(false));
    }
}

#[test]
fn without_a_trusted_time_a_far_future_kill_would_evict_everything() {
    // The failure the trusted time prevents, shown on the same clusterer.
    let mut c = Clusterer::new(ClusterConfig::default()).unwrap();
    let a = |n| pilot(n, 98_000_001, Some(99_000_001));
    c.push(kill(1, JITA, 0, a(10), &[a(1)], None));
    c.push(kill(2, JITA, 60, a(11), &[a(1)], None));
    assert_eq!(c.open_battle_count(), 1);
    c.set_trusted_time(t0() + TimeDelta::seconds(120));
    let far = kill(3, TAMA, 86_400, a(20), &[a(21)], None);
    assert!(matches!(
        c.push(far.clone()).outcome,
        PushOutcome::FutureDated { .. }
    ));
    assert_eq!(c.open_battle_count(), 1, "refused: nothing evicted");
    let mut trusting = Clusterer::new(ClusterConfig::default()).unwrap();
    trusting.push(kill(1, JITA, 0, a(10), &[a(1)], None));
    trusting.push(kill(2, JITA, 60, a(11), &[a(1)], None));
    let pushed = trusting.push(far);
    assert_eq!(
        pushed.sealed.len(),
        1,
        "no trusted time: the open battle is evicted"
    );
    assert_eq!(c.counts().future_dated, 1);
}

#[test]
fn a_redelivered_copy_of_a_sealed_kill_is_a_duplicate() {
    let config = ClusterConfig::default().with_allowed_lateness(Duration::from_secs(3600));
    let mut c = Clusterer::new(config).unwrap();
    let a = |n| pilot(n, 98_000_001, Some(99_000_001));
    let first = kill(1, JITA, 0, a(10), &[a(1)], None);
    c.push(first.clone());
    c.push(kill(2, JITA, 60, a(11), &[a(1)], None));
    let pushed = c.push(kill(3, TAMA, 4 * 3600, a(20), &[a(21)], None));
    assert_eq!(pushed.sealed.len(), 1, "the Jita battle is sealed");
    assert!(pushed
        .events
        .iter()
        .any(|e| matches!(e, BattleChange::Sealed(s) if s.battle_id == pushed.sealed[0].id)));
    assert_eq!(c.push(first.clone()).outcome, PushOutcome::Duplicate);
    // A different copy of it is not a duplicate: it needs a re-cluster.
    let mut other = first;
    other.attackers.push(other.attackers[0].clone());
    other.attackers[1].character_id = Some(99);
    other.attackers[1].final_blow = false;
    assert!(matches!(
        c.push(other).outcome,
        PushOutcome::LateBeyondHorizon { .. }
    ));
    assert_eq!(c.counts().duplicates, 1);
    assert_eq!(c.counts().late_beyond_horizon, 1);
}

#[test]
fn a_better_copy_replaces_the_kept_one_and_updates_its_battle() {
    let mut c = Clusterer::new(ClusterConfig::default()).unwrap();
    let a = |n| pilot(n, 98_000_001, Some(99_000_001));
    let b = |n| pilot(n, 98_000_002, Some(99_000_002));
    c.push(kill(1, JITA, 0, b(10), &[a(1)], None));
    c.push(kill(2, JITA, 60, b(11), &[a(1)], None));
    // Kill 3 shares no pilot: alone.
    c.push(kill(3, JITA, 120, b(12), &[a(2)], None));
    assert_eq!(c.battles()[0].killmail_ids, vec![1, 2]);
    // A fuller copy of kill 3 names pilot 1 too: it joins the battle.
    let better = kill(3, JITA, 120, b(12), &[a(2), a(1)], None);
    let pushed = c.push(better);
    assert_eq!(pushed.outcome, PushOutcome::Replaced);
    let [BattleChange::Updated(u)] = &pushed.events[..] else {
        panic!("{:?}", pushed.events)
    };
    assert_eq!(u.added_killmail_ids, vec![3]);
    assert_eq!(c.battles()[0].killmail_ids, vec![1, 2, 3]);
    // The poorer copy again changes nothing.
    let pushed = c.push(kill(3, JITA, 120, b(12), &[a(2)], None));
    assert_eq!(pushed.outcome, PushOutcome::Duplicate);
}

/// A feed of `days` days at a steady rate: 40 systems, fights of six kills
/// every few minutes.
fn steady_feed(days: i64) -> impl Iterator<Item = Killmail> {
    (0..days * 24 * 20).map(|i| {
        let system = 30_000_001 + (i % 40) as u32;
        let fight = i as u64 / 6;
        let p = |n: u64| pilot(n, 98_000_001 + n % 3, Some(99_000_001 + n % 2));
        kill(
            i as u64 + 1,
            system,
            i * 180,
            p(fight * 10 + (i as u64 % 6)),
            &[p(fight * 10 + 7), p(fight * 10 + 8)],
            Some(1e6),
        )
    })
}

#[test]
fn state_and_snapshots_stay_bounded_over_a_month_of_feed() {
    let config = ClusterConfig::default().with_allowed_lateness(Duration::from_secs(3600));
    let mut c = Clusterer::new(config).unwrap();
    let mut sizes = Vec::new();
    for (i, km) in steady_feed(30).enumerate() {
        c.push(km);
        if (i + 1) % (24 * 20) == 0 {
            let bytes = serde_json::to_vec(&c.snapshot()).unwrap().len();
            sizes.push((c.sealed_state_size(), c.live_killmails(), bytes));
        }
    }
    let day2 = sizes[1];
    for (day, s) in sizes.iter().enumerate().skip(2) {
        assert!(
            s.0 .0 <= day2.0 .0 + 40,
            "day {day}: spans {s:?} vs {day2:?}"
        );
        assert!(
            s.0 .1 <= day2.0 .1 + 60,
            "day {day}: sealed ids {s:?} vs {day2:?}"
        );
        assert!(
            s.2 <= day2.2 * 2,
            "day {day}: snapshot bytes {s:?} vs {day2:?}"
        );
    }
}
