//! `battlescope cluster` end to end, through the real binary.

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

#[test]
fn clusters_the_sample_data_into_battles_with_sides_and_kills() {
    let out = battlescope(&["cluster", "examples/data"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let battles: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let battles = battles.as_array().unwrap();
    assert!(!battles.is_empty());
    let biggest = battles
        .iter()
        .max_by_key(|b| b["stats"]["killCount"].as_u64().unwrap())
        .unwrap();
    let kills = biggest["kills"].as_array().unwrap();
    assert_eq!(
        kills.len() as u64,
        biggest["stats"]["killCount"].as_u64().unwrap()
    );
    assert_eq!(
        biggest["killmailIds"].as_array().unwrap().len(),
        kills.len()
    );
    assert!(biggest["sides"].as_array().unwrap().len() >= 2, "{biggest}");
    assert!(biggest["zkillboardUrl"]
        .as_str()
        .unwrap()
        .starts_with("https://zkillboard.com/related/"));
    let summary = stderr(&out);
    assert!(
        summary.contains("4 files") && summary.contains("battles"),
        "{summary}"
    );
}

#[test]
fn jsonl_and_csv_agree_with_json() {
    let json = battlescope(&["cluster", "examples/data", "--quiet"]);
    let jsonl = battlescope(&["cluster", "examples/data", "--quiet", "--format", "jsonl"]);
    let csv = battlescope(&["cluster", "examples/data", "--quiet", "--format", "csv"]);
    let all: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(jsonl.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(all, lines);
    let csv = String::from_utf8(csv.stdout).unwrap();
    let mut rows = csv.lines();
    assert!(rows.next().unwrap().starts_with("id,system_id,system_name"));
    assert_eq!(rows.count(), all.len());
    assert!(stderr(&json).is_empty(), "--quiet prints nothing on stderr");
}

#[test]
fn options_change_the_result_and_bad_values_are_named() {
    let default = battlescope(&["cluster", "examples/data", "--quiet", "--format", "jsonl"]);
    let one = battlescope(&[
        "cluster",
        "examples/data",
        "--quiet",
        "--format",
        "jsonl",
        "--min-kills",
        "1",
    ]);
    let n = |o: &Output| String::from_utf8_lossy(&o.stdout).lines().count();
    assert!(
        n(&one) > n(&default),
        "single kills become battles with --min-kills 1"
    );

    let bad = battlescope(&["cluster", "examples/data", "--max-gap", "soon"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("`soon`"), "{}", stderr(&bad));
    let bad = battlescope(&["cluster", "examples/data", "--input-format", "xml"]);
    assert!(stderr(&bad).contains("`xml`"), "{}", stderr(&bad));
}

#[test]
fn bad_records_are_reported_and_bad_files_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let good =
        std::fs::read_to_string(root().join("examples/data/wormhole-fights-2024.jsonl")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(3, "{\"killmail_id\": 5, \"killmail_time\": 17}");
    let file = dir.path().join("day.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let path = file.to_str().unwrap();

    let out = battlescope(&["cluster", path, "--format", "csv"]);
    assert!(out.status.success(), "a bad record does not fail the run");
    let err = stderr(&out);
    assert!(
        err.contains("skipped: killmail 5 at")
            && err.contains("day.jsonl line 4: field `killmail_time`"),
        "{err}"
    );
    // Valid JSON with a wrong type is a field error, not invalid JSON.
    assert!(err.contains("invalid:killmail_time: 1"), "{err}");

    let strict = battlescope(&["cluster", path, "--strict", "--quiet"]);
    assert_eq!(strict.status.code(), Some(2));

    let missing = battlescope(&["cluster", path, "no/such/file.jsonl", "--quiet"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no/such/file.jsonl: cannot open"),
        "{}",
        stderr(&missing)
    );
}

/// A directory holding one file of every extension the engine reads (the
/// archive built with the `tar` and `bzip2` crates), a nested one, and a
/// file it does not read: `battlescope filter` reads exactly the killmails
/// of the readable files.
#[test]
fn a_directory_of_every_format_reads_whole() {
    use std::io::Write;
    let source =
        std::fs::read_to_string(root().join("examples/data/wormhole-fights-2024.jsonl")).unwrap();
    let lines: Vec<&str> = source.lines().take(6).collect();
    let id = |l: &str| {
        serde_json::from_str::<serde_json::Value>(l).unwrap()["killmail_id"]
            .as_u64()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.json"), format!("[{}]", lines[0])).unwrap();
    std::fs::write(d.join("b.jsonl"), format!("{}\n", lines[1])).unwrap();
    std::fs::write(d.join("c.jsonlines"), format!("{}\n", lines[2])).unwrap();
    std::fs::write(d.join("d.ndjson"), format!("{}\n", lines[3])).unwrap();
    std::fs::create_dir(d.join("days")).unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    for l in &lines[4..] {
        let mut header = tar::Header::new_gnu();
        header.set_size(l.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(
            &mut header,
            format!("killmails/{}.json", id(l)),
            l.as_bytes(),
        )
        .unwrap();
    }
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&tar.into_inner().unwrap()).unwrap();
    std::fs::write(
        d.join("days/killmails-2024-01-01.tar.bz2"),
        bz.finish().unwrap(),
    )
    .unwrap();
    std::fs::write(d.join("notes.txt"), "not killmails").unwrap();

    let elsewhere = tempfile::tempdir().unwrap();
    let out_file = elsewhere.path().join("out.jsonl");
    let rules = elsewhere.path().join("everything.yaml");
    std::fs::write(&rules, "name: everything\n").unwrap();
    let out = battlescope(&[
        "filter",
        d.to_str().unwrap(),
        "--ruleset",
        rules.to_str().unwrap(),
        "-o",
        out_file.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut got: Vec<u64> = std::fs::read_to_string(&out_file)
        .unwrap()
        .lines()
        .map(id)
        .collect();
    got.sort_unstable();
    let mut want: Vec<u64> = lines.iter().map(|l| id(l)).collect();
    want.sort_unstable();
    assert_eq!(got, want);
}
