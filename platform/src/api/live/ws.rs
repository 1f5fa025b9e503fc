//! `GET /api/ws`: a WebSocket carrying JSON text messages
//! (`battlescope_core::api::ClientMessage` in, `ServerMessage` out). The
//! client subscribes (and re-subscribes at will) with filters and an
//! optional resume point; the server sends the admitted events, a
//! heartbeat when idle, an `error` for a message it cannot use, and
//! `closing` with the reason before it closes (a client too slow to keep
//! up, the server shutting down).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use battlescope_core::api::{ClientMessage, ErrorDetail, ServerMessage, Subscription};

use super::{stopped, Cursor, Ended, Live};

/// Largest message a client may send (a subscription with every list
/// full fits).
pub const MAX_CLIENT_MESSAGE: usize = 128 * 1024;

/// WebSocket close codes (RFC 6455 §7.4.1).
const GOING_AWAY: u16 = 1001;
const TRY_AGAIN_LATER: u16 = 1013;
const INTERNAL_ERROR: u16 = 1011;

pub async fn upgrade(State(live): State<Arc<Live>>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_failed_upgrade(|e| tracing::debug!(error = %e, "WebSocket upgrade failed"))
        .on_upgrade(move |socket| connection(live, socket))
}

/// What a connection does until it ends.
enum Step {
    /// Go on.
    Continue,
    /// The client went away (or closed): nothing more to say.
    Gone,
    /// The server ends it, saying why.
    End(Ended),
}

async fn connection(live: Arc<Live>, mut socket: WebSocket) {
    let mut guard = live.metrics.opened("ws");
    // Heartbeats carry the newest seq from the start.
    live.start();
    let mut stop = live.stop();
    let period = live.options.heartbeat;
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Nothing is sent before the client subscribes.
    let mut subscribed: Option<(Cursor, Subscription)> = None;
    let end = loop {
        let step = tokio::select! {
            () = stopped(stop.as_mut()) => Step::End(Ended::Shutdown),
            message = socket.recv() => match message {
                None | Some(Err(_) | Ok(Message::Close(_))) => Step::Gone,
                Some(Ok(Message::Text(text))) => {
                    received(&live, &mut socket, &mut subscribed, &text).await
                }
                Some(Ok(Message::Binary(_))) => {
                    refuse(&live, &mut socket, None, "binary messages are not understood: send JSON text").await
                }
                // Pings are answered by the WebSocket layer itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => Step::Continue,
            },
            next = next(&mut subscribed) => match next {
                Ok(event) => {
                    heartbeat.reset();
                    let step = send(&mut socket, event.message.clone(), live.options.send_timeout).await;
                    if matches!(step, Step::Continue) {
                        guard.sent();
                    }
                    step
                }
                Err(end) => Step::End(end),
            },
            _ = heartbeat.tick() => {
                let beat = ServerMessage::Heartbeat {
                    seq: subscribed.as_ref().map_or_else(|| live.head(), |(c, _)| c.after()),
                    time: chrono::Utc::now(),
                };
                send_message(&mut socket, &beat, live.options.send_timeout).await
            }
        };
        match step {
            Step::Continue => {}
            Step::Gone => break None,
            Step::End(end) => break Some(end),
        }
    };
    if let Some(end) = end {
        guard.reason = end.metric();
        farewell(&mut socket, &end).await;
    }
}

/// The next admitted event; pending until the client subscribed.
async fn next(
    subscribed: &mut Option<(Cursor, Subscription)>,
) -> Result<Arc<super::LiveEvent>, Ended> {
    match subscribed {
        Some((cursor, subscription)) => cursor.next_admitted(subscription).await,
        None => std::future::pending().await,
    }
}

/// A client message: a subscription (answered `subscribed`) or an error.
async fn received(
    live: &Live,
    socket: &mut WebSocket,
    subscribed: &mut Option<(Cursor, Subscription)>,
    text: &str,
) -> Step {
    let message = match serde_json::from_str::<ClientMessage>(text) {
        Ok(m) => m,
        Err(e) => {
            let (parameter, reason) = what_is_wrong(text, &e);
            return refuse(
                live,
                socket,
                parameter,
                &format!("not a client message: {reason}"),
            )
            .await;
        }
    };
    let ClientMessage::Subscribe {
        subscription,
        after,
    } = message;
    if let Err((field, message)) = subscription.validate() {
        return refuse(
            live,
            socket,
            Some(format!("subscription.{field}")),
            &message,
        )
        .await;
    }
    if after.is_some_and(|a| a < 0) {
        return refuse(
            live,
            socket,
            Some("after".to_owned()),
            "an event seq is ≥ 0",
        )
        .await;
    }
    let cursor = match live.cursor(after).await {
        Ok(c) => c,
        Err(end) => return Step::End(end),
    };
    let answer = ServerMessage::Subscribed {
        subscription: subscription.clone(),
        seq: cursor.after(),
    };
    *subscribed = Some((cursor, subscription));
    send_message(socket, &answer, live.options.send_timeout).await
}

/// The field a message that does not parse gets wrong, when it can be
/// told, and why. (An internally tagged enum reads through a buffer, which
/// loses the path: the subscription is read again on its own for it.)
fn what_is_wrong(text: &str, error: &serde_json::Error) -> (Option<String>, String) {
    let subscription = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|mut v| v.get_mut("subscription").map(serde_json::Value::take));
    if let Some(subscription) = subscription {
        if let Err(e) = serde_path_to_error::deserialize::<_, Subscription>(subscription) {
            let path = e.path().to_string();
            let parameter = if path == "." {
                "subscription".to_owned()
            } else {
                format!("subscription.{path}")
            };
            return (Some(parameter), e.inner().to_string());
        }
    }
    (None, error.to_string())
}

/// Answer `error` (the connection stays open).
async fn refuse(
    live: &Live,
    socket: &mut WebSocket,
    parameter: Option<String>,
    message: &str,
) -> Step {
    let error = ServerMessage::Error {
        error: ErrorDetail {
            code: "bad_message".to_owned(),
            parameter,
            message: message.to_owned(),
        },
    };
    send_message(socket, &error, live.options.send_timeout).await
}

async fn send_message(socket: &mut WebSocket, message: &ServerMessage, limit: Duration) -> Step {
    match serde_json::to_string(message) {
        Ok(text) => send(socket, text, limit).await,
        Err(e) => Step::End(Ended::Store(format!("a message did not serialise: {e}"))),
    }
}

/// Send, giving up on a client that stopped reading.
async fn send(socket: &mut WebSocket, text: String, limit: Duration) -> Step {
    match tokio::time::timeout(limit, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Step::Continue,
        Ok(Err(_)) => Step::Gone,
        Err(_) => Step::End(Ended::Stalled),
    }
}

/// `closing` with the reason, then the close frame (briefly: a client
/// that stopped reading gets neither).
async fn farewell(socket: &mut WebSocket, end: &Ended) {
    let reason = end.reason();
    let code = match end {
        Ended::TooSlow { .. } | Ended::Stalled => TRY_AGAIN_LATER,
        Ended::Shutdown => GOING_AWAY,
        Ended::Store(_) => INTERNAL_ERROR,
    };
    let closing = ServerMessage::Closing {
        reason: reason.clone(),
    };
    let bye = async {
        if let Ok(text) = serde_json::to_string(&closing) {
            socket.send(Message::Text(text.into())).await?;
        }
        // A close frame's reason is at most 123 bytes.
        let mut short = reason;
        while short.len() > 123 {
            short.pop();
        }
        socket
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: Utf8Bytes::from(short),
            })))
            .await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), bye).await;
}
