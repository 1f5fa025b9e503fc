//! `battlescope intel`, through the real binary on the sample data.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn battlescope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_battlescope"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// An alliance that fights in several of the sample battles.
const ALLIANCE: &str = "99010889";

fn report(args: &[&str]) -> serde_json::Value {
    let out = battlescope(args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn intel_on_an_alliance_as_json() {
    let r = report(&["intel", "--alliance", ALLIANCE, "examples/data", "--quiet"]);
    assert_eq!(r["entity"]["kind"], "alliance");
    assert_eq!(r["entity"]["id"].as_u64(), Some(ALLIANCE.parse().unwrap()));
    let s = &r["summary"];
    assert!(s["battles"].as_u64().unwrap() >= 2, "{s}");
    assert!(s["kills"].as_u64().unwrap() + s["losses"].as_u64().unwrap() > 0);
    for key in ["opponents", "allies", "doctrines", "pilots"] {
        assert!(r[key].is_array(), "{key}");
    }
    assert!(!r["opponents"].as_array().unwrap().is_empty());
    assert!(!r["ships"]["hulls"].as_array().unwrap().is_empty());
    let hours = r["activity"]["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    let per_hour: u64 = hours
        .iter()
        .map(|h| h["kills"].as_u64().unwrap() + h["losses"].as_u64().unwrap())
        .sum();
    assert_eq!(
        per_hour,
        s["kills"].as_u64().unwrap() + s["losses"].as_u64().unwrap()
    );
    assert_eq!(r["activity"]["heatmap"].as_array().unwrap().len(), 7);
    let pilot = &r["pilots"][0];
    assert!(pilot["hulls"][0]["firstSeen"].is_string(), "{pilot}");
}

#[test]
fn intel_as_a_table() {
    let out = battlescope(&[
        "intel",
        "--alliance",
        ALLIANCE,
        "examples/data",
        "--format",
        "table",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    for section in [
        &format!("alliance {ALLIANCE}:") as &str,
        "Opponents",
        "Allies",
        "Ships",
        "Doctrines",
        "Activity by system",
        "Activity by region",
        "Activity by hour (UTC)",
        "Pilots",
    ] {
        assert!(text.contains(section), "{section} missing:\n{text}");
    }
    assert!(
        stderr(&out).contains(&format!("with alliance {ALLIANCE}")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn intel_with_a_ruleset_and_other_entities() {
    let all = report(&["intel", "--alliance", ALLIANCE, "examples/data", "--quiet"]);
    let some = report(&[
        "intel",
        "--alliance",
        ALLIANCE,
        "examples/data",
        "--quiet",
        "--ruleset",
        "examples/rulesets/wormhole-fights.yaml",
    ]);
    let kills = |r: &serde_json::Value| r["summary"]["kills"].as_u64().unwrap();
    assert!(kills(&some) <= kills(&all));
    assert_eq!(
        some["summary"]["killsWithoutValue"], 0,
        "unknown values are rejected"
    );

    // A pilot of the alliance, and their corporation.
    let pilot = all["pilots"][0]["characterId"]
        .as_u64()
        .unwrap()
        .to_string();
    let me = report(&["intel", "--character", &pilot, "examples/data", "--quiet"]);
    assert_eq!(me["entity"]["kind"], "character");
    assert_eq!(me["pilots"].as_array().unwrap().len(), 1);
    let nobody = report(&["intel", "--corporation", "1", "examples/data", "--quiet"]);
    assert_eq!(nobody["summary"]["battles"], 0);
}

#[test]
fn intel_needs_exactly_one_entity_and_sane_options() {
    let none = battlescope(&["intel", "examples/data"]);
    assert!(!none.status.success());
    assert!(stderr(&none).contains("--alliance"), "{}", stderr(&none));
    let two = battlescope(&[
        "intel",
        "--alliance",
        "1",
        "--character",
        "2",
        "examples/data",
    ]);
    assert!(!two.status.success());
    let bad = battlescope(&[
        "intel",
        "--alliance",
        "1",
        "--doctrine-similarity",
        "2",
        "examples/data",
    ]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("`2`"), "{}", stderr(&bad));
}
