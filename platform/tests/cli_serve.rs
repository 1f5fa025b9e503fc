//! `battlescope serve` as a user runs it: the sample data replayed to the
//! end with `--exit-after-replay`, JSON logs, and clear errors for port
//! URLs this build does not have.

use std::path::Path;
use std::process::Command;

fn serve(args: &[&str], data: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_battlescope"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

#[test]
fn the_sample_data_is_served_and_the_replay_ends() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let examples = root().join("examples/data");
    let out = serve(
        &[
            "--replay",
            examples.to_str().unwrap(),
            "--allowed-lateness",
            "3y",
            "--exit-after-replay",
            "--log-format",
            "json",
        ],
        &data,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("BattleScope is serving http://127.0.0.1:"),
        "{stderr}"
    );
    // Every log line is one JSON object; the last progress line counts all.
    let logs: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let progress = logs
        .iter()
        .rev()
        .find(|l| l["fields"]["message"] == "progress")
        .expect("a progress line");
    assert_eq!(progress["fields"]["ingested"], 122);
    assert_eq!(progress["fields"]["dead_letters"], 0);
    assert!(data.join("battlescope.db").exists());

    // A second run resumes after the last record: nothing new.
    let again = serve(
        &[
            "--replay",
            examples.to_str().unwrap(),
            "--allowed-lateness",
            "3y",
            "--exit-after-replay",
            "--log-format",
            "json",
        ],
        &data,
    );
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    let last: serde_json::Value = stderr
        .lines()
        .rfind(|l| l.contains("\"progress\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .expect("a progress line");
    assert_eq!(last["fields"]["records"], 0, "{stderr}");
}

#[test]
fn port_urls_this_build_lacks_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (
            // Nothing listens on port 1: the error says where it tried.
            vec!["--store", "postgres://battlescope@127.0.0.1:1/bs"],
            "cannot connect to PostgreSQL at 127.0.0.1:1/bs",
        ),
        #[cfg(not(feature = "backends"))]
        (
            vec!["--bus", "kafka://127.0.0.1:9092"],
            "build it with `cargo build --features backends`",
        ),
        // With the feature, a URL the Kafka bus cannot use fails before connecting.
        #[cfg(feature = "backends")]
        (vec!["--bus", "kafka://127.0.0.1"], "expected host:port"),
        (
            // Nothing listens on port 1 (or no key is set): named either way.
            vec!["--search", "typesense://127.0.0.1:1"],
            "--search typesense://127.0.0.1:1",
        ),
        (
            vec!["--bus", "carrier-pigeon"],
            "unknown scheme `carrier-pigeon`",
        ),
        (vec!["--store", "mysql://x"], "unknown scheme `mysql`"),
        (
            vec!["--exit-after-replay"],
            "--exit-after-replay needs --replay",
        ),
    ] {
        let out = serve(&args, &dir.path().join("data"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn a_ruleset_with_an_unknown_field_stops_serve_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let ruleset = dir.path().join("typo.yaml");
    std::fs::write(&ruleset, "min_pilots: 3\ninclude:\n  alliance: [1]\n").unwrap();
    let out = serve(
        &["--ruleset", ruleset.to_str().unwrap()],
        &dir.path().join("data"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("include.alliance"), "{stderr}");
}
