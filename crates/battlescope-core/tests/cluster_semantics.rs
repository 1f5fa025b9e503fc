//! The clustering rules of DESIGN.md on hand-built cases with obvious answers.

mod common;

use std::time::Duration;

use battlescope_core::cluster::{battle_id, cluster, partition, ClusterConfig, CorrelateBy};
use battlescope_core::Killmail;
use common::*;

fn ids(kms: &[Killmail], config: &ClusterConfig) -> Vec<Vec<u64>> {
    partition(kms, config)
        .unwrap()
        .into_iter()
        .map(|g| g.kills.iter().map(|&i| kms[i].killmail_id).collect())
        .collect()
}

fn a(n: u64) -> Pilot {
    pilot(n, 98_000_001, Some(99_000_001))
}
fn b(n: u64) -> Pilot {
    pilot(n, 98_000_002, Some(99_000_002))
}

#[test]
fn a_four_hour_fight_with_fourteen_minute_lulls_is_one_battle() {
    let cfg = ClusterConfig::default();
    let kms: Vec<Killmail> = (0..17)
        .map(|i| {
            kill(
                i + 1,
                JITA,
                i as i64 * 14 * 60,
                b(100 + i),
                &[a(1)],
                Some(1e6),
            )
        })
        .collect();
    let battles = ids(&kms, &cfg);
    assert_eq!(battles, vec![(1..=17).collect::<Vec<u64>>()]);
    let docs = cluster(&kms, &cfg).unwrap();
    assert_eq!(docs[0].duration_seconds, 16 * 14 * 60);
}

#[test]
fn a_silence_longer_than_max_gap_splits_and_exactly_max_gap_does_not() {
    let cfg = ClusterConfig::default();
    let kms = vec![
        kill(1, JITA, 0, b(10), &[a(1)], None),
        kill(2, JITA, 900, b(11), &[a(1)], None), // exactly 15 min: same battle
        kill(3, JITA, 900 + 901, b(12), &[a(1)], None), // 15m01s: new battle
        kill(4, JITA, 900 + 901 + 60, b(13), &[a(1)], None),
    ];
    assert_eq!(ids(&kms, &cfg), vec![vec![1, 2], vec![3, 4]]);
}

#[test]
fn gangs_with_no_shared_pilots_stay_apart_until_a_kill_links_them() {
    let cfg = ClusterConfig::default();
    let mut kms = vec![
        kill(1, TAMA, 0, b(10), &[a(1)], None),
        kill(2, TAMA, 60, b(11), &[a(1)], None),
        kill(3, TAMA, 30, pilot(20, 5, None), &[pilot(30, 6, None)], None),
        kill(4, TAMA, 90, pilot(21, 5, None), &[pilot(30, 6, None)], None),
    ];
    assert_eq!(ids(&kms, &cfg), vec![vec![1, 2], vec![3, 4]]);
    // Pilot 1 kills pilot 21's friend 20: the gangs are now one fight.
    kms.push(kill(5, TAMA, 100, pilot(20, 5, None), &[a(1)], None));
    assert_eq!(ids(&kms, &cfg), vec![vec![1, 3, 2, 4, 5]]);
}

#[test]
fn systems_never_mix() {
    let cfg = ClusterConfig::default();
    let kms = vec![
        kill(1, JITA, 0, b(10), &[a(1)], None),
        kill(2, TAMA, 10, b(11), &[a(1)], None),
    ];
    assert!(ids(&kms, &cfg).is_empty());
}

#[test]
fn window_is_a_correlation_distance_not_a_length_cap() {
    // Shared pilot only 40 minutes apart, but bridged through a chain.
    let cfg = ClusterConfig::default().with_max_gap(Duration::from_secs(3600));
    let kms = vec![
        kill(1, JITA, 0, b(10), &[a(1)], None),
        kill(2, JITA, 40 * 60, b(11), &[a(1)], None),
    ];
    assert!(
        ids(&kms, &cfg).is_empty(),
        "40 min > 30 min window: no link"
    );
    let mut bridged = kms.clone();
    bridged.push(kill(3, JITA, 20 * 60, b(10), &[b(11)], None));
    // 3 shares b(10) with 1 (20 min) and b(11) with 2 (20 min).
    assert_eq!(ids(&bridged, &cfg), vec![vec![1, 3, 2]]);
}

#[test]
fn min_kills_drops_lonely_kills_and_can_be_one() {
    let kms = vec![kill(1, JITA, 0, b(10), &[a(1)], None)];
    assert!(ids(&kms, &ClusterConfig::default()).is_empty());
    let one = ClusterConfig::default().with_min_kills(1);
    assert_eq!(ids(&kms, &one), vec![vec![1]]);
}

#[test]
fn min_shared_zero_links_on_place_and_time_alone() {
    let kms = vec![
        kill(1, JITA, 0, b(10), &[a(1)], None),
        kill(2, JITA, 60, pilot(20, 5, None), &[pilot(30, 6, None)], None),
    ];
    assert!(ids(&kms, &ClusterConfig::default()).is_empty());
    let zero = ClusterConfig::default().with_min_shared(0);
    assert_eq!(ids(&kms, &zero), vec![vec![1, 2]]);
}

#[test]
fn min_shared_two_needs_two_common_pilots() {
    let cfg = ClusterConfig::default().with_min_shared(2);
    let kms = vec![
        kill(1, JITA, 0, b(10), &[a(1), a(2)], None),
        kill(2, JITA, 60, b(11), &[a(1), a(3)], None),
    ];
    assert!(ids(&kms, &cfg).is_empty(), "only a(1) in common");
    let kms = vec![
        kill(1, JITA, 0, b(10), &[a(1), a(2)], None),
        kill(2, JITA, 60, b(11), &[a(1), a(2)], None),
    ];
    assert_eq!(ids(&kms, &cfg), vec![vec![1, 2]]);
}

#[test]
fn correlate_by_alliance_links_different_pilots_of_one_alliance() {
    let kms = vec![
        kill(1, JITA, 0, b(10), &[a(1)], None),
        kill(2, JITA, 60, b(11), &[a(2)], None),
    ];
    assert!(
        ids(&kms, &ClusterConfig::default()).is_empty(),
        "no pilot in common"
    );
    let cfg = ClusterConfig::default().with_correlate_by(CorrelateBy::Alliance);
    assert_eq!(ids(&kms, &cfg), vec![vec![1, 2]]);
}

#[test]
fn correlate_by_corporation_ignores_npc_corporations() {
    let cfg = ClusterConfig::default().with_correlate_by(CorrelateBy::Corporation);
    let kms = vec![
        kill(
            1,
            JITA,
            0,
            pilot(10, 1_000_001, None),
            &[pilot(1, 98_000_001, None)],
            None,
        ),
        kill(
            2,
            JITA,
            60,
            pilot(11, 1_000_001, None),
            &[pilot(2, 98_000_002, None)],
            None,
        ),
    ];
    assert!(
        ids(&kms, &cfg).is_empty(),
        "sharing an NPC corporation links nothing"
    );
    let kms = vec![
        kill(
            1,
            JITA,
            0,
            pilot(10, 1_000_001, None),
            &[pilot(1, 98_000_001, None)],
            None,
        ),
        kill(
            2,
            JITA,
            60,
            pilot(11, 1_000_001, None),
            &[pilot(2, 98_000_001, None)],
            None,
        ),
    ];
    assert_eq!(ids(&kms, &cfg), vec![vec![1, 2]]);
}

#[test]
fn duplicates_count_once_and_ids_name_the_earliest_kill() {
    let kms = vec![
        kill(7, JITA, 60, b(11), &[a(1)], Some(5.0)),
        kill(3, JITA, 0, b(10), &[a(1)], Some(10.0)),
        kill(7, JITA, 60, b(11), &[a(1)], Some(5.0)),
    ];
    let battles = cluster(&kms, &ClusterConfig::default()).unwrap();
    assert_eq!(battles.len(), 1);
    assert_eq!(battles[0].killmail_ids, vec![3, 7]);
    assert_eq!(battles[0].id, battle_id(JITA, 3));
    assert!((battles[0].stats.isk_destroyed - 15.0).abs() < 1e-9);
}

#[test]
fn invalid_config_is_an_error() {
    let cfg = ClusterConfig::default().with_min_kills(0);
    assert!(cluster(&[], &cfg).is_err());
}
