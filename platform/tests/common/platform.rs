//! Processes of the `battlescope` binary on the shared real backends
//! (Kafka, PostgreSQL, Typesense): where one test's data lives, the
//! services it starts, and the fights it replays (`backend_platform`,
//! `backend_outage`).

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use battlescope_core::{Battle, Killmail};
use battlescope_platform::adapters::typesense::{TypesenseConfig, TypesenseIndex};
use battlescope_platform::ports::store::{BattleQuery, Store};
use battlescope_synth::{generate, write_jsonl, ScenarioConfig};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::{require_env, unique_name};

pub fn fights(kills: usize, seed: u64) -> Vec<Killmail> {
    generate(
        &ScenarioConfig {
            kills,
            ..ScenarioConfig::small()
        },
        seed,
    )
}

/// The `--speed` at which `kills` replay in about `seconds` of wall time.
pub fn speed_for(kills: &[Killmail], seconds: f64) -> String {
    let times = kills.iter().map(|k| k.killmail_time.timestamp());
    let span = times.clone().max().unwrap_or(0) - times.min().unwrap_or(0);
    #[allow(clippy::cast_precision_loss)]
    let speed = (span as f64 / seconds).max(1.0);
    format!("{speed}")
}

pub fn write_file(dir: &Path, kills: &[Killmail]) -> PathBuf {
    let path = dir.join("fights.jsonl");
    let file = std::fs::File::create(&path).unwrap();
    write_jsonl(std::io::BufWriter::new(file), kills).unwrap();
    path
}

/// Battles by membership, ids left out (see tests/serve.rs).
pub fn by_members(battles: &[Battle]) -> BTreeMap<Vec<u64>, Battle> {
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
pub struct Backends {
    pub name: String,
    pub bus: String,
    pub store: String,
    pub search: String,
    pub typesense_key: String,
}

impl Backends {
    pub async fn new(prefix: &str) -> Self {
        let name = unique_name(prefix);
        let database = require_env("DATABASE_URL");
        let mut admin = Self::admin().await;
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
        }
    }

    /// A new connection to the test database (one per use: PostgreSQL may
    /// have been restarted since the last).
    pub async fn admin() -> PgConnection {
        let database = require_env("DATABASE_URL");
        let base: PgConnectOptions = database.parse().expect("DATABASE_URL");
        PgConnection::connect_with(&base).await.unwrap_or_else(|e| {
            panic!("cannot connect to PostgreSQL at {database} (is `deploy/local/services up` running?): {e}")
        })
    }

    /// Rows of `table` in this test's schema.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!(
            "SELECT count(*) FROM \"{}\".\"{table}\"",
            self.name
        ))
        .fetch_one(&mut Self::admin().await)
        .await
        .unwrap_or_else(|e| panic!("count {table}: {e}"))
    }

    /// Documents in one of this test's Typesense collections (`battles`,
    /// `entities`, `killmails`).
    pub async fn documents(&self, collection: &str) -> u64 {
        let base = require_env("TYPESENSE_URL");
        let prefix = format!("{}_", self.name);
        battlescope_platform::adapters::http::install_tls_provider();
        let info: serde_json::Value = reqwest::Client::new()
            .get(format!(
                "{}/collections/{prefix}{collection}",
                base.trim_end_matches('/')
            ))
            .header("X-TYPESENSE-API-KEY", &self.typesense_key)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .unwrap_or_else(|e| panic!("typesense collection {collection}: {e}"))
            .json()
            .await
            .expect("collection JSON");
        info["num_documents"]
            .as_u64()
            .unwrap_or_else(|| panic!("no num_documents in {info}"))
    }

    /// Every stored battle, newest first.
    pub async fn battles(&self, store: &dyn Store) -> Vec<Battle> {
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

    pub async fn index(&self) -> TypesenseIndex {
        let config = TypesenseConfig::from_url(&self.search, Some(self.typesense_key.clone()))
            .expect("typesense URL");
        TypesenseIndex::open(config).await.expect("open Typesense")
    }

    pub async fn drop(self) {
        self.index().await.drop_collections().await.ok();
        sqlx::query(&format!("DROP SCHEMA \"{}\" CASCADE", self.name))
            .execute(&mut Self::admin().await)
            .await
            .expect("drop schema");
    }
}

pub fn battlescope(backends: &Backends) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_battlescope"));
    c.env("TYPESENSE_API_KEY", &backends.typesense_key)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    c
}

/// A free loopback port for a service's probes.
pub fn free_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// A service process, stopped (SIGTERM, then waited for) when dropped.
pub struct Service {
    pub name: &'static str,
    pub child: Child,
    pub log: PathBuf,
    /// Where its probes answer (`HOST:PORT`).
    pub health: String,
}

impl Service {
    pub fn start(backends: &Backends, dir: &Path, name: &'static str, args: &[&str]) -> Self {
        let log = dir.join(format!("{name}-{}.log", unique_name("")));
        let health = free_port();
        let mut command = battlescope(backends);
        command
            .args(["service", name])
            .args(args)
            .env("BATTLESCOPE_BUS", &backends.bus)
            .env("BATTLESCOPE_HEALTH_LISTEN", &health)
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
            health,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, and wait for it to finish what it holds.
    pub fn stop(&mut self) {
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
