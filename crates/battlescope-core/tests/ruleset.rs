//! Rulesets through the public API: every rule positive and negative, how
//! lists combine, the three file formats, and the errors of bad rulesets.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use battlescope_core::killmail::{Attacker, Killmail};
use battlescope_core::ruleset::{
    CompiledRuleset, Decision, FilterStats, MatchOn, ParticipantList, Ruleset, RulesetFormat,
    UnknownValue, RULE_NAMES,
};
use battlescope_core::universe::{self, SecurityClass, ShipClass};
use battlescope_core::Error;
use battlescope_synth::{generate, ScenarioConfig};
use common::{kill, npc_kill, pilot, Pilot, CAPSULE, DRAKE, JITA, RIFTER, TAMA};

/// 1DQ1-A, null-sec, Delve.
const ONE_DQ: u32 = 30_004_759;
/// Thera, J-space.
const THERA: u32 = 31_000_005;
/// Crow, an interceptor (group 831).
const CROW: u32 = 11_176;

const RED: Pilot = Pilot {
    character: 1,
    corporation: 98_000_001,
    alliance: Some(99_000_001),
};
const RED2: Pilot = Pilot {
    character: 2,
    corporation: 98_000_002,
    alliance: Some(99_000_001),
};
const BLUE: Pilot = Pilot {
    character: 11,
    corporation: 98_000_011,
    alliance: Some(99_000_011),
};
const BLUE2: Pilot = Pilot {
    character: 12,
    corporation: 98_000_011,
    alliance: Some(99_000_011),
};
const LONER: Pilot = Pilot {
    character: 21,
    corporation: 98_000_021,
    alliance: None,
};

/// RED dies in a Rifter in Jita to BLUE and BLUE2 in Drakes, worth 10M.
fn base() -> Killmail {
    kill(100, JITA, 0, RED, &[BLUE, BLUE2], Some(10_000_000.0))
}

fn compile(yaml: &str) -> CompiledRuleset {
    Ruleset::from_yaml(yaml)
        .unwrap_or_else(|e| panic!("{yaml}: {e}"))
        .compile()
        .unwrap()
}

/// The rule that rejects `km`, or `None` when it is accepted.
fn rule(rules: &CompiledRuleset, km: &Killmail) -> Option<&'static str> {
    rules.evaluate(km).rejection().map(|r| r.rule)
}

fn accepts(yaml: &str, km: &Killmail) -> bool {
    compile(yaml).accepts(km)
}

#[track_caller]
fn rejected_by(yaml: &str, km: &Killmail, expected: &str) {
    let rules = compile(yaml);
    assert_eq!(
        rule(&rules, km),
        Some(expected),
        "{yaml}\n{}",
        rules.evaluate(km)
    );
}

// ---------------------------------------------------------------- basics

#[test]
fn an_empty_ruleset_accepts_everything() {
    let rules = Ruleset::default().compile().unwrap();
    assert!(Ruleset::default().is_empty());
    for km in generate(&ScenarioConfig::small(), 3) {
        assert_eq!(rules.evaluate(&km), Decision::Accept);
    }
    for text in ["", "{}", "include: {}\nexclude: {}\n"] {
        let r = Ruleset::from_yaml(text).unwrap();
        assert!(r.is_empty(), "{text:?}");
        assert!(r.compile().unwrap().accepts(&npc_kill(1, JITA, 0, RED)));
    }
    assert!(Ruleset::from_toml("").unwrap().is_empty());
    assert!(CompiledRuleset::default().accepts(&base()));
}

#[test]
fn rule_names_are_unique_and_every_list_has_one() {
    let names: BTreeSet<&str> = RULE_NAMES.iter().copied().collect();
    assert_eq!(names.len(), RULE_NAMES.len());
    for prefix in ["include", "exclude"] {
        for list in [
            "alliances",
            "corporations",
            "characters",
            "systems",
            "constellations",
            "regions",
            "security_classes",
            "ship_groups",
            "ship_classes",
            "ship_types",
        ] {
            assert!(names.contains(format!("{prefix}.{list}").as_str()));
        }
    }
}

// ---------------------------------------------------------------- thresholds

#[test]
fn min_pilots_counts_distinct_characters_victim_included() {
    let km = base(); // 3 pilots
    assert!(accepts("min_pilots: 3", &km));
    rejected_by("min_pilots: 4", &km, "min_pilots");
    // The same attacker twice counts once.
    let twice = kill(1, JITA, 0, RED, &[BLUE, BLUE], Some(1.0));
    rejected_by("min_pilots: 3", &twice, "min_pilots");
    // NPC attackers and a structure victim add no pilot.
    let mut npc = npc_kill(2, JITA, 0, RED);
    npc.attackers.push(npc.attackers[0].clone());
    assert!(accepts("min_pilots: 1", &npc));
    rejected_by("min_pilots: 2", &npc, "min_pilots");
    let mut structure = base();
    structure.victim.character_id = None;
    rejected_by("min_pilots: 3", &structure, "min_pilots");
    let r = compile("min_pilots: 4").evaluate(&km);
    let r = r.rejection().unwrap();
    assert_eq!(r.value, "3");
    assert_eq!(r.reason, "3 pilots, fewer than 4");
}

#[test]
fn max_pilots_is_inclusive() {
    let km = base();
    assert!(accepts("max_pilots: 3", &km));
    rejected_by("max_pilots: 2", &km, "max_pilots");
}

#[test]
fn isk_bounds_are_inclusive_and_unknown_values_are_explicit() {
    let km = base(); // 10M
    assert!(accepts("min_isk: 10000000", &km));
    rejected_by("min_isk: 10000001", &km, "min_isk");
    assert!(accepts("max_isk: 10000000", &km));
    rejected_by("max_isk: 9999999.5", &km, "max_isk");
    assert!(accepts("min_isk: 1e6\nmax_isk: 1e8", &km));

    let unknown = kill(1, JITA, 0, RED, &[BLUE], None);
    assert_eq!(unknown.total_value(), None);
    // Default: a bound that cannot be checked is not met.
    rejected_by("min_isk: 1", &unknown, "unknown_value");
    rejected_by("max_isk: 1e12", &unknown, "unknown_value");
    assert!(accepts("min_isk: 1\nunknown_value: accept", &unknown));
    // Without bounds, unknown_value changes nothing.
    assert!(accepts("unknown_value: reject", &unknown));
    let rules = compile("min_isk: 1");
    let r = rules.evaluate(&unknown);
    assert_eq!(r.rejection().unwrap().value, "unknown");
    assert_eq!(Ruleset::default().unknown_value, UnknownValue::Reject);
}

// ---------------------------------------------------------------- flags

#[test]
fn drop_npc_drops_kills_without_player_attackers() {
    let npc = npc_kill(1, JITA, 0, RED);
    rejected_by("drop_npc: true", &npc, "drop_npc");
    assert!(accepts("drop_npc: false", &npc));
    assert!(accepts("drop_npc: true", &base()));
    // zKillboard's flag wins over the attackers.
    let mut flagged = base();
    flagged.zkb.as_mut().unwrap().npc = Some(true);
    rejected_by("drop_npc: true", &flagged, "drop_npc");
}

#[test]
fn drop_solo_drops_one_pilot_kills_and_flagged_ones() {
    let solo = kill(1, JITA, 0, RED, &[BLUE], Some(1.0));
    rejected_by("drop_solo: true", &solo, "drop_solo");
    assert!(accepts("drop_solo: false", &solo));
    assert!(accepts("drop_solo: true", &base()));
    // One pilot with NPC help is still solo.
    let mut helped = kill(2, JITA, 0, RED, &[BLUE], None);
    let mut rat = helped.attackers[0].clone();
    rat.character_id = None;
    rat.corporation_id = Some(1_000_125);
    rat.alliance_id = None;
    helped.attackers.push(rat);
    rejected_by("drop_solo: true", &helped, "drop_solo");
    assert_eq!(
        compile("drop_solo: true")
            .evaluate(&helped)
            .rejection()
            .unwrap()
            .value,
        "11"
    );
    // zKillboard's flag alone.
    let mut flagged = base();
    flagged.zkb.as_mut().unwrap().solo = Some(true);
    rejected_by("drop_solo: true", &flagged, "drop_solo");
    // An NPC kill has no attacking pilot: not solo.
    assert!(accepts("drop_solo: true", &npc_kill(3, JITA, 0, RED)));
}

#[test]
fn require_flags_keep_only_what_drop_flags_drop() {
    let solo = kill(1, JITA, 0, RED, &[BLUE], Some(1.0));
    let npc = npc_kill(2, JITA, 0, RED);
    let awox = kill(3, JITA, 0, RED, &[RED2], Some(1.0));
    // "Solo kills only".
    assert!(accepts("require_solo: true", &solo));
    rejected_by("require_solo: true", &base(), "require_solo");
    rejected_by("require_solo: true", &npc, "require_solo");
    let r = compile("require_solo: true").evaluate(&base());
    assert!(
        r.rejection().unwrap().reason.contains("not a solo kill"),
        "{r:?}"
    );
    // NPC kills only.
    assert!(accepts("require_npc: true", &npc));
    rejected_by("require_npc: true", &solo, "require_npc");
    // Awox only.
    assert!(accepts("require_awox: true", &awox));
    rejected_by("require_awox: true", &solo, "require_awox");
    // Required and dropped at once is a contradiction, named at load.
    let err = Ruleset::from_yaml("drop_solo: true\nrequire_solo: true")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("require_solo") && err.contains("drop_solo"),
        "{err}"
    );
    assert!(!compile("require_npc: true").ruleset().is_empty());
}

#[test]
fn drop_awox_drops_kills_by_the_victims_own_corp_or_alliance() {
    // Same alliance, other corporation.
    let alliance = kill(1, JITA, 0, RED, &[RED2], Some(1.0));
    rejected_by("drop_awox: true", &alliance, "drop_awox");
    assert!(accepts("drop_awox: false", &alliance));
    // Same corporation, no alliance.
    let corp_mate = pilot(22, LONER.corporation, None);
    let corp = kill(2, JITA, 0, LONER, &[corp_mate, BLUE], Some(1.0));
    rejected_by("drop_awox: true", &corp, "drop_awox");
    // Starter (NPC) corporations are not a side.
    let newbie = pilot(31, 1_000_167, None);
    let other_newbie = pilot(32, 1_000_167, None);
    let starter = kill(3, JITA, 0, newbie, &[other_newbie], Some(1.0));
    assert!(accepts("drop_awox: true", &starter));
    // Enemies are not awox; zKillboard's flag is.
    assert!(accepts("drop_awox: true", &base()));
    let mut flagged = base();
    flagged.zkb.as_mut().unwrap().awox = Some(true);
    rejected_by("drop_awox: true", &flagged, "drop_awox");
    let r = compile("drop_awox: true").evaluate(&alliance);
    assert_eq!(r.rejection().unwrap().value, "alliance 99000001");
}

// ---------------------------------------------------------------- participant lists

#[test]
fn alliance_lists_by_side() {
    let km = base(); // victim alliance 99000001, attackers 99000011
    let red = 99_000_001;
    let blue = 99_000_011;
    for (side, victim_hit, attacker_hit) in [
        ("victim", true, false),
        ("attackers", false, true),
        ("any", true, true),
    ] {
        for (id, hit) in [(red, victim_hit), (blue, attacker_hit)] {
            let include = format!("include:\n  alliances: {{ side: {side}, values: [{id}] }}");
            let exclude = format!("exclude:\n  alliances: {{ side: {side}, values: [{id}] }}");
            assert_eq!(accepts(&include, &km), hit, "{include}");
            assert_eq!(accepts(&exclude, &km), !hit, "{exclude}");
            if hit {
                rejected_by(&exclude, &km, "exclude.alliances");
            } else {
                rejected_by(&include, &km, "include.alliances");
            }
        }
    }
    // The ruleset's side is every list's default.
    assert!(!accepts(
        &format!("side: victim\ninclude:\n  alliances: [{blue}]"),
        &km
    ));
    assert!(accepts(
        &format!("side: attackers\ninclude:\n  alliances: [{blue}]"),
        &km
    ));
    // A list's own side beats the ruleset's.
    assert!(accepts(
        &format!("side: victim\ninclude:\n  alliances: {{ side: any, values: [{blue}] }}"),
        &km
    ));
}

#[test]
fn corporation_and_character_lists() {
    let km = base();
    assert!(accepts("include:\n  corporations: [98000011]", &km));
    rejected_by(
        "include:\n  corporations: [98000099]",
        &km,
        "include.corporations",
    );
    rejected_by(
        "exclude:\n  corporations: [98000001]",
        &km,
        "exclude.corporations",
    );
    assert!(accepts("exclude:\n  corporations: [98000099]", &km));
    assert!(accepts("include:\n  characters: [12]", &km));
    rejected_by("include:\n  characters: [13]", &km, "include.characters");
    rejected_by(
        "exclude:\n  characters: { side: victim, values: [1] }",
        &km,
        "exclude.characters",
    );
    assert!(accepts(
        "exclude:\n  characters: { side: attackers, values: [1] }",
        &km
    ));
    // NPC attackers are participants too: their corporation matches.
    let npc = npc_kill(2, JITA, 0, RED);
    rejected_by(
        "exclude:\n  corporations: { side: attackers, values: [1000125] }",
        &npc,
        "exclude.corporations",
    );
}

#[test]
fn ship_group_class_and_type_lists() {
    let mut km = base(); // victim Rifter (group 25, frigate), attackers Drakes (419)
    assert!(accepts("include:\n  ship_groups: [25]", &km));
    assert!(accepts("include:\n  ship_groups: [419]", &km));
    rejected_by(
        "include:\n  ship_groups: { side: attackers, values: [25] }",
        &km,
        "include.ship_groups",
    );
    rejected_by(
        "exclude:\n  ship_groups: { side: victim, values: [25] }",
        &km,
        "exclude.ship_groups",
    );
    assert!(accepts("exclude:\n  ship_groups: [831]", &km));

    assert!(accepts(
        "include:\n  ship_classes: { side: victim, values: [frigate] }",
        &km
    ));
    rejected_by(
        "include:\n  ship_classes: { side: victim, values: [battlecruiser] }",
        &km,
        "include.ship_classes",
    );
    rejected_by(
        "exclude:\n  ship_classes: [battlecruiser]",
        &km,
        "exclude.ship_classes",
    );
    assert!(accepts("exclude:\n  ship_classes: [capsule, shuttle]", &km));

    assert!(accepts(&format!("include:\n  ship_types: [{DRAKE}]"), &km));
    rejected_by(
        &format!("include:\n  ship_types: [{CAPSULE}]"),
        &km,
        "include.ship_types",
    );
    rejected_by(
        &format!("exclude:\n  ship_types: {{ side: victim, values: [{RIFTER}] }}"),
        &km,
        "exclude.ship_types",
    );

    // Pods: excluded by class or by type, on the victim.
    km.victim.ship_type_id = CAPSULE;
    rejected_by(
        "exclude:\n  ship_classes: { side: victim, values: [capsule] }",
        &km,
        "exclude.ship_classes",
    );
    // An interceptor attacker, by group.
    km.attackers[1].ship_type_id = Some(CROW);
    rejected_by(
        "exclude:\n  ship_groups: { side: attackers, values: [831] }",
        &km,
        "exclude.ship_groups",
    );
    // An attacker without a ship type has no group nor class.
    km.attackers[1].ship_type_id = None;
    assert!(accepts(
        "exclude:\n  ship_groups: { side: attackers, values: [831] }",
        &km
    ));
}

#[test]
fn unknown_ship_types_count_as_class_other() {
    let mut km = base();
    km.victim.ship_type_id = 3; // not a ship
    assert!(accepts(
        "include:\n  ship_classes: { side: victim, values: [other] }",
        &km
    ));
    rejected_by(
        "include:\n  ship_groups: { side: victim, values: [25] }",
        &km,
        "include.ship_groups",
    );
}

// ---------------------------------------------------------------- location lists

#[test]
fn system_constellation_and_region_lists() {
    let km = base(); // Jita
    let jita = universe::system(JITA).unwrap();
    assert!(accepts(
        &format!("include:\n  systems: [{JITA}, {TAMA}]"),
        &km
    ));
    rejected_by(
        &format!("include:\n  systems: [{TAMA}]"),
        &km,
        "include.systems",
    );
    rejected_by(
        &format!("exclude:\n  systems: [{JITA}]"),
        &km,
        "exclude.systems",
    );
    assert!(accepts(&format!("exclude:\n  systems: [{TAMA}]"), &km));

    let c = jita.constellation_id;
    assert!(accepts(&format!("include:\n  constellations: [{c}]"), &km));
    rejected_by(
        "include:\n  constellations: [20000412]",
        &km,
        "include.constellations",
    );
    rejected_by(
        &format!("exclude:\n  constellations: [{c}]"),
        &km,
        "exclude.constellations",
    );

    assert!(accepts("include:\n  regions: [10000002]", &km));
    rejected_by("include:\n  regions: [10000060]", &km, "include.regions");
    rejected_by("exclude:\n  regions: [10000002]", &km, "exclude.regions");
    assert!(accepts("exclude:\n  regions: [10000060]", &km));
    let r = compile("exclude:\n  regions: [10000002]").evaluate(&km);
    let r = r.rejection().unwrap();
    assert_eq!(r.value, "10000002");
    assert_eq!(r.reason, "region 10000002 (The Forge) is excluded");
    let r = compile("include:\n  regions: [10000060]").evaluate(&km);
    assert_eq!(
        r.rejection().unwrap().reason,
        "region 10000002 (The Forge) is not on the include list"
    );

    // A location list ignores the side: it is about the place.
    assert!(accepts(
        "side: attackers\ninclude:\n  regions: [10000002]",
        &km
    ));
}

#[test]
fn security_class_lists() {
    let at = |system| kill(1, system, 0, RED, &[BLUE], Some(1.0));
    for (system, class) in [
        (JITA, SecurityClass::HighSec),
        (TAMA, SecurityClass::LowSec),
        (ONE_DQ, SecurityClass::NullSec),
        (THERA, SecurityClass::Wormhole),
    ] {
        let km = at(system);
        assert!(accepts(
            &format!("include:\n  security_classes: [{class}]"),
            &km
        ));
        rejected_by(
            &format!("exclude:\n  security_classes: [{class}]"),
            &km,
            "exclude.security_classes",
        );
        for other in SecurityClass::ALL.into_iter().filter(|&c| c != class) {
            rejected_by(
                &format!("include:\n  security_classes: [{other}]"),
                &km,
                "include.security_classes",
            );
            assert!(accepts(
                &format!("exclude:\n  security_classes: [{other}]"),
                &km
            ));
        }
    }
    // Spellings people use.
    assert!(accepts(
        "include:\n  security_classes: [nullsec, Low-Sec, HIGHSEC]",
        &at(TAMA)
    ));
    assert!(accepts("include:\n  security_classes: [wh]", &at(THERA)));
}

#[test]
fn a_system_the_universe_does_not_know_matches_no_region() {
    let km = kill(1, 30_999_999, 0, RED, &[BLUE], Some(1.0));
    assert!(accepts("exclude:\n  regions: [10000002]", &km));
    let r = compile("include:\n  regions: [10000002]").evaluate(&km);
    let r = r.rejection().unwrap();
    assert_eq!((r.rule, r.value.as_str()), ("include.regions", "unknown"));
}

// ---------------------------------------------------------------- combinations

#[test]
fn values_in_one_list_are_alternatives() {
    let km = base();
    assert!(accepts("include:\n  alliances: [5, 99000011]", &km));
    assert!(accepts(
        &format!("include:\n  systems: [{TAMA}, {JITA}]"),
        &km
    ));
}

#[test]
fn different_include_lists_combine_with_and() {
    let km = base(); // Jita, alliances 99000001 / 99000011
    let both = format!("include:\n  systems: [{JITA}]\n  alliances: [99000011]");
    assert!(accepts(&both, &km));
    let wrong_alliance = format!("include:\n  systems: [{JITA}]\n  alliances: [5]");
    rejected_by(&wrong_alliance, &km, "include.alliances");
    let wrong_system = format!("include:\n  systems: [{TAMA}]\n  alliances: [99000011]");
    rejected_by(&wrong_system, &km, "include.systems");
    let wrong_both = format!("include:\n  systems: [{TAMA}]\n  alliances: [5]");
    // Both fail; the first in evaluation order is reported.
    rejected_by(&wrong_both, &km, "include.alliances");
}

#[test]
fn excludes_always_win_over_includes() {
    let km = base();
    let yaml = "include:\n  alliances: [99000011]\nexclude:\n  alliances: [99000011]";
    rejected_by(yaml, &km, "exclude.alliances");
    let yaml = format!("include:\n  systems: [{JITA}]\nexclude:\n  characters: [12]");
    rejected_by(&yaml, &km, "exclude.characters");
    let r = compile(&yaml).evaluate(&km);
    assert_eq!(
        r.to_string(),
        "reject by exclude.characters (12): attacker character 12 is excluded"
    );
}

#[test]
fn the_first_failing_rule_is_reported_in_rule_order() {
    let npc = npc_kill(1, JITA, 0, RED);
    let yaml = format!(
        "drop_npc: true\nmin_pilots: 5\nmin_isk: 1\nexclude:\n  systems: [{JITA}]\ninclude:\n  regions: [10000060]"
    );
    rejected_by(&yaml, &npc, "drop_npc");
    let yaml = format!(
        "min_pilots: 5\nmin_isk: 1\nexclude:\n  systems: [{JITA}]\ninclude:\n  regions: [10000060]"
    );
    rejected_by(&yaml, &npc, "min_pilots");
    let yaml =
        format!("min_isk: 1\nexclude:\n  systems: [{JITA}]\ninclude:\n  regions: [10000060]");
    rejected_by(&yaml, &npc, "unknown_value");
    let yaml = format!("exclude:\n  systems: [{JITA}]\ninclude:\n  regions: [10000060]");
    rejected_by(&yaml, &npc, "exclude.systems");
}

#[test]
fn include_misses_say_what_the_killmail_had() {
    let km = base();
    let r = compile("include:\n  alliances: { side: attackers, values: [5] }").evaluate(&km);
    let r = r.rejection().unwrap();
    assert_eq!(r.value, "99000011");
    assert_eq!(
        r.reason,
        "no attacker alliance is on the include list (saw: 99000011)"
    );
    let loner = kill(2, JITA, 0, LONER, &[BLUE], Some(1.0));
    let r = compile("include:\n  alliances: { side: victim, values: [5] }").evaluate(&loner);
    assert_eq!(r.rejection().unwrap().value, "none");
    // Many values are cut after five.
    let crowd: Vec<Pilot> = (0..8)
        .map(|i| pilot(100 + i, 98_100_000 + i, Some(99_100_000 + i)))
        .collect();
    let big = kill(3, JITA, 0, RED, &crowd, Some(1.0));
    let r = compile("include:\n  alliances: { side: attackers, values: [5] }").evaluate(&big);
    assert_eq!(
        r.rejection().unwrap().value,
        "99100000,99100001,99100002,99100003,99100004,+3 more"
    );
}

#[test]
fn filter_stats_tally_decisions_by_rule() {
    let rules = compile("drop_npc: true\nmin_pilots: 3");
    let mut stats = FilterStats::default();
    for km in [
        base(),
        npc_kill(2, JITA, 0, RED),
        kill(3, JITA, 0, RED, &[BLUE], None),
        kill(4, JITA, 0, RED, &[BLUE], None),
    ] {
        stats.record(&rules.evaluate(&km));
    }
    assert_eq!(stats.accepted, 1);
    assert_eq!(stats.by_rule(), vec![("drop_npc", 1), ("min_pilots", 2)]);
    assert_eq!(stats.total(), 4);
}

// ---------------------------------------------------------------- formats

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/rulesets")
        .join(name)
}

/// Generated data plus hand-built kills that hit every rule of the parity
/// ruleset.
fn parity_kills() -> Vec<Killmail> {
    let mut kills = generate(
        &ScenarioConfig {
            kills: 1500,
            ..ScenarioConfig::small()
        },
        11,
    );
    let mut tama = kill(1, TAMA, 0, RED, &[BLUE], Some(5e6));
    kills.push(tama.clone());
    tama.killmail_id = 2;
    tama.attackers[0].ship_type_id = Some(17_738); // Machariel
    kills.push(tama.clone());
    tama.killmail_id = 3;
    tama.victim.ship_type_id = CROW;
    kills.push(tama);
    kills.push(kill(4, 30_000_848, 0, RED, &[BLUE], Some(5e6))); // Tribute
    kills.push(kill(5, TAMA, 0, RED, &[BLUE], None));
    kills.push(kill(6, TAMA, 0, RED, &[BLUE], Some(1e12)));
    kills
}

#[test]
fn the_same_ruleset_in_json_yaml_and_toml_decides_the_same() {
    let json = Ruleset::from_path(&fixture("parity.json")).unwrap();
    let yaml = Ruleset::from_path(&fixture("parity.yaml")).unwrap();
    let toml = Ruleset::from_path(&fixture("parity.toml")).unwrap();
    assert_eq!(json, yaml);
    assert_eq!(json, toml);
    assert_eq!(json.min_isk, Some(1_000_000.0));
    assert_eq!(
        json.include.ship_classes.side,
        Some(MatchOn::Victim),
        "the {{side, values}} form is read"
    );
    assert_eq!(
        json.include.security_classes,
        vec![
            SecurityClass::HighSec,
            SecurityClass::LowSec,
            SecurityClass::NullSec
        ]
    );

    let compiled: Vec<CompiledRuleset> = [&json, &yaml, &toml]
        .iter()
        .map(|r| r.compile().unwrap())
        .collect();
    let mut stats = FilterStats::default();
    for km in parity_kills() {
        let decision = compiled[0].evaluate(&km);
        assert_eq!(compiled[1].evaluate(&km), decision);
        assert_eq!(compiled[2].evaluate(&km), decision);
        stats.record(&decision);
    }
    // The comparison means something only if the ruleset does something.
    let fired: Vec<&str> = stats.by_rule().into_iter().map(|(r, _)| r).collect();
    assert!(stats.accepted > 0, "{stats:?}");
    for rule in [
        "drop_npc",
        "drop_awox",
        "min_pilots",
        "min_isk",
        "max_isk",
        "exclude.systems",
        "exclude.regions",
        "exclude.ship_groups",
        "exclude.ship_types",
        "include.security_classes",
        "include.ship_classes",
    ] {
        assert!(fired.contains(&rule), "{rule} never fired: {stats:?}");
    }
}

#[test]
fn rulesets_round_trip_through_json() {
    let yaml = Ruleset::from_path(&fixture("parity.yaml")).unwrap();
    let text = serde_json::to_string(&yaml).unwrap();
    assert!(text.contains(r#""ship_classes":{"side":"victim","values":["frigate""#));
    assert!(text.contains(r#""systems":[30000142]"#));
    assert_eq!(Ruleset::from_json(&text).unwrap(), yaml);
    let mut r = Ruleset::default();
    r.exclude.alliances = ParticipantList::new(vec![1, 2]);
    r.include.ship_classes = ParticipantList::on(MatchOn::Attackers, vec![ShipClass::Frigate]);
    let text = serde_json::to_string(&r).unwrap();
    assert_eq!(Ruleset::from_json(&text).unwrap(), r);
}

#[test]
fn the_json_schema_describes_the_document() {
    let schema = Ruleset::json_schema();
    let props = &schema["properties"];
    for field in [
        "min_pilots",
        "max_pilots",
        "min_isk",
        "max_isk",
        "unknown_value",
        "side",
        "drop_npc",
        "drop_solo",
        "drop_awox",
        "include",
        "exclude",
    ] {
        assert!(props.get(field).is_some(), "{field} missing from {schema}");
    }
    assert_eq!(schema["additionalProperties"], false);
    let lists = &schema["$defs"]["Lists"];
    assert_eq!(lists["additionalProperties"], false);
    let classes = &lists["properties"]["security_classes"]["items"]["enum"];
    assert_eq!(classes.as_array().unwrap().len(), SecurityClass::ALL.len());
    let list = &schema["$defs"]["ParticipantList_ShipClass"]["anyOf"];
    assert_eq!(list.as_array().unwrap().len(), 2);
}

// ---------------------------------------------------------------- errors

/// The field an invalid ruleset's error names, and its message.
fn error_of(text: &str, format: RulesetFormat) -> (String, String) {
    match Ruleset::parse(text, format) {
        Err(e @ Error::Config { .. }) => (e.field().unwrap_or_default().to_owned(), e.to_string()),
        other => panic!("{text}: expected a config error, got {other:?}"),
    }
}

#[test]
fn unknown_fields_are_named_in_every_format() {
    for (text, format) in [
        (r#"{"include": {"alliance": [1]}}"#, RulesetFormat::Json),
        ("include:\n  alliance: [1]\n", RulesetFormat::Yaml),
        ("[include]\nalliance = [1]\n", RulesetFormat::Toml),
    ] {
        let (field, message) = error_of(text, format);
        assert_eq!(field, "include.alliance", "{format}: {message}");
        assert!(
            message.contains("unknown field `alliance`") && message.contains("`alliances`"),
            "{message}"
        );
    }
    let (field, _) = error_of("min_pilot: 3", RulesetFormat::Yaml);
    assert_eq!(field, "min_pilot");
    let (field, _) = error_of(
        "exclude:\n  ship_classes: { side: victim, value: [capsule] }",
        RulesetFormat::Yaml,
    );
    assert_eq!(field, "exclude.ship_classes.value");
}

#[test]
fn unknown_class_names_are_named_with_their_index() {
    let (field, message) = error_of(
        "include:\n  security_classes: [high_sec, lawless]",
        RulesetFormat::Yaml,
    );
    assert_eq!(field, "include.security_classes[1]");
    assert!(
        message.contains("unknown security class \"lawless\"") && message.contains("null_sec"),
        "{message}"
    );
    let (field, message) = error_of(
        "[exclude]\nship_classes = { side = \"victim\", values = [\"capsule\", \"pod\"] }",
        RulesetFormat::Toml,
    );
    assert_eq!(field, "exclude.ship_classes.values[1]");
    assert!(
        message.contains("`pod`") && message.contains("line 2"),
        "{message}"
    );
    let (field, _) = error_of(r#"{"side": "both"}"#, RulesetFormat::Json);
    assert_eq!(field, "side");
    let (field, _) = error_of("unknown_value: maybe", RulesetFormat::Yaml);
    assert_eq!(field, "unknown_value");
}

#[test]
fn inconsistent_or_unknown_values_fail_to_load() {
    let (field, message) = error_of("min_isk: 5e9\nmax_isk: 1e9", RulesetFormat::Yaml);
    assert_eq!(field, "min_isk");
    assert!(message.contains("greater than max_isk"), "{message}");
    let (field, _) = error_of("min_pilots = 10\nmax_pilots = 2", RulesetFormat::Toml);
    assert_eq!(field, "min_pilots");
    let (field, _) = error_of("min_isk: -5", RulesetFormat::Yaml);
    assert_eq!(field, "min_isk");
    let (field, message) = error_of(
        r#"{"include": {"regions": [10000002, 42]}}"#,
        RulesetFormat::Json,
    );
    assert_eq!(field, "include.regions[1]");
    assert!(message.contains("unknown region 42"), "{message}");
    let (field, _) = error_of("exclude:\n  systems: [1]", RulesetFormat::Yaml);
    assert_eq!(field, "exclude.systems[0]");
    let (field, _) = error_of(
        "exclude:\n  ship_groups: { side: victim, values: [831, 7] }",
        RulesetFormat::Yaml,
    );
    assert_eq!(field, "exclude.ship_groups.values[1]");
    let (field, message) = error_of("exclude:\n  alliances: 99005338", RulesetFormat::Yaml);
    assert_eq!(field, "exclude.alliances");
    assert!(message.contains("a list of values"), "{message}");
    let (field, _) = error_of("min_pilots: many", RulesetFormat::Yaml);
    assert_eq!(field, "min_pilots");
    // Compiling a hand-built ruleset checks it as well.
    let bad = Ruleset {
        min_pilots: Some(3),
        max_pilots: Some(1),
        ..Ruleset::default()
    };
    assert!(matches!(bad.compile(), Err(Error::Config { .. })));
}

#[test]
fn syntax_errors_and_files_are_reported() {
    let (field, message) = error_of("{\"min_isk\": ", RulesetFormat::Json);
    assert_eq!(field, "min_isk");
    assert!(
        message.contains("EOF") && message.contains("line 1"),
        "{message}"
    );
    let (field, message) = error_of("{ nope", RulesetFormat::Json);
    assert_eq!(field, ".");
    assert!(message.contains("line 1 column 3"), "{message}");
    let (field, _) = error_of("include: [1, 2]", RulesetFormat::Yaml);
    assert_eq!(field, "include");
    let (_, message) = error_of("min_isk = \n", RulesetFormat::Toml);
    assert!(message.contains("line 1"), "{message}");
    let dir = tempfile::tempdir().unwrap();
    let ini = dir.path().join("rules.ini");
    std::fs::write(&ini, "x").unwrap();
    let err = Ruleset::from_path(&ini).unwrap_err();
    assert!(err.to_string().contains("rules.ini"), "{err}");
    let err = Ruleset::from_path(&dir.path().join("missing.yaml")).unwrap_err();
    assert!(
        err.to_string()
            .contains("missing.yaml: cannot read ruleset"),
        "{err}"
    );
    let yml = dir.path().join("rules.YML");
    std::fs::write(&yml, "drop_npc: true\n").unwrap();
    assert!(Ruleset::from_path(&yml).unwrap().drop_npc);
    assert_eq!("yml".parse::<RulesetFormat>().unwrap(), RulesetFormat::Yaml);
    assert!("ini".parse::<RulesetFormat>().is_err());
}

#[test]
fn null_lists_in_yaml_are_empty() {
    let r = Ruleset::from_yaml("exclude:\n  alliances:\n  security_classes:\n").unwrap();
    assert!(r.is_empty());
}

#[test]
fn attackers_without_character_are_still_attackers_for_lists() {
    let mut km = base();
    km.attackers.push(Attacker {
        alliance_id: None,
        character_id: None,
        corporation_id: Some(1_000_125),
        faction_id: Some(500_010),
        damage_done: 1,
        final_blow: false,
        security_status: None,
        ship_type_id: Some(CROW),
        weapon_type_id: None,
    });
    rejected_by(
        "exclude:\n  ship_types: { side: attackers, values: [11176] }",
        &km,
        "exclude.ship_types",
    );
}

#[test]
fn filter_keeps_the_accepted_in_order_and_reports_like_a_read() {
    let kms = vec![
        kill(1, JITA, 0, RED, &[BLUE], Some(1.0)),
        npc_kill(2, JITA, 0, RED),
        kill(3, JITA, 0, RED, &[BLUE, RED2], Some(1.0)),
    ];
    let rules = compile("drop_npc: true");
    let (kept, stats) = rules.filter(&kms);
    assert_eq!(
        kept.iter().map(|k| k.killmail_id).collect::<Vec<_>>(),
        vec![1, 3]
    );
    assert_eq!((stats.accepted, stats.rejected["drop_npc"]), (2, 1));
    let report = stats.read_report();
    assert_eq!((report.records, report.killmails), (3, 2));
    let mut in_place = kms.clone();
    assert_eq!(rules.retain(&mut in_place), stats);
    assert_eq!(in_place, kept);
}
