//! Sides and statistics on hand-built fights whose right answer is obvious.

mod common;

use battlescope_core::battle::{assign_sides, Battle};
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

// ---- NPC corporations and structures --------------------------------------

/// The Amarr starter corporation: thousands of unrelated new players.
const STARTER: u64 = 1_000_167;
/// CONCORD.
const CONCORD: u64 = 1_000_125;
const CATALYST: u32 = 16_240;

#[test]
fn a_highsec_gank_by_starter_corporation_pilots_has_a_winner() {
    // Three gankers and their victim, a hauler, all in one starter
    // corporation; CONCORD then kills the three Catalysts.
    let gankers = [
        pilot(2_119_000_001, STARTER, None),
        pilot(2_119_000_002, STARTER, None),
        pilot(2_119_000_003, STARTER, None),
    ];
    let hauler = pilot(2_119_500_000, STARTER, None);
    let mut kms = vec![kill(1, JITA, 0, hauler, &gankers, Some(2e9))];
    for (i, g) in gankers.iter().enumerate() {
        let mut km = npc_kill(10 + i as u64, JITA, 15 + i as i64, *g);
        km.attackers[0].corporation_id = Some(CONCORD);
        km.victim.ship_type_id = CATALYST;
        kms.push(km);
    }
    let refs: Vec<&Killmail> = kms.iter().collect();
    let sides = assign_sides(&refs);
    assert_eq!(sides.len(), 2, "gankers and hauler apart: {sides:?}");
    let gank = sides.iter().find(|s| s.pilots.len() == 3).unwrap();
    assert_eq!(
        (gank.kills, gank.losses),
        (1, 3),
        "the gank is the gankers' kill"
    );
    let victim = sides
        .iter()
        .find(|s| s.pilots == vec![hauler.character])
        .unwrap();
    assert_eq!((victim.kills, victim.losses), (0, 1));
    assert!((gank.isk_killed - 2e9).abs() < 1.0);
}

#[test]
fn starter_corporation_pilots_join_the_side_they_fly_with() {
    let mut kms = two_fleets();
    // A new player flies with red twice.
    let newbie = pilot(2_119_000_009, STARTER, None);
    kms.push(kill(70, JITA, 500, blue(40), &[red(1), newbie], None));
    kms.push(kill(71, JITA, 510, blue(41), &[newbie, red(2)], None));
    // Another new player of the same corporation flies with blue.
    let other = pilot(2_119_000_010, STARTER, None);
    kms.push(kill(72, JITA, 520, red(5), &[blue(7), other], None));
    let refs: Vec<&Killmail> = kms.iter().collect();
    let sides = assign_sides(&refs);
    let side_of = |c: u64| sides.iter().position(|s| s.pilots.contains(&c)).unwrap();
    assert_eq!(side_of(newbie.character), side_of(red(1).character));
    assert_eq!(side_of(other.character), side_of(blue(7).character));
    assert_ne!(side_of(newbie.character), side_of(other.character));
    assert!(sides.iter().all(|s| !s.corporations.is_empty()));
}

#[test]
fn a_structure_counts_for_its_corporation() {
    let mut kms = two_fleets();
    // Red's citadel (no character, red's corporation) joins two kills and
    // lands the final blow on one.
    for (i, victim) in [blue(50), blue(51)].into_iter().enumerate() {
        let mut km = kill(80 + i as u64, JITA, 600 + i as i64, victim, &[red(1)], None);
        let mut citadel = km.attackers[0].clone();
        citadel.character_id = None;
        citadel.corporation_id = Some(98_000_099);
        citadel.alliance_id = Some(RED);
        citadel.ship_type_id = Some(35_832);
        citadel.final_blow = i == 0;
        km.attackers[0].final_blow = i != 0;
        km.attackers.push(citadel);
        kms.push(km);
    }
    let refs: Vec<&Killmail> = kms.iter().collect();
    let sides = assign_sides(&refs);
    assert_eq!(sides.len(), 2);
    let red_side = sides.iter().find(|s| s.alliances == vec![RED]).unwrap();
    assert!(red_side.corporations.contains(&98_000_099));
    assert_eq!(
        red_side.kills, 8,
        "both kills are red's, one by the citadel"
    );
    assert_eq!(red_side.pilots, vec![1, 2, 3], "a structure is not a pilot");
    // A citadel of a corporation without alliance forms that corporation's side.
    let mut km = kill(90, JITA, 700, blue(52), &[red(1)], None);
    km.attackers[0].character_id = None;
    km.attackers[0].alliance_id = None;
    km.attackers[0].corporation_id = Some(98_000_777);
    let mut kms = [km.clone(), km];
    kms[1].killmail_id = 91;
    let refs: Vec<&Killmail> = kms.iter().collect();
    let sides = assign_sides(&refs);
    assert_eq!(sides.len(), 2);
    assert!(sides
        .iter()
        .any(|s| s.corporations == vec![98_000_777] && s.kills == 2));
}

#[test]
fn awox_and_friends_pods_do_not_split_a_coalition() {
    let mut kms = two_fleets();
    // Green flies with red, over and over.
    for i in 0..4 {
        kms.push(kill(
            100 + i,
            JITA,
            700 + i as i64,
            blue(60 + i),
            &[red(1), green(1)],
            None,
        ));
    }
    // A red pilot pods a green friend home (no ship lost first), twice.
    for i in 0..2 {
        let mut km = kill(110 + i, JITA, 800 + i as i64, green(5 + i), &[red(2)], None);
        km.victim.ship_type_id = CAPSULE;
        kms.push(km);
    }
    let sides = sides_of(&kms);
    assert_eq!(sides.len(), 2, "{sides:?}");
    assert!(sides.contains(&vec![RED, GREEN]), "{sides:?}");
}

#[test]
fn a_pod_after_its_ship_is_hostility_in_full() {
    // Green's ship dies to red, then its pod: both say red and green are
    // enemies, although green flew once with red.
    let mut kms = two_fleets();
    kms.push(kill(120, JITA, 700, blue(60), &[red(1), green(1)], None));
    kms.push(kill(121, JITA, 710, green(1), &[red(2)], None));
    let mut pod = kill(122, JITA, 712, green(1), &[red(2)], None);
    pod.victim.ship_type_id = CAPSULE;
    kms.push(pod);
    let sides = sides_of(&kms);
    assert!(sides.contains(&vec![GREEN]), "{sides:?}");
}

// ---- generated fights with known teams ------------------------------------

#[test]
fn generated_fights_agree_with_their_teams() {
    use battlescope_core::battle::rand_index;
    use battlescope_synth::{team_fight, TeamFightConfig};
    let configs = [
        TeamFightConfig::default(),
        TeamFightConfig {
            teams: 2,
            ..TeamFightConfig::default()
        },
    ];
    for config in &configs {
        let mut sum = 0.0;
        for seed in 1..=5 {
            let fight = team_fight(config, seed);
            let refs: Vec<&Killmail> = fight.kills.iter().collect();
            let r = rand_index(&fight.teams, &assign_sides(&refs));
            assert!(r >= 0.95, "seed {seed}: {r}");
            sum += r;
        }
        assert!(sum / 5.0 >= 0.98, "mean {}", sum / 5.0);
    }
}

#[test]
fn sides_depend_on_the_set_of_kills_not_their_order() {
    use battlescope_synth::{team_fight, TeamFightConfig};
    let fight = team_fight(&TeamFightConfig::default(), 9);
    let sorted: Vec<&Killmail> = fight.kills.iter().collect();
    let expected = assign_sides(&sorted);
    // Reversed, and interleaved from both ends.
    let reversed: Vec<&Killmail> = fight.kills.iter().rev().collect();
    let n = fight.kills.len();
    let interleaved: Vec<&Killmail> = (0..n)
        .map(|i| &fight.kills[if i % 2 == 0 { i / 2 } else { n - 1 - i / 2 }])
        .collect();
    for order in [reversed, interleaved] {
        let got = assign_sides(&order);
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            // ISK sums may differ in the last bits (float addition order).
            assert_eq!(
                (&g.alliances, &g.corporations, &g.pilots, &g.ships),
                (&e.alliances, &e.corporations, &e.pilots, &e.ships)
            );
            assert_eq!((g.kills, g.losses), (e.kills, e.losses));
        }
    }
}

// ---- real battles (extracts of the EVE Ref daily archives) -----------------
//
// `tests/fixtures/eve-ref/`, sources in `tests/fixtures/SOURCES.md`: every
// killmail of a few battles as `cluster()` forms them from the whole day.
// Read here with the test's own tar and bzip2, so these run without the
// `archive` feature (with it, `read_path` reads the same files).

mod real {
    use super::*;
    use battlescope_core::battle::{check_sides, Battle, SideChecks};
    use battlescope_core::input::{read_records, ReadOptions};
    use std::io::Read;
    use std::path::Path;

    /// The killmails of one extract, and the battles `cluster()` forms.
    fn read_extract(name: &str, count: usize) -> (Vec<Killmail>, Vec<Battle>) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/eve-ref")
            .join(name);
        let file = std::fs::File::open(&path).unwrap();
        let mut archive = tar::Archive::new(bzip2::read::BzDecoder::new(file));
        let mut records = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            records.push(bytes);
        }
        let read = read_records(&records, Some(name), &ReadOptions::default()).unwrap();
        assert!(read.errors.is_empty(), "{:?}", read.errors);
        assert_eq!(read.killmails.len(), count);
        let battles = cluster(&read.killmails, &ClusterConfig::default()).unwrap();
        (read.killmails, battles)
    }

    fn battles() -> (Vec<Killmail>, Vec<Battle>) {
        read_extract("killmails-2021-11-27-extract.tar.bz2", 288)
    }

    fn battles_28() -> (Vec<Killmail>, Vec<Battle>) {
        read_extract("killmails-2021-11-28-extract.tar.bz2", 388)
    }

    fn battle(battles: &[Battle], first_kill: u64) -> &Battle {
        battles
            .iter()
            .find(|b| b.killmail_ids[0] == first_kill)
            .unwrap()
    }

    fn checks(kms: &[Killmail], b: &Battle) -> SideChecks {
        let refs: Vec<&Killmail> = b
            .killmail_ids
            .iter()
            .map(|id| kms.iter().find(|k| k.killmail_id == *id).unwrap())
            .collect();
        check_sides(&refs, &b.sides)
    }

    /// (alliances, pilots, kills, losses) of every side, largest first.
    fn outline(b: &Battle) -> Vec<(Vec<u64>, usize, u32, u32)> {
        b.sides
            .iter()
            .map(|s| (s.alliances.clone(), s.pilots.len(), s.kills, s.losses))
            .collect()
    }

    #[test]
    fn lxq2_t_has_two_fleets_not_one_blob() {
        let (kms, battles) = battles();
        let b = battle(&battles, 96_977_835);
        assert_eq!(b.stats.kill_count, 268);
        // Before: one side of 405 pilots with 21 kills and 247 losses.
        let (a, z) = (&b.sides[0], &b.sides[1]);
        assert!(a.pilots.len() >= 250 && z.pilots.len() >= 90, "{a:?} {z:?}");
        assert!(
            a.kills >= 200 && a.losses <= 70,
            "{} / {}",
            a.kills,
            a.losses
        );
        assert!(
            z.losses >= 180 && z.kills >= 40,
            "{} / {}",
            z.kills,
            z.losses
        );
        // Pandemic Horde against the alliances it killed.
        assert!(a.alliances.contains(&99_005_338));
        assert!(z.alliances.contains(&99_005_839));
        let c = checks(&kms, b);
        assert!(c.hostile().unwrap() >= 0.97, "{c:?}");
        assert!(c.allied().unwrap() >= 0.93, "{c:?}");
    }

    #[test]
    fn a_starter_corporation_fight_in_a_wormhole_has_a_winner() {
        // One pilot of starter corporation 1000168 kills another's Venture,
        // then the pod. Before: one side, 0 kills, 2 losses.
        let (_, battles) = battles();
        let b = battle(&battles, 96_972_146);
        let won: Vec<(u32, u32)> = b.sides.iter().map(|s| (s.kills, s.losses)).collect();
        assert_eq!(won, vec![(2, 0), (0, 2)]);
        assert!(b.sides.iter().all(|s| s.corporations == vec![1_000_168]));
    }

    #[test]
    fn a_highsec_fight_credits_every_kill() {
        // Jita: starter-corporation pilots on both ends of a kill.
        let (kms, battles) = battles();
        let b = battle(&battles, 96_960_355);
        let credited: u32 = b.sides.iter().map(|s| s.kills).sum();
        assert_eq!(credited, 9);
        assert_eq!(checks(&kms, b).hostile(), Some(1.0));
    }

    #[test]
    fn structures_stand_with_their_alliance() {
        // KVN-36: citadels fire on the mails of two coalitions' fight.
        let (kms, battles) = battles();
        let b = battle(&battles, 96_966_677);
        let alliances: Vec<&Vec<u64>> = b.sides.iter().map(|s| &s.alliances).collect();
        assert_eq!(
            alliances,
            vec![
                &vec![99_003_581, 99_009_310, 99_010_891],
                &vec![1_354_830_081, 1_900_696_668]
            ]
        );
        for km in &kms {
            if !b.killmail_ids.contains(&km.killmail_id) {
                continue;
            }
            for a in km.attackers.iter().filter(|a| a.character_id.is_none()) {
                let (Some(corp), Some(alliance)) = (a.corporation_id, a.alliance_id) else {
                    continue;
                };
                let side = b
                    .sides
                    .iter()
                    .find(|s| s.alliances.contains(&alliance))
                    .unwrap();
                assert!(side.corporations.contains(&corp), "structure of {corp}");
            }
        }
    }

    /// The measurement of `examples/sides_quality.rs` on this sample.
    #[test]
    fn side_checks_on_the_sample() {
        let (kms, battles) = battles();
        let mut all = SideChecks::default();
        for b in battles.iter().filter(|b| b.stats.kill_count >= 2) {
            all.add(&checks(&kms, b));
        }
        assert!(all.hostile().unwrap() >= 0.97, "{all:?}");
        assert!(all.allied().unwrap() >= 0.93, "{all:?}");
    }
    // ---- 2021-11-28 ----

    /// Goonswarm Federation (1354830081) and The Initiative. (1900696668).
    const IMPERIUM: [u64; 2] = [1_354_830_081, 1_900_696_668];
    /// Brave Collective.
    const BRAVE: u64 = 99_003_214;
    /// Pandemic Horde and Northern Coalition.
    const PANFAM: [u64; 2] = [99_005_338, 1_727_758_877];

    #[test]
    fn ec_p8r_brave_against_the_imperium() {
        // 173 kills. Brave (with 99010079) kills 146 and loses 27; the same
        // day Brave flies beside the Imperium at O-IVNH, shot by Goonswarm
        // too (docs/sides.md), so this pins that it can face it here.
        let (kms, battles) = battles_28();
        let b = battle(&battles, 96_985_363);
        assert_eq!(b.stats.kill_count, 173);
        assert_eq!(
            outline(b),
            vec![
                (IMPERIUM.to_vec(), 61, 25, 138),
                (vec![BRAVE, 99_010_079], 54, 146, 27),
                (vec![99_010_302], 2, 0, 3),
                (vec![99_010_549], 2, 0, 3),
                (vec![99_010_931], 1, 0, 2),
            ]
        );
        let c = checks(&kms, b);
        // The two failing kills are Goonswarm podding its own.
        assert_eq!(
            (c.hostile_judged, c.hostile_passed, c.hostile_same_group),
            (173, 171, 2)
        );
        assert!(c.allied().unwrap() >= 0.99, "{c:?}");
    }

    #[test]
    fn zero_t_lib_two_fleets_of_six_and_eight_alliances() {
        let (kms, battles) = battles_28();
        let b = battle(&battles, 97_001_822);
        assert_eq!(b.stats.kill_count, 104);
        let o = outline(b);
        assert_eq!(o.len(), 4, "{o:?}");
        assert_eq!(
            o[0],
            (
                vec![99_002_411, 99_007_262, 99_007_722, 99_009_757, 99_010_360, 99_010_975],
                87,
                14,
                87
            )
        );
        assert_eq!(
            o[1],
            (
                vec![
                    99_000_285,
                    99_004_276,
                    99_005_678,
                    99_006_180,
                    99_007_629,
                    99_010_664,
                    1_530_983_307,
                    1_988_009_450
                ],
                85,
                89,
                15
            )
        );
        let c = checks(&kms, b);
        assert!(c.hostile().unwrap() >= 0.98, "{c:?}");
        assert!(c.allied().unwrap() >= 0.97, "{c:?}");
    }

    #[test]
    fn j_zysz_panfam_against_the_alliances_it_flew_with_at_jorund() {
        // At Jorund (10:21, 1,070 kills) these alliances all shot the
        // Imperium together; here, the same evening, they fight each other,
        // and a third party (99004013) stays apart.
        let (kms, battles) = battles_28();
        let b = battle(&battles, 97_005_342);
        assert_eq!(b.stats.kill_count, 111);
        let o = outline(b);
        assert_eq!(o[0], (PANFAM.to_vec(), 76, 57, 36));
        assert_eq!(
            o[1],
            (
                vec![
                    99_002_685,
                    99_008_469,
                    99_009_168,
                    99_010_413,
                    99_010_546,
                    741_557_221,
                    982_284_363,
                    1_411_711_376
                ],
                74,
                50,
                54
            )
        );
        assert_eq!(o[2], (vec![99_004_013], 13, 2, 10));
        assert_eq!(o.len(), 7, "{o:?}");
        let c = checks(&kms, b);
        assert_eq!(
            (c.hostile_judged, c.hostile_passed, c.hostile_same_group),
            (111, 108, 3)
        );
        assert!(c.allied().unwrap() >= 0.94, "{c:?}");
    }
    #[test]
    fn real_sides_do_not_depend_on_the_order_of_kills() {
        let (kms, battles) = battles_28();
        for b in &battles {
            let sorted: Vec<&Killmail> = b
                .killmail_ids
                .iter()
                .map(|id| kms.iter().find(|k| k.killmail_id == *id).unwrap())
                .collect();
            let reversed: Vec<&Killmail> = sorted.iter().rev().copied().collect();
            let (a, z) = (assign_sides(&sorted), assign_sides(&reversed));
            assert_eq!(a.len(), z.len());
            for (a, z) in a.iter().zip(&z) {
                assert_eq!(
                    (&a.alliances, &a.corporations, &a.pilots, a.kills, a.losses),
                    (&z.alliances, &z.corporations, &z.pilots, z.kills, z.losses)
                );
            }
        }
    }
}

#[test]
fn the_victim_side_is_the_side_that_counts_the_loss() {
    let mut kms = two_fleets();
    kms.push(kill(
        20,
        JITA,
        100,
        red(4),
        &[green(1), green(2)],
        Some(1e7),
    ));
    kms.push(kill(22, JITA, 120, green(3), &[red(1), blue(7)], Some(1e7)));
    kms.push(npc_kill(23, JITA, 130, blue(9)));
    kms.sort_by_key(|k| (k.killmail_time, k.killmail_id));
    let refs: Vec<&Killmail> = kms.iter().collect();
    let battle = &Battle::from_sorted_kills(uuid::Uuid::nil(), &refs);
    let by_id = |id: u64| kms.iter().find(|k| k.killmail_id == id).unwrap();
    let side_of = |alliance: u64| {
        battle
            .sides
            .iter()
            .find(|s| s.alliances == vec![alliance])
            .unwrap()
            .index
    };
    assert_eq!(battle.victim_side(by_id(1)), Some(side_of(BLUE)));
    assert_eq!(battle.victim_side(by_id(10)), Some(side_of(RED)));
    assert_eq!(battle.victim_side(by_id(22)), Some(side_of(GREEN)));
    assert_eq!(
        battle.victim_side(by_id(23)),
        Some(side_of(BLUE)),
        "an NPC's kill of a blue pilot"
    );
    for side in &battle.sides {
        let losses = battle
            .killmail_ids
            .iter()
            .filter(|&&id| battle.victim_side(by_id(id)) == Some(side.index))
            .count();
        assert_eq!(losses, side.losses as usize, "side {}", side.index);
    }
}
