//! `battlescope serve`: the wiring. URLs → adapters → services, the HTTP
//! API, logs, and an orderly shutdown.
//!
//! Shutdown (Ctrl-C or SIGTERM) stops ingest after its current batch; each
//! service then drains what its upstream published and commits it, in
//! pipeline order, so nothing read is left unstored. A second signal exits
//! at once (at-least-once delivery redelivers what was in flight).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use battlescope_core::cluster::ClusterConfig;
use clap::{Args, ValueEnum};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::adapters::memory_bus::{MemoryBus, DEFAULT_CAPACITY};
use crate::adapters::postgres::PgStore;
use crate::adapters::replay::ReplaySource;
use crate::adapters::sqlite::SqliteStore;
use crate::api::health::Backend;
use crate::api::{self, AppState};
use crate::ports::store::StoredRuleset;
use crate::ports::{Bus, Esi, KillmailSource, SearchIndex, Store};
use crate::services::clusterer::ClustererService;
use crate::services::enrich::Enrich;
use crate::services::indexer::Indexer;
use crate::services::ingest::Ingest;
use crate::services::writer::Writer;
use crate::services::{rulesets, PipelineStats, ServiceError};

/// Options of `battlescope serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Directory for the embedded store.
    #[arg(long, default_value = "battlescope-data", value_name = "DIR")]
    data: PathBuf,

    #[command(flatten)]
    source: SourceArgs,

    /// Stop (draining the pipeline) once the replay is done, instead of
    /// serving until Ctrl-C.
    #[arg(long)]
    exit_after_replay: bool,

    /// Event bus: `memory` (in-process) or `kafka://HOST:PORT[,HOST:PORT…]`
    /// (with `--features backends`; optional `?replication=N&prefix=P`).
    #[arg(long, default_value = "memory", value_name = "URL")]
    bus: String,

    /// Partitions per topic: of the in-process bus, and of the Kafka topics
    /// the platform creates (a topic that exists keeps its own count).
    #[arg(long, default_value_t = 8)]
    partitions: u32,

    /// Store: `sqlite://PATH` (default: battlescope.db under --data) or
    /// `postgres://USER@HOST:PORT/DB` (a schema of its own with
    /// `?options=-c%20search_path%3DNAME`).
    #[arg(long, value_name = "URL")]
    store: Option<String>,

    /// Search index: `embedded` or `none`.
    #[arg(long, default_value = "embedded", value_name = "URL")]
    search: String,

    /// ESI base URL, for killmails known by reference only (e.g.
    /// `https://esi.evetech.net/latest`, or a local stub).
    #[arg(long, value_name = "URL")]
    esi: Option<String>,

    /// Ruleset (.json, .yaml, .yml, .toml) to store and apply at ingest.
    #[arg(long, value_name = "FILE")]
    ruleset: Option<PathBuf>,

    /// How far behind the newest kill (per partition) a kill may arrive and
    /// still be clustered; older kills go to the dead-letter queue until
    /// re-clustering exists. Raise it to replay files not in time order.
    #[arg(long, default_value = "6h", value_parser = lateness, value_name = "DURATION")]
    allowed_lateness: Duration,

    /// Address of the HTTP API.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    #[command(flatten)]
    http: api::HttpArgs,

    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

/// Where killmails come from: files, or a live zKillboard feed (serve and
/// the ingest service share these flags).
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Killmail files or directories to replay (every format `cluster`
    /// reads; the environment variable names one, e.g. a directory).
    #[arg(long, num_args = 1.., value_name = "PATH", env = "BATTLESCOPE_REPLAY")]
    replay: Vec<PathBuf>,

    /// Replay at this many times real time (by killmail time); as fast as
    /// possible when absent.
    #[arg(long, value_name = "FACTOR", env = "BATTLESCOPE_REPLAY_SPEED")]
    speed: Option<f64>,

    /// zKillboard's R2Z2 feed to follow live (e.g.
    /// `https://r2z2.zkillboard.com/ephemeral`, or `battlescope stub`'s);
    /// resumes from the last stored sequence after a restart.
    #[arg(long, value_name = "URL", env = "BATTLESCOPE_R2Z2", conflicts_with_all = ["replay", "redisq"])]
    r2z2: Option<String>,

    /// zKillboard's RedisQ endpoint to follow live (e.g.
    /// `https://zkillredisq.stream/listen.php`).
    #[arg(long, value_name = "URL", env = "BATTLESCOPE_REDISQ", conflicts_with_all = ["replay", "r2z2"])]
    redisq: Option<String>,

    /// RedisQ queue id (RedisQ keeps each queue's position).
    #[arg(
        long,
        default_value = "battlescope",
        value_name = "ID",
        env = "BATTLESCOPE_REDISQ_QUEUE"
    )]
    redisq_queue: String,
}

impl SourceArgs {
    /// Files are replayed (rather than a live feed followed, or nothing).
    #[must_use]
    pub fn replaying(&self) -> bool {
        !self.replay.is_empty()
    }

    /// The source the flags name, if any.
    ///
    /// # Errors
    /// A URL the client refuses, replay paths without killmail files.
    pub fn open(&self) -> anyhow::Result<Option<Box<dyn KillmailSource>>> {
        if let Some(url) = &self.r2z2 {
            let config = crate::adapters::r2z2::R2z2Config {
                base_url: url.clone(),
                ..crate::adapters::r2z2::R2z2Config::default()
            };
            return Ok(Some(Box::new(
                crate::adapters::r2z2::R2z2Source::new(&config)
                    .with_context(|| format!("--r2z2 {url}"))?,
            )));
        }
        if let Some(url) = &self.redisq {
            let config = crate::adapters::redisq::RedisqConfig {
                url: url.clone(),
                queue_id: self.redisq_queue.clone(),
                ..crate::adapters::redisq::RedisqConfig::default()
            };
            return Ok(Some(Box::new(
                crate::adapters::redisq::RedisqSource::new(&config)
                    .with_context(|| format!("--redisq {url}"))?,
            )));
        }
        if self.replay.is_empty() {
            return Ok(None);
        }
        let files = crate::cli::inputs::expand(&self.replay)?;
        if files.is_empty() {
            bail!("--replay: no killmail files under {:?}", self.replay);
        }
        Ok(Some(Box::new(ReplaySource::new(files, self.speed))))
    }
}

/// The ESI client of `--esi URL`, if given.
///
/// # Errors
/// A URL the client refuses.
pub fn open_esi(url: Option<&str>) -> anyhow::Result<Option<Arc<dyn Esi>>> {
    let Some(url) = url else { return Ok(None) };
    let client = crate::adapters::esi::EsiClient::new(&crate::adapters::esi::EsiConfig {
        base_url: url.to_owned(),
        ..crate::adapters::esi::EsiConfig::default()
    })
    .with_context(|| format!("--esi {url}"))?;
    Ok(Some(Arc::new(client)))
}

/// Store the ruleset file at `path` as the active one (core validates it).
///
/// # Errors
/// An unreadable file, a ruleset core refuses, the store failing.
pub async fn store_ruleset(store: &dyn Store, path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("ruleset")
        .to_owned();
    rulesets::put(
        store,
        StoredRuleset {
            name,
            format,
            text,
            active: true,
        },
    )
    .await
    .with_context(|| format!("--ruleset {}", path.display()))
}

fn lateness(text: &str) -> Result<Duration, String> {
    battlescope_core::cluster::parse_duration("allowed-lateness", text).map_err(|e| e.to_string())
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// For people.
    Text,
    /// One JSON object per line, for machines.
    Json,
}

/// Tuning of the services (tests and benchmarks change it).
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Messages per poll of enrich, the clusterer and the indexer.
    pub batch: usize,
    /// Records per poll of ingest and messages per store transaction of
    /// the writer, when that many are waiting (a live feed brings far
    /// fewer, so latency is untouched). Larger than `batch` because a
    /// commit writes each index page it dirtied once: on the 100k replay
    /// benchmark, ~500 kills per transaction wrote 3.7 GB, 3,000 wrote
    /// 2.1 GB (+45 % kills/s) and 8,000 1.6 GB (+60 %), but 8,000 took
    /// the peak RSS past 500 MB (docs/benchmarks.md).
    pub store_batch: usize,
    pub checkpoint_interval: Duration,
    pub checkpoint_every: usize,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            batch: 1000,
            store_batch: 3000,
            checkpoint_interval: Duration::from_secs(5),
            checkpoint_every: 50_000,
        }
    }
}

/// The ports and settings of one pipeline.
#[derive(Debug)]
pub struct Pipeline {
    pub bus: Arc<dyn Bus>,
    pub store: Arc<dyn Store>,
    pub search: Option<Arc<dyn SearchIndex>>,
    pub esi: Option<Arc<dyn Esi>>,
    pub source: Option<Box<dyn KillmailSource>>,
    pub config: ClusterConfig,
    pub stats: Arc<PipelineStats>,
    pub options: PipelineOptions,
}

/// A started pipeline.
#[derive(Debug)]
pub struct Running {
    tasks: Vec<Task>,
}

impl Running {
    /// Wait for every service; the first error (all are logged).
    ///
    /// # Errors
    /// A service that failed to start or panicked.
    pub async fn finished(self) -> anyhow::Result<()> {
        let mut first: Option<anyhow::Error> = None;
        for (name, task) in self.tasks {
            let result = match task.await {
                Ok(r) => r.map_err(anyhow::Error::from),
                Err(e) => Err(anyhow::anyhow!("{name} panicked: {e}")),
            };
            if let Err(e) = result {
                tracing::error!(service = name, error = %e, "service failed");
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// A named service task.
type Task = (&'static str, JoinHandle<Result<(), ServiceError>>);

/// A service's "I am done" signal; sent however the service ends, so
/// downstream services never wait for a failed one.
fn stage<F>(name: &'static str, future: F) -> (watch::Receiver<bool>, Task)
where
    F: std::future::Future<Output = Result<(), ServiceError>> + Send + 'static,
{
    let (tx, rx) = watch::channel(false);
    let handle = tokio::spawn(async move {
        let result = future.await;
        tracing::info!(service = name, ok = result.is_ok(), "service finished");
        let _ = tx.send(true);
        result
    });
    (rx, (name, handle))
}

impl Pipeline {
    /// Start every service. `stop` turning true stops ingest; the rest
    /// drain behind it. Without a source, ingest "finishes" on `stop`.
    #[must_use]
    pub fn start(self, mut stop: watch::Receiver<bool>) -> Running {
        let o = &self.options;
        let mut tasks = Vec::new();
        let (ingested, task) = match self.source {
            Some(source) => stage(
                "ingest",
                Ingest {
                    bus: self.bus.clone(),
                    store: self.store.clone(),
                    source,
                    stats: self.stats.clone(),
                    batch: o.store_batch,
                }
                .run(stop),
            ),
            None => stage("ingest", async move {
                while !*stop.borrow() {
                    if stop.changed().await.is_err() {
                        break;
                    }
                }
                Ok(())
            }),
        };
        tasks.push(task);
        let (enriched, task) = stage(
            "enrich",
            Enrich {
                bus: self.bus.clone(),
                esi: self.esi.clone(),
                resolve_names: self.esi.is_some(),
                stats: self.stats.clone(),
                group: "enrich".to_owned(),
                batch: o.batch,
            }
            .run(ingested),
        );
        tasks.push(task);
        let (clustered, task) = stage(
            "clusterer",
            ClustererService {
                bus: self.bus.clone(),
                store: self.store.clone(),
                config: self.config.clone(),
                stats: self.stats.clone(),
                group: "clusterer".to_owned(),
                batch: o.batch,
                checkpoint_interval: o.checkpoint_interval,
                checkpoint_every: o.checkpoint_every,
            }
            .run(enriched.clone()),
        );
        tasks.push(task);
        let (_, task) = stage(
            "writer",
            Writer {
                bus: self.bus.clone(),
                store: self.store.clone(),
                stats: self.stats.clone(),
                group: "writer".to_owned(),
                batch: o.store_batch,
            }
            .run(enriched.clone(), clustered.clone(), clustered.clone()),
        );
        tasks.push(task);
        if let Some(search) = self.search {
            let (_, task) = stage(
                "indexer",
                Indexer {
                    bus: self.bus.clone(),
                    search,
                    stats: self.stats.clone(),
                    group: "indexer".to_owned(),
                    batch: o.batch,
                }
                .run(enriched, clustered),
            );
            tasks.push(task);
        }
        Running { tasks }
    }
}

/// The bus a URL names. `partitions` is the count of each topic the bus
/// creates (a Kafka topic that exists keeps its own).
///
/// # Errors
/// Unknown schemes, a malformed Kafka URL, a broker that does not answer,
/// and `kafka://` in a build without the `backends` feature.
pub async fn open_bus(url: &str, partitions: u32) -> anyhow::Result<Arc<dyn Bus>> {
    match url.split_once("://").map_or(url, |(scheme, _)| scheme) {
        "memory" => Ok(Arc::new(MemoryBus::new(partitions, DEFAULT_CAPACITY))),
        "kafka" => open_kafka(url, partitions).await,
        other => bail!("--bus {url}: unknown scheme `{other}` (known: memory, kafka://HOST:PORT)"),
    }
}

#[cfg(feature = "backends")]
async fn open_kafka(url: &str, partitions: u32) -> anyhow::Result<Arc<dyn Bus>> {
    use crate::adapters::kafka::{KafkaBus, KafkaConfig};
    let config = KafkaConfig::from_url(url, partitions)?;
    let bus = KafkaBus::connect(config)
        .await
        .with_context(|| format!("--bus {url}"))?;
    Ok(Arc::new(bus))
}

#[cfg(not(feature = "backends"))]
#[allow(clippy::unused_async)] // the same signature as with the feature
async fn open_kafka(url: &str, _partitions: u32) -> anyhow::Result<Arc<dyn Bus>> {
    bail!(
        "--bus {url}: this battlescope was built without Kafka; build it with \
         `cargo build --features backends` (or use --bus memory)"
    )
}

/// The store a URL names.
///
/// # Errors
/// Schemes not built yet, unknown ones, and a database that cannot be opened.
pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            bail!("--store {url}: no file after sqlite://");
        }
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let store = SqliteStore::open(Path::new(path))
            .await
            .with_context(|| format!("--store {url}"))?;
        return Ok(Arc::new(store));
    }
    match url.split_once("://").map_or(url, |(scheme, _)| scheme) {
        "postgres" | "postgresql" => {
            let store = PgStore::connect(url)
                .await
                .with_context(|| format!("--store {}", without_password(url)))?;
            Ok(Arc::new(store))
        }
        other => {
            bail!("--store {url}: unknown scheme `{other}` (known: sqlite://PATH, postgres://…)")
        }
    }
}

/// `url` with its password, if any, replaced by `***`: for messages.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    match authority.rsplit_once('@') {
        Some((user_info, _)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***{}", &rest[user_info.len()..])
        }
        _ => url.to_owned(),
    }
}

/// The search index a URL names; `None` runs without an indexer.
///
/// # Errors
/// Schemes not built yet, and unknown ones.
pub async fn open_search(
    url: &str,
    data: &std::path::Path,
) -> anyhow::Result<Option<Arc<dyn SearchIndex>>> {
    match url.split_once("://").map_or(url, |(scheme, _)| scheme) {
        "none" => Ok(None),
        "embedded" => {
            let dir = data.join("search");
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("--search embedded: cannot create {}", dir.display()))?;
            let index = crate::adapters::search::SearchIndex::open(&dir, crate::adapters::search::SearchConfig::default())
                .with_context(|| format!("--search embedded: {}", dir.display()))?;
            Ok(Some(Arc::new(index)))
        }
        "typesense" | "typesense+https" => {
            let config = crate::adapters::typesense::TypesenseConfig::from_url(
                url,
                std::env::var("TYPESENSE_API_KEY").ok(),
            )?;
            let index = crate::adapters::typesense::TypesenseIndex::open(config)
                .await
                .with_context(|| format!("--search {url}"))?;
            Ok(Some(Arc::new(index)))
        }
        other => bail!("--search {url}: unknown scheme `{other}` (known: embedded, none, typesense://HOST:PORT)"),
    }
}

pub(crate) fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Log the counters every few seconds until `done`.
async fn progress(stats: Arc<PipelineStats>, mut done: watch::Receiver<bool>) {
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = done.changed() => {}
        }
        let s = &stats;
        let records = PipelineStats::get(&s.records);
        #[allow(clippy::cast_precision_loss)]
        let rate = records as f64 / started.elapsed().as_secs_f64().max(1e-3);
        let latency = s.kill_to_battle.summary();
        tracing::info!(
            records,
            records_per_second = rate.round(),
            ingested = PipelineStats::get(&s.ingested),
            rejected = PipelineStats::get(&s.rejected),
            duplicates = PipelineStats::get(&s.duplicates),
            enriched = PipelineStats::get(&s.enriched),
            clustered = PipelineStats::get(&s.clustered),
            battle_events = PipelineStats::get(&s.battle_events),
            written = PipelineStats::get(&s.written),
            late = PipelineStats::get(&s.late),
            reclustered = PipelineStats::get(&s.reclustered),
            dead_letters = PipelineStats::get(&s.dead_letters),
            kill_to_battle_p50_ms = latency.map(|l| l.p50_ms),
            kill_to_battle_p99_ms = latency.map(|l| l.p99_ms),
            kill_to_battle_max_ms = latency.map(|l| l.max_ms),
            "progress"
        );
        if *done.borrow() {
            return;
        }
    }
}

/// Run `battlescope serve`.
///
/// # Errors
/// A port that cannot be opened, a ruleset core refuses, an address that
/// cannot be bound, a service that failed.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logs(args.log_format);
    let store_url = args
        .store
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", args.data.join("battlescope.db").display()));
    let bus = open_bus(&args.bus, args.partitions).await?;
    let store = open_store(&store_url).await?;
    let search = open_search(&args.search, &args.data).await?;
    let esi = open_esi(args.esi.as_deref())?;
    if let Some(path) = &args.ruleset {
        store_ruleset(&*store, path).await?;
    }
    let source = args.source.open()?;
    if args.exit_after_replay && !args.source.replaying() {
        bail!("--exit-after-replay needs --replay");
    }

    let stats = Arc::new(PipelineStats::default());
    let ready = Arc::new(AtomicBool::new(false));
    let mut backends = vec![Backend::Store(store.clone()), Backend::Bus(bus.clone())];
    backends.extend(search.clone().map(Backend::Search));
    // The live streams end when the server stops, so they do not hold the
    // graceful shutdown open.
    let (streams_stop, streams_stopped) = watch::channel(false);
    let mut options = args.http.options()?;
    options.live.stop = Some(streams_stopped);
    let app = api::router_needing(
        AppState {
            store: store.clone(),
            search: search.clone(),
            ready: ready.clone(),
            stats: stats.clone(),
        },
        backends,
        &options,
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("--listen {}: cannot bind", args.listen))?;
    let addr = listener.local_addr()?;
    eprintln!("BattleScope is serving http://{addr}/api/battles  (Ctrl-C to stop)");
    tracing::info!(%addr, store = %store_url, bus = %args.bus, search = %args.search, "serving");

    let (stop_tx, stop_rx) = watch::channel(false);
    let signals = tokio::spawn({
        let stop_tx = stop_tx.clone();
        async move {
            signal().await;
            tracing::info!("shutting down: draining the pipeline (a second signal exits at once)");
            let _ = stop_tx.send(true);
            signal().await;
            tracing::warn!("second signal: exiting now; uncommitted work will be redelivered");
            std::process::exit(130);
        }
    });
    let replaying = args.source.replaying();
    let running = Pipeline {
        bus,
        store,
        search,
        esi,
        source,
        config: ClusterConfig::default().with_allowed_lateness(args.allowed_lateness),
        stats: stats.clone(),
        options: PipelineOptions::default(),
    }
    .start(stop_rx.clone());
    ready.store(true, Ordering::Relaxed);
    let (done_tx, done_rx) = watch::channel(false);
    // The progress line is for replays; a live server logs what it does.
    let progress = replaying.then(|| tokio::spawn(progress(stats, done_rx)));

    let server_stop = {
        let mut stop_rx = stop_rx.clone();
        let exit_after_replay = args.exit_after_replay;
        let mut pipeline_done = done_tx.subscribe();
        async move {
            loop {
                if *stop_rx.borrow() || (exit_after_replay && *pipeline_done.borrow()) {
                    break;
                }
                tokio::select! {
                    r = stop_rx.changed() => if r.is_err() { break },
                    r = pipeline_done.changed() => if r.is_err() { break },
                }
            }
            let _ = streams_stop.send(true);
        }
    };
    let server = tokio::spawn(async move {
        axum::serve(listener, api::make_service(app))
            .with_graceful_shutdown(server_stop)
            .await
    });
    let result = running.finished().await;
    let _ = done_tx.send(true);
    if result.is_err() {
        let _ = stop_tx.send(true);
    }
    if let Some(progress) = progress {
        let _ = progress.await;
    }
    server
        .await
        .context("the HTTP server task failed")?
        .context("the HTTP server failed")?;
    signals.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_url_in_a_message_hides_its_password() {
        assert_eq!(
            without_password("postgres://app:s3cr@t@db:5432/battles?sslmode=require"),
            "postgres://app:***@db:5432/battles?sslmode=require"
        );
        assert_eq!(
            without_password("postgres://app@db/battles"),
            "postgres://app@db/battles"
        );
        assert_eq!(without_password("sqlite://x.db"), "sqlite://x.db");
    }

    #[tokio::test]
    async fn the_bus_url_names_the_bus() {
        let memory = open_bus("memory", 3).await.unwrap();
        assert_eq!(memory.partitions("battle.events").await.unwrap(), 3);
        let unknown = open_bus("nats://localhost", 3).await.unwrap_err();
        assert!(
            unknown.to_string().contains("unknown scheme `nats`"),
            "{unknown}"
        );
    }

    #[cfg(not(feature = "backends"))]
    #[tokio::test]
    async fn kafka_needs_the_backends_feature() {
        let err = open_bus("kafka://127.0.0.1:9092", 8).await.unwrap_err();
        assert!(err.to_string().contains("--features backends"), "{err}");
    }

    #[cfg(feature = "backends")]
    #[tokio::test]
    async fn a_malformed_kafka_url_is_refused_before_connecting() {
        let err = open_bus("kafka://127.0.0.1", 8).await.unwrap_err();
        assert!(err.to_string().contains("host:port"), "{err}");
    }
}
