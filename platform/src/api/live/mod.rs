//! The live streams: `GET /api/killmails/stream` and
//! `GET /api/battles/stream` (SSE, [`sse`]) and `GET /api/ws` (WebSocket,
//! [`ws`]), fed by one [`Live`] per API process.
//!
//! [`Live`] tails the store's event store (woken by [`Store::appends`],
//! polled otherwise), works out each event's facts and wire forms once, and
//! broadcasts it to every connection. A connection is a [`Cursor`]: it
//! first reads what it missed from the store (a resume after a `seq`), then
//! follows the broadcast. The broadcast never waits for anyone: a
//! connection that falls a whole buffer behind is closed with the reason
//! and resumes from the store when it reconnects, so one slow client never
//! slows the others and no client misses an event.

pub mod sse;
pub mod ws;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use battlescope_core::api::{EventFacts, ServerMessage, Subscription};
use battlescope_core::events::Event;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::sync::{broadcast, watch};

use crate::ports::store::StoredEvent;
use crate::ports::{Store, StoreError};

/// How the streams behave.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// A heartbeat (an SSE comment, a WebSocket `heartbeat` message) after
    /// this long without anything else sent.
    pub heartbeat: Duration,
    /// How often the event store is read when no append wakes the tail.
    pub poll: Duration,
    /// Events a connection may fall behind before it is closed as too slow.
    pub buffer: usize,
    /// A WebSocket send taking longer means the client stopped reading: it
    /// is closed.
    pub send_timeout: Duration,
    /// The streams end when this turns true (a graceful shutdown is not
    /// held open by them).
    pub stop: Option<watch::Receiver<bool>>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(15),
            poll: Duration::from_secs(1),
            buffer: 4096,
            send_timeout: Duration::from_secs(10),
            stop: None,
        }
    }
}

/// Events read from the store at once (tail and catch-up).
const PAGE: u32 = 500;

/// One stored event, ready for every connection.
#[derive(Debug)]
pub struct LiveEvent {
    /// Its place in the event store.
    pub seq: i64,
    pub event_type: &'static str,
    pub facts: EventFacts,
    /// The envelope, as an SSE `data` line carries it.
    pub envelope: String,
    /// The WebSocket message ([`ServerMessage::Event`]), as JSON.
    pub message: String,
}

impl LiveEvent {
    /// `None` for events no stream carries, or that do not parse (logged).
    #[allow(clippy::needless_pass_by_value)] // Taken as the page iterator yields it.
    fn of(stored: StoredEvent) -> Option<Self> {
        let Some(envelope) = stored.record.body.json().map(str::to_owned) else {
            tracing::warn!(
                seq = stored.seq,
                "an event store reference the store did not resolve"
            );
            return None;
        };
        let event: Event = match serde_json::from_str(&envelope) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(seq = stored.seq, error = %e, "a stored event that does not parse is not streamed");
                return None;
            }
        };
        let facts = EventFacts::of(&event)?;
        let event_type = event.event_type().as_str();
        let message = serde_json::to_string(&ServerMessage::Event {
            seq: stored.seq,
            event: Box::new(event),
        })
        .ok()?;
        Some(Self {
            seq: stored.seq,
            event_type,
            facts,
            envelope,
            message,
        })
    }
}

/// The stream metrics `/metrics` serves.
#[derive(Debug, Clone, Default)]
pub struct LiveMetrics {
    open: Family<StreamLabels, Gauge>,
    closed: Family<ClosedLabels, Counter>,
    sent: Family<StreamLabels, Counter>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StreamLabels {
    /// `sse` or `ws`.
    transport: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClosedLabels {
    transport: &'static str,
    /// `client`, `slow`, `shutdown`, `store`.
    reason: &'static str,
}

impl LiveMetrics {
    /// Registered in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        registry.register(
            "api_streams_open",
            "Live stream connections open, by transport",
            m.open.clone(),
        );
        registry.register(
            "api_streams_closed",
            "Live stream connections ended, by transport and reason (slow: fell a whole buffer behind)",
            m.closed.clone(),
        );
        registry.register(
            "api_stream_events_sent",
            "Events sent on live streams, by transport",
            m.sent.clone(),
        );
        m
    }

    /// Count a connection open until the guard drops; `close` says why.
    fn opened(&self, transport: &'static str) -> OpenGuard {
        self.open.get_or_create(&StreamLabels { transport }).inc();
        OpenGuard {
            metrics: self.clone(),
            transport,
            reason: "client",
        }
    }
}

/// An open connection, counted until dropped.
struct OpenGuard {
    metrics: LiveMetrics,
    transport: &'static str,
    reason: &'static str,
}

impl OpenGuard {
    fn sent(&self) {
        self.metrics
            .sent
            .get_or_create(&StreamLabels {
                transport: self.transport,
            })
            .inc();
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        let transport = self.transport;
        self.metrics
            .open
            .get_or_create(&StreamLabels { transport })
            .dec();
        self.metrics
            .closed
            .get_or_create(&ClosedLabels {
                transport,
                reason: self.reason,
            })
            .inc();
    }
}

/// The fan-out of one API process.
#[derive(Debug)]
pub struct Live {
    store: Arc<dyn Store>,
    options: LiveOptions,
    events: broadcast::Sender<Arc<LiveEvent>>,
    /// The newest `seq` the tail has broadcast; `None` until it has read
    /// where the event store ends.
    head: watch::Sender<Option<i64>>,
    tail: OnceLock<tokio::task::JoinHandle<()>>,
    metrics: LiveMetrics,
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(tail) = self.tail.get() {
            tail.abort();
        }
    }
}

/// Why a stream ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The connection fell more than the buffer behind the broadcast.
    TooSlow { behind: u64 },
    /// A send did not complete in [`LiveOptions::send_timeout`]: the
    /// client stopped reading.
    Stalled,
    /// The server is shutting down.
    Shutdown,
    /// The store failed while catching up.
    Store(String),
}

impl Ended {
    /// What the client is told.
    #[must_use]
    pub fn reason(&self) -> String {
        match self {
            Self::TooSlow { behind } => format!(
                "too slow: {behind} events behind the live stream; resume after the last seq received"
            ),
            Self::Stalled => "not reading: a message could not be sent in time".to_owned(),
            Self::Shutdown => "the server is shutting down; resume after the last seq received".to_owned(),
            Self::Store(e) => format!("the store failed: {e}; resume after the last seq received"),
        }
    }

    const fn metric(&self) -> &'static str {
        match self {
            Self::TooSlow { .. } | Self::Stalled => "slow",
            Self::Shutdown => "shutdown",
            Self::Store(_) => "store",
        }
    }
}

impl Live {
    /// The fan-out over `store`'s event store; the tail starts with the
    /// first connection.
    pub fn new(store: Arc<dyn Store>, options: LiveOptions, metrics: LiveMetrics) -> Self {
        let (events, _) = broadcast::channel(options.buffer.max(1));
        Self {
            store,
            options,
            events,
            head: watch::Sender::new(None),
            tail: OnceLock::new(),
            metrics,
        }
    }

    /// A cursor after `after` (a resume), or after the newest event.
    ///
    /// # Errors
    /// The server shutting down before the tail found where the event
    /// store ends.
    pub async fn cursor(&self, after: Option<i64>) -> Result<Cursor, Ended> {
        self.start();
        // Subscribed first: whatever the tail sends from now on is seen.
        let events = self.events.subscribe();
        let mut head = self.head.subscribe();
        let mut stop = self.options.stop.clone();
        if stop.as_ref().is_some_and(|s| *s.borrow()) {
            return Err(Ended::Shutdown);
        }
        let head = tokio::select! {
            h = head.wait_for(Option::is_some) => h.ok().and_then(|h| *h),
            () = stopped(stop.as_mut()) => None,
        }
        .ok_or(Ended::Shutdown)?;
        Ok(Cursor {
            store: self.store.clone(),
            events,
            after: after.unwrap_or(head),
            backlog: std::collections::VecDeque::new(),
            catching_up: after.is_some_and(|a| a < head),
            live_since_catch_up: 0,
        })
    }

    /// Start the tail, once (the first connection does).
    fn start(&self) {
        self.tail.get_or_init(|| {
            tokio::spawn(tail(
                self.store.clone(),
                self.events.clone(),
                self.head.clone(),
                self.options.poll,
            ))
        });
    }

    /// The newest `seq` broadcast (0 before the tail started).
    #[must_use]
    pub fn head(&self) -> i64 {
        self.head.borrow().unwrap_or(0)
    }

    /// A stop signal to select on (never fires without one).
    fn stop(&self) -> Option<watch::Receiver<bool>> {
        self.options.stop.clone()
    }
}

/// Resolves once `stop` turns true; never without one.
async fn stopped(stop: Option<&mut watch::Receiver<bool>>) {
    match stop {
        Some(stop) => {
            let _ = stop.wait_for(|s| *s).await;
        }
        None => std::future::pending().await,
    }
}

/// Read the event store from its end on, broadcasting every event.
async fn tail(
    store: Arc<dyn Store>,
    events: broadcast::Sender<Arc<LiveEvent>>,
    head: watch::Sender<Option<i64>>,
    poll: Duration,
) {
    let appends = store.appends();
    let mut after = loop {
        match store.last_event_seq().await {
            Ok(seq) => break seq,
            Err(e) => {
                tracing::warn!(error = %e, "live streams: cannot read where the event store ends; retrying");
                tokio::time::sleep(poll.max(Duration::from_secs(1))).await;
            }
        }
    };
    head.send_replace(Some(after));
    loop {
        // Registered before the read, so an append during it is not missed.
        let woken = appends.as_ref().map(|n| n.notified());
        let mut woken = std::pin::pin!(woken);
        if let Some(w) = woken.as_mut().as_pin_mut() {
            w.enable();
        }
        match store.events_after(after, PAGE).await {
            Ok(page) => {
                let full = page.len() == PAGE as usize;
                for stored in page {
                    after = stored.seq;
                    if let Some(event) = LiveEvent::of(stored) {
                        // No receiver is not an error: nobody listens yet.
                        let _ = events.send(Arc::new(event));
                    }
                }
                head.send_replace(Some(after));
                if full {
                    continue;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "live streams: reading the event store failed; retrying");
            }
        }
        match woken.as_pin_mut() {
            Some(w) => {
                let _ = tokio::time::timeout(poll, w).await;
            }
            None => tokio::time::sleep(poll).await,
        }
    }
}

/// One connection's place in the event store.
#[derive(Debug)]
pub struct Cursor {
    store: Arc<dyn Store>,
    events: broadcast::Receiver<Arc<LiveEvent>>,
    /// Every event up to here was delivered or passed over.
    after: i64,
    backlog: std::collections::VecDeque<Arc<LiveEvent>>,
    /// Reading the store (a resume) rather than the broadcast.
    catching_up: bool,
    /// Events taken from the broadcast since the last catch-up.
    live_since_catch_up: u64,
}

impl Cursor {
    /// Every event up to here was delivered or passed over.
    #[must_use]
    pub fn after(&self) -> i64 {
        self.after
    }

    /// The next event, in `seq` order, none missed, none twice.
    /// Cancel-safe: nothing moves until an await has completed.
    ///
    /// # Errors
    /// [`Ended::TooSlow`] when the connection fell a whole buffer behind,
    /// [`Ended::Store`] when catching up failed.
    pub async fn next(&mut self) -> Result<Arc<LiveEvent>, Ended> {
        loop {
            if let Some(event) = self.backlog.pop_front() {
                self.after = event.seq;
                return Ok(event);
            }
            if self.catching_up {
                let page = self
                    .store
                    .events_after(self.after, PAGE)
                    .await
                    .map_err(|e: StoreError| Ended::Store(e.to_string()))?;
                self.catching_up = page.len() == PAGE as usize;
                let last = page.last().map(|e| e.seq);
                self.backlog
                    .extend(page.into_iter().filter_map(LiveEvent::of).map(Arc::new));
                // A page of nothing streamable is passed over at once (one
                // with events re-reads its unstreamable tail next time).
                if self.backlog.is_empty() {
                    if let Some(last) = last {
                        self.after = last;
                    }
                }
                self.live_since_catch_up = 0;
                continue;
            }
            match self.events.recv().await {
                Ok(event) if event.seq <= self.after => {}
                Ok(event) => {
                    self.live_since_catch_up += 1;
                    self.after = event.seq;
                    return Ok(event);
                }
                // Behind already while catching up: that is the cursor's
                // own doing; read the store again.
                Err(broadcast::error::RecvError::Lagged(_)) if self.live_since_catch_up == 0 => {
                    self.catching_up = true;
                }
                Err(broadcast::error::RecvError::Lagged(behind)) => {
                    return Err(Ended::TooSlow { behind });
                }
                Err(broadcast::error::RecvError::Closed) => return Err(Ended::Shutdown),
            }
        }
    }

    /// The next event `subscription` admits.
    ///
    /// # Errors
    /// As [`Cursor::next`].
    pub async fn next_admitted(
        &mut self,
        subscription: &Subscription,
    ) -> Result<Arc<LiveEvent>, Ended> {
        loop {
            let event = self.next().await?;
            if subscription.admits(&event.facts) {
                return Ok(event);
            }
        }
    }
}
