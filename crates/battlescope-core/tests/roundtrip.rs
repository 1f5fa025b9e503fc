//! Serialise → parse round-trips for arbitrary valid killmails, in every
//! container the readers take.

use battlescope_core::input::{read_killmails, ReadOptions};
use battlescope_core::killmail::{Attacker, Item, Killmail, Position, Victim, ZkbMeta};
use chrono::{DateTime, Utc};
use proptest::prelude::*;

fn id() -> impl Strategy<Value = Option<u64>> {
    prop::option::of(1_u64..3_000_000_000)
}

fn item() -> impl Strategy<Value = Item> {
    let leaf = (
        0_i32..200,
        1_u32..60_000,
        prop::option::of(1_u64..1000),
        prop::option::of(1_u64..1000),
        0_i32..3,
    )
        .prop_map(
            |(flag, item_type_id, quantity_destroyed, quantity_dropped, singleton)| Item {
                flag,
                item_type_id,
                quantity_destroyed,
                quantity_dropped,
                singleton,
                items: None,
            },
        );
    leaf.prop_recursive(2, 8, 4, |inner| {
        (inner.clone(), prop::collection::vec(inner, 0..4)).prop_map(|(mut container, children)| {
            container.items = Some(children);
            container
        })
    })
}

fn attacker() -> impl Strategy<Value = Attacker> {
    (
        id(),
        id(),
        id(),
        id(),
        0_u64..100_000,
        prop::option::of(-10.0_f64..5.0),
        prop::option::of(1_u32..90_000),
        prop::option::of(1_u32..90_000),
    )
        .prop_map(
            |(
                alliance_id,
                character_id,
                corporation_id,
                faction_id,
                damage_done,
                security_status,
                ship_type_id,
                weapon_type_id,
            )| Attacker {
                alliance_id,
                character_id,
                corporation_id,
                faction_id,
                damage_done,
                final_blow: false,
                security_status,
                ship_type_id,
                weapon_type_id,
            },
        )
}

fn zkb() -> impl Strategy<Value = ZkbMeta> {
    (
        prop::option::of("[0-9a-f]{40}"),
        prop::option::of(0.0_f64..1e12),
        prop::option::of(any::<bool>()),
        prop::collection::vec("[a-z:#0-9+]{1,10}", 0..4),
        prop::option::of(1_u64..70_000_000),
    )
        .prop_map(|(hash, total_value, npc, labels, location_id)| ZkbMeta {
            location_id,
            hash,
            total_value,
            npc,
            labels,
            ..ZkbMeta::default()
        })
}

fn killmail() -> impl Strategy<Value = Killmail> {
    (
        1_u64..200_000_000,
        1_100_000_000_i64..1_780_000_000,
        30_000_001_u32..32_000_200,
        (
            id(),
            id(),
            id(),
            0_u64..1_000_000,
            1_u32..90_000,
            prop::option::of(prop::collection::vec(item(), 0..5)),
            prop::option::of((-1e12_f64..1e12, -1e12_f64..1e12, -1e12_f64..1e12)),
        ),
        prop::collection::vec(attacker(), 1..20),
        any::<prop::sample::Index>(),
        prop::option::of(zkb()),
        (id(), id()),
    )
        .prop_map(
            |(
                killmail_id,
                secs,
                solar_system_id,
                (ca, cc, co, damage_taken, ship_type_id, items, position),
                mut attackers,
                fb,
                zkb,
                (moon_id, war_id),
            )| {
                let n = attackers.len();
                attackers[fb.index(n)].final_blow = true;
                Killmail {
                    killmail_id,
                    killmail_time: DateTime::<Utc>::from_timestamp(secs, 0).unwrap(),
                    solar_system_id,
                    moon_id,
                    war_id,
                    victim: Victim {
                        alliance_id: ca,
                        character_id: cc,
                        corporation_id: co,
                        faction_id: None,
                        damage_taken,
                        ship_type_id,
                        items,
                        position: position.map(|(x, y, z)| Position { x, y, z }),
                    },
                    attackers,
                    zkb,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn serialise_then_parse_gives_the_same_killmails(kms in prop::collection::vec(killmail(), 1..8)) {
        let mut unique = kms.clone();
        unique.sort_by_key(|k| k.killmail_id);
        unique.dedup_by_key(|k| k.killmail_id);
        let first_seen: Vec<&Killmail> = {
            let mut seen = std::collections::HashSet::new();
            kms.iter().filter(|k| seen.insert(k.killmail_id)).collect()
        };
        let lines: Vec<String> = kms.iter().map(|k| serde_json::to_string(k).unwrap()).collect();
        let array = serde_json::to_string_pretty(&kms).unwrap();
        for (input, name) in [(lines.join("\n"), "a.jsonl"), (array, "a.json")] {
            let out = read_killmails(input.as_bytes(), Some(name), &ReadOptions::default()).unwrap();
            prop_assert_eq!(out.report.skipped_total(), 0, "{:?}", out.errors);
            let got: Vec<&Killmail> = out.killmails.iter().collect();
            prop_assert_eq!(got, first_seen.clone());
        }
        // A single pretty-printed document.
        let one = serde_json::to_string_pretty(&kms[0]).unwrap();
        let out = read_killmails(one.as_bytes(), None, &ReadOptions::default()).unwrap();
        prop_assert_eq!(&out.killmails[0], &kms[0]);
    }
}
