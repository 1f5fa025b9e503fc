//! What every API answer goes through, outermost first: a request id
//! (taken from `x-request-id` or generated, echoed on the answer, logged by
//! the request's span), CORS for the configured origins only, the request
//! span, HTTP metrics by route template, JSON for every error (whatever
//! layer or extractor wrote it), a per-client rate limit (429 with
//! `Retry-After`), a request body limit (413) and the request timeout
//! (503).
//!
//! Guarantees: an error answer is always `{"error": {...}}` JSON; the
//! limits are explicit ([`MAX_BODY`], [`super::REQUEST_TIMEOUT`],
//! [`RateLimit`]); no CORS header is sent unless origins are configured.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use super::metrics::{self, HttpMetrics};
use super::{ApiError, REQUEST_TIMEOUT};

/// Largest request body (`POST /api/search/battles` takes a small JSON
/// object); a larger one is answered 413.
pub const MAX_BODY: usize = 64 * 1024;

/// The request id header, read from the request or generated.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How fast one client (one peer IP) may ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second, sustained; `0` turns the limit off.
    pub per_second: u32,
    /// Requests a client may make at once above that rate.
    pub burst: u32,
}

impl Default for RateLimit {
    /// Generous: a browser page or a script well behaved is never limited.
    fn default() -> Self {
        Self {
            per_second: 50,
            burst: 100,
        }
    }
}

/// How the API answers beyond its routes.
#[derive(Debug, Clone, Default)]
pub struct ApiOptions {
    /// Origins a browser may call the API from (CORS); empty: no CORS
    /// headers at all. `*` allows any origin.
    pub cors_origins: Vec<HeaderValue>,
    pub rate_limit: RateLimit,
    /// The live streams' heartbeat, buffer and stop signal.
    pub live: super::live::LiveOptions,
}

/// The command line of the above, shared by `serve` and `service api`.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpArgs {
    /// An origin browsers may call the API from (CORS), such as
    /// `https://battlescope.example`; repeat for more, `*` for any. None by
    /// default: no CORS headers are sent.
    #[arg(
        long = "cors-origin",
        env = "BATTLESCOPE_CORS_ORIGINS",
        value_delimiter = ',',
        value_name = "ORIGIN"
    )]
    pub cors_origins: Vec<String>,
    /// Requests per second one client (peer IP) may make; above it the API
    /// answers 429 with `Retry-After`. `0` turns the limit off.
    #[arg(
        long,
        env = "BATTLESCOPE_RATE_LIMIT",
        default_value_t = RateLimit::default().per_second,
        value_name = "PER_SECOND"
    )]
    pub rate_limit: u32,
    /// Requests one client may make at once above `--rate-limit`.
    #[arg(
        long,
        env = "BATTLESCOPE_RATE_BURST",
        default_value_t = RateLimit::default().burst,
        value_name = "REQUESTS"
    )]
    pub rate_burst: u32,
    /// How long a live stream (SSE, WebSocket) may stay silent before a
    /// heartbeat is sent (`15s`, `1m`).
    #[arg(
        long,
        env = "BATTLESCOPE_STREAM_HEARTBEAT",
        default_value = "15s",
        value_parser = heartbeat,
        value_name = "DURATION"
    )]
    pub stream_heartbeat: Duration,
    /// Events a live stream client may fall behind before it is closed as
    /// too slow (it resumes from the event store when it reconnects).
    #[arg(
        long,
        env = "BATTLESCOPE_STREAM_BUFFER",
        default_value_t = super::live::LiveOptions::default().buffer,
        value_name = "EVENTS"
    )]
    pub stream_buffer: usize,
}

/// A heartbeat period as users write it (`15s`, `1m`), at least 100 ms.
fn heartbeat(text: &str) -> Result<Duration, String> {
    let d = battlescope_core::cluster::parse_duration("--stream-heartbeat", text)
        .map_err(|e| e.to_string())?;
    if d < Duration::from_millis(100) {
        return Err("at least 100ms".to_owned());
    }
    Ok(d)
}

impl HttpArgs {
    /// The options, the origins checked.
    ///
    /// # Errors
    /// An origin that is not `*` nor `scheme://host[:port]`.
    pub fn options(&self) -> anyhow::Result<ApiOptions> {
        let cors_origins = self
            .cors_origins
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
            .map(parse_origin)
            .collect::<anyhow::Result<_>>()?;
        Ok(ApiOptions {
            cors_origins,
            rate_limit: RateLimit {
                per_second: self.rate_limit,
                burst: self.rate_burst.max(1),
            },
            live: super::live::LiveOptions {
                heartbeat: self.stream_heartbeat,
                buffer: self.stream_buffer.max(1),
                ..super::live::LiveOptions::default()
            },
        })
    }
}

/// An origin as browsers send it: `scheme://host[:port]`, no path.
fn parse_origin(origin: &str) -> anyhow::Result<HeaderValue> {
    let well_formed = origin == "*"
        || origin.split_once("://").is_some_and(|(scheme, rest)| {
            matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains('/')
        });
    if !well_formed {
        anyhow::bail!(
            "--cors-origin {origin}: not an origin (`scheme://host[:port]` without a path, or `*`)"
        );
    }
    Ok(HeaderValue::from_str(origin)?)
}

/// `router` with every layer of this module.
pub fn apply<S>(router: Router<S>, options: &ApiOptions, http: HttpMetrics) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let mut router = router
        .layer(middleware::from_fn(timeout))
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(DefaultBodyLimit::max(MAX_BODY));
    if options.rate_limit.per_second > 0 {
        let limiter = Arc::new(Limiter::new(options.rate_limit));
        router = router.layer(middleware::from_fn_with_state(limiter, rate_limit));
    }
    router = router
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn_with_state(http, metrics::track))
        .layer(TraceLayer::new_for_http().make_span_with(span));
    if let Some(cors) = cors(&options.cors_origins) {
        router = router.layer(cors);
    }
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The request's span: its id, method and route template (the id lets a
/// client's report be found in the logs).
fn span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!("request", request_id = %id, method = %req.method(), route, uri = %req.uri())
}

fn cors(origins: &[HeaderValue]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().cloned())
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([CONTENT_TYPE, REQUEST_ID])
            .expose_headers([REQUEST_ID, RETRY_AFTER])
            .max_age(Duration::from_secs(3600)),
    )
}

async fn timeout(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::timed_out(REQUEST_TIMEOUT).into_response(),
    }
}

/// Error answers not already JSON (axum's 405, a 413, a body extractor's
/// rejection) rewritten as [`ApiError`]s, their text as the message.
async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let mut json = ApiError::from_status(status, &String::from_utf8_lossy(&text)).into_response();
    // Keep what the layer said besides (`Allow` on a 405, CORS, ids).
    for (name, value) in &parts.headers {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            json.headers_mut().insert(name, value.clone());
        }
    }
    json
}

/// The per-peer limiter (GCRA, one cell per peer IP, in a sharded map).
#[derive(Debug)]
struct Limiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    checks: AtomicU64,
}

/// Peers seen are forgotten once their bucket is full again, every this
/// many requests (bounds the map however many clients come and go).
const FORGET_EVERY: u64 = 4096;

impl Limiter {
    fn new(rate: RateLimit) -> Self {
        let per_second = NonZeroU32::new(rate.per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(
                Quota::per_second(per_second).allow_burst(burst),
            ),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// `Err(seconds to wait)` when `peer` asked too fast.
    fn check(&self, peer: IpAddr) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&peer).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            // Whole seconds (Retry-After's unit), at least one.
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0 || wait.is_zero())
        })
    }
}

/// Probes and metrics are never limited (the orchestrator and the scraper
/// must always get through); a request without a peer address (a test's
/// `oneshot`) has no client to count against.
async fn rate_limit(State(limiter): State<Arc<Limiter>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/health/") || path == "/metrics" {
        return next.run(req).await;
    }
    let Some(peer) = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return next.run(req).await;
    };
    match limiter.check(peer) {
        Ok(()) => next.run(req).await,
        Err(secs) => {
            tracing::debug!(%peer, retry_after = secs, "rate limited");
            let mut response = ApiError::rate_limited(secs).into_response();
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
            response
        }
    }
}
