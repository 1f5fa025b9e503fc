//! The API bodies core computes, on generated fights: a timeline adds up to
//! its battle, participants are exactly its pilots, an entity page carries
//! core's intel on the same battles.

use std::collections::BTreeSet;

use battlescope_core::api::{entity_page, participants, timeline, Names};
use battlescope_core::cluster::{cluster, ClusterConfig};
use battlescope_core::events::{EntityName, NameCategory};
use battlescope_core::intel::{analyze, Entity, IntelConfig};
use battlescope_core::{Battle, Killmail};
use battlescope_synth::{generate, ScenarioConfig};

fn fights() -> (Vec<Killmail>, Vec<Battle>) {
    let kills = generate(&ScenarioConfig::small(), 5);
    let battles = cluster(&kills, &ClusterConfig::default()).unwrap();
    assert!(battles.len() > 3, "the scenario has battles");
    (kills, battles)
}

#[test]
fn a_timeline_adds_up_to_its_battle_and_its_sides() {
    let (kills, battles) = fights();
    for b in &battles {
        let t = timeline(b, &kills);
        assert_eq!(t.battle_id, b.id);
        assert_eq!(
            t.minutes.iter().map(|m| m.kills).sum::<u32>(),
            b.stats.kill_count
        );
        let isk: f64 = t.minutes.iter().map(|m| m.isk_destroyed).sum();
        assert!((isk - b.stats.isk_destroyed).abs() <= 1e-6 * isk.max(1.0));
        assert_eq!(
            t.minutes.iter().map(|m| m.kills_without_value).sum::<u32>(),
            b.stats.kills_without_value
        );
        assert!(t.minutes.windows(2).all(|w| w[0].minute < w[1].minute));
        assert!(t.minutes.first().unwrap().minute <= b.start_time);
        assert!(t.minutes.last().unwrap().minute <= b.end_time);
        for side in &b.sides {
            let mine = t
                .minutes
                .iter()
                .flat_map(|m| &m.sides)
                .filter(|s| s.side == side.index);
            let (losses, isk) = mine.fold((0, 0.0), |(n, v), s| (n + s.losses, v + s.isk_lost));
            assert_eq!(losses, side.losses, "battle {} side {}", b.id, side.index);
            assert!((isk - side.isk_lost).abs() <= 1e-6 * isk.max(1.0));
        }
    }
}

#[test]
fn participants_are_the_pilots_of_the_battle() {
    let (kills, battles) = fights();
    for b in &battles {
        let mine: Vec<&Killmail> = kills
            .iter()
            .filter(|k| b.killmail_ids.contains(&k.killmail_id))
            .collect();
        let pilots: BTreeSet<u64> = mine
            .iter()
            .flat_map(|k| {
                std::iter::once(k.victim.character_id)
                    .chain(k.attackers.iter().map(|a| a.character_id))
            })
            .flatten()
            .collect();
        let p = participants(b, &kills, &Names::default());
        let listed: BTreeSet<u64> = p.participants.iter().map(|r| r.character_id).collect();
        assert_eq!(listed, pilots, "battle {}", b.id);
        let losses: BTreeSet<(u64, u64)> = mine
            .iter()
            .filter_map(|k| Some((k.victim.character_id?, k.killmail_id)))
            .collect();
        let rows_lost: BTreeSet<(u64, u64)> = p
            .participants
            .iter()
            .flat_map(|r| r.loss_killmail_ids.iter().map(|k| (r.character_id, *k)))
            .collect();
        assert_eq!(rows_lost, losses);
        for r in &p.participants {
            assert_eq!(r.lost, !r.loss_killmail_ids.is_empty());
            let side = b
                .sides
                .iter()
                .find(|s| s.pilots.contains(&r.character_id))
                .map(|s| s.index);
            assert_eq!(r.side, side);
        }
    }
}

#[test]
fn an_entity_page_is_the_intel_of_its_battles_with_its_name() {
    let (kills, battles) = fights();
    let alliance = battles
        .iter()
        .flat_map(|b| b.sides.iter().flat_map(|s| s.alliances.iter().copied()))
        .next()
        .expect("an alliance on a side");
    let entity = Entity::Alliance(alliance);
    let names = Names::of([[EntityName {
        id: alliance,
        name: "Hordeling Alliance".to_owned(),
        category: NameCategory::Alliance,
    }]
    .as_slice()]);
    let page = entity_page(entity, battles.clone(), &kills, &names);
    let report = analyze(entity, &battles, &kills, &IntelConfig::default());
    assert_eq!(page.name.as_deref(), Some("Hordeling Alliance"));
    assert_eq!(page.summary, report.summary);
    assert_eq!(page.ships, report.ships);
    assert_eq!(page.opponents, report.opponents);
    assert!(page.summary.battles > 0);
}
