//! Probes: live (the process answers) and ready (the service runs, no
//! backend operation is retrying, and every backend it needs answers now).
//! Every service serves them, the API and the pipeline-less ones alike,
//! with its metrics ([`super::metrics`]).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use prometheus_client::registry::Registry;
use serde_json::{json, Value};

use super::openapi::{Content, Operation, Route, SchemaFn};

use crate::ports::{Bus, SearchIndex, Store};
use crate::services::PipelineStats;

/// What readiness looks at.
#[derive(Debug, Clone)]
pub struct Probe {
    /// True once the service runs.
    pub ready: Arc<AtomicBool>,
    /// Its operations retrying a failing backend make it unready.
    pub stats: Arc<PipelineStats>,
    /// The backends the service needs, pinged on each readiness probe.
    pub backends: Vec<Backend>,
}

/// A backend a service needs: while it does not answer the service is not
/// ready (it keeps retrying, and recovers without a restart).
#[derive(Clone)]
pub enum Backend {
    Store(Arc<dyn Store>),
    Bus(Arc<dyn Bus>),
    Search(Arc<dyn SearchIndex>),
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How long one backend may take to answer a readiness ping.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Self::Store(_) => "store",
            Self::Bus(_) => "bus",
            Self::Search(_) => "search",
        }
    }

    /// `None` when it answers, else why not.
    async fn failure(&self) -> Option<String> {
        let ping = async {
            match self {
                Self::Store(s) => s.ping().await.map_err(|e| e.to_string()),
                Self::Bus(b) => b.ping().await.map_err(|e| e.to_string()),
                Self::Search(s) => s.ping().await.map_err(|e| e.to_string()),
            }
        };
        match tokio::time::timeout(PING_TIMEOUT, ping).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some(format!("no answer within {PING_TIMEOUT:?}")),
        }
    }
}

impl Probe {
    /// The store among its backends, if it has one.
    #[must_use]
    pub fn store(&self) -> Option<&Arc<dyn Store>> {
        self.backends.iter().find_map(|b| match b {
            Backend::Store(s) => Some(s),
            _ => None,
        })
    }
}

/// What the probes answer from: the readiness check and the registry.
#[derive(Debug, Clone)]
pub struct ProbeState {
    pub probe: Probe,
    pub registry: Arc<Registry>,
}

impl FromRef<ProbeState> for Probe {
    fn from_ref(s: &ProbeState) -> Self {
        s.probe.clone()
    }
}

impl FromRef<ProbeState> for Arc<Registry> {
    fn from_ref(s: &ProbeState) -> Self {
        s.registry.clone()
    }
}

/// `GET /health/live`, `GET /health/ready` and `GET /metrics` on their own
/// (the services without the API).
pub fn probes(probe: Probe) -> Router {
    let registry = Arc::new(super::metrics::registry(probe.stats.clone()));
    routes()
        .into_iter()
        .fold(Router::new(), |router, r| {
            router.route(r.op.path, r.handler)
        })
        .with_state(ProbeState { probe, registry })
}

/// The probes' routes, documented.
pub fn routes<S>() -> Vec<Route<S>>
where
    S: Clone + Send + Sync + 'static,
    Probe: FromRef<S>,
    Arc<Registry>: FromRef<S>,
{
    let status: SchemaFn = |_| {
        json!({
            "type": "object",
            "properties": {
                "status": {"type": "string", "enum": ["live", "ready", "starting", "not_ready"]},
                "reason": {"type": "string"},
                "backends": {
                    "type": "object",
                    "description": "Why each unreachable backend (store, bus, search) failed",
                    "additionalProperties": {"type": "string"},
                },
                "retrying": {"type": "integer", "minimum": 0},
            },
            "required": ["status"],
        })
    };
    let text: SchemaFn = |_| json!({"type": "string"});
    vec![
        Operation::get("/health/live", "live", "health")
            .summary("Liveness", "200 while the process answers.")
            .ok("Live", status)
            .serve(get(live)),
        Operation::get("/health/ready", "ready", "health")
            .summary(
                "Readiness",
                "200 once the service runs, no operation retries a failing backend and every \
                 backend it needs answers a ping now; 503 naming why not.",
            )
            .ok("Ready", status)
            .answer(
                503,
                "Not ready (starting, or a backend unreachable)",
                Content::Json(status),
            )
            .serve(get(ready)),
        Operation::get("/metrics", "metrics", "health")
            .summary(
                "Prometheus metrics",
                "Pipeline counters, kill → battle latency and the HTTP requests by route \
                 template and status, in the OpenMetrics text format.",
            )
            .answer(
                200,
                "The metrics",
                Content::Other("application/openmetrics-text", text),
            )
            .serve(get(super::metrics::metrics)),
    ]
}

async fn live() -> Json<Value> {
    Json(json!({ "status": "live" }))
}

async fn ready(State(probe): State<Probe>) -> (StatusCode, Json<Value>) {
    if !probe.ready.load(Ordering::Relaxed) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "starting", "reason": "the service is not running yet" })),
        );
    }
    // Pinged side by side, so one slow backend bounds the probe.
    let mut pings = tokio::task::JoinSet::new();
    for b in probe.backends.clone() {
        pings.spawn(async move { b.failure().await.map(|e| (b.name(), e)) });
    }
    let mut failures = serde_json::Map::new();
    while let Some(done) = pings.join_next().await {
        if let Ok(Some((name, e))) = done {
            failures.insert(name.to_owned(), Value::String(e));
        }
    }
    let failing = PipelineStats::get(&probe.stats.failing);
    if failures.is_empty() && failing == 0 {
        return (StatusCode::OK, Json(json!({ "status": "ready" })));
    }
    let mut reasons = Vec::new();
    if !failures.is_empty() {
        let names: Vec<&str> = failures.keys().map(String::as_str).collect();
        reasons.push(format!("unreachable: {}", names.join(", ")));
    }
    if failing > 0 {
        reasons.push(format!(
            "{failing} operation(s) retrying a failing backend (see the logs)"
        ));
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({
            "status": "not_ready",
            "reason": reasons.join("; "),
            "backends": failures,
            "retrying": failing,
        })),
    )
}
