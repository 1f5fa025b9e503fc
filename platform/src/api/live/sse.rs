//! `GET /api/killmails/stream` and `GET /api/battles/stream`: Server-Sent
//! Events, one per stored event (`id:` its `seq`, `event:` its
//! `eventType`, `data:` the envelope), filtered like a WebSocket
//! subscription by query parameters. A browser's `EventSource` resumes by
//! itself: it sends `Last-Event-ID` when it reconnects, and the events
//! stored since are sent first.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use battlescope_core::api::{LiveFeed, ServerMessage, Subscription};
use futures_util::stream::{self, Stream};

use super::{stopped, Cursor, Ended, Live, OpenGuard};
use crate::api::params::{self, number};
use crate::api::{battles, ApiError};

/// The query parameters of both streams.
pub const PARAMETERS: &[&str] = &[
    "systems",
    "regions",
    "alliances",
    "corporations",
    "characters",
    "minIsk",
    "after",
];

/// The resume header (`EventSource` sends it when it reconnects).
pub const LAST_EVENT_ID: &str = "last-event-id";

pub async fn killmails(
    State(live): State<Arc<Live>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    stream(live, LiveFeed::Killmails, &headers, raw.as_deref()).await
}

pub async fn battles(
    State(live): State<Arc<Live>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    stream(live, LiveFeed::Battles, &headers, raw.as_deref()).await
}

/// The subscription and the resume point of a request: `Last-Event-ID`
/// wins over `after` (a reconnecting `EventSource` keeps its first URL).
///
/// # Errors
/// 400 naming the parameter (or the header).
pub fn parse(
    feed: LiveFeed,
    headers: &HeaderMap,
    raw: Option<&str>,
) -> Result<(Subscription, Option<i64>), ApiError> {
    let mut s = Subscription {
        feeds: vec![feed],
        ..Subscription::default()
    };
    let mut after = None;
    for (name, value) in params::pairs(raw, PARAMETERS)? {
        let v = value.as_str();
        match name.as_str() {
            "systems" => s.systems = ids(&name, v)?,
            "regions" => s.regions = ids(&name, v)?,
            "alliances" => s.alliances = ids(&name, v)?,
            "corporations" => s.corporations = ids(&name, v)?,
            "characters" => s.characters = ids(&name, v)?,
            "minIsk" => s.min_isk = Some(battles::min_isk(&name, number(&name, v)?)?),
            "after" => after = Some(seq(&name, v)?),
            _ => unreachable!("every known parameter is handled"),
        }
    }
    s.validate()
        .map_err(|(field, message)| ApiError::bad_parameter(field, message))?;
    if let Some(id) = headers.get(LAST_EVENT_ID) {
        let id = id
            .to_str()
            .map_err(|_| ApiError::bad_parameter("Last-Event-ID", "not text"))?;
        after = Some(seq("Last-Event-ID", id)?);
    }
    Ok((s, after))
}

/// A comma-separated list of ids.
fn ids<T: std::str::FromStr>(name: &str, value: &str) -> Result<Vec<T>, ApiError> {
    value.split(',').map(|id| number(name, id.trim())).collect()
}

/// A `seq` to resume after: an integer ≥ 0.
fn seq(name: &str, value: &str) -> Result<i64, ApiError> {
    value.parse().ok().filter(|s| *s >= 0).ok_or_else(|| {
        ApiError::bad_parameter(
            name,
            format!("`{value}` is not an event seq (an integer ≥ 0)"),
        )
    })
}

async fn stream(
    live: Arc<Live>,
    feed: LiveFeed,
    headers: &HeaderMap,
    raw: Option<&str>,
) -> Result<Response, ApiError> {
    let (subscription, after) = parse(feed, headers, raw)?;
    let cursor = live
        .cursor(after)
        .await
        .map_err(|_| ApiError::shutting_down())?;
    let state = Connection {
        guard: live.metrics.opened("sse"),
        stop: live.stop(),
        cursor,
        subscription,
    };
    let mut response = Sse::new(events(state))
        .keep_alive(KeepAlive::new().interval(live.options.heartbeat))
        .into_response();
    // Proxies (nginx) would otherwise hold events back.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

struct Connection {
    guard: OpenGuard,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
    cursor: Cursor,
    subscription: Subscription,
}

/// The events, then a `closing` event saying why the stream ends (a slow
/// client, a shutdown).
fn events(state: Connection) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(Some(state), |state| async move {
        let mut c = state?;
        let next = tokio::select! {
            next = c.cursor.next_admitted(&c.subscription) => next,
            () = stopped(c.stop.as_mut()) => Err(Ended::Shutdown),
        };
        match next {
            Ok(e) => {
                c.guard.sent();
                let event = Event::default()
                    .id(e.seq.to_string())
                    .event(e.event_type)
                    .data(&e.envelope);
                Some((Ok(event), Some(c)))
            }
            Err(end) => {
                c.guard.reason = end.metric();
                tracing::debug!(reason = %end.reason(), "SSE stream closed");
                let closing = ServerMessage::Closing {
                    reason: end.reason(),
                };
                let event = Event::default()
                    .event("closing")
                    .data(serde_json::to_string(&closing).unwrap_or_default());
                Some((Ok(event), None))
            }
        }
    })
}
