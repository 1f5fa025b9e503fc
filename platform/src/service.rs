//! `battlescope service NAME`: one service of the pipeline per process, on
//! backends the processes share (`--bus kafka://…`, `--store postgres://…`,
//! `--search typesense://…`): scaled out by running more of a kind (the
//! bus's consumer groups share the partitions among them).
//!
//! The same services and the same URLs as `battlescope serve`, which runs
//! them all in one process. Every setting is a flag with an environment
//! variable beside it (`BATTLESCOPE_*`, shown by `--help`), so a container
//! is configured from its environment. Each process serves its probes
//! (`/health/live`, `/health/ready`) on `--health-listen`; the api service
//! serves them beside the API.
//!
//! Stopping (SIGTERM, Ctrl-C): the service finishes what its upstream
//! already published, for at most `--shutdown-grace`; whatever it had read
//! but not committed then is delivered again to the next consumer of its
//! group (at-least-once, and every write downstream is idempotent).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use battlescope_core::cluster::ClusterConfig;
use clap::{Args, Subcommand};
use tokio::sync::watch;

use crate::api::health::{self, Backend};
use crate::api::{self, AppState};
use crate::ports::{Bus, SearchIndex, Store};
use crate::serve::{
    init_logs, open_bus, open_esi, open_search, open_store, signal, store_ruleset, LogFormat,
    PipelineOptions, SourceArgs,
};
use crate::services::clusterer::ClustererService;
use crate::services::enrich::Enrich;
use crate::services::indexer::Indexer;
use crate::services::ingest::Ingest;
use crate::services::writer::Writer;
use crate::services::{PipelineStats, ServiceError};

/// Options of `battlescope service`.
#[derive(Debug, Args)]
pub struct ServiceArgs {
    #[command(subcommand)]
    service: Service,
}

#[derive(Debug, Subcommand)]
enum Service {
    /// Read a killmail source, keep what the stored ruleset accepts, drop
    /// what was ingested before, publish `killmail.ingested`.
    Ingest(IngestArgs),
    /// Complete killmails known by reference from ESI, resolve names,
    /// publish `killmail.enriched`; poison goes to the dead-letter topic.
    Enrich(EnrichArgs),
    /// Cluster `killmail.enriched` into battles per partition (solar
    /// systems), checkpointed with the consumer position; publish
    /// `battle.events`.
    Clusterer(ClustererArgs),
    /// Store killmails, battles, the event store and dead letters.
    Writer(WriterArgs),
    /// Keep the search index in step with killmails and battles.
    Indexer(IndexerArgs),
    /// Serve the HTTP API from the store.
    Api(ApiArgs),
}

/// What every pipeline service takes.
#[derive(Debug, Args)]
struct Common {
    /// Event bus the services share: `kafka://HOST:PORT[,HOST:PORT…]`.
    #[arg(long, env = "BATTLESCOPE_BUS", value_name = "URL")]
    bus: String,

    /// Partitions per topic, when the bus creates the topics.
    #[arg(long, env = "BATTLESCOPE_PARTITIONS", default_value_t = 8)]
    partitions: u32,

    /// Messages per poll.
    #[arg(long, env = "BATTLESCOPE_BATCH", default_value_t = PipelineOptions::default().batch)]
    batch: usize,

    /// Address of `/health/live` and `/health/ready`.
    #[arg(
        long,
        env = "BATTLESCOPE_HEALTH_LISTEN",
        default_value = "127.0.0.1:9090"
    )]
    health_listen: SocketAddr,

    /// How long a stop may take to finish what was published before it;
    /// the rest is redelivered to the group.
    #[arg(long, env = "BATTLESCOPE_SHUTDOWN_GRACE", default_value = "20s", value_parser = duration)]
    shutdown_grace: Duration,

    /// Log format on stderr.
    #[arg(long, env = "BATTLESCOPE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

/// The consumer group, defaulting to the service's name (the one `serve`
/// uses, so the two are interchangeable on the same bus).
#[derive(Debug, Args)]
struct Group {
    /// Consumer group of the service (default: the service's name).
    #[arg(long, env = "BATTLESCOPE_GROUP", value_name = "NAME")]
    group: Option<String>,
}

impl Group {
    fn or(&self, name: &str) -> String {
        self.group.clone().unwrap_or_else(|| name.to_owned())
    }
}

/// The store a process uses.
#[derive(Debug, Args)]
pub struct StoreUrl {
    /// Store: `postgres://USER:PASSWORD@HOST:PORT/DB` or `sqlite://PATH`.
    #[arg(long, env = "BATTLESCOPE_STORE", value_name = "URL")]
    pub store: String,
}

#[derive(Debug, Args)]
struct IngestArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    store: StoreUrl,
    #[command(flatten)]
    source: SourceArgs,
    /// Ruleset (.json, .yaml, .yml, .toml) to store as the active one.
    #[arg(long, env = "BATTLESCOPE_RULESET", value_name = "FILE")]
    ruleset: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct EnrichArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    group: Group,
    /// ESI base URL, for killmails known by reference only (e.g.
    /// `https://esi.evetech.net/latest`, or a local stub).
    #[arg(long, env = "BATTLESCOPE_ESI", value_name = "URL")]
    esi: Option<String>,
}

#[derive(Debug, Args)]
struct ClustererArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    group: Group,
    #[command(flatten)]
    store: StoreUrl,
    /// How far behind the newest kill of a partition a kill may arrive and
    /// still be clustered live; older ones are re-clustered from the store.
    #[arg(long, env = "BATTLESCOPE_ALLOWED_LATENESS", default_value = "6h", value_parser = duration)]
    allowed_lateness: Duration,
    /// Longest time between two checkpoints of the clusterer state.
    #[arg(long, env = "BATTLESCOPE_CHECKPOINT_INTERVAL", default_value = "5s", value_parser = duration)]
    checkpoint_interval: Duration,
}

#[derive(Debug, Args)]
struct WriterArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    group: Group,
    #[command(flatten)]
    store: StoreUrl,
    /// Messages per store transaction when that many are waiting.
    #[arg(long, env = "BATTLESCOPE_STORE_BATCH", default_value_t = PipelineOptions::default().store_batch)]
    store_batch: usize,
}

#[derive(Debug, Args)]
struct IndexerArgs {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    group: Group,
    #[command(flatten)]
    search: SearchArgs,
}

/// The search index a process writes (the indexer, `reindex`).
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Search index: `typesense://HOST:PORT` (key from `TYPESENSE_API_KEY`)
    /// or `embedded` (under --data).
    #[arg(long, env = "BATTLESCOPE_SEARCH", value_name = "URL")]
    search: String,
    /// Directory of the embedded search index.
    #[arg(
        long,
        env = "BATTLESCOPE_DATA",
        default_value = "battlescope-data",
        value_name = "DIR"
    )]
    data: PathBuf,
}

impl SearchArgs {
    /// The index the flags name; `none` is refused (nothing to write to).
    ///
    /// # Errors
    /// An index that cannot be opened, or `none`.
    pub async fn open(&self) -> anyhow::Result<Arc<dyn SearchIndex>> {
        match open_search(&self.search, &self.data).await? {
            Some(index) => Ok(index),
            None => bail!("--search {}: names no index", self.search),
        }
    }
}

#[derive(Debug, Args)]
struct ApiArgs {
    #[command(flatten)]
    store: StoreUrl,
    /// Address of the HTTP API (and its probes).
    #[arg(long, env = "BATTLESCOPE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Log format on stderr.
    #[arg(long, env = "BATTLESCOPE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Search index the API reads (`GET /api/search`): `typesense://HOST:PORT`
    /// (the indexer writes it), or `none` (search answers 503).
    #[arg(
        long = "search",
        env = "BATTLESCOPE_SEARCH",
        default_value = "none",
        value_name = "URL"
    )]
    search: String,
    #[command(flatten)]
    http: api::HttpArgs,
}

/// A duration as users write it (`30s`, `1h30m`, `90`), by core's rules.
fn duration(text: &str) -> Result<Duration, String> {
    battlescope_core::cluster::parse_duration("duration", text).map_err(|e| e.to_string())
}

/// Run `battlescope service …`.
///
/// # Errors
/// A port that cannot be opened, a flag combination that cannot work, an
/// address that cannot be bound, a service that failed.
pub async fn run(args: ServiceArgs) -> anyhow::Result<()> {
    let stats = Arc::new(PipelineStats::default());
    match args.service {
        Service::Ingest(a) => {
            init_logs(a.common.log_format);
            let bus = shared_bus(&a.common).await?;
            let store = open_store(&a.store.store).await?;
            if let Some(path) = &a.ruleset {
                store_ruleset(&*store, path).await?;
            }
            let Some(source) = a.source.open()? else {
                bail!("service ingest: no source; give --replay PATH…, --r2z2 URL or --redisq URL");
            };
            let backends = vec![Backend::Store(store.clone()), Backend::Bus(bus.clone())];
            let service = Ingest {
                bus,
                store,
                source,
                stats: stats.clone(),
                batch: PipelineOptions::default().store_batch,
            };
            run_one("ingest", &a.common, backends, stats, |stop| {
                service.run(stop)
            })
            .await
        }
        Service::Enrich(a) => {
            init_logs(a.common.log_format);
            let esi = open_esi(a.esi.as_deref())?;
            let bus = shared_bus(&a.common).await?;
            let backends = vec![Backend::Bus(bus.clone())];
            let service = Enrich {
                bus,
                resolve_names: esi.is_some(),
                esi,
                stats: stats.clone(),
                group: a.group.or("enrich"),
                batch: a.common.batch,
            };
            run_one("enrich", &a.common, backends, stats, |stop| {
                service.run(stop)
            })
            .await
        }
        Service::Clusterer(a) => {
            init_logs(a.common.log_format);
            let store = open_store(&a.store.store).await?;
            let bus = shared_bus(&a.common).await?;
            let backends = vec![Backend::Store(store.clone()), Backend::Bus(bus.clone())];
            let service = ClustererService {
                bus,
                store,
                config: ClusterConfig::default().with_allowed_lateness(a.allowed_lateness),
                stats: stats.clone(),
                group: a.group.or("clusterer"),
                batch: a.common.batch,
                checkpoint_interval: a.checkpoint_interval,
                checkpoint_every: PipelineOptions::default().checkpoint_every,
            };
            run_one("clusterer", &a.common, backends, stats, |stop| {
                service.run(stop)
            })
            .await
        }
        Service::Writer(a) => {
            init_logs(a.common.log_format);
            let store = open_store(&a.store.store).await?;
            let bus = shared_bus(&a.common).await?;
            let backends = vec![Backend::Store(store.clone()), Backend::Bus(bus.clone())];
            let service = Writer {
                bus,
                store,
                stats: stats.clone(),
                group: a.group.or("writer"),
                batch: a.store_batch,
            };
            run_one("writer", &a.common, backends, stats, |stop| {
                service.run(stop.clone(), stop.clone(), stop)
            })
            .await
        }
        Service::Indexer(a) => {
            init_logs(a.common.log_format);
            let bus = shared_bus(&a.common).await?;
            let search = a.search.open().await?;
            let backends = vec![Backend::Bus(bus.clone()), Backend::Search(search.clone())];
            let service = Indexer {
                bus,
                search,
                stats: stats.clone(),
                group: a.group.or("indexer"),
                batch: a.common.batch,
            };
            run_one("indexer", &a.common, backends, stats, |stop| {
                service.run(stop.clone(), stop)
            })
            .await
        }
        Service::Api(a) => {
            init_logs(a.log_format);
            let store = open_store(&a.store.store).await?;
            // The embedded index has one writer per directory (the
            // indexer's): a separate API process reads Typesense.
            if a.search.starts_with("embedded") {
                bail!(
                    "--search {}: a separate API reads typesense://… or none",
                    a.search
                );
            }
            let search = open_search(&a.search, std::path::Path::new(".")).await?;
            serve_api(&a, store, search, stats).await
        }
    }
}

/// The bus of `--bus`, which must reach beyond this process: an
/// in-process bus would connect this service to nothing.
async fn shared_bus(common: &Common) -> anyhow::Result<Arc<dyn Bus>> {
    open_shared_bus(&common.bus, common.partitions).await
}

/// The bus of `url`, refused when it is the in-process one (a process on
/// its own would reach nothing through it: services, `dlq replay`).
///
/// # Errors
/// `memory`, or a bus that cannot be opened.
pub async fn open_shared_bus(url: &str, partitions: u32) -> anyhow::Result<Arc<dyn Bus>> {
    if url.split_once("://").map_or(url, |(s, _)| s) == "memory" {
        bail!(
            "--bus {url}: a service on its own needs a bus other processes share (kafka://HOST:PORT); \
             `battlescope serve` runs every service on the in-process bus"
        );
    }
    open_bus(url, partitions).await
}

/// Run one service with its probes until it ends or a signal stops it.
async fn run_one<F, Fut>(
    name: &'static str,
    common: &Common,
    backends: Vec<Backend>,
    stats: Arc<PipelineStats>,
    start: F,
) -> anyhow::Result<()>
where
    F: FnOnce(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = Result<(), ServiceError>> + Send + 'static,
{
    let ready = Arc::new(AtomicBool::new(false));
    let probes = health::probes(health::Probe {
        ready: ready.clone(),
        stats,
        backends,
    });
    let listener = tokio::net::TcpListener::bind(common.health_listen)
        .await
        .with_context(|| format!("--health-listen {}: cannot bind", common.health_listen))?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, probes).await });
    tracing::info!(service = name, health = %addr, bus = %common.bus, "service running");

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut task = tokio::spawn(start(stop_rx));
    ready.store(true, Ordering::Relaxed);
    let ended = tokio::select! {
        r = &mut task => Some(r),
        () = signal() => None,
    };
    let result = match ended {
        Some(r) => r,
        None => {
            tracing::info!(service = name, grace = ?common.shutdown_grace, "stopping: finishing what was published");
            let _ = stop_tx.send(true);
            ready.store(false, Ordering::Relaxed);
            if let Ok(r) = tokio::time::timeout(common.shutdown_grace, &mut task).await {
                r
            } else {
                task.abort();
                tracing::warn!(service = name, "stopped at the end of the grace period; uncommitted messages will be redelivered");
                Ok(Ok(()))
            }
        }
    };
    server.abort();
    match result {
        Ok(r) => r.with_context(|| format!("service {name}")),
        Err(e) => bail!("service {name} panicked: {e}"),
    }
}

/// The API on its own: the routes of `serve`, ready once the store answers.
async fn serve_api(
    a: &ApiArgs,
    store: Arc<dyn Store>,
    search: Option<Arc<dyn SearchIndex>>,
    stats: Arc<PipelineStats>,
) -> anyhow::Result<()> {
    // The live streams end at the signal, so they do not hold the
    // graceful shutdown open.
    let (streams_stop, streams_stopped) = tokio::sync::watch::channel(false);
    let mut options = a.http.options()?;
    options.live.stop = Some(streams_stopped);
    let app = api::router_with(
        AppState {
            store,
            search,
            ready: Arc::new(AtomicBool::new(true)),
            stats,
        },
        &options,
    );
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .with_context(|| format!("--listen {}: cannot bind", a.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(service = "api", %addr, "service running");
    eprintln!("BattleScope API on http://{addr}/api/battles  (Ctrl-C to stop)");
    axum::serve(listener, api::make_service(app))
        .with_graceful_shutdown(async move {
            signal().await;
            let _ = streams_stop.send(true);
        })
        .await
        .context("the HTTP server failed")
}
