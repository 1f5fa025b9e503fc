//! The HTTP API (axum). [`router`] is a plain value: `serve` binds it, the
//! tests call it with `oneshot`.
//!
//! Every body is a type of `battlescope_core::api` (whose JSON Schemas are
//! in `schemas/api-*.schema.json`); every error is JSON naming what was
//! wrong:
//! `{"error": {"code": "bad_parameter", "parameter": "since", "message": "…"}}`.

mod battles;
mod entities;
mod error;
pub mod health;
mod killmails;
pub mod metrics;
mod params;
mod participants;
mod search;
mod timeline;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use tower_http::timeout::TimeoutLayer;

pub use error::ApiError;

use crate::ports::{SearchIndex, Store};
use crate::services::PipelineStats;

/// Largest page of a list (battles, killmails).
pub const MAX_PAGE: u32 = 500;
/// Page size when none is asked for.
pub const DEFAULT_PAGE: u32 = 50;
/// A request taking longer is answered 503 (so shutdown cannot hang on one).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// `GET /api/search` and text queries answer 503 without one.
    pub search: Option<Arc<dyn SearchIndex>>,
    /// True once the pipeline runs (the store migrated, services started).
    pub ready: Arc<AtomicBool>,
    pub stats: Arc<PipelineStats>,
}

/// The routes, ready while the store (and the search index, if any)
/// answers.
pub fn router(state: AppState) -> Router {
    let mut backends = vec![health::Backend::Store(state.store.clone())];
    backends.extend(state.search.clone().map(health::Backend::Search));
    router_needing(state, backends)
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
        .route("/api/battles/{id}/timeline", get(timeline::timeline))
        .route(
            "/api/battles/{id}/participants",
            get(participants::participants),
        )
        .route("/api/killmails/recent", get(killmails::recent))
        .route("/api/killmails/{id}", get(killmails::one))
        .route("/api/search", get(search::search))
        .route("/api/search/battles", post(search::battles))
        .route("/api/alliances/{id}", get(entities::alliance))
        .route("/api/corporations/{id}", get(entities::corporation))
        .route("/api/characters/{id}", get(entities::character))
        .fallback(error::not_found)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
        .merge(health::probes(probe))
}
