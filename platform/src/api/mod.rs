//! The HTTP API (axum). [`router`] is a plain value: `serve` binds it, the
//! tests call it with `oneshot`.
//!
//! Every body is a type of `battlescope_core::api` (whose JSON Schemas are
//! in `schemas/api-*.schema.json`); every error is JSON naming what was
//! wrong:
//! `{"error": {"code": "bad_parameter", "parameter": "since", "message": "…"}}`.
//!
//! Every route is declared once, with its documentation, in [`routes`]:
//! the router and the OpenAPI document (`/api/openapi.json`,
//! [`openapi`]) are both made from that list. [`layers`] wraps them all
//! (request ids, CORS, metrics, limits).

mod battles;
mod entities;
mod error;
pub mod health;
mod killmails;
pub mod layers;
pub mod live;
pub mod metrics;
pub mod openapi;
mod params;
mod participants;
mod search;
mod timeline;

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::Router;
use battlescope_core::api::live::MAX_SUBSCRIPTION_IDS;
use battlescope_core::api::{
    BattlePage, BattleRedirect, BattleSearch, ClientMessage, EntityPage, KillmailPage,
    KillmailView, Participants, SearchHitKind, SearchResults, ServerMessage, Timeline,
    BATTLE_CURSOR, MAX_QUERY_CHARS, NOT_BLANK,
};
use battlescope_core::events::schema::SchemaSet;
use battlescope_core::universe::SecurityClass;
use battlescope_core::Battle;
use prometheus_client::registry::Registry;
use serde_json::json;

pub use error::ApiError;
pub use layers::{ApiOptions, HttpArgs, RateLimit};
use openapi::{Content, Operation, Route, SchemaFn};

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

/// The state of the whole router: the API's, the probes' and the
/// registry `/metrics` serves.
#[derive(Debug, Clone)]
pub struct Shared {
    app: AppState,
    probes: health::ProbeState,
    live: Arc<live::Live>,
}

impl FromRef<Shared> for AppState {
    fn from_ref(s: &Shared) -> Self {
        s.app.clone()
    }
}

impl FromRef<Shared> for health::Probe {
    fn from_ref(s: &Shared) -> Self {
        s.probes.probe.clone()
    }
}

impl FromRef<Shared> for Arc<live::Live> {
    fn from_ref(s: &Shared) -> Self {
        s.live.clone()
    }
}

impl FromRef<Shared> for Arc<Registry> {
    fn from_ref(s: &Shared) -> Self {
        s.probes.registry.clone()
    }
}

/// The routes, ready while the store (and the search index, if any)
/// answers, with the default options (no CORS, the default rate limit).
pub fn router(state: AppState) -> Router {
    router_with(state, &ApiOptions::default())
}

/// [`router`] with `options`.
pub fn router_with(state: AppState, options: &ApiOptions) -> Router {
    let mut backends = vec![health::Backend::Store(state.store.clone())];
    backends.extend(state.search.clone().map(health::Backend::Search));
    router_needing(state, backends, options)
}

/// The routes, ready while every one of `backends` answers (`serve`
/// needs its bus and search index too).
pub fn router_needing(
    state: AppState,
    backends: Vec<health::Backend>,
    options: &ApiOptions,
) -> Router {
    let probe = health::Probe {
        ready: state.ready.clone(),
        stats: state.stats.clone(),
        backends,
    };
    let mut registry = metrics::registry(state.stats.clone());
    let http = metrics::HttpMetrics::register(&mut registry);
    let live = Arc::new(live::Live::new(
        state.store.clone(),
        options.live.clone(),
        live::LiveMetrics::register(&mut registry),
    ));
    let shared = Shared {
        live,
        app: state,
        probes: health::ProbeState {
            probe,
            registry: Arc::new(registry),
        },
    };
    let router = routes::<Shared>()
        .into_iter()
        .fold(Router::new(), |router, r| {
            router.route(r.op.path, r.handler)
        })
        .fallback(error::not_found);
    layers::apply(router, options, http).with_state(shared)
}

/// What `axum::serve` needs for the router: the peer's address reaches the
/// handlers (the rate limit keys by it).
#[must_use]
pub fn make_service(router: Router) -> IntoMakeServiceWithConnectInfo<Router, SocketAddr> {
    router.into_make_service_with_connect_info::<SocketAddr>()
}

/// Every route the API serves, each with its documentation (the OpenAPI
/// document is made from this list: nothing is served undocumented).
#[allow(clippy::too_many_lines)]
pub fn routes<S>() -> Vec<Route<S>>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
    health::Probe: FromRef<S>,
    Arc<Registry>: FromRef<S>,
    Arc<live::Live>: FromRef<S>,
{
    // Each schema states every bound its parameter's parser checks (the
    // Rust type's range included), so a value it allows is never refused.
    let battle_id: SchemaFn = |_| json!({"type": "string", "format": "uuid"});
    let entity_id: SchemaFn =
        |_| json!({"type": "integer", "format": "uint64", "minimum": 1, "maximum": u64::MAX});
    let id: SchemaFn =
        |_| json!({"type": "integer", "format": "uint64", "minimum": 0, "maximum": u64::MAX});
    let id32: SchemaFn =
        |_| json!({"type": "integer", "format": "uint32", "minimum": 0, "maximum": u32::MAX});
    let count = id32;
    let isk: SchemaFn = |_| json!({"type": "number", "minimum": 0, "maximum": f64::MAX});
    let time: SchemaFn = |_| {
        json!({"oneOf": [
            {"type": "string", "format": "date-time"},
            {"type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX,
             "description": "Seconds since the epoch"},
        ]})
    };
    let page: SchemaFn =
        |_| json!({"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_PAGE});
    let battle_cursor: SchemaFn = |_| json!({"type": "string", "pattern": BATTLE_CURSOR});
    let killmail_cursor: SchemaFn =
        |_| json!({"type": "string", "pattern": params::KILLMAIL_CURSOR});
    let query_text: SchemaFn = |_| json!({"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": NOT_BLANK});
    let kinds: SchemaFn =
        |s| json!({"type": "array", "minItems": 1, "items": s.output::<SearchHitKind>()});
    let redirect = Content::Json(SchemaSet::output::<BattleRedirect>);
    let battle_path = |op: Operation| op.path_param("id", "The battle's id", battle_id);
    let ids32: SchemaFn = |_| json!({"type": "array", "minItems": 1, "maxItems": MAX_SUBSCRIPTION_IDS, "items": {"type": "integer", "format": "uint32", "minimum": 0, "maximum": u32::MAX}});
    let ids64: SchemaFn = |_| json!({"type": "array", "minItems": 1, "maxItems": MAX_SUBSCRIPTION_IDS, "items": {"type": "integer", "format": "uint64", "minimum": 0, "maximum": u64::MAX}});
    let seq: SchemaFn =
        |_| json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": i64::MAX});
    let stream = |op: Operation| {
        op.query_list("systems", "Only these solar systems (or `regions`)", ids32)
            .query_list("regions", "Only these regions (or `systems`)", ids32)
            .query_list("alliances", "Only with one of these alliances (or `corporations`, `characters`)", ids64)
            .query_list("corporations", "Only with one of these corporations", ids64)
            .query_list("characters", "Only with one of these characters", ids64)
            .query("minIsk", "Only worth at least this much (unknown values do not pass)", isk)
            .query("after", "Resume after this seq", seq)
            .header("Last-Event-ID", "Resume after this seq (wins over `after`; EventSource sends it when it reconnects)", seq)
            .answer(200, "The event stream", Content::Other("text/event-stream", |_| json!({"type": "string", "description": "Server-Sent Events; each `data` is an event envelope (see the Event schema)"})))
            .api_errors(&[400])
    };
    let entity = |path, op_id, what| {
        Operation::get(path, op_id, "entities")
            .summary(what, "The entity's name, its recent battles (at most 20) and the intel over them: ships, systems, allies, enemies. 404 when no stored killmail names it.")
            .path_param("id", "The entity's EVE id", entity_id)
            .ok("The entity's page", SchemaSet::output::<EntityPage>)
            .api_errors(&[400, 404])
    };
    vec![
        Operation::get("/api/battles", "listBattles", "battles")
            .summary(
                "Battles, newest first",
                "Filtered and paginated by cursor; every filter is optional. An unknown or repeated parameter is a 400 naming it.",
            )
            .query("system", "Solar system id", id32)
            .query("region", "Region id", id32)
            .query("security", "Security class of the system", SchemaSet::output::<SecurityClass>)
            .query("alliance", "An alliance among the participants", id)
            .query("corporation", "A corporation among the participants", id)
            .query("character", "A character among the participants", id)
            .query("since", "Battles ending at or after (RFC 3339, or seconds since the epoch); at or before `until`", time)
            .query("until", "Battles starting at or before (RFC 3339, or seconds since the epoch)", time)
            .query("minKills", "At least this many kills", count)
            .query("minIsk", "At least this much ISK destroyed", isk)
            .query("limit", "Page size (1 to 500)", page)
            .query("cursor", "The `nextCursor` of the previous page", battle_cursor)
            .ok("A page of battles", SchemaSet::output::<BattlePage>)
            .api_errors(&[400])
            .serve(get(battles::list)),
        battle_path(Operation::get("/api/battles/{id}", "getBattle", "battles"))
            .summary("A battle", "A battle merged into another answers 308 to the battle that absorbed it.")
            .ok("The battle", SchemaSet::output::<Battle>)
            .answer(308, "Merged into another battle", redirect)
            .api_errors(&[400, 404])
            .serve(get(battles::one)),
        battle_path(Operation::get("/api/battles/{id}/timeline", "battleTimeline", "battles"))
            .summary("A battle's timeline", "Kills and ISK destroyed per minute, in all and per side.")
            .ok("The timeline", SchemaSet::output::<Timeline>)
            .answer(308, "Merged into another battle", redirect)
            .api_errors(&[400, 404])
            .serve(get(timeline::timeline)),
        battle_path(Operation::get("/api/battles/{id}/participants", "battleParticipants", "battles"))
            .summary("A battle's participants", "One row per pilot and hull, with side, names where known and losses.")
            .ok("The participants", SchemaSet::output::<Participants>)
            .answer(308, "Merged into another battle", redirect)
            .api_errors(&[400, 404])
            .serve(get(participants::participants)),
        Operation::get("/api/killmails/recent", "recentKillmails", "killmails")
            .summary("Recent killmails, newest first", "Paginated by cursor.")
            .query("limit", "Page size (1 to 500)", page)
            .query("cursor", "The `nextCursor` of the previous page", killmail_cursor)
            .ok("A page of killmails", SchemaSet::output::<KillmailPage>)
            .api_errors(&[400])
            .serve(get(killmails::recent)),
        Operation::get("/api/killmails/{id}", "getKillmail", "killmails")
            .summary("A killmail", "The killmail as received, its summary, the names resolved and its battle.")
            .path_param("id", "The killmail's id", entity_id)
            .ok("The killmail", SchemaSet::output::<KillmailView>)
            .api_errors(&[400, 404])
            .serve(get(killmails::one)),
        stream(Operation::get("/api/killmails/stream", "streamKillmails", "live"))
            .summary(
                "Killmails as they are stored (SSE)",
                "Server-Sent Events: one `killmail.enriched` event per killmail stored (`id:` its seq in the event store, `event:` its type, `data:` the envelope), filtered by the parameters. `Last-Event-ID` (or `after`) resumes: what was stored since comes first. A comment line is sent when idle; a `closing` event says why the server ends the stream (a client too slow to keep up, a shutdown).",
            )
            .serve(get(live::sse::killmails)),
        stream(Operation::get("/api/battles/stream", "streamBattles", "live"))
            .summary(
                "Battle events as they are stored (SSE)",
                "Server-Sent Events: `battle.created`, `battle.updated`, `battle.deleted` and `battle.sealed`, as `GET /api/killmails/stream` sends killmails. A deletion passes on place alone (it names no pilots).",
            )
            .serve(get(live::sse::battles)),
        Operation::get("/api/ws", "websocket", "live")
            .summary(
                "Killmails and battle events over a WebSocket",
                "Upgrade to a WebSocket carrying JSON text messages: the client sends `subscribe` (filters, feeds, and `after` to resume), the server answers `subscribed`, then sends `event`s, a `heartbeat` when idle, `error` for a message it cannot use, and `closing` with the reason before it closes (1013 for a client too slow to keep up, 1001 at shutdown). Message schemas: `ClientMessage` and `ServerMessage` under components.",
            )
            .answer(101, "Switching to the WebSocket protocol: the messages are JSON text frames", Content::Other("application/json", |s| {
                let server = s.output::<ServerMessage>();
                let client = s.input::<ClientMessage>();
                json!({
                    "description": "What the server sends; what the client sends is under `x-client-message`",
                    "oneOf": [server],
                    "x-client-message": client,
                })
            }))
            .answer(426, "Upgrade required: a plain GET, not a WebSocket handshake", Content::Json(SchemaSet::output::<battlescope_core::api::ErrorBody>))
            .api_errors(&[400])
            .serve(get(live::ws::upgrade)),
        Operation::get("/api/search", "search", "search")
            .summary("Search by name", "Battles, alliances, corporations, characters, systems and killmails matching the text. 503 when the API runs without a search index.")
            .query_required("q", "The text (not blank, at most 200 characters)", query_text)
            .query_list("kinds", "Comma-separated kinds to search (battle, alliance, corporation, character, system, killmail); all when absent", kinds)
            .query("limit", "Hits (1 to 100, default 10)", |_| json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 10}))
            .ok("The hits, best first", SchemaSet::output::<SearchResults>)
            .api_errors(&[400])
            .serve(get(search::search)),
        Operation::post("/api/search/battles", "searchBattles", "search")
            .summary("Search battles", "The filters of `GET /api/battles` as a JSON object, and optionally a text `q`; paginated like the list. An unknown field is a 400 naming it.")
            .body(SchemaSet::input::<BattleSearch>)
            .ok("A page of battles", SchemaSet::output::<BattlePage>)
            .api_errors(&[400, 413])
            .serve(post(search::battles)),
        entity("/api/alliances/{id}", "getAlliance", "An alliance").serve(get(entities::alliance)),
        entity("/api/corporations/{id}", "getCorporation", "A corporation")
            .serve(get(entities::corporation)),
        entity("/api/characters/{id}", "getCharacter", "A character").serve(get(entities::character)),
    ]
    .into_iter()
    .chain(health::routes())
    .chain(openapi::routes())
    .collect()
}
