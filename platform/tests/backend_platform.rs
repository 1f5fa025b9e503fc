//! The platform on its distributed backends (Kafka, PostgreSQL,
//! Typesense), as processes of the `battlescope` binary: `serve` with the
//! three URLs, and one process per service with two clusterers sharing the
//! partitions while the group rebalances. Both must store exactly the
//! battles core's batch `cluster()` finds in the same generated fights.
//! Needs `deploy/local/services up` (scripts/test-backends); fails, never
//! skips, without it.

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use battlescope_core::cluster::{cluster, ClusterConfig};
use battlescope_core::{Battle, Killmail};
use battlescope_platform::adapters::typesense::{TypesenseConfig, TypesenseIndex};
use battlescope_platform::ports::search::{HitKind, SearchIndex, SearchQuery};
use battlescope_platform::ports::store::{BattleQuery, Store};
use battlescope_synth::{generate, write_jsonl, ScenarioConfig};
use common::{require_env, unique_name};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

fn fights(kills: usize, seed: u64) -> Vec<Killmail> {
    generate(
        &ScenarioConfig {
            kills,
            ..ScenarioConfig::small()
        },
        seed,
    )
}

fn write_file(dir: &Path, kills: &[Killmail]) -> PathBuf {
    let path = dir.join("fights.jsonl");
    let file = std::fs::File::create(&path).unwrap();
    write_jsonl(std::io::BufWriter::new(file), kills).unwrap();
    path
}

/// Battles by membership, ids left out (see tests/serve.rs).
fn by_members(battles: &[Battle]) -> BTreeMap<Vec<u64>, Battle> {
    battles
        .iter()
        .map(|b| {
            let mut b = b.clone();
            b.id = Uuid::nil();
            (b.killmail_ids.clone(), b)
        })
        .collect()
}

/// Where one test's data lives on the shared servers: a PostgreSQL schema,
/// a topic and group prefix, a collection prefix.
struct Backends {
    name: String,
    admin: PgConnection,
    bus: String,
    store: String,
    search: String,
    typesense_key: String,
}

impl Backends {
    async fn new(prefix: &str) -> Self {
        let name = unique_name(prefix);
        let database = require_env("DATABASE_URL");
        let base: PgConnectOptions = database.parse().expect("DATABASE_URL");
        let mut admin = PgConnection::connect_with(&base).await.unwrap_or_else(|e| {
            panic!("cannot connect to PostgreSQL at {database} (is `deploy/local/services up` running?): {e}")
        });
        sqlx::query(&format!("CREATE SCHEMA \"{name}\""))
            .execute(&mut admin)
            .await
            .expect("create schema");
        let separator = if database.contains('?') { '&' } else { '?' };
        let typesense = require_env("TYPESENSE_URL");
        let host = typesense
            .trim_end_matches('/')
            .trim_start_matches("http://");
        Self {
            bus: format!("kafka://{}?prefix={name}_", require_env("KAFKA_BROKERS")),
            store: format!("{database}{separator}options=-c%20search_path%3D{name}"),
            search: format!("typesense://{host}?prefix={name}_"),
            typesense_key: require_env("TYPESENSE_API_KEY"),
            name,
            admin,
        }
    }

    /// Every stored battle, newest first.
    async fn battles(&self, store: &dyn Store) -> Vec<Battle> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .battles(&BattleQuery {
                    after,
                    limit: 500,
                    ..BattleQuery::default()
                })
                .await
                .expect("list battles");
            out.extend(page.battles);
            match page.next {
                Some(next) => after = Some(next),
                None => return out,
            }
        }
    }

    async fn index(&self) -> TypesenseIndex {
        let config = TypesenseConfig::from_url(&self.search, Some(self.typesense_key.clone()))
            .expect("typesense URL");
        TypesenseIndex::open(config).await.expect("open Typesense")
    }

    async fn drop(mut self) {
        self.index().await.drop_collections().await.ok();
        sqlx::query(&format!("DROP SCHEMA \"{}\" CASCADE", self.name))
            .execute(&mut self.admin)
            .await
            .expect("drop schema");
    }
}

fn battlescope(backends: &Backends) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_battlescope"));
    c.env("TYPESENSE_API_KEY", &backends.typesense_key)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_kafka_postgres_and_typesense_stores_the_batch_battles() {
    let backends = Backends::new("serve").await;
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(1_200, 21);
    let file = write_file(dir.path(), &kills);
    let out = battlescope(&backends)
        .args(["serve", "--listen", "127.0.0.1:0", "--exit-after-replay"])
        .args(["--bus", &backends.bus, "--store", &backends.store])
        .args(["--search", &backends.search, "--data"])
        .arg(dir.path().join("data"))
        .arg("--replay")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "serve failed:\n{stderr}");

    let store = battlescope_platform::serve::open_store(&backends.store)
        .await
        .expect("open the store");
    let stored = backends.battles(&*store).await;
    let batch = cluster(&kills, &ClusterConfig::default()).unwrap();
    assert!(batch.len() > 20, "the scenario has fights: {}", batch.len());
    assert_eq!(by_members(&stored), by_members(&batch), "core cluster()");

    // The search index followed: each battle's system finds it.
    let index = backends.index().await;
    for b in stored.iter().take(10) {
        let system = b.system_name.clone().expect("a named system");
        let hits = index
            .search(&SearchQuery {
                text: system.clone(),
                kinds: vec![HitKind::Battle],
                limit: 250,
            })
            .await
            .unwrap();
        assert!(
            hits.iter().any(|h| h.id == b.id.to_string()),
            "battle {} in {system} not in the index: {hits:?}",
            b.id
        );
    }
    backends.drop().await;
}

/// A free loopback port for a service's probes.
fn free_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// A service process, stopped (SIGTERM, then waited for) when dropped.
struct Service {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Service {
    fn start(backends: &Backends, dir: &Path, name: &'static str, args: &[&str]) -> Self {
        let log = dir.join(format!("{name}-{}.log", unique_name("")));
        let mut command = battlescope(backends);
        command
            .args(["service", name])
            .args(args)
            .env("BATTLESCOPE_BUS", &backends.bus)
            .env("BATTLESCOPE_HEALTH_LISTEN", free_port())
            .env("BATTLESCOPE_SHUTDOWN_GRACE", "30s")
            .env("RUST_LOG", "info")
            .stderr(std::fs::File::create(&log).unwrap());
        if name != "enrich" {
            command.env("BATTLESCOPE_STORE", &backends.store);
        }
        Self {
            name,
            child: command.spawn().unwrap(),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, and wait for it to finish what it holds.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(
                    status.success(),
                    "{} exited with {status}:\n{}",
                    self.name,
                    self.log()
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not stop:\n{}",
                self.name,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_per_service_with_two_clusterers_sharing_partitions_stores_the_batch_battles() {
    let backends = Backends::new("services").await;
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(1_500, 23);
    let file = write_file(dir.path(), &kills);
    let batch = cluster(&kills, &ClusterConfig::default()).unwrap();
    // Replayed over ~12 s of wall time, so the group moves partitions mid-replay.
    let span = kills
        .iter()
        .map(|k| k.killmail_time.timestamp())
        .max()
        .unwrap()
        - kills
            .iter()
            .map(|k| k.killmail_time.timestamp())
            .min()
            .unwrap();
    #[allow(clippy::cast_precision_loss)]
    let speed = format!("{}", (span as f64 / 12.0).max(1.0));

    let store = battlescope_platform::serve::open_store(&backends.store)
        .await
        .expect("open the store (migrates it before the services start)");
    let mut writer = Service::start(&backends, dir.path(), "writer", &[]);
    let mut enrich = Service::start(&backends, dir.path(), "enrich", &[]);
    let clusterer_args = ["--checkpoint-interval", "1s"];
    let mut first = Service::start(&backends, dir.path(), "clusterer", &clusterer_args);
    std::thread::sleep(Duration::from_secs(3));
    let mut ingest = Service::start(
        &backends,
        dir.path(),
        "ingest",
        &["--replay", file.to_str().unwrap(), "--speed", &speed],
    );
    // A second clusterer joins (the group splits the partitions), then the
    // first leaves (the second takes them all, from the first's checkpoints).
    std::thread::sleep(Duration::from_secs(4));
    let mut second = Service::start(&backends, dir.path(), "clusterer", &clusterer_args);
    std::thread::sleep(Duration::from_secs(5));
    first.stop();

    let deadline = Instant::now() + Duration::from_secs(120);
    let expected = by_members(&batch);
    let stored = loop {
        let stored = by_members(&backends.battles(&*store).await);
        if stored == expected {
            break stored;
        }
        if Instant::now() > deadline {
            let missing: Vec<_> = expected
                .keys()
                .filter(|k| !stored.contains_key(*k))
                .collect();
            let extra: Vec<_> = stored
                .keys()
                .filter(|k| !expected.contains_key(*k))
                .collect();
            let raw = backends.battles(&*store).await;
            let extra_ids: Vec<_> = raw
                .iter()
                .filter(|b| extra.contains(&&b.killmail_ids))
                .map(|b| (b.id, b.system_id, b.start_time))
                .collect();
            let same_docs: Vec<_> = stored
                .iter()
                .filter(|(k, b)| expected.get(*k).is_some_and(|e| e != *b))
                .map(|(k, _)| k.len())
                .collect();
            panic!(
                "stored battles differ from cluster(): missing {missing:?}, not in batch {extra:?} {extra_ids:?}, \
                 same kills but other documents: {same_docs:?} \
                 ({} stored, {} expected)\nclusterer 1:\n{}\nclusterer 2:\n{}",
                stored.len(),
                expected.len(),
                first.log(),
                second.log()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(stored.len(), batch.len());
    let first_log = first.log();
    let second_log = second.log();
    assert!(
        first_log.contains("clusterer partitions moved")
            && second_log.contains("clusterer partitions moved"),
        "no rebalance was seen:\n{first_log}\n{second_log}"
    );
    assert!(
        second_log.contains("clusterer state restored"),
        "the second clusterer never rebuilt a partition from a checkpoint:\n{second_log}"
    );
    for s in [&mut ingest, &mut second, &mut enrich, &mut writer] {
        s.stop();
    }
    backends.drop().await;
}
