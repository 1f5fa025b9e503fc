//! Probes: live (the process answers) and ready (the service runs, no
//! backend operation is retrying, and the store, if it has one, answers).
//! Every service serves them, the API and the pipeline-less ones alike,
//! with its metrics ([`super::metrics`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::ports::Store;
use crate::services::PipelineStats;

/// What readiness looks at.
#[derive(Debug, Clone)]
pub struct Probe {
    /// True once the service runs.
    pub ready: Arc<AtomicBool>,
    /// Its operations retrying a failing backend make it unready.
    pub stats: Arc<PipelineStats>,
    /// Pinged on each readiness probe, when the service has one.
    pub store: Option<Arc<dyn Store>>,
}

/// `GET /health/live`, `GET /health/ready` and `GET /metrics`.
pub fn probes(probe: Probe) -> Router {
    let registry = Arc::new(super::metrics::registry(probe.stats.clone()));
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .with_state(probe)
        .merge(
            Router::new()
                .route("/metrics", get(super::metrics::metrics))
                .with_state(registry),
        )
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
    let failing = PipelineStats::get(&probe.stats.failing);
    if failing > 0 {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "not_ready",
                "reason": format!("{failing} operation(s) retrying a failing backend (see the logs)"),
            })),
        );
    }
    let Some(store) = &probe.store else {
        return (StatusCode::OK, Json(json!({ "status": "ready" })));
    };
    match store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not_ready", "reason": e.to_string() })),
        ),
    }
}
