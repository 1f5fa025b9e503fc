//! The incremental clusterer agrees with batch clustering, for every arrival
//! order, and its events replay to the same battles.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use battlescope_core::cluster::{
    battle_id, cluster, BattleChange, ClusterConfig, Clusterer, CorrelateBy, PushOutcome,
    UpdateReason,
};
use battlescope_core::Killmail;
use common::*;
use proptest::prelude::*;

fn run_stream(stream: &[Killmail], config: &ClusterConfig) -> (Clusterer, Vec<BattleChange>) {
    let mut c = Clusterer::new(config.clone()).unwrap();
    let mut events = Vec::new();
    for km in stream {
        let pushed = c.push(km.clone());
        assert_ne!(
            pushed.outcome,
            PushOutcome::LateBeyondHorizon { battles: vec![] },
            "no eviction with a long allowed lateness"
        );
        events.extend(pushed.events);
    }
    (c, events)
}

fn a(n: u64) -> Pilot {
    pilot(n, 98_000_001, Some(99_000_001))
}
fn b(n: u64) -> Pilot {
    pilot(n, 98_000_002, Some(99_000_002))
}

#[test]
fn events_tell_the_story_of_a_merge() {
    let cfg = ClusterConfig::default();
    let mut c = Clusterer::new(cfg).unwrap();
    // Two separate fights in Jita…
    assert!(c
        .push(kill(1, JITA, 0, b(10), &[a(1)], None))
        .events
        .is_empty());
    let e = c.push(kill(2, JITA, 60, b(11), &[a(1)], None)).events;
    assert_eq!(e.len(), 1);
    let BattleChange::Created(created) = &e[0] else {
        panic!("{e:?}")
    };
    assert_eq!(created.battle_id, battle_id(JITA, 1));
    assert_eq!(created.killmail_ids, vec![1, 2]);
    c.push(kill(
        3,
        JITA,
        30,
        pilot(20, 5, None),
        &[pilot(30, 6, None)],
        None,
    ));
    let e = c
        .push(kill(
            4,
            JITA,
            90,
            pilot(21, 5, None),
            &[pilot(30, 6, None)],
            None,
        ))
        .events;
    assert!(matches!(&e[0], BattleChange::Created(c) if c.battle_id == battle_id(JITA, 3)));
    // …an appended kill…
    let e = c.push(kill(5, JITA, 120, b(12), &[a(1)], None)).events;
    assert!(
        matches!(&e[..], [BattleChange::Updated(u)] if u.reason == UpdateReason::Appended && u.added_killmail_ids == vec![5])
    );
    // …an out-of-order one…
    let e = c.push(kill(6, JITA, 10, b(13), &[a(1)], None)).events;
    assert!(
        matches!(&e[..], [BattleChange::Updated(u)] if u.reason == UpdateReason::OutOfOrder && u.added_killmail_ids == vec![6])
    );
    // …then a kill that links both: the earliest battle survives.
    let e = c
        .push(kill(7, JITA, 100, pilot(20, 5, None), &[a(1)], None))
        .events;
    assert_eq!(e.len(), 2, "{e:?}");
    let BattleChange::Updated(u) = &e[0] else {
        panic!("{e:?}")
    };
    assert_eq!(u.battle_id, battle_id(JITA, 1));
    assert_eq!(u.reason, UpdateReason::Merge);
    assert_eq!(u.added_killmail_ids, vec![3, 4, 7]);
    assert_eq!(u.absorbed, vec![battle_id(JITA, 3)]);
    let BattleChange::Deleted(d) = &e[1] else {
        panic!("{e:?}")
    };
    assert_eq!(
        (d.battle_id, d.merged_into),
        (battle_id(JITA, 3), Some(battle_id(JITA, 1)))
    );
    // Duplicates change nothing.
    let dup = c.push(kill(7, JITA, 100, pilot(20, 5, None), &[a(1)], None));
    assert_eq!(dup.outcome, PushOutcome::Duplicate);
    assert!(dup.events.is_empty());
}

#[test]
fn a_battle_is_renamed_when_an_earlier_kill_joins_like_batch_names_it() {
    let mut c = Clusterer::new(ClusterConfig::default()).unwrap();
    c.push(kill(10, JITA, 600, b(10), &[a(1)], None));
    c.push(kill(11, JITA, 660, b(11), &[a(1)], None));
    let e = c.push(kill(5, JITA, 300, b(12), &[a(1)], None)).events;
    let [BattleChange::Updated(u)] = &e[..] else {
        panic!("{e:?}")
    };
    assert_eq!(u.battle_id, battle_id(JITA, 5));
    assert_eq!(u.previous_id, Some(battle_id(JITA, 10)));
    assert_eq!(u.added_killmail_ids, vec![5]);
    assert_eq!(u.start_time, t0() + chrono::TimeDelta::seconds(300));
    let battles = c.battles();
    assert_eq!(battles[0].id, battle_id(JITA, 5));
    assert_eq!(battles[0].killmail_ids, vec![5, 10, 11]);
    assert!(
        c.battle(battle_id(JITA, 10)).is_none(),
        "the old name is gone"
    );
    assert_eq!(c.battle_of(10), Some(battle_id(JITA, 5)));
    // Batch names it the same way.
    let batch = cluster(
        &[
            kill(10, JITA, 600, b(10), &[a(1)], None),
            kill(11, JITA, 660, b(11), &[a(1)], None),
            kill(5, JITA, 300, b(12), &[a(1)], None),
        ],
        &ClusterConfig::default(),
    )
    .unwrap();
    assert_eq!(batch, battles);
}

#[test]
fn a_better_copy_that_moves_no_member_still_announces_the_new_document() {
    // Kills 1 and 2 form a battle; a copy of kill 2 with zKillboard data
    // (preferred) changes its value but no membership: the battle's
    // document changed, so an update says so.
    let mut c = Clusterer::new(ClusterConfig::default()).unwrap();
    let mut plain = kill(2, JITA, 60, b(11), &[a(1)], Some(1.0e6));
    c.push(kill(1, JITA, 0, b(10), &[a(1)], Some(1.0e6)));
    let with_value = plain.clone();
    plain.zkb = None;
    c.push(plain);
    let id = c.battle_of(1).expect("a battle");
    let pushed = c.push(with_value);
    assert_eq!(pushed.outcome, PushOutcome::Replaced);
    let update = pushed
        .events
        .iter()
        .find_map(|e| match e {
            BattleChange::Updated(u) if u.battle_id == id => Some(u),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{:?}", pushed.events));
    assert_eq!(update.reason, UpdateReason::Replaced);
    assert!(update.added_killmail_ids.is_empty() && update.removed_killmail_ids.is_empty());
    assert_eq!(c.battle(id).unwrap().stats.isk_destroyed, 2.0e6);
}

#[test]
fn a_merge_that_does_not_hold_the_pushed_kill_says_merge() {
    // Two components that interleave in time: A (kills 1, 2 at 0 and 100
    // s, kill 4 at 1400) and B (kills 3 and 5 at 400 and 1500, pending).
    // Kill 9 at 1450 links both, so A's first battle and B's lone kill 3
    // merge too, although that group does not hold kill 9.
    let mut c = Clusterer::new(ClusterConfig::default()).unwrap();
    let (b1, b2) = (pilot(60, 7, None), pilot(61, 8, None));
    c.push(kill(1, JITA, 0, b(10), &[a(1)], None));
    c.push(kill(2, JITA, 100, b(11), &[a(1)], None));
    c.push(kill(3, JITA, 400, b1, &[b2], None));
    c.push(kill(4, JITA, 1400, b(12), &[a(1)], None));
    c.push(kill(5, JITA, 1500, pilot(62, 7, None), &[b2], None));
    let e = c.push(kill(9, JITA, 1450, b2, &[a(1)], None)).events;
    let early = e
        .iter()
        .find_map(|e| match e {
            BattleChange::Updated(u) if u.added_killmail_ids.contains(&3) => Some(u),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{e:?}"));
    assert!(!early.added_killmail_ids.contains(&9), "{early:?}");
    assert_eq!(early.reason, UpdateReason::Merge, "{e:?}");
}

#[test]
fn old_battles_are_sealed_and_late_kills_beyond_the_horizon_are_flagged() {
    let cfg = ClusterConfig::default().with_allowed_lateness(Duration::from_secs(3600));
    let mut c = Clusterer::new(cfg.clone()).unwrap();
    c.push(kill(1, JITA, 0, b(10), &[a(1)], None));
    c.push(kill(2, JITA, 60, b(11), &[a(1)], None));
    c.push(kill(
        3,
        JITA,
        100,
        pilot(50, 7, None),
        &[pilot(51, 8, None)],
        None,
    ));
    assert_eq!(c.live_killmails(), 3);
    // Two hours later: the first fight is beyond lateness + reach.
    let pushed = c.push(kill(4, TAMA, 2 * 3600 + 200, b(20), &[a(2)], None));
    assert_eq!(pushed.outcome, PushOutcome::Added);
    assert_eq!(pushed.sealed.len(), 1);
    assert_eq!(pushed.sealed[0].id, battle_id(JITA, 1));
    assert_eq!(pushed.sealed[0].killmail_ids, vec![1, 2]);
    assert_eq!(c.live_killmails(), 1);
    assert!(c.battles().is_empty());
    // A straggler of the sealed fight is not lost: it is flagged.
    let late = c.push(kill(5, JITA, 120, b(12), &[a(1)], None));
    assert_eq!(
        late.outcome,
        PushOutcome::LateBeyondHorizon {
            battles: vec![battle_id(JITA, 1)]
        }
    );
    // So is a kill near the sealed lonely kill 3 (a pending group).
    let late = c.push(kill(
        6,
        JITA,
        200,
        pilot(52, 9, None),
        &[pilot(51, 8, None)],
        None,
    ));
    assert!(matches!(
        late.outcome,
        PushOutcome::LateBeyondHorizon { .. }
    ));
    // A late kill far from anything sealed is clustered as usual.
    let far = c.push(kill(7, JITA, 9000, b(13), &[a(3)], None));
    assert_eq!(far.outcome, PushOutcome::Added);
    // The sealed spans survive a snapshot.
    let restored = Clusterer::restore(c.snapshot()).unwrap();
    let mut restored = restored;
    let late = restored.push(kill(8, JITA, 130, b(14), &[a(1)], None));
    assert!(matches!(
        late.outcome,
        PushOutcome::LateBeyondHorizon { .. }
    ));
}

#[test]
fn snapshots_survive_serialisation_and_reject_other_versions() {
    let mut c = Clusterer::new(ClusterConfig::default()).unwrap();
    for (i, secs) in [0_i64, 60, 120, 5000, 5060].iter().enumerate() {
        c.push(kill(
            i as u64 + 1,
            JITA,
            *secs,
            b(10 + i as u64),
            &[a(1)],
            Some(1.0),
        ));
    }
    let json = serde_json::to_vec(&c.snapshot()).unwrap();
    let back: battlescope_core::cluster::ClustererSnapshot = serde_json::from_slice(&json).unwrap();
    let restored = Clusterer::restore(back.clone()).unwrap();
    assert_eq!(restored.battles(), c.battles());
    assert_eq!(restored.snapshot(), c.snapshot());
    let mut wrong = back;
    wrong.version = 99;
    let err = Clusterer::restore(wrong).unwrap_err().to_string();
    assert!(err.contains("version 99"), "{err}");
}

// ---- property tests -------------------------------------------------------

/// A compact description of a kill, shrinkable by proptest.
#[derive(Debug, Clone)]
struct K {
    system: usize,
    secs: i64,
    victim: u64,
    attackers: Vec<u64>,
}

/// Kills in 3 systems over ~6 h with pilots drawn from a small pool per
/// system, so links, gaps near the 15-minute edge, same-second kills and
/// merges are all common.
fn kills_strategy(n: std::ops::Range<usize>) -> impl Strategy<Value = Vec<K>> {
    let edge = prop_oneof![
        (0_i64..24).prop_map(|k| k * 900),
        (0_i64..24).prop_map(|k| k * 900 + 1),
        (0_i64..24).prop_map(|k| k * 900 - 1),
        0_i64..21_600,
    ];
    prop::collection::vec(
        (
            0_usize..3,
            edge,
            0_u64..25,
            prop::collection::vec(0_u64..25, 1..4),
        ),
        n,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(system, secs, victim, attackers)| K {
                system,
                secs: secs.max(0),
                victim,
                attackers,
            })
            .collect()
    })
}

fn materialise(ks: &[K]) -> Vec<Killmail> {
    let systems = [JITA, TAMA, 31_000_005];
    ks.iter()
        .enumerate()
        .map(|(i, k)| {
            let base = k.system as u64 * 1000;
            // Alliance by pilot parity: two sides per system, some awox.
            let p = |n: u64| pilot(base + n, 98_000_000 + n % 4, Some(99_000_000 + n % 2));
            let attackers: Vec<Pilot> = k.attackers.iter().map(|&n| p(n)).collect();
            let value = (i % 7 != 0).then_some(1e6 * (i as f64 + 1.0));
            if i % 23 == 0 {
                npc_kill(i as u64 + 1, systems[k.system], k.secs, p(k.victim))
            } else {
                kill(
                    i as u64 + 1,
                    systems[k.system],
                    k.secs,
                    p(k.victim),
                    &attackers,
                    value,
                )
            }
        })
        .collect()
}

/// Arrival order: a permutation, with some kills sent twice.
fn arrival(kms: &[Killmail], order: &[usize], dups: &[usize]) -> Vec<Killmail> {
    let mut out: Vec<Killmail> = order.iter().map(|&i| kms[i].clone()).collect();
    for (j, &d) in dups.iter().enumerate() {
        let at = (d * 7 + j) % (out.len() + 1);
        out.insert(at, kms[d % kms.len()].clone());
    }
    out
}

fn configs() -> impl Strategy<Value = ClusterConfig> {
    let long = Duration::from_secs(10 * 365 * 86_400);
    prop_oneof![
        4 => Just(ClusterConfig::default().with_allowed_lateness(long)),
        1 => Just(ClusterConfig::default()
            .with_allowed_lateness(long)
            .with_min_shared(0)),
        1 => Just(ClusterConfig::default()
            .with_allowed_lateness(long)
            .with_min_shared(2)),
        1 => Just(ClusterConfig::default()
            .with_allowed_lateness(long)
            .with_correlate_by(CorrelateBy::Corporation)
            .with_min_kills(1)),
        1 => Just(ClusterConfig::default()
            .with_allowed_lateness(long)
            .with_max_gap(Duration::from_secs(2400))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: case_count(), ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_batch_for_every_arrival_order(
        (ks, order, dups) in kills_strategy(200..320).prop_flat_map(|ks| {
            let n = ks.len();
            (Just(ks), Just((0..n).collect::<Vec<_>>()).prop_shuffle(), prop::collection::vec(0..n, 0..30))
        }),
        config in configs(),
    ) {
        let kms = materialise(&ks);
        let stream = arrival(&kms, &order, &dups);
        let batch = cluster(&kms, &config).unwrap();
        let (clusterer, events) = run_stream(&stream, &config);
        let incremental = clusterer.battles();

        // Same battles: ids, memberships, statistics and sides.
        prop_assert_eq!(&incremental, &batch);
        // Each open battle is found by its id, and only open ones count.
        prop_assert_eq!(clusterer.open_battle_count(), incremental.len());
        for b in &incremental {
            prop_assert_eq!(clusterer.battle(b.id), Some(b.clone()));
        }
        for km in &kms {
            prop_assert_eq!(clusterer.killmail(km.killmail_id), Some(km));
        }

        // The events replay to exactly the clusterer's battles, ids included.
        let mut replayed = BTreeMap::new();
        apply(&events, &mut replayed);
        for members in replayed.values_mut() {
            members.sort_unstable();
        }
        prop_assert_eq!(&replayed, &memberships(&incremental));

        // Batch is invariant under permutation, ids included.
        let permuted: Vec<Killmail> = order.iter().map(|&i| kms[i].clone()).collect();
        prop_assert_eq!(&cluster(&permuted, &config).unwrap(), &batch);

        // The same stream always yields the same ids and events.
        let (again, events_again) = run_stream(&stream, &config);
        prop_assert_eq!(memberships(&again.battles()), memberships(&incremental));
        prop_assert_eq!(events_again, events);
    }

    #[test]
    fn snapshot_and_restore_midway_changes_nothing(
        ks in kills_strategy(50..150),
        cut in 0.0_f64..1.0,
    ) {
        let config = ClusterConfig::default();
        let kms = materialise(&ks);
        let at = (kms.len() as f64 * cut) as usize;
        let (whole, whole_events) = run_stream(&kms, &config);
        let (first, mut events) = run_stream(&kms[..at], &config);
        let bytes = serde_json::to_vec(&first.snapshot()).unwrap();
        let mut resumed = Clusterer::restore(serde_json::from_slice(&bytes).unwrap()).unwrap();
        for km in &kms[at..] {
            events.extend(resumed.push(km.clone()).events);
        }
        prop_assert_eq!(resumed.battles(), whole.battles());
        prop_assert_eq!(events, whole_events);
    }
}

// ---- realistic fights (battlescope-synth) ----------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: case_count(), ..ProptestConfig::default() })]

    /// Fleet fights, overlapping gangs in busy systems, third parties, awox,
    /// NPC kills, pods, same-second kills and lulls at the 15-minute edge,
    /// arriving in any order with duplicates.
    #[test]
    fn realistic_fights_in_any_arrival_order(seed in any::<u64>(), order_seed in any::<u64>()) {
        let config = ClusterConfig::default()
            .with_allowed_lateness(Duration::from_secs(10 * 365 * 86_400));
        let kms = battlescope_synth::generate(&battlescope_synth::ScenarioConfig::small(), seed);
        let stream = battlescope_synth::arrival_order(&kms, 0.1, order_seed);
        prop_assert!(stream.len() > kms.len(), "the stream repeats some kills");
        let batch = cluster(&kms, &config).unwrap();
        let (clusterer, events) = run_stream(&stream, &config);
        let incremental = clusterer.battles();
        prop_assert_eq!(&incremental, &batch);
        let mut replayed = BTreeMap::new();
        apply(&events, &mut replayed);
        for members in replayed.values_mut() {
            members.sort_unstable();
        }
        prop_assert_eq!(replayed, memberships(&incremental));
    }

    /// A live feed: kills late by up to 20 minutes, duplicates, and a one-hour
    /// allowed lateness, so battles are sealed and evicted along the way.
    /// Sealed plus open battles are exactly the batch battles.
    #[test]
    fn a_live_feed_with_sealing_equals_batch(seed in any::<u64>()) {
        let config = ClusterConfig::default().with_allowed_lateness(Duration::from_secs(3600));
        let scenario = battlescope_synth::ScenarioConfig {
            kills: 900,
            ..battlescope_synth::ScenarioConfig::small()
        };
        let kms = battlescope_synth::generate(&scenario, seed);
        let stream = battlescope_synth::arrival_with_delay(&kms, 0.05, 1200, seed ^ 1);
        let mut c = Clusterer::new(config.clone()).unwrap();
        let mut sealed = Vec::new();
        for km in stream {
            let pushed = c.push(km);
            prop_assert!(
                !matches!(pushed.outcome, PushOutcome::LateBeyondHorizon { .. }),
                "a kill within the allowed lateness is never beyond the horizon"
            );
            sealed.extend(pushed.sealed);
        }
        prop_assert!(!sealed.is_empty(), "the scenario spans long enough to seal battles");
        for b in &sealed {
            prop_assert!(c.battle(b.id).is_none(), "sealed battles are gone from memory");
        }
        prop_assert_eq!(c.open_battle_count(), c.battles().len());
        let live = c.live_killmails();
        prop_assert!(live < kms.len(), "evicted kills leave memory");
        sealed.extend(c.battles());
        sealed.sort_by_key(|b| (b.start_time, b.killmail_ids[0]));
        prop_assert_eq!(sealed, cluster(&kms, &config).unwrap());
    }
}
