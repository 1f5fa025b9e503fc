//! `battlescope filter` and `battlescope cluster --ruleset`, through the
//! real binary on the sample data and the example rulesets.

use std::collections::BTreeSet;
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

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const YAML: &str = "examples/rulesets/wormhole-fights.yaml";

/// The count of a row of the rejection table on stderr.
fn row(err: &str, name: &str) -> Option<u64> {
    err.lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}

#[test]
fn filter_writes_accepted_killmails_and_a_table_of_rejections() {
    let out = battlescope(&["filter", "examples/data", "--ruleset", YAML]);
    assert!(out.status.success(), "{}", stderr(&out));
    let kept = lines(&out);
    assert!(!kept.is_empty());
    for km in &kept {
        let system = km["solar_system_id"].as_u64().unwrap();
        assert!((31_000_000..32_000_000).contains(&system), "{km}");
        assert!(km["zkb"]["totalValue"].as_f64().unwrap() >= 1e7, "{km}");
        assert_ne!(km["victim"]["ship_type_id"], 670, "no pods");
        assert!(km["attackers"].as_array().is_some());
    }
    let err = stderr(&out);
    assert!(err.contains("rule") && err.contains("rejected"), "{err}");
    assert_eq!(row(&err, "(accepted)"), Some(kept.len() as u64), "{err}");
    assert_eq!(row(&err, "(total)"), Some(122), "{err}");
    assert!(row(&err, "min_isk").unwrap() > 0, "{err}");
    assert!(row(&err, "include.security_classes").unwrap() > 0, "{err}");
}

#[test]
fn the_same_ruleset_in_three_formats_filters_the_same() {
    let runs: Vec<Output> = ["yaml", "json", "toml"]
        .iter()
        .map(|ext| {
            let path = format!("examples/rulesets/wormhole-fights.{ext}");
            battlescope(&["filter", "examples/data", "--ruleset", &path, "--quiet"])
        })
        .collect();
    for run in &runs {
        assert!(run.status.success(), "{}", stderr(run));
        assert!(stderr(run).is_empty(), "--quiet prints nothing");
    }
    assert_eq!(runs[0].stdout, runs[1].stdout);
    assert_eq!(runs[0].stdout, runs[2].stdout);
}

#[test]
fn rejected_killmails_can_be_written_with_their_rule() {
    let dir = tempfile::tempdir().unwrap();
    let accepted = dir.path().join("kept.jsonl");
    let rejected = dir.path().join("rejected.jsonl");
    let out = battlescope(&[
        "filter",
        "examples/data",
        "--ruleset",
        YAML,
        "-o",
        accepted.to_str().unwrap(),
        "--rejected",
        rejected.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let kept = std::fs::read_to_string(&accepted).unwrap().lines().count();
    let rejected: Vec<serde_json::Value> = std::fs::read_to_string(&rejected)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(kept + rejected.len(), 122);
    let err = stderr(&out);
    for r in &rejected {
        let rule = r["rule"].as_str().unwrap();
        assert!(row(&err, rule).is_some(), "{rule} not in the table: {err}");
        assert!(r["killmailId"].as_u64().is_some());
        assert!(!r["reason"].as_str().unwrap().is_empty());
    }
    let min_isk = rejected.iter().find(|r| r["rule"] == "min_isk").unwrap();
    assert!(min_isk["reason"]
        .as_str()
        .unwrap()
        .contains("less than 10000000"));
}

#[test]
fn cluster_applies_the_ruleset_before_clustering() {
    let filtered = battlescope(&["filter", "examples/data", "--ruleset", YAML, "--quiet"]);
    let kept: BTreeSet<u64> = lines(&filtered)
        .iter()
        .map(|k| k["killmail_id"].as_u64().unwrap())
        .collect();
    let all = battlescope(&["cluster", "examples/data", "--quiet", "--format", "jsonl"]);
    let some = battlescope(&[
        "cluster",
        "examples/data",
        "--ruleset",
        YAML,
        "--format",
        "jsonl",
    ]);
    assert!(some.status.success(), "{}", stderr(&some));
    let all_battles = lines(&all);
    let battles = lines(&some);
    assert!(!battles.is_empty());
    assert!(battles.len() <= all_battles.len());
    let all_kills: usize = all_battles
        .iter()
        .map(|b| b["killmailIds"].as_array().unwrap().len())
        .sum();
    let some_kills: usize = battles
        .iter()
        .map(|b| b["killmailIds"].as_array().unwrap().len())
        .sum();
    assert!(some_kills < all_kills);
    for b in &battles {
        for id in b["killmailIds"].as_array().unwrap() {
            assert!(kept.contains(&id.as_u64().unwrap()), "{id} was rejected");
        }
    }
    let err = stderr(&some);
    assert!(row(&err, "(accepted)") == Some(kept.len() as u64), "{err}");
}

#[test]
fn a_bad_ruleset_fails_before_reading_and_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("rules.yaml");
    std::fs::write(&bad, "include:\n  alliance: [99005476]\n").unwrap();
    for command in ["filter", "cluster"] {
        let out = battlescope(&[command, "examples/data", "--ruleset", bad.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let err = stderr(&out);
        assert!(
            err.contains("rules.yaml: invalid ruleset") && err.contains("`include.alliance`"),
            "{command}: {err}"
        );
        assert!(out.stdout.is_empty());
    }
    std::fs::write(&bad, "include:\n  security_classes: [deep_space]\n").unwrap();
    let out = battlescope(&[
        "filter",
        "examples/data",
        "--ruleset",
        bad.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert!(
        err.contains("`include.security_classes[0]`") && err.contains("\"deep_space\""),
        "{err}"
    );
    let out = battlescope(&["filter", "examples/data", "--ruleset", "no/such/rules.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no/such/rules.toml"),
        "{}",
        stderr(&out)
    );
    let out = battlescope(&["filter", "examples/data"]);
    assert!(!out.status.success(), "--ruleset is required");
}
