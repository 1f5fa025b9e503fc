//! Sides and statistics on hand-built fights whose right answer is obvious.

mod common;

use battlescope_core::battle::assign_sides;
use battlescope_core::cluster::{cluster, ClusterConfig};
use battlescope_core::universe::ShipClass;
use battlescope_core::Killmail;
use common::*;

const RED: u64 = 99_000_001;
const BLUE: u64 = 99_000_002;
const GREEN: u64 = 99_000_003;

fn red(n: u64) -> Pilot {
    pilot(n, 98_000_001 + n % 2, Some(RED))
}
fn blue(n: u64) -> Pilot {
    pilot(100 + n, 98_000_011 + n % 2, Some(BLUE))
}
fn green(n: u64) -> Pilot {
    pilot(200 + n, 98_000_021, Some(GREEN))
}

fn sides_of(kms: &[Killmail]) -> Vec<Vec<u64>> {
    let refs: Vec<&Killmail> = kms.iter().collect();
    assign_sides(&refs)
        .into_iter()
        .map(|s| s.alliances)
        .collect()
}

fn two_fleets() -> Vec<Killmail> {
    let mut kms = Vec::new();
    for i in 0..6 {
        kms.push(kill(
            i + 1,
            JITA,
            i as i64 * 30,
            blue(i),
            &[red(1), red(2), red(3)],
            Some(1e8),
        ));
    }
    for i in 0..3 {
        kms.push(kill(
            10 + i,
            JITA,
            200 + i as i64 * 30,
            red(i + 1),
            &[blue(7), blue(8)],
            Some(3e8),
        ));
    }
    kms
}

#[test]
fn two_fleets_make_two_sides_with_their_figures() {
    let kms = two_fleets();
    assert_eq!(
        sides_of(&kms),
        vec![vec![BLUE], vec![RED]],
        "blue has more pilots (8 vs 3)"
    );
    let refs: Vec<&Killmail> = kms.iter().collect();
    let sides = assign_sides(&refs);
    let (blue_side, red_side) = (&sides[0], &sides[1]);
    assert_eq!((red_side.kills, red_side.losses), (6, 3));
    assert_eq!((blue_side.kills, blue_side.losses), (3, 6));
    assert!((red_side.isk_killed - 6e8).abs() < 1.0);
    assert!((red_side.isk_lost - 9e8).abs() < 1.0);
    assert!((red_side.efficiency.unwrap() - 0.4).abs() < 1e-9);
    assert_eq!(red_side.pilots, vec![1, 2, 3]);
    assert_eq!(red_side.corporations, vec![98_000_001, 98_000_002]);
    // Red pilots flew Drakes and lost Rifters: 3 battlecruisers + 3 frigates.
    assert_eq!(red_side.ships.get(&ShipClass::Battlecruiser), Some(&3));
    assert_eq!(red_side.ships.get(&ShipClass::Frigate), Some(&3));
}

#[test]
fn a_third_party_shooting_both_stays_apart() {
    let mut kms = two_fleets();
    kms.push(kill(
        20,
        JITA,
        100,
        red(4),
        &[green(1), green(2)],
        Some(1e7),
    ));
    kms.push(kill(21, JITA, 110, blue(9), &[green(1)], Some(1e7)));
    kms.push(kill(22, JITA, 120, green(3), &[red(1), blue(7)], Some(1e7)));
    let sides = sides_of(&kms);
    assert_eq!(sides.len(), 3, "{sides:?}");
    assert!(sides.contains(&vec![GREEN]));
    assert!(sides.contains(&vec![RED]) && sides.contains(&vec![BLUE]));
}

#[test]
fn awox_inside_an_alliance_does_not_split_it() {
    let mut kms = two_fleets();
    // Red pilot 1 shoots red pilot 2, twice.
    kms.push(kill(30, JITA, 300, red(2), &[red(1)], Some(1e6)));
    kms.push(kill(31, JITA, 310, red(3), &[red(1)], Some(1e6)));
    let refs: Vec<&Killmail> = kms.iter().collect();
    let sides = assign_sides(&refs);
    assert_eq!(sides.len(), 2);
    let red_side = sides.iter().find(|s| s.alliances == vec![RED]).unwrap();
    assert_eq!(red_side.losses, 5, "awox losses are red's losses");
    assert_eq!(red_side.kills, 6, "but nobody gets credit for them");
}

#[test]
fn a_gate_camp_with_one_victim_alliance() {
    let mut kms = Vec::new();
    for i in 0..5 {
        kms.push(kill(
            i + 1,
            TAMA,
            i as i64 * 120,
            blue(i),
            &[red(1), red(2), green(1)],
            Some(2e7),
        ));
    }
    let sides = sides_of(&kms);
    assert_eq!(
        sides,
        vec![vec![BLUE], vec![RED, GREEN]],
        "campers of two alliances fly together"
    );
    let refs: Vec<&Killmail> = kms.iter().collect();
    let s = assign_sides(&refs);
    assert_eq!(
        (s[1].kills, s[1].losses, s[0].kills, s[0].losses),
        (5, 0, 0, 5)
    );
    assert_eq!(s[1].efficiency, Some(1.0));
}

#[test]
fn an_alliance_on_both_sides_goes_where_most_evidence_points() {
    let mut kms = two_fleets();
    // Green helps red three times, and blue once.
    for i in 0..3 {
        kms.push(kill(
            40 + i,
            JITA,
            400 + i as i64,
            blue(20 + i),
            &[red(1), green(1)],
            None,
        ));
    }
    kms.push(kill(50, JITA, 500, red(9), &[blue(7), green(2)], None));
    let sides = sides_of(&kms);
    assert_eq!(sides.len(), 2, "{sides:?}");
    assert!(sides.contains(&vec![RED, GREEN]), "{sides:?}");
}

#[test]
fn npcs_and_factions_never_form_a_side() {
    let kms = vec![
        npc_kill(1, JITA, 0, blue(1)),
        npc_kill(2, JITA, 10, blue(1)),
    ];
    let sides = sides_of(&kms);
    assert_eq!(sides, vec![vec![BLUE]], "only the victims' alliance");
    let refs: Vec<&Killmail> = kms.iter().collect();
    assert_eq!(assign_sides(&refs)[0].kills, 0);
}

#[test]
fn statistics_count_values_pilots_classes_and_minutes() {
    let mut kms = two_fleets();
    kms.push(kill(60, JITA, 400, blue(30), &[red(1)], None)); // no value
    let battles = cluster(&kms, &ClusterConfig::default()).unwrap();
    assert_eq!(battles.len(), 1);
    let b = &battles[0];
    let s = &b.stats;
    assert_eq!(s.kill_count, 10);
    assert!((s.isk_destroyed - (6e8 + 9e8)).abs() < 1.0);
    assert_eq!(s.kills_without_value, 1);
    assert_eq!(s.unique_pilots, 3 + 6 + 2 + 1); // red 1-3, blue 0-5, 7-8, 30
    assert_eq!(s.ships_lost.get(&ShipClass::Frigate), Some(&10));
    assert_eq!(s.kills_per_minute.len(), 7); // minutes 0..=6 (400 s)
    assert_eq!(s.kills_per_minute.iter().sum::<u32>(), 10);
    assert_eq!(s.kills_per_minute[0], 2); // kills at 0 s and 30 s
    assert_eq!(b.system_name.as_deref(), Some("Jita"));
    assert_eq!(b.region_name.as_deref(), Some("The Forge"));
    assert_eq!(
        b.security_class,
        Some(battlescope_core::universe::SecurityClass::HighSec)
    );
    assert_eq!(
        b.zkillboard_url,
        "https://zkillboard.com/related/30000142/202406011800/"
    );
    assert_eq!(b.duration_seconds, 400);
}
