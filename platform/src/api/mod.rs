//! The HTTP API (axum). [`router`] is a plain value: `serve` binds it, the
//! tests call it with `oneshot`.
//!
//! Every error is JSON naming what was wrong:
//! `{"error": {"code": "bad_parameter", "parameter": "since", "message": "…"}}`.

mod battles;
mod error;
pub mod health;
mod killmails;
pub mod metrics;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use tower_http::timeout::TimeoutLayer;

pub use error::ApiError;

use crate::ports::Store;
use crate::services::PipelineStats;

/// Largest page of the battle list.
pub const MAX_PAGE: u32 = 500;
/// Page size when none is asked for.
pub const DEFAULT_PAGE: u32 = 50;
/// A request taking longer is answered 503 (so shutdown cannot hang on one).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// True once the pipeline runs (the store migrated, services started).
    pub ready: Arc<AtomicBool>,
    pub stats: Arc<PipelineStats>,
}

/// The routes, ready while the store answers.
pub fn router(state: AppState) -> Router {
    let store = health::Backend::Store(state.store.clone());
    router_needing(state, vec![store])
}

/// The routes, ready while every one of `backends` answers (`serve`
/// needs its bus and search index too).
pub fn router_needing(state: AppState, backends: Vec<health::Backend>) -> Router {
    let probe = health::Probe {
        ready: state.ready.clone(),
        stats: state.stats.clone(),
        backends,
    };
    Router::new()
        .route("/api/battles", get(battles::list))
        .route("/api/battles/{id}", get(battles::one))
        .route("/api/killmails/{id}", get(killmails::one))
        .fallback(error::not_found)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
        .merge(health::probes(probe))
}
