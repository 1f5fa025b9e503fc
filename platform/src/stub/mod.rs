//! A local HTTP stub of zKillboard (R2Z2, RedisQ) and ESI (killmails by id
//! and hash, `/universe/names/`), serving the real samples of the
//! repository and anything published to it, with faults injected on
//! demand. Tests point the pollers and the ESI client at it; people use it
//! through `battlescope stub` as a demo source.
//!
//! It binds to 127.0.0.1 only. Routes (paths as the real services have
//! them, so a base URL is all a client changes):
//!
//! | route | answers |
//! |---|---|
//! | `GET /ephemeral/sequence.json` | `{"sequence": N}`, the newest item |
//! | `GET /ephemeral/<N>.json` | the R2Z2 item, 404 when not published yet |
//! | `GET /listen.php?queueID=Q&ttw=S` | `{"package": …}`, or `{"package": null}` after waiting up to `S` (≤ 10) seconds |
//! | `GET /killmails/{id}/{hash}/` | the ESI killmail, 404 for an unknown id/hash |
//! | `POST /universe/names/` | `[{"category", "id", "name"}]`, 404 when an id is unknown |
//! | `GET/POST/DELETE /_stub/faults` | the fault rules ([`FaultRule`] as JSON) |
//! | `GET /_stub/hits` | requests served per target |

mod data;
mod faults;
mod fixtures;
mod routes;

use std::collections::HashMap;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

pub use data::{name_of, NameEntry, StubData};
pub use faults::{Fault, FaultRule, Faults, Target};

/// How the stub starts.
#[derive(Debug, Clone)]
pub struct StubConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Sequence number of the first R2Z2 item.
    pub first_sequence: u64,
    /// Serve the repository's real samples from the start.
    pub fixtures: bool,
}

impl Default for StubConfig {
    fn default() -> Self {
        Self {
            port: 0,
            // Where the sample item 96599404 sits in the real feed.
            first_sequence: 96_599_404,
            fixtures: true,
        }
    }
}

/// What every handler shares: content, faults and request counts.
#[derive(Debug)]
pub struct StubState {
    pub data: StubData,
    pub faults: Faults,
    hits: Mutex<HashMap<Target, u64>>,
    hits_changed: watch::Sender<u64>,
    /// Set when the server stops, so long polls answer at once instead of
    /// holding the shutdown for up to `ttw`.
    closing: watch::Sender<bool>,
}

impl StubState {
    fn new(config: &StubConfig) -> Self {
        let data = StubData::new(config.first_sequence);
        if config.fixtures {
            data.add_fixtures();
        }
        Self {
            data,
            faults: Faults::default(),
            hits: Mutex::new(HashMap::new()),
            hits_changed: watch::channel(0).0,
            closing: watch::channel(false).0,
        }
    }

    /// Requests received for `target` (every route for [`Target::Any`]),
    /// faulty answers included.
    #[must_use]
    pub fn hits(&self, target: Target) -> u64 {
        let hits = self.lock_hits();
        match target {
            Target::Any => hits.values().sum(),
            t => hits.get(&t).copied().unwrap_or(0),
        }
    }

    /// Wait until `target` has received at least `n` requests: tests
    /// await this event instead of sleeping.
    pub async fn wait_for_hits(&self, target: Target, n: u64) {
        let mut changed = self.hits_changed.subscribe();
        while self.hits(target) < n {
            if changed.changed().await.is_err() {
                return;
            }
        }
    }

    /// A receiver that turns `true` when the server stops.
    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    fn hit(&self, target: Target) {
        *self.lock_hits().entry(target).or_insert(0) += 1;
        self.hits_changed.send_modify(|v| *v += 1);
    }

    fn lock_hits(&self) -> std::sync::MutexGuard<'_, HashMap<Target, u64>> {
        // Counters only: a poisoned lock still holds usable numbers.
        self.hits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running stub. Dropping it stops the server.
#[derive(Debug)]
pub struct Stub {
    addr: SocketAddr,
    state: Arc<StubState>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Stub {
    /// Bind 127.0.0.1 and serve in the background.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start(config: StubConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(StubState::new(&config));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, Arc::clone(&state), async {
            // A dropped sender stops the server too.
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            state,
            stop: Some(stop),
            task,
        })
    }

    /// The address it listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: ESI's base URL and RedisQ's host.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// R2Z2's base URL (`…/ephemeral`).
    #[must_use]
    pub fn r2z2_base(&self) -> String {
        format!("{}/ephemeral", self.url())
    }

    /// RedisQ's `listen.php` URL.
    #[must_use]
    pub fn redisq_url(&self) -> String {
        format!("{}/listen.php", self.url())
    }

    /// Content, faults and request counts, to change or read while it runs.
    #[must_use]
    pub fn state(&self) -> &Arc<StubState> {
        &self.state
    }

    /// Stop accepting, finish the requests in flight, and return.
    ///
    /// # Errors
    /// An I/O error of the server loop.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serve the stub on `listener` until `shutdown` completes (used by
/// [`Stub::start`] and by `battlescope stub`, which passes Ctrl-C).
///
/// # Errors
/// An I/O error of the server loop.
pub async fn serve(
    listener: TcpListener,
    state: Arc<StubState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let closing = Arc::clone(&state);
    axum::serve(listener, routes::router(state))
        .with_graceful_shutdown(async move {
            shutdown.await;
            closing.closing.send_replace(true);
        })
        .await
}

/// A fresh state for [`serve`], as [`Stub::start`] would make it.
#[must_use]
pub fn new_state(config: &StubConfig) -> Arc<StubState> {
    Arc::new(StubState::new(config))
}
