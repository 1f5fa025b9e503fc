//! `battlescope service NAME` as an operator runs it: every setting has a
//! flag and an environment variable, a lone service refuses an in-process
//! bus, and the api service serves a store that `serve` filled. (The
//! pipeline services against Kafka / PostgreSQL run in the backend tests.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};

fn battlescope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_battlescope"))
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

const SERVICES: [&str; 6] = ["ingest", "enrich", "clusterer", "writer", "indexer", "api"];

#[test]
fn every_setting_of_every_service_has_an_environment_variable() {
    for service in SERVICES {
        let out = battlescope()
            .args(["service", service, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{service}: {help}");
        // Each option's block runs until the next option line.
        let mut blocks: Vec<(String, String)> = Vec::new();
        for line in help.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("--") || trimmed.starts_with("-h, --help") {
                let name = trimmed.split_whitespace().next().unwrap_or("").to_owned();
                blocks.push((name, String::new()));
            }
            if let Some((_, text)) = blocks.last_mut() {
                text.push_str(line);
            }
        }
        let options: Vec<_> = blocks
            .iter()
            .filter(|(name, _)| name != "-h," && name != "--help")
            .collect();
        assert!(options.len() >= 3, "{service}: too few options in\n{help}");
        for (name, text) in options {
            assert!(
                text.contains("[env: BATTLESCOPE_"),
                "{service} {name} has no environment variable:\n{help}"
            );
        }
    }
}

#[test]
fn a_lone_service_refuses_an_in_process_bus() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let out = battlescope()
        .args(["service", "writer", "--bus", "memory", "--store", &store])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("kafka://HOST:PORT"), "{stderr}");
}

#[test]
fn settings_come_from_the_environment() {
    // The bus named only by BATTLESCOPE_BUS: refused for what it is, so it was read.
    let dir = tempfile::tempdir().unwrap();
    let out = battlescope()
        .args(["service", "writer"])
        .env("BATTLESCOPE_BUS", "memory")
        .env(
            "BATTLESCOPE_STORE",
            format!("sqlite://{}", dir.path().join("db.sqlite").display()),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--bus memory: a service on its own"),
        "{stderr}"
    );
}

fn get(addr: &str, path: &str) -> (u16, serde_json::Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
    // Chunked or not, the JSON object is the part between the outer braces.
    let json = &body[body.find('{').unwrap()..=body.rfind('}').unwrap()];
    (status, serde_json::from_str(json).unwrap())
}

/// The sample data replayed by `serve` into `data` (no search index).
fn fill(data: &Path) {
    let filled = battlescope()
        .args(["serve", "--listen", "127.0.0.1:0", "--search", "none"])
        .arg("--data")
        .arg(data)
        .arg("--replay")
        .arg(root().join("examples/data"))
        .args(["--allowed-lateness", "3y", "--exit-after-replay"])
        .output()
        .unwrap();
    assert!(
        filled.status.success(),
        "{}",
        String::from_utf8_lossy(&filled.stderr)
    );
}

#[tokio::test]
async fn reindex_rebuilds_a_search_index_from_the_event_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fill(&data);
    let store = format!("sqlite://{}", data.join("battlescope.db").display());
    let out = battlescope()
        .args([
            "reindex", "--store", &store, "--search", "embedded", "--data",
        ])
        .arg(&data)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("(0 skipped)"), "{stderr}");
    // Each battle of batch clustering is found by its system's name.
    use battlescope_platform::adapters::search::{DocKind, SearchConfig, SearchIndex, SearchQuery};
    let index = SearchIndex::open(&data.join("search"), SearchConfig::default()).unwrap();
    let batch = battlescope()
        .arg("cluster")
        .arg(root().join("examples/data"))
        .args(["--allowed-lateness", "3y", "--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    let battles: Vec<serde_json::Value> = String::from_utf8_lossy(&batch.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!battles.is_empty());
    for b in &battles {
        let system = b["systemName"].as_str().unwrap();
        let hits = index
            .search(SearchQuery {
                limit: 100,
                ..SearchQuery::new(system).kinds(&[DocKind::Battle])
            })
            .await
            .unwrap();
        let id = b["id"].as_str().unwrap();
        assert!(
            hits.iter().any(|h| h.id == id),
            "battle {id} in {system} not found: {hits:?}"
        );
    }
}

#[test]
fn the_api_service_serves_a_store_filled_by_serve() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let examples = root().join("examples/data");
    fill(&data);

    let store = format!("sqlite://{}", data.join("battlescope.db").display());
    let mut api = battlescope()
        .args([
            "service",
            "api",
            "--listen",
            "127.0.0.1:0",
            "--store",
            &store,
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(api.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("the api service ended early").unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap().to_owned();
        }
    };
    let (ready, _) = get(&addr, "/health/ready");
    let (status, page) = get(&addr, "/api/battles?limit=500");
    api.kill().unwrap();
    let _ = api.wait();
    assert_eq!(ready, 200);
    assert_eq!(status, 200);
    let battles = page["battles"].as_array().unwrap();
    // The battles batch clustering finds in the same files.
    let batch = battlescope()
        .arg("cluster")
        .arg(&examples)
        .args(["--allowed-lateness", "3y", "--format", "jsonl", "--quiet"])
        .output()
        .unwrap();
    assert!(
        batch.status.success(),
        "{}",
        String::from_utf8_lossy(&batch.stderr)
    );
    let mut expected: Vec<String> = String::from_utf8_lossy(&batch.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut served: Vec<String> = battles
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    served.sort();
    assert!(!served.is_empty());
    assert_eq!(served, expected);
}
