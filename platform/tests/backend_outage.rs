//! Backends that go away: PostgreSQL, the broker and Typesense are each
//! stopped and started again (by `deploy/local/services`) in the middle of
//! a replay through one process per service. While a backend is down every
//! service that needs it answers `/health/ready` 503 naming it; once it is
//! back they are ready again without a restart, and the run ends with the
//! batch battles, every kill stored once, and the search index complete.
//!
//! The tests stop servers other tests use, so they run one at a time and
//! in their own test binary (cargo runs test binaries one after another).
//! Needs `deploy/local/services up` (scripts/test-backends); fails, never
//! skips, without it.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use battlescope_core::cluster::{cluster, ClusterConfig};
use common::platform::{by_members, fights, speed_for, write_file, Backends, Service};
use serde_json::Value;

/// One outage at a time: they share the servers.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long a backend stays down.
const OUTAGE: Duration = Duration::from_secs(12);

/// `deploy/local/services ACTION SERVICE`, which must succeed.
fn services(action: &str, service: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/local/services");
    let out = Command::new(&script)
        .args([action, service])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
    assert!(
        out.status.success(),
        "deploy/local/services {action} {service} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the backend again when dropped, so a failing test leaves the
/// servers up for the next.
struct StartAgain(&'static str);

impl Drop for StartAgain {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/local/services");
            let _ = Command::new(script).args(["up", self.0]).status();
        }
    }
}

/// `GET /health/ready` of a service: its status and body (`None` when the
/// process does not answer at all).
async fn readiness(http: &reqwest::Client, service: &Service) -> Option<(u16, Value)> {
    let response = http
        .get(format!("http://{}/health/ready", service.health))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.unwrap_or(Value::Null)))
}

/// Wait until every one of `services` answers readiness `want`; panics with
/// their last answers after `limit`.
async fn wait_ready(http: &reqwest::Client, services: &[&Service], want: bool, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let mut last = Vec::new();
        for s in services {
            last.push((s.name, readiness(http, s).await));
        }
        if last.iter().all(|(_, r)| {
            r.as_ref()
                .is_some_and(|(status, _)| (*status == 200) == want)
        }) {
            return;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = services
                .iter()
                .map(|s| {
                    let log = s.log();
                    let lines: Vec<&str> = log.lines().collect();
                    let tail = lines[lines.len().saturating_sub(40)..].join("\n");
                    format!("--- {} (last lines):\n{tail}", s.name)
                })
                .collect();
            panic!(
                "not all {} within {limit:?}: {last:?}\n{}",
                if want { "ready" } else { "unready" },
                logs.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Stop `backend` mid-replay, check readiness follows it down and up, and
/// that the run ends as an undisturbed one would.
async fn outage(backend: &'static str, needs_it: &[&str]) {
    let _one = ONE_AT_A_TIME.lock().await;
    let backends = Backends::new(&format!("outage_{backend}")).await;
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(3_000, 31);
    let file = write_file(dir.path(), &kills);
    let batch = cluster(&kills, &ClusterConfig::default()).unwrap();
    assert!(batch.len() > 40, "the scenario has fights: {}", batch.len());
    // The replay spans ~30 s, so the outage falls in its middle.
    let speed = speed_for(&kills, 30.0);

    let store = battlescope_platform::serve::open_store(&backends.store)
        .await
        .expect("open the store (migrates it before the services start)");
    let dir = dir.path();
    let mut running = vec![
        Service::start(&backends, dir, "writer", &[]),
        Service::start(&backends, dir, "enrich", &[]),
        Service::start(
            &backends,
            dir,
            "clusterer",
            &["--checkpoint-interval", "1s"],
        ),
        Service::start(&backends, dir, "indexer", &["--search", &backends.search]),
    ];
    battlescope_platform::adapters::http::install_tls_provider();
    let http = reqwest::Client::new();
    wait_ready(
        &http,
        &running.iter().collect::<Vec<_>>(),
        true,
        Duration::from_secs(60),
    )
    .await;
    running.push(Service::start(
        &backends,
        dir,
        "ingest",
        &["--replay", file.to_str().unwrap(), "--speed", &speed],
    ));

    // The outage starts once the pipeline stores battles.
    let deadline = Instant::now() + Duration::from_secs(60);
    let before = loop {
        let stored = backends.battles(&*store).await.len();
        if stored >= batch.len() / 10 {
            break stored;
        }
        assert!(
            Instant::now() < deadline,
            "no battles stored before the outage"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(before < batch.len(), "the outage falls inside the replay");
    let down_at = Instant::now();
    let _start_again = StartAgain(backend);
    services("down", backend);
    let affected: Vec<&Service> = running
        .iter()
        .filter(|s| needs_it.contains(&s.name))
        .collect();
    wait_ready(&http, &affected, false, Duration::from_secs(20)).await;
    for s in &affected {
        let (_, body) = readiness(&http, s).await.expect("the process answers");
        let kind = match backend {
            "postgres" => "store",
            "broker" => "bus",
            _ => "search",
        };
        assert!(
            body["backends"][kind].is_string(),
            "{} names the {kind} as unreachable: {body}",
            s.name
        );
    }
    tokio::time::sleep(OUTAGE.saturating_sub(down_at.elapsed())).await;
    services("up", backend);
    // Ingest ends with its replay (its publishes retried until the broker
    // took them): the others are ready again, and it ends well.
    let mut ingest = running.pop().expect("ingest");
    wait_ready(
        &http,
        &running.iter().collect::<Vec<_>>(),
        true,
        Duration::from_secs(90),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = ingest.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "ingest did not finish its replay:\n{}",
            ingest.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        status.success(),
        "ingest failed ({status}):\n{}",
        ingest.log()
    );

    // Nothing lost, nothing doubled.
    let expected = by_members(&batch);
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let stored = by_members(&backends.battles(&*store).await);
        if stored == expected {
            break;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = running
                .iter()
                .map(|s| format!("--- {}:\n{}", s.name, s.log()))
                .collect();
            panic!(
                "after the {backend} outage the stored battles differ from cluster(): \
                 {} stored, {} expected\n{}",
                stored.len(),
                expected.len(),
                logs.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        usize::try_from(backends.count("killmails").await).unwrap(),
        kills.len(),
        "every kill stored once"
    );
    // The index caught up: one document per battle (keyed by id, so a
    // redelivered event cannot add one), merged-away battles removed.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let documents = backends.documents("battles").await;
        if usize::try_from(documents).unwrap() == batch.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the index holds {documents} battles, the batch {}",
            batch.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for mut s in running {
        s.stop();
    }
    backends.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_going_away_mid_replay_loses_and_doubles_nothing() {
    outage("postgres", &["ingest", "clusterer", "writer"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_going_away_mid_replay_loses_and_doubles_nothing() {
    outage(
        "broker",
        &["ingest", "enrich", "clusterer", "writer", "indexer"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typesense_going_away_mid_replay_loses_and_doubles_nothing() {
    outage("typesense", &["indexer"]).await;
}
