//! What the property tests and benchmarks rely on: determinism, validity,
//! and the realism features of the generated scenarios.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use battlescope_core::input::{read_killmails, ReadOptions};
use battlescope_core::killmail::{validate, Killmail, Limits};
use battlescope_core::universe::SecurityClass;
use battlescope_core::RecordLoc;
use battlescope_synth::{
    arrival_order, arrival_with_delay, generate, stream, to_jsonl, ScenarioConfig, CAPSULE, JITA,
    TAMA,
};
use chrono::{TimeZone, Utc};

/// A default-shaped scenario big enough to hold every feature.
fn medium() -> &'static [Killmail] {
    static KILLS: OnceLock<Vec<Killmail>> = OnceLock::new();
    KILLS.get_or_init(|| generate(&ScenarioConfig::with_kills(30_000), 42))
}

fn small() -> &'static [Killmail] {
    static KILLS: OnceLock<Vec<Killmail>> = OnceLock::new();
    KILLS.get_or_init(|| generate(&ScenarioConfig::small(), 7))
}

fn limits() -> Limits {
    Limits::default().with_now(Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).single())
}

fn t(km: &Killmail) -> i64 {
    km.killmail_time.timestamp()
}

#[test]
fn same_seed_same_kills_other_seed_other_kills() {
    let a = generate(&ScenarioConfig::small(), 7);
    assert_eq!(a, small());
    assert_ne!(a, generate(&ScenarioConfig::small(), 8));
    let streamed: Vec<Killmail> = stream(&ScenarioConfig::small(), 7).collect();
    assert_eq!(streamed, a);
}

#[test]
fn exactly_the_requested_number_of_kills() {
    assert_eq!(small().len(), 300);
    assert_eq!(medium().len(), 30_000);
    let config = ScenarioConfig {
        kills: 17,
        ..ScenarioConfig::small()
    };
    assert_eq!(generate(&config, 1).len(), 17);
    // A longer scenario starts with the same kills as a shorter one.
    assert_eq!(&small()[..17], &generate(&config, 7)[..]);
    assert!(generate(
        &ScenarioConfig {
            kills: 0,
            ..ScenarioConfig::small()
        },
        1
    )
    .is_empty());
}

#[test]
fn every_kill_validates_and_has_one_final_blow() {
    let limits = limits();
    for km in small().iter().chain(medium()) {
        validate(km, &limits, &RecordLoc::default()).unwrap();
        assert_eq!(
            km.attackers.iter().filter(|a| a.final_blow).count(),
            1,
            "{}",
            km.killmail_id
        );
        let dealt: u64 = km.attackers.iter().map(|a| a.damage_done).sum();
        assert_eq!(dealt, km.victim.damage_taken);
        assert!(km.victim.ship_type_id > 0);
        let zkb = km.zkb.as_ref().unwrap();
        let hash = zkb.hash.as_deref().unwrap();
        assert_eq!(hash.len(), 40);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(zkb.points.is_some());
    }
}

#[test]
fn ids_are_unique_and_follow_time_roughly() {
    let kills = medium();
    let ids: HashSet<u64> = kills.iter().map(|k| k.killmail_id).collect();
    assert_eq!(ids.len(), kills.len());
    // Out in id order.
    assert!(kills
        .windows(2)
        .all(|w| w[0].killmail_id < w[1].killmail_id));
    // Time grows with ids, but not strictly: some later ids carry earlier times.
    let inversions = kills.windows(2).filter(|w| t(&w[1]) < t(&w[0])).count();
    assert!(inversions > 0);
    let config = ScenarioConfig::default();
    let mut latest = t(&kills[0]);
    for km in kills {
        assert!(t(km) >= latest - config.ids.late_max_secs);
        latest = latest.max(t(km));
    }
    // And the span is about kills / rate hours.
    let span_h = (t(kills.last().unwrap()) - t(&kills[0])) as f64 / 3600.0;
    let expected = 30_000.0 / config.kills_per_hour;
    assert!(
        span_h > expected * 0.5 && span_h < expected * 2.0,
        "{span_h} h"
    );
}

#[test]
fn systems_are_real_ids_many_and_include_wormholes_and_hotspots() {
    let systems: HashSet<u32> = medium().iter().map(|k| k.solar_system_id).collect();
    assert!(systems.len() > 500, "{}", systems.len());
    assert!(systems
        .iter()
        .all(|s| (30_000_001..=30_005_000).contains(s) || (31_000_001..=31_000_099).contains(s)));
    assert!(systems
        .iter()
        .any(|s| (31_000_001..=31_000_099).contains(s)));
    assert!(systems.contains(&JITA) && systems.contains(&TAMA));
    assert!(systems
        .iter()
        .all(|&s| SecurityClass::of_system(s).is_some()));
    for &s in &ScenarioConfig::default().universe.gank_systems {
        assert_eq!(
            SecurityClass::of_system(s),
            Some(SecurityClass::HighSec),
            "{s}"
        );
    }
    let labels: HashSet<&str> = medium()
        .iter()
        .flat_map(|k| k.zkb.as_ref().unwrap().labels.iter().map(String::as_str))
        .filter(|l| l.starts_with("loc:"))
        .collect();
    for l in ["loc:highsec", "loc:lowsec", "loc:nullsec", "loc:w-space"] {
        assert!(labels.contains(l), "{l}");
    }
    let small: HashSet<u32> = small().iter().map(|k| k.solar_system_id).collect();
    assert!(small.len() <= 7, "{small:?}");
}

#[test]
fn rosters_are_stable() {
    let mut corp_of = HashMap::new();
    let mut alliance_of = HashMap::new();
    let mut without_alliance = 0;
    for km in medium() {
        let v = &km.victim;
        let people = std::iter::once((v.character_id, v.corporation_id, v.alliance_id)).chain(
            km.attackers
                .iter()
                .map(|a| (a.character_id, a.corporation_id, a.alliance_id)),
        );
        for (ch, corp, alliance) in people {
            let Some(corp) = corp else { continue };
            if let Some(ch) = ch {
                assert_eq!(*corp_of.entry(ch).or_insert(corp), corp, "pilot {ch}");
            }
            if (1_000_000..2_000_000).contains(&corp) {
                assert!(ch.is_none() && alliance.is_none());
                continue;
            }
            assert_eq!(
                *alliance_of.entry(corp).or_insert(alliance),
                alliance,
                "corp {corp}"
            );
            if alliance.is_none() {
                without_alliance += 1;
            }
        }
    }
    assert!(without_alliance > 0);
    assert!(corp_of.len() > 2_000, "{} pilots", corp_of.len());
}

#[test]
fn pods_follow_their_ships() {
    let kills = medium();
    let max_delay = ScenarioConfig::default().kill.pod_delay_max_secs;
    let mut ships: HashMap<(u64, u32), Vec<i64>> = HashMap::new();
    for km in kills.iter().filter(|k| k.victim.ship_type_id != CAPSULE) {
        if let Some(ch) = km.victim.character_id {
            ships
                .entry((ch, km.solar_system_id))
                .or_default()
                .push(t(km));
        }
    }
    let pods: Vec<&Killmail> = kills
        .iter()
        .filter(|k| k.victim.ship_type_id == CAPSULE)
        .collect();
    assert!(pods.len() > kills.len() / 10, "{} pods", pods.len());
    // The scenario is cut at an id: a pod near the end may have lost its
    // ship to the cut, since ids follow time only roughly.
    let cut = kills.iter().map(t).max().unwrap() - ScenarioConfig::default().ids.late_max_secs;
    let mut same_second = 0;
    for pod in &pods {
        let ch = pod.victim.character_id.unwrap();
        let d = ships.get(&(ch, pod.solar_system_id)).and_then(|times| {
            times
                .iter()
                .map(|&s| t(pod) - s)
                .filter(|d| (0..=max_delay).contains(d))
                .min()
        });
        let Some(d) = d else {
            assert!(t(pod) >= cut, "pod {} follows no ship", pod.killmail_id);
            continue;
        };
        if d == 0 {
            same_second += 1;
        }
        // Pod killers were on the ship kill.
        let ship = kills
            .iter()
            .find(|k| {
                k.victim.character_id == Some(ch)
                    && k.victim.ship_type_id != CAPSULE
                    && t(k) == t(pod) - d
            })
            .unwrap();
        let shooters: HashSet<u64> = ship
            .attackers
            .iter()
            .filter_map(|a| a.character_id)
            .collect();
        assert!(pod
            .attackers
            .iter()
            .all(|a| a.character_id.is_some_and(|c| shooters.contains(&c))));
    }
    assert!(same_second > 0);
}

/// Consecutive-kill gaps per system.
fn gaps(kills: &[Killmail]) -> Vec<i64> {
    let mut by_system: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
    for km in kills {
        by_system.entry(km.solar_system_id).or_default().push(t(km));
    }
    let mut out = Vec::new();
    for times in by_system.values_mut() {
        times.sort_unstable();
        out.extend(times.windows(2).map(|w| w[1] - w[0]));
    }
    out
}

#[test]
fn lulls_straddle_max_gap_and_kills_share_seconds() {
    let g = gaps(medium());
    let near = |lo: i64, hi: i64| g.iter().filter(|&&d| (lo..=hi).contains(&d)).count();
    assert!(near(895, 899) > 0, "just under 15 min");
    assert!(near(900, 900) > 0, "exactly 15 min");
    assert!(near(901, 905) > 0, "just over 15 min");
    assert!(near(0, 0) > 100, "same second");
    let g = gaps(small());
    assert!(g.iter().any(|&d| (895..=905).contains(&d)));
}

#[test]
fn attacker_counts_are_heavy_tailed() {
    let counts: Vec<usize> = medium().iter().map(|k| k.attackers.len()).collect();
    let solo = counts.iter().filter(|&&n| n == 1).count();
    let big = counts.iter().filter(|&&n| n >= 100).count();
    assert!(solo > counts.len() / 5, "{solo}");
    assert!(big > 0, "no kill with 100+ attackers");
    assert!(counts.iter().filter(|&&n| n >= 10).count() > counts.len() / 20);
}

#[test]
fn awox_npc_solo_and_missing_values_are_present_and_flagged() {
    let kills = medium();
    let zkb = |k: &Killmail| k.zkb.clone().unwrap();
    let awox: Vec<&Killmail> = kills.iter().filter(|k| zkb(k).awox == Some(true)).collect();
    assert!(!awox.is_empty());
    for k in &awox {
        let a = k.victim.alliance_id;
        assert!(a.is_some());
        assert!(k.attackers.iter().any(|x| x.alliance_id == a));
    }
    let npc: Vec<&Killmail> = kills.iter().filter(|k| zkb(k).npc == Some(true)).collect();
    assert!(!npc.is_empty());
    for k in &npc {
        assert!(k.is_npc_kill());
        for a in &k.attackers {
            assert!(a.character_id.is_none());
            assert!((1_000_000..2_000_000).contains(&a.corporation_id.unwrap()));
            assert!(a.faction_id.is_some());
        }
    }
    // CONCORD kills gankers.
    assert!(npc.iter().any(|k| k
        .attackers
        .iter()
        .any(|a| a.corporation_id == Some(1_000_125))));
    let solo = kills.iter().filter(|k| zkb(k).solo == Some(true)).count();
    assert!(solo > 0);
    let missing = kills.iter().filter(|k| k.total_value().is_none()).count();
    assert!(missing > 0 && missing < kills.len() / 10, "{missing}");
    // Structures and deployables die without a pilot.
    assert!(kills.iter().any(|k| k.victim.character_id.is_none()));
    // Nobody shoots themselves, and awox is flagged only when it is one.
    for k in kills {
        if let Some(v) = k.victim.character_id {
            assert!(k.attackers.iter().all(|a| a.character_id != Some(v)));
        }
    }
}

/// Components of kills linked by a shared character within 30 minutes,
/// split at silences over 15 minutes: a minimal version of the clustering
/// rules, to check that the scenario has the shapes the rules care about.
fn battles(kills: &[Killmail]) -> Vec<Vec<&Killmail>> {
    let mut out = components(kills, 900);
    out.retain(|b| b.len() >= 2);
    out
}

/// Linked components (shared character, 30-minute window), split at
/// silences longer than `max_gap`.
fn components(kills: &[Killmail], max_gap: i64) -> Vec<Vec<&Killmail>> {
    let mut by_system: BTreeMap<u32, Vec<&Killmail>> = BTreeMap::new();
    for km in kills {
        by_system.entry(km.solar_system_id).or_default().push(km);
    }
    let mut out = Vec::new();
    for ks in by_system.values_mut() {
        ks.sort_by_key(|k| (t(k), k.killmail_id));
        let mut parent: Vec<usize> = (0..ks.len()).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        let mut last: HashMap<u64, usize> = HashMap::new();
        for (i, k) in ks.iter().enumerate() {
            for c in k.characters() {
                if let Some(j) = last.insert(c, i) {
                    if t(k) - t(ks[j]) <= 1800 {
                        let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                        parent[a] = b;
                    }
                }
            }
        }
        let mut comps: BTreeMap<usize, Vec<&Killmail>> = BTreeMap::new();
        for (i, &k) in ks.iter().enumerate() {
            let r = find(&mut parent, i);
            comps.entry(r).or_default().push(k);
        }
        for comp in comps.into_values() {
            let mut run = vec![comp[0]];
            for w in comp.windows(2) {
                if t(w[1]) - t(w[0]) > max_gap {
                    out.push(std::mem::take(&mut run));
                }
                run.push(w[1]);
            }
            out.push(run);
        }
    }
    out
}

#[test]
fn long_fights_overlapping_gangs_and_third_parties_exist() {
    let battles = battles(medium());
    assert!(!battles.is_empty());
    let span = |b: &Vec<&Killmail>| t(b[b.len() - 1]) - t(b[0]);
    // A fight longer than the 30-minute window stays one battle.
    assert!(
        battles.iter().any(|b| span(b) > 3600),
        "no battle over an hour"
    );
    assert!(
        battles.iter().any(|b| b.len() >= 100),
        "no battle of 100+ kills"
    );
    // Two battles in the same hotspot overlapping in time (disjoint pilots).
    let mut overlapping = 0;
    for (i, a) in battles.iter().enumerate() {
        for b in &battles[i + 1..] {
            if a[0].solar_system_id == b[0].solar_system_id
                && t(a[0]) <= t(b[b.len() - 1])
                && t(b[0]) <= t(a[a.len() - 1])
            {
                overlapping += 1;
            }
        }
    }
    assert!(overlapping > 0);
    // Three groups on one battle: a third party.
    let third_party = battles.iter().any(|b| {
        let alliances: HashSet<u64> = b
            .iter()
            .flat_map(|k| k.attackers.iter().filter_map(|a| a.alliance_id))
            .collect();
        alliances.len() >= 3 && b.len() >= 20
    });
    assert!(third_party);
}

#[test]
fn json_lines_read_back_identically() {
    let text = to_jsonl(small());
    assert_eq!(text.lines().count(), small().len());
    let options = ReadOptions::default().with_limits(limits());
    let outcome = read_killmails(text.as_bytes(), Some("synth.jsonl"), &options).unwrap();
    assert_eq!(outcome.report.skipped_total(), 0, "{:?}", outcome.errors);
    assert_eq!(outcome.killmails, small());
}

#[test]
fn arrival_streams_repeat_and_reorder() {
    let kills = small();
    let arrivals = arrival_order(kills, 0.2, 3);
    assert_eq!(arrivals, arrival_order(kills, 0.2, 3));
    assert!(arrivals.len() > kills.len() + 20 && arrivals.len() < kills.len() * 3 / 2);
    let ids: HashSet<u64> = arrivals.iter().map(|k| k.killmail_id).collect();
    assert_eq!(ids.len(), kills.len());
    assert_ne!(&arrivals[..kills.len()], kills);
    assert_eq!(arrival_order(kills, 0.0, 3).len(), kills.len());

    let delayed = arrival_with_delay(kills, 0.1, 600, 3);
    assert!(delayed.len() > kills.len());
    let mut latest = t(&delayed[0]);
    for km in &delayed {
        assert!(t(km) >= latest - 600);
        latest = latest.max(t(km));
    }
}

#[test]
fn small_scenarios_probe_the_max_gap_edge_for_most_seeds() {
    // Inside linked components, where the gap rule applies.
    let with_edge = (0..20)
        .filter(|&seed| {
            let kills = generate(&ScenarioConfig::small(), seed);
            components(&kills, i64::MAX).iter().any(|c| {
                c.windows(2)
                    .any(|w| (895..=905).contains(&(t(w[1]) - t(w[0]))))
            })
        })
        .count();
    assert!(with_edge >= 18, "{with_edge} of 20");
}
