//! Battle intel through the public API: hand-built battles with answers
//! worked out by hand, and doctrine detection on generated fights with two
//! planted fleet compositions.

mod common;

use battlescope_core::intel::{
    analyze, DoctrineConfig, DoctrineScope, Entity, IntelConfig, IntelReport,
};
use battlescope_core::killmail::{Killmail, TypeId};
use battlescope_core::universe::{self, ShipClass};
use battlescope_core::{cluster, Battle, ClusterConfig};
use battlescope_synth::{generate, FightConfig, MixConfig, RosterConfig, ScenarioConfig};
use common::{kill, pilot, Pilot, DRAKE, RIFTER, TAMA};

/// 1DQ1-A, Delve.
const ONE_DQ: u32 = 30_004_759;
const DELVE: u32 = 10_000_060;
const THE_CITADEL: u32 = 10_000_033;
const M: f64 = 1_000_000.0;

const A: u64 = 99_000_001;
const CA1: u64 = 98_000_001;
const CA2: u64 = 98_000_002;
const L: u64 = 99_000_005;
const E: u64 = 99_000_011;
const K: u64 = 98_000_021;

const A1: Pilot = Pilot {
    character: 1,
    corporation: CA1,
    alliance: Some(A),
};
const A2: Pilot = Pilot {
    character: 2,
    corporation: CA1,
    alliance: Some(A),
};
const A3: Pilot = Pilot {
    character: 3,
    corporation: CA2,
    alliance: Some(A),
};
const L1: Pilot = Pilot {
    character: 51,
    corporation: 98_000_051,
    alliance: Some(L),
};
const E1: Pilot = Pilot {
    character: 11,
    corporation: 98_000_011,
    alliance: Some(E),
};
const E2: Pilot = Pilot {
    character: 12,
    corporation: 98_000_011,
    alliance: Some(E),
};
const K1: Pilot = Pilot {
    character: 21,
    corporation: K,
    alliance: None,
};

/// Two battles, worked out by hand (victims fly Rifters, attackers Drakes;
/// the first attacker has the final blow):
///
/// Battle 1, 1DQ1-A, Saturday 2024-06-01 18:00 UTC — A with ally L against E:
/// - 101: E1 killed by A1, L1 (10M)
/// - 102: A2 killed by E1, E2 (25M)
/// - 103: E2 killed by A1, A3 (20M)
///
/// Battle 2, Tama, Monday 2024-06-03 02:00 UTC — A against corporation K:
/// - 201: K1 killed by A1, A2 (no value)
/// - 202: A3 killed by K1 (5M)
fn world() -> (Vec<Battle>, Vec<Killmail>) {
    let day2 = 32 * 3600;
    let kills = vec![
        kill(101, ONE_DQ, 0, E1, &[A1, L1], Some(10.0 * M)),
        kill(102, ONE_DQ, 60, A2, &[E1, E2], Some(25.0 * M)),
        kill(103, ONE_DQ, 120, E2, &[A1, A3], Some(20.0 * M)),
        kill(201, TAMA, day2, K1, &[A1, A2], None),
        kill(202, TAMA, day2 + 30, A3, &[K1], Some(5.0 * M)),
    ];
    let battles = cluster(&kills, &ClusterConfig::default()).unwrap();
    assert_eq!(battles.len(), 2);
    (battles, kills)
}

fn report(entity: Entity) -> IntelReport {
    let (battles, kills) = world();
    analyze(entity, &battles, &kills, &IntelConfig::default())
}

#[track_caller]
fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-6, "{a} != {b}");
}

#[test]
fn summary_of_an_alliance() {
    let r = report(Entity::Alliance(A));
    let s = &r.summary;
    assert_eq!(s.battles, 2);
    assert_eq!((s.kills, s.kills_without_value), (3, 1));
    close(s.isk_killed, 30.0 * M);
    assert_eq!((s.losses, s.losses_without_value), (2, 0));
    close(s.isk_lost, 30.0 * M);
    close(s.efficiency.unwrap(), 0.5);
    assert_eq!(s.pilots, 3);
    // Battle 1: side A+L killed 30M, lost 25M; battle 2: killed 0, lost 5M.
    assert_eq!(s.battles_won, 1);
    assert_eq!(s.missing_killmails, 0);
    assert_eq!(s.first_seen, Some(common::t0()));
}

#[test]
fn opponents_and_allies_of_an_alliance() {
    let r = report(Entity::Alliance(A));
    assert_eq!(r.opponents.len(), 2, "{:#?}", r.opponents);
    let e = &r.opponents[0];
    assert_eq!(e.group, Entity::Alliance(E));
    assert_eq!((e.battles, e.kills, e.losses), (1, 2, 1));
    close(e.isk_killed, 30.0 * M);
    close(e.isk_lost, 25.0 * M);
    let k = &r.opponents[1];
    assert_eq!(k.group, Entity::Corporation(K));
    assert_eq!((k.battles, k.kills, k.kills_without_value), (1, 1, 1));
    close(k.isk_killed, 0.0);
    assert_eq!(k.losses, 1);
    close(k.isk_lost, 5.0 * M);

    assert_eq!(r.allies.len(), 1, "{:#?}", r.allies);
    let l = &r.allies[0];
    assert_eq!(l.group, Entity::Alliance(L));
    assert_eq!((l.battles, l.kills_together, l.losses), (1, 1, 0));
    close(l.isk_killed_together, 10.0 * M);
}

#[test]
fn a_corporation_sees_the_rest_of_its_alliance_as_an_ally() {
    let r = report(Entity::Corporation(CA1));
    assert_eq!(r.summary.battles, 2);
    // Kills with A1 or A2 attacking: 101, 103, 201; losses: 102.
    assert_eq!((r.summary.kills, r.summary.losses), (3, 1));
    assert_eq!(r.summary.pilots, 2);
    let allies: Vec<Entity> = r.allies.iter().map(|a| a.group).collect();
    assert_eq!(allies, vec![Entity::Alliance(A), Entity::Alliance(L)]);
    // The other corporation (A3) was there twice, shot 103 with A1 and lost 202.
    let a = &r.allies[0];
    assert_eq!((a.battles, a.kills_together, a.losses), (2, 1, 1));
    close(a.isk_killed_together, 20.0 * M);
    close(a.isk_lost, 5.0 * M);
    // Losses to K are the corporation's own: A3's loss is not one.
    let k = r
        .opponents
        .iter()
        .find(|o| o.group == Entity::Corporation(K))
        .unwrap();
    assert_eq!((k.kills, k.losses), (1, 0));
}

#[test]
fn a_character_report() {
    let r = report(Entity::Character(A1.character));
    assert_eq!(r.summary.battles, 2);
    assert_eq!((r.summary.kills, r.summary.losses), (3, 0));
    assert_eq!(r.summary.pilots, 1);
    // A character's own alliance is an ally through its other pilots.
    let a = r
        .allies
        .iter()
        .find(|a| a.group == Entity::Alliance(A))
        .unwrap();
    assert_eq!(a.battles, 2);
    assert_eq!(a.kills_together, 2); // 103 with A3, 201 with A2
    assert_eq!(a.losses, 2); // 102 and 202
    assert_eq!(r.pilots.len(), 1);
}

#[test]
fn ships_flown_and_lost() {
    let r = report(Entity::Alliance(A));
    let hulls = &r.ships.hulls;
    assert_eq!(hulls.len(), 2);
    let drake = &hulls[0];
    assert_eq!(drake.type_id, DRAKE);
    assert_eq!(drake.name.as_deref(), Some("Drake"));
    assert_eq!(drake.class, ShipClass::Battlecruiser);
    // Battle 1: A1, A3; battle 2: A1, A2.
    assert_eq!((drake.flown, drake.pilots), (4, 3));
    assert_eq!((drake.kills, drake.lost), (3, 0));
    close(drake.isk_killed, 30.0 * M);
    let rifter = &hulls[1];
    assert_eq!(rifter.type_id, RIFTER);
    assert_eq!((rifter.flown, rifter.pilots, rifter.kills), (2, 2, 0));
    assert_eq!((rifter.lost, rifter.lost_without_value), (2, 0));
    close(rifter.isk_lost, 30.0 * M);

    let classes = &r.ships.classes;
    assert_eq!(classes[0].class, ShipClass::Battlecruiser);
    assert_eq!((classes[0].flown, classes[0].kills), (4, 3));
    assert_eq!(classes[1].class, ShipClass::Frigate);
    assert_eq!((classes[1].flown, classes[1].lost), (2, 2));
}

#[test]
fn activity_by_place_and_hour() {
    let r = report(Entity::Alliance(A));
    let act = &r.activity;
    assert_eq!(act.systems.len(), 2);
    let dq = &act.systems[0];
    assert_eq!(dq.id, ONE_DQ);
    assert_eq!(dq.name.as_deref(), Some("1DQ1-A"));
    assert_eq!((dq.battles, dq.kills, dq.losses), (1, 2, 1));
    close(dq.isk_killed, 30.0 * M);
    close(dq.isk_lost, 25.0 * M);
    let tama = &act.systems[1];
    assert_eq!((tama.id, tama.kills, tama.losses), (TAMA, 1, 1));
    let regions: Vec<(u32, Option<&str>)> = act
        .regions
        .iter()
        .map(|p| (p.id, p.name.as_deref()))
        .collect();
    assert_eq!(
        regions,
        vec![(DELVE, Some("Delve")), (THE_CITADEL, Some("The Citadel"))]
    );

    assert_eq!(act.hours.len(), 24);
    assert_eq!((act.hours[18].kills, act.hours[18].losses), (2, 1));
    assert_eq!((act.hours[2].kills, act.hours[2].losses), (1, 1));
    let total: u32 = act.hours.iter().map(|h| h.kills + h.losses).sum();
    assert_eq!(total, r.summary.kills + r.summary.losses);
    assert_eq!(act.heatmap.len(), 7);
    assert!(act.heatmap.iter().all(|row| row.len() == 24));
    assert_eq!(act.heatmap[5][18], 3, "Saturday 18:00");
    assert_eq!(act.heatmap[0][2], 2, "Monday 02:00");
    let cells: u32 = act.heatmap.iter().flatten().sum();
    assert_eq!(cells, 5);
}

#[test]
fn pilot_ship_history() {
    let r = report(Entity::Alliance(A));
    let ids: Vec<u64> = r.pilots.iter().map(|p| p.character_id).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    let a1 = &r.pilots[0];
    assert_eq!((a1.battles, a1.kills, a1.losses), (2, 3, 0));
    assert_eq!(a1.hulls.len(), 1);
    assert_eq!((a1.hulls[0].type_id, a1.hulls[0].battles), (DRAKE, 2));
    let a2 = &r.pilots[1];
    assert_eq!((a2.battles, a2.kills, a2.losses), (2, 1, 1));
    let hulls: Vec<TypeId> = a2.hulls.iter().map(|h| h.type_id).collect();
    assert_eq!(hulls, vec![RIFTER, DRAKE], "in the order first seen");
    assert_eq!(a2.first_seen, common::t0() + chrono::TimeDelta::seconds(60));
    assert_eq!(a2.hulls[0].last_seen, a2.first_seen);
    let a3 = &r.pilots[2];
    let hulls: Vec<TypeId> = a3.hulls.iter().map(|h| h.type_id).collect();
    assert_eq!(hulls, vec![DRAKE, RIFTER]);
}

#[test]
fn reports_do_not_depend_on_input_order_and_count_missing_killmails() {
    let (mut battles, kills) = world();
    let config = IntelConfig::default();
    let forward = analyze(Entity::Alliance(A), &battles, &kills, &config);
    battles.reverse();
    let mut doubled = battles.clone();
    doubled.extend(battles.iter().cloned());
    let mut shuffled = kills.clone();
    shuffled.reverse();
    assert_eq!(
        analyze(Entity::Alliance(A), &doubled, &shuffled, &config),
        forward
    );
    let partial: Vec<Killmail> = kills
        .iter()
        .filter(|k| k.killmail_id != 103)
        .cloned()
        .collect();
    let r = analyze(Entity::Alliance(A), &battles, &partial, &config);
    assert_eq!(r.summary.missing_killmails, 1);
    assert_eq!(r.summary.kills, 2);
}

#[test]
fn an_entity_in_no_battle_gets_an_empty_report() {
    let r = report(Entity::Alliance(12_345));
    assert_eq!(r.summary.battles, 0);
    assert_eq!(r.summary.efficiency, None);
    assert!(r.opponents.is_empty() && r.allies.is_empty() && r.doctrines.is_empty());
    assert!(r.pilots.is_empty() && r.ships.hulls.is_empty());
    assert_eq!(r.activity.hours.len(), 24);
}

#[test]
fn reports_serialise_as_camel_case_json() {
    let r = report(Entity::Alliance(A));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["entity"]["kind"], "alliance");
    assert_eq!(json["entity"]["id"], A);
    assert_eq!(json["summary"]["battlesWon"], 1);
    assert_eq!(json["opponents"][0]["group"]["kind"], "alliance");
    assert_eq!(json["allies"][0]["killsTogether"], 1);
    assert_eq!(json["ships"]["hulls"][0]["typeId"], DRAKE);
    assert_eq!(json["activity"]["hours"][18]["kills"], 2);
    assert!(json["pilots"][0]["hulls"][0]["firstSeen"].is_string());
    assert_eq!(Entity::Corporation(K).to_string(), "corporation 98000021");
}

// ---------------------------------------------------------------- doctrines, by hand

const MUNINN: TypeId = 12_015;
const SCIMITAR: TypeId = 11_978;
const FEROX: TypeId = 16_227;
const BASILISK: TypeId = 11_985;
const CAPSULE: TypeId = 670;

/// A battle of `fleet` (pilots of alliance A, each in a hull) against
/// three enemies: the fleet kills the enemies (worth `killed` each) and
/// loses its first pilot (worth `lost`), whose capsule then dies too.
fn fleet_battle(
    id: u64,
    secs: i64,
    fleet: &[(Pilot, TypeId)],
    killed: f64,
    lost: f64,
) -> Vec<Killmail> {
    let enemies: Vec<Pilot> = (0..3)
        .map(|i| pilot(900_000 + id * 10 + i, 98_900_000, Some(E)))
        .collect();
    let pilots: Vec<Pilot> = fleet.iter().map(|(p, _)| *p).collect();
    let mut out = Vec::new();
    for (i, enemy) in enemies.iter().enumerate() {
        let mut km = kill(
            id + i as u64,
            ONE_DQ,
            secs + 10 * i as i64,
            *enemy,
            &pilots,
            Some(killed),
        );
        for (attacker, (_, hull)) in km.attackers.iter_mut().zip(fleet) {
            attacker.ship_type_id = Some(*hull);
        }
        out.push(km);
    }
    let mut loss = kill(id + 5, ONE_DQ, secs + 60, fleet[0].0, &enemies, Some(lost));
    loss.victim.ship_type_id = fleet[0].1;
    out.push(loss.clone());
    loss.killmail_id = id + 6;
    loss.killmail_time += chrono::TimeDelta::seconds(5);
    loss.victim.ship_type_id = CAPSULE;
    out.push(loss);
    out
}

fn fleet(hulls: &[(TypeId, usize)], first_pilot: u64) -> Vec<(Pilot, TypeId)> {
    let mut out = Vec::new();
    for &(hull, n) in hulls {
        for _ in 0..n {
            let c = first_pilot + out.len() as u64;
            out.push((pilot(c, CA1, Some(A)), hull));
        }
    }
    out
}

#[test]
fn two_hand_built_doctrines_with_their_figures() {
    let hour = 3600;
    let mut kills = Vec::new();
    // Muninns twice (won both), Feroxes three times (won one), one odd
    // fleet of Drakes (flown once: not a doctrine), one fleet too small.
    kills.extend(fleet_battle(
        1000,
        0,
        &fleet(&[(MUNINN, 7), (SCIMITAR, 2)], 1),
        50.0 * M,
        10.0 * M,
    ));
    kills.extend(fleet_battle(
        1100,
        5 * hour,
        &fleet(&[(MUNINN, 10), (SCIMITAR, 3)], 20),
        40.0 * M,
        20.0 * M,
    ));
    kills.extend(fleet_battle(
        1200,
        10 * hour,
        &fleet(&[(FEROX, 8), (BASILISK, 2)], 40),
        10.0 * M,
        30.0 * M,
    ));
    kills.extend(fleet_battle(
        1300,
        15 * hour,
        &fleet(&[(FEROX, 6), (BASILISK, 2)], 60),
        30.0 * M,
        10.0 * M,
    ));
    kills.extend(fleet_battle(
        1400,
        20 * hour,
        &fleet(&[(FEROX, 9), (BASILISK, 1)], 80),
        5.0 * M,
        40.0 * M,
    ));
    kills.extend(fleet_battle(
        1500,
        25 * hour,
        &fleet(&[(DRAKE, 8)], 100),
        5.0 * M,
        1.0 * M,
    ));
    kills.extend(fleet_battle(
        1600,
        30 * hour,
        &fleet(&[(MUNINN, 3)], 120),
        5.0 * M,
        1.0 * M,
    ));
    let battles = cluster(&kills, &ClusterConfig::default()).unwrap();
    assert_eq!(battles.len(), 7);
    let r = analyze(
        Entity::Alliance(A),
        &battles,
        &kills,
        &IntelConfig::default(),
    );
    let names: Vec<&str> = r.doctrines.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, vec!["Ferox / Basilisk", "Muninn / Scimitar"]);

    let ferox = &r.doctrines[0];
    assert_eq!((ferox.times_flown, ferox.wins), (3, 1));
    close(ferox.win_rate, 1.0 / 3.0);
    // Per battle: 3 kills of the value given, one ship and one pod lost.
    close(ferox.isk_killed, 3.0 * 45.0 * M);
    close(ferox.isk_lost, 2.0 * 80.0 * M);
    close(ferox.efficiency.unwrap(), 135.0 / 295.0);
    close(ferox.average_fleet, 28.0 / 3.0);
    assert_eq!(ferox.hulls[0].type_id, FEROX);
    assert_eq!(ferox.hulls[0].pilots, 23);
    close(ferox.hulls[0].share, 23.0 / 28.0);
    assert_eq!(ferox.battles.len(), 3);

    let muninn = &r.doctrines[1];
    assert_eq!((muninn.times_flown, muninn.wins), (2, 2));
    close(muninn.win_rate, 1.0);
    assert_eq!(
        muninn.hulls.iter().map(|h| h.type_id).collect::<Vec<_>>(),
        vec![MUNINN, SCIMITAR]
    );
    assert_eq!(muninn.first_flown, common::t0());

    // Fewer battles make a doctrine when asked; a higher bar drops the Muninns.
    let config = |min_battles, min_fleet| {
        IntelConfig::default().with_doctrine(
            DoctrineConfig::default()
                .with_min_battles(min_battles)
                .with_min_fleet(min_fleet),
        )
    };
    let r1 = analyze(Entity::Alliance(A), &battles, &kills, &config(1, 5));
    assert_eq!(r1.doctrines.len(), 3);
    assert_eq!(r1.doctrines[2].name, "Drake");
    let r3 = analyze(Entity::Alliance(A), &battles, &kills, &config(3, 5));
    assert_eq!(r3.doctrines.len(), 1);
    // With small fleets counted, the three-Muninn gang joins the Muninns.
    let small = analyze(Entity::Alliance(A), &battles, &kills, &config(2, 3));
    let muninn = small
        .doctrines
        .iter()
        .find(|d| d.hulls[0].type_id == MUNINN);
    assert_eq!(muninn.map(|d| d.times_flown), Some(3));
}

#[test]
fn entity_scope_counts_only_the_entitys_pilots() {
    // A fleet of A in Muninns with allies of L in Feroxes, twice.
    let mut kills = Vec::new();
    for (n, secs) in [(0_u64, 0_i64), (1, 7200)] {
        let mut fleet = fleet(&[(MUNINN, 6)], 1 + n * 100);
        fleet.extend((0..8).map(|i| (pilot(5_000 + n * 100 + i, 98_000_051, Some(L)), FEROX)));
        kills.extend(fleet_battle(
            2000 + n * 100,
            secs,
            &fleet,
            10.0 * M,
            1.0 * M,
        ));
    }
    let battles = cluster(&kills, &ClusterConfig::default()).unwrap();
    let side = analyze(
        Entity::Alliance(A),
        &battles,
        &kills,
        &IntelConfig::default(),
    );
    assert_eq!(side.doctrines.len(), 1);
    assert_eq!(side.doctrines[0].name, "Ferox / Muninn");
    let own = IntelConfig::default()
        .with_doctrine(DoctrineConfig::default().with_scope(DoctrineScope::Entity));
    let own = analyze(Entity::Alliance(A), &battles, &kills, &own);
    assert_eq!(own.doctrines.len(), 1);
    assert_eq!(own.doctrines[0].name, "Muninn");
    close(own.doctrines[0].average_fleet, 6.0);
}

// ---------------------------------------------------------------- doctrines, planted

const ROKH: TypeId = 24_688;
const GUARDIAN: TypeId = 11_987;
const STILETTO: TypeId = 11_198;
const ISHTAR: TypeId = 12_005;
const ONEIROS: TypeId = 11_989;
const HOUND: TypeId = 12_034;

/// Two fleet compositions the generator never uses, with no hull in common.
const PLANT_A: [(TypeId, u64); 3] = [(ROKH, 60), (GUARDIAN, 25), (STILETTO, 15)];
const PLANT_B: [(TypeId, u64); 3] = [(ISHTAR, 55), (ONEIROS, 25), (HOUND, 20)];

/// A hull of `mix` for a pilot in a battle: a fixed pseudo-random draw.
fn draw(mix: &[(TypeId, u64)], pilot: u64, battle: u64) -> TypeId {
    let total: u64 = mix.iter().map(|&(_, w)| w).sum();
    let h = pilot
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(battle.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    let mut x = (h ^ (h >> 31)) % total;
    for &(hull, w) in mix {
        if x < w {
            return hull;
        }
        x -= w;
    }
    mix[0].0
}

/// Generated fleet fights between few, large alliances, and the alliance
/// in most battles.
fn fights(seed: u64) -> (Vec<Killmail>, Entity) {
    let config = ScenarioConfig {
        kills: 4_000,
        mix: MixConfig {
            fleet_fight: 6.0,
            hotspot_brawl: 0.5,
            small_gang: 1.0,
            solo: 0.5,
            npc: 0.5,
            gank: 0.0,
            awox: 0.0,
        },
        roster: RosterConfig {
            coalitions: 3,
            alliances: 6,
            corps_per_alliance: (2, 4),
            pilots_per_corp: (10, 40),
            independent_corps: 6,
            pilots_per_independent_corp: (1, 5),
        },
        fleet: FightConfig {
            fleet_size: (10, 60),
            ..ScenarioConfig::small().fleet
        },
        ..ScenarioConfig::small()
    };
    let kills = generate(&config, seed);
    let battles = cluster(&kills, &ClusterConfig::default()).unwrap();
    let mut alliances: Vec<u64> = battles
        .iter()
        .flat_map(|b| b.sides.iter().flat_map(|s| s.alliances.iter().copied()))
        .collect();
    alliances.sort_unstable();
    let alliance = alliances
        .chunk_by(|a, b| a == b)
        .max_by_key(|run| (run.len(), std::cmp::Reverse(run[0])))
        .map(|run| run[0])
        .unwrap();
    (kills, Entity::Alliance(alliance))
}

#[test]
fn doctrine_detection_recovers_the_generators_own_fleets() {
    // The generator gives each side of a fleet fight one of ten fleet
    // doctrines; these are their leading hulls.
    let leaders: Vec<&str> = vec![
        "Ferox",
        "Muninn",
        "Eagle",
        "Machariel",
        "Cerberus",
        "Drake",
        "Tempest Fleet Issue",
        "Zealot",
        "Hurricane",
        "Hound",
        "Manticore",
    ];
    let (kills, entity) = fights(2024);
    let battles = cluster(&kills, &ClusterConfig::default()).unwrap();
    let report = analyze(entity, &battles, &kills, &IntelConfig::default());
    let frequent: Vec<&str> = report
        .doctrines
        .iter()
        .filter(|d| d.times_flown >= 4)
        .map(|d| d.hulls[0].name.as_deref().unwrap_or("?"))
        .collect();
    for leader in &frequent {
        assert!(
            leaders.contains(leader),
            "{leader} leads a doctrine: {frequent:?}"
        );
    }
    let mut distinct = frequent.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        frequent.len(),
        "one doctrine each: {frequent:?}"
    );
    assert!(frequent.len() >= 8, "{frequent:?}");
}

#[test]
fn doctrine_detection_finds_two_planted_doctrines_in_generated_fights() {
    let (mut kills, entity) = fights(2024);
    let battles = cluster(&kills, &ClusterConfig::default()).unwrap();

    // Plant: the alliance's side flies A in its even battles, B in its odd
    // ones (in time order); every pilot of the side gets a hull of the mix.
    let mut mine: Vec<&Battle> = battles
        .iter()
        .filter(|b| b.sides.iter().any(|s| entity.is_on(s)))
        .collect();
    mine.sort_by_key(|b| (b.start_time, b.id));
    assert!(mine.len() >= 10, "only {} battles", mine.len());
    let index: std::collections::HashMap<u64, usize> = kills
        .iter()
        .enumerate()
        .map(|(i, k)| (k.killmail_id, i))
        .collect();
    let mut planted_a = Vec::new();
    let mut planted_b = Vec::new();
    for (n, battle) in mine.iter().enumerate() {
        let side = battle.sides.iter().find(|s| entity.is_on(s)).unwrap();
        let (mix, planted) = if n % 2 == 0 {
            (&PLANT_A, &mut planted_a)
        } else {
            (&PLANT_B, &mut planted_b)
        };
        // Fleets too small to call a doctrine are left as they are counted.
        planted.push((battle.id, side.pilots.len()));
        let on_side = |c: Option<u64>| c.filter(|c| side.pilots.binary_search(c).is_ok());
        for id in &battle.killmail_ids {
            let km = &mut kills[index[id]];
            if let Some(c) = on_side(km.victim.character_id) {
                if km.victim.ship_type_id != CAPSULE {
                    km.victim.ship_type_id = draw(mix, c, n as u64);
                }
            }
            for a in &mut km.attackers {
                if let Some(c) = on_side(a.character_id) {
                    a.ship_type_id = Some(draw(mix, c, n as u64));
                }
            }
        }
    }

    // Detect, knowing nothing of the plan.
    let battles = cluster(&kills, &ClusterConfig::default()).unwrap();
    let report = analyze(entity, &battles, &kills, &IntelConfig::default());
    let doctrines = &report.doctrines;
    assert_eq!(doctrines.len(), 2, "{doctrines:#?}");
    let named = |hull: TypeId| {
        doctrines
            .iter()
            .find(|d| d.hulls[0].type_id == hull)
            .unwrap_or_else(|| panic!("no doctrine led by {hull}: {doctrines:#?}"))
    };
    for (doctrine, planted, mix) in [
        (named(ROKH), &planted_a, &PLANT_A),
        (named(ISHTAR), &planted_b, &PLANT_B),
    ] {
        let names: Vec<&str> = mix
            .iter()
            .map(|&(t, _)| universe::ship_type(t).unwrap().name)
            .collect();
        assert_eq!(doctrine.name, names.join(" / "));
        // Every battle of the doctrine is one the plan gave it...
        for id in &doctrine.battles {
            assert!(planted.iter().any(|(b, _)| b == id), "stray battle {id}");
        }
        // ...and every planted fleet big enough to judge is found.
        let big = planted.iter().filter(|(_, pilots)| *pilots >= 8).count();
        assert!(
            doctrine.times_flown as usize >= big,
            "{} of {big} fleets found",
            doctrine.times_flown
        );
        // Shares close to the plan.
        let total: u64 = mix.iter().map(|&(_, w)| w).sum();
        for (hull, &(t, w)) in doctrine.hulls.iter().zip(mix) {
            assert_eq!(hull.type_id, t);
            let planned = w as f64 / total as f64;
            assert!((hull.share - planned).abs() < 0.1, "{hull:?} vs {planned}");
        }
        assert!(doctrine.win_rate >= 0.0 && doctrine.win_rate <= 1.0);
        close(
            f64::from(doctrine.wins) / f64::from(doctrine.times_flown),
            doctrine.win_rate,
        );
        let e = doctrine.efficiency.unwrap();
        assert!((0.0..=1.0).contains(&e));
    }
}
