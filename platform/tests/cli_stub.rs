//! `battlescope stub` as a program: it prints where it listens and serves
//! what it generated.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Stops the stub even when an assertion fails.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_stub_command_serves_generated_killmails() {
    battlescope_platform::adapters::http::install_tls_provider();
    let child = Command::new(env!("CARGO_BIN_EXE_battlescope"))
        .args([
            "stub",
            "--port",
            "0",
            "--no-fixtures",
            "--synth",
            "3",
            "--first-sequence",
            "500",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("battlescope runs");
    let mut child = Running(child);
    let stderr = child.0.stderr.take().expect("stderr");
    let (lines, read) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            if lines.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let next = || read.recv_timeout(Duration::from_secs(30)).expect("a line");
    let first = next();
    let url = first
        .strip_prefix("zKillboard / ESI stub on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    // Wait for the publisher to finish, then read the feed.
    while !next().starts_with("published 3 generated killmails") {}
    let seq: serde_json::Value = reqwest::get(format!("{url}/ephemeral/sequence.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seq["sequence"], 502);
    let item: serde_json::Value = reqwest::get(format!("{url}/ephemeral/500.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(item["sequence_id"], 500);
    assert_eq!(item["killmail_id"], item["esi"]["killmail_id"]);
}
