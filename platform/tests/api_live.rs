//! The live streams of #19 (`GET /api/killmails/stream`,
//! `GET /api/battles/stream`, `GET /api/ws`) on a real HTTP server over a
//! SQLite store, fed the way the writer feeds it (killmails and battle
//! events appended to the event store). Every assertion compares with what
//! the test wrote itself: the events a filter should admit, in `seq` order,
//! none missed, none twice — across reconnects, resumes, a slow client and
//! a shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use battlescope_core::api::{ClientMessage, LiveFeed, ServerMessage, Subscription};
use battlescope_core::battle::KillSummary;
use battlescope_core::cluster::{cluster, ClusterConfig};
use battlescope_core::events::{
    BattleCreatedData, BattleDeletedData, Envelope, Event, KillmailEnrichedData,
};
use battlescope_core::{Battle, Killmail};
use battlescope_platform::adapters::sqlite::SqliteStore;
use battlescope_platform::api::live::LiveOptions;
use battlescope_platform::api::{make_service, router_with, ApiOptions, AppState, RateLimit};
use battlescope_platform::ports::store::{EventBody, EventRecord, Store, WriteBatch};
use battlescope_platform::services::PipelineStats;
use battlescope_synth::{generate, ScenarioConfig};
use eventsource_stream::Eventsource;
use futures_util::{SinkExt, Stream, StreamExt};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);

struct Server {
    addr: SocketAddr,
    store: Arc<SqliteStore>,
    stop: watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// The API on a loopback port. The tail's poll is long: an event seen
    /// quickly was woken by the store's append signal.
    async fn start(tune: impl FnOnce(&mut LiveOptions)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("s.db")).await.unwrap());
        let (stop, stopped) = watch::channel(false);
        let mut live = LiveOptions {
            heartbeat: Duration::from_millis(300),
            poll: Duration::from_secs(60),
            stop: Some(stopped),
            ..LiveOptions::default()
        };
        tune(&mut live);
        let options = ApiOptions {
            rate_limit: RateLimit {
                per_second: 0,
                burst: 1,
            },
            live,
            ..ApiOptions::default()
        };
        let app = router_with(
            AppState {
                store: store.clone(),
                search: None,
                ready: Arc::default(),
                stats: Arc::new(PipelineStats::default()),
            },
            &options,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, make_service(app)).await });
        Self {
            addr,
            store,
            stop,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Append `events` (with their killmails) as one writer batch.
    async fn append(&self, events: &[Event]) {
        let mut batch = WriteBatch::default();
        for e in events {
            if let Event::KillmailEnriched(k) = e {
                batch
                    .killmails
                    .push((k.data.killmail.clone(), k.data.summary.clone(), Vec::new()));
            }
            batch.events.push(EventRecord {
                event_id: e.event_id(),
                event_type: e.event_type().as_str().to_owned(),
                key: "k".to_owned(),
                timestamp_ms: 0,
                body: EventBody::Json(serde_json::to_string(e).unwrap()),
            });
        }
        self.store.write(&batch).await.unwrap();
    }

    async fn metrics(&self) -> String {
        client()
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// An HTTP client (reqwest is built without a TLS provider of its own).
fn client() -> reqwest::Client {
    battlescope_platform::adapters::http::install_tls_provider();
    reqwest::Client::new()
}

fn fights(n: usize, seed: u64) -> Vec<Killmail> {
    let mut kills = generate(
        &ScenarioConfig {
            kills: n,
            ..ScenarioConfig::small()
        },
        seed,
    );
    kills.sort_by_key(|k| (k.killmail_time, k.killmail_id));
    kills
}

fn enriched(km: &Killmail) -> Event {
    Event::KillmailEnriched(Envelope::first(
        KillmailEnrichedData {
            killmail: km.clone(),
            summary: KillSummary::of(km),
            names: Vec::new(),
        },
        km.killmail_time,
        "test",
    ))
}

fn created(b: &Battle) -> Event {
    Event::BattleCreated(Envelope::first(
        BattleCreatedData { battle: b.clone() },
        b.end_time,
        "test",
    ))
}

fn deleted(b: &Battle) -> Event {
    Event::BattleDeleted(Envelope::first(
        BattleDeletedData {
            battle_id: b.id,
            system_id: b.system_id,
            merged_into: None,
        },
        b.end_time,
        "test",
    ))
}

/// The ids of the killmails of `events`.
fn killmail_ids<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<u64> {
    events
        .into_iter()
        .filter_map(|e| match e {
            Event::KillmailEnriched(k) => Some(k.data.killmail.killmail_id),
            _ => None,
        })
        .collect()
}

/// The system with most kills.
fn busiest(kills: &[Killmail]) -> u32 {
    let mut counts = std::collections::BTreeMap::<u32, usize>::new();
    for k in kills {
        *counts.entry(k.solar_system_id).or_default() += 1;
    }
    counts.into_iter().max_by_key(|(_, n)| *n).unwrap().0
}

/// An SSE event as received.
#[derive(Debug, Clone)]
struct Sse {
    id: String,
    event: String,
    data: String,
}

async fn sse(url: &str, last_event_id: Option<i64>) -> impl Stream<Item = Sse> + Unpin {
    let mut request = client().get(url);
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id.to_string());
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    Box::pin(response.bytes_stream().eventsource().map(|e| {
        let e = e.unwrap();
        Sse {
            id: e.id,
            event: e.event,
            data: e.data,
        }
    }))
}

/// The next `n` events of `stream`.
async fn take(stream: &mut (impl Stream<Item = Sse> + Unpin), n: usize) -> Vec<Sse> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let e = tokio::time::timeout(WAIT, stream.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} events within {WAIT:?}", out.len()))
            .expect("the stream ended early");
        out.push(e);
    }
    out
}

fn killmail_of(e: &Sse) -> u64 {
    assert_eq!(e.event, "killmail.enriched");
    match serde_json::from_str::<Event>(&e.data).unwrap() {
        Event::KillmailEnriched(k) => k.data.killmail.killmail_id,
        other => panic!("a {} on the killmail stream", other.event_type()),
    }
}

#[tokio::test]
async fn sse_sends_what_its_filter_admits_as_it_is_stored_and_resumes_where_it_stopped() {
    let server = Server::start(|_| {}).await;
    let kills = fights(400, 7);
    let system = busiest(&kills);
    let (first, second) = kills.split_at(200);
    // Events before the stream opened are not sent (no resume asked).
    let early: Vec<Event> = first[..100].iter().map(enriched).collect();
    server.append(&early).await;

    let url = server.url(&format!("/api/killmails/stream?systems={system}"));
    let mut stream = sse(&url, None).await;
    let later: Vec<Event> = first[100..].iter().map(enriched).collect();
    server.append(&later).await;
    let wanted: Vec<u64> = first[100..]
        .iter()
        .filter(|k| k.solar_system_id == system)
        .map(|k| k.killmail_id)
        .collect();
    assert!(wanted.len() > 4, "the sample has a busy system");
    let got = take(&mut stream, wanted.len()).await;
    assert_eq!(got.iter().map(killmail_of).collect::<Vec<_>>(), wanted);
    // Ids are the event store's seqs: rising, and the events 101.. of it.
    let seqs: Vec<i64> = got.iter().map(|e| e.id.parse().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert!(seqs[0] > 100, "{seqs:?}");
    drop(stream);

    // Reconnect after the third event seen: the rest of the stored ones
    // come first (from the store), then the live ones, none twice.
    let resume = seqs[2];
    let mut stream = sse(&url, Some(resume)).await;
    let missed = &wanted[3..];
    let got = take(&mut stream, missed.len()).await;
    assert_eq!(got.iter().map(killmail_of).collect::<Vec<_>>(), missed);
    let more: Vec<Event> = second.iter().map(enriched).collect();
    server.append(&more).await;
    let live: Vec<u64> = second
        .iter()
        .filter(|k| k.solar_system_id == system)
        .map(|k| k.killmail_id)
        .collect();
    let got = take(&mut stream, live.len()).await;
    assert_eq!(got.iter().map(killmail_of).collect::<Vec<_>>(), live);

    // `after` in the URL resumes too: from the start, the whole filtered
    // history, in order.
    let mut stream = sse(&format!("{url}&after=0"), None).await;
    let all: Vec<u64> = kills
        .iter()
        .filter(|k| k.solar_system_id == system)
        .map(|k| k.killmail_id)
        .collect();
    let got = take(&mut stream, all.len()).await;
    assert_eq!(got.iter().map(killmail_of).collect::<Vec<_>>(), all);
}

#[tokio::test]
async fn the_battle_stream_carries_battle_events_only_and_deletions_by_place() {
    let server = Server::start(|_| {}).await;
    let kills = fights(300, 11);
    let battles = cluster(&kills, &ClusterConfig::default()).unwrap();
    assert!(battles.len() >= 3);
    let target = &battles[0];
    let alliance = target.sides[0].alliances[0];
    let url = server.url(&format!(
        "/api/battles/stream?alliances={alliance}&systems={}",
        target.system_id
    ));
    let mut stream = sse(&url, None).await;
    let mut events: Vec<Event> = kills.iter().map(enriched).collect();
    events.extend(battles.iter().map(created));
    events.extend(battles.iter().map(deleted));
    server.append(&events).await;
    let admitted_created: Vec<_> = battles
        .iter()
        .filter(|b| {
            b.system_id == target.system_id
                && b.sides.iter().any(|s| s.alliances.contains(&alliance))
        })
        .map(|b| b.id)
        .collect();
    // Deletions name no pilots: every deletion in the system passes.
    let admitted_deleted: Vec<_> = battles
        .iter()
        .filter(|b| b.system_id == target.system_id)
        .map(|b| b.id)
        .collect();
    let got = take(&mut stream, admitted_created.len() + admitted_deleted.len()).await;
    let mut created_ids = Vec::new();
    let mut deleted_ids = Vec::new();
    for e in &got {
        match serde_json::from_str::<Event>(&e.data).unwrap() {
            Event::BattleCreated(c) => {
                assert_eq!(e.event, "battle.created");
                created_ids.push(c.data.battle.id);
            }
            Event::BattleDeleted(d) => {
                assert_eq!(e.event, "battle.deleted");
                deleted_ids.push(d.data.battle_id);
            }
            other => panic!("{} on the battle stream", other.event_type()),
        }
    }
    assert_eq!(created_ids, admitted_created);
    assert_eq!(deleted_ids, admitted_deleted);
}

#[tokio::test]
async fn bad_stream_parameters_are_400_naming_them() {
    let server = Server::start(|_| {}).await;
    let client = client();
    for (query, header, parameter) in [
        ("systems=1,x", None, "systems"),
        ("regions=", None, "regions"),
        ("minIsk=-5", None, "minIsk"),
        ("after=-1", None, "after"),
        ("sytems=1", None, "sytems"),
        ("", Some("soon"), "Last-Event-ID"),
    ] {
        let mut request = client.get(server.url(&format!("/api/killmails/stream?{query}")));
        if let Some(h) = header {
            request = request.header("Last-Event-ID", h);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 400, "{query} {header:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["parameter"], parameter, "{body}");
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws(server: &Server) -> Ws {
    let (socket, response) =
        tokio_tungstenite::connect_async(format!("ws://{}/api/ws", server.addr))
            .await
            .unwrap();
    assert_eq!(response.status(), 101);
    socket
}

async fn send(socket: &mut Ws, message: &ClientMessage) {
    socket
        .send(Message::text(serde_json::to_string(message).unwrap()))
        .await
        .unwrap();
}

/// The next message that is not a heartbeat.
async fn receive(socket: &mut Ws) -> ServerMessage {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let frame = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("a message other than a heartbeat in time")
            .expect("the socket open")
            .unwrap();
        match frame {
            Message::Text(text) => match serde_json::from_str(&text).unwrap() {
                ServerMessage::Heartbeat { .. } => {}
                m => return m,
            },
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

async fn events(socket: &mut Ws, n: usize) -> Vec<(i64, Event)> {
    let mut out = Vec::new();
    while out.len() < n {
        match receive(socket).await {
            ServerMessage::Event { seq, event } => out.push((seq, *event)),
            other => panic!("expected an event, got {other:?}"),
        }
    }
    out
}

#[tokio::test]
async fn a_websocket_subscribes_resumes_resubscribes_and_hears_heartbeats() {
    let server = Server::start(|_| {}).await;
    let kills = fights(300, 5);
    let battles = cluster(&kills, &ClusterConfig::default()).unwrap();
    let mut history: Vec<Event> = kills.iter().map(enriched).collect();
    history.extend(battles.iter().map(created));
    server.append(&history).await;

    let mut socket = ws(&server).await;
    // Before a subscription: heartbeats only.
    let frame = tokio::time::timeout(WAIT, socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let beat: ServerMessage = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert!(
        matches!(beat, ServerMessage::Heartbeat { seq, .. } if seq == history.len() as i64),
        "{beat:?}"
    );

    // Battles of one region, from the start of the event store.
    let region = battles[0]
        .region_id
        .expect("generated systems are in the universe");
    let subscription = Subscription {
        feeds: vec![LiveFeed::Battles],
        regions: vec![region],
        ..Subscription::default()
    };
    send(
        &mut socket,
        &ClientMessage::Subscribe {
            subscription: subscription.clone(),
            after: Some(0),
        },
    )
    .await;
    assert_eq!(
        receive(&mut socket).await,
        ServerMessage::Subscribed {
            subscription,
            seq: 0
        }
    );
    let in_region: Vec<_> = battles
        .iter()
        .filter(|b| b.region_id == Some(region))
        .map(|b| b.id)
        .collect();
    let got = events(&mut socket, in_region.len()).await;
    let ids: Vec<_> = got
        .iter()
        .map(|(_, e)| match e {
            Event::BattleCreated(c) => c.data.battle.id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, in_region);

    // Re-subscribe: killmails of one alliance worth at least 10M, live.
    // Another fight (ids moved past the first's: an event id is derived
    // from its killmail's, and the event store keeps each event once).
    let mut more = fights(200, 6);
    for k in &mut more {
        k.killmail_id += 1_000_000_000;
    }
    let alliance = more
        .iter()
        .filter(|k| k.total_value().is_some_and(|v| v >= 10.0e6))
        .find_map(|k| k.victim.alliance_id)
        .expect("a valuable kill of an alliance pilot");
    let subscription = Subscription {
        feeds: vec![LiveFeed::Killmails],
        alliances: vec![alliance],
        min_isk: Some(10.0e6),
        ..Subscription::default()
    };
    send(
        &mut socket,
        &ClientMessage::Subscribe {
            subscription: subscription.clone(),
            after: None,
        },
    )
    .await;
    assert!(matches!(
        receive(&mut socket).await,
        ServerMessage::Subscribed { seq, .. } if seq == history.len() as i64
    ));
    server
        .append(&more.iter().map(enriched).collect::<Vec<_>>())
        .await;
    let wanted: Vec<u64> = more
        .iter()
        .filter(|k| {
            k.total_value().is_some_and(|v| v >= 10.0e6)
                && (k.victim.alliance_id == Some(alliance)
                    || k.attackers.iter().any(|a| a.alliance_id == Some(alliance)))
        })
        .map(|k| k.killmail_id)
        .collect();
    assert!(!wanted.is_empty(), "the alliance fights again");
    let got = events(&mut socket, wanted.len()).await;
    assert_eq!(killmail_ids(got.iter().map(|(_, e)| e)), wanted);

    // Idle: heartbeats carry the newest seq.
    let total = (history.len() + more.len()) as i64;
    let frame = tokio::time::timeout(WAIT, socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let beat: ServerMessage = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert!(
        matches!(beat, ServerMessage::Heartbeat { seq, .. } if seq == total),
        "{beat:?}"
    );
}

#[tokio::test]
async fn a_bad_websocket_message_is_answered_with_what_was_wrong_and_the_socket_stays() {
    let server = Server::start(|_| {}).await;
    let mut socket = ws(&server).await;
    for (text, parameter, says) in [
        (
            r#"{"type":"subscribe","subscription":{"sytems":[1]}}"#,
            Some("subscription.sytems"),
            "sytems",
        ),
        (
            r#"{"type":"subscribe","subscription":{"minIsk":-1}}"#,
            Some("subscription.minIsk"),
            "≥ 0",
        ),
        (r#"{"type":"unsubscribe"}"#, None, "unsubscribe"),
        ("not json", None, "expected"),
    ] {
        socket.send(Message::text(text)).await.unwrap();
        match receive(&mut socket).await {
            ServerMessage::Error { error } => {
                assert_eq!(error.code, "bad_message");
                assert_eq!(error.parameter.as_deref(), parameter, "{text}: {error:?}");
                assert!(error.message.contains(says), "{text}: {error:?}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    socket.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert!(matches!(
        receive(&mut socket).await,
        ServerMessage::Error { .. }
    ));
    // Still open: a good subscription is taken.
    send(
        &mut socket,
        &ClientMessage::Subscribe {
            subscription: Subscription::default(),
            after: None,
        },
    )
    .await;
    assert!(matches!(
        receive(&mut socket).await,
        ServerMessage::Subscribed { .. }
    ));
    // A plain GET is not an upgrade: JSON error.
    let response = client().get(server.url("/api/ws")).send().await.unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"]["message"].is_string(), "{body}");
}

#[tokio::test]
async fn a_slow_client_is_dropped_with_a_reason_and_never_slows_the_others() {
    let server = Server::start(|o| {
        o.buffer = 16;
        o.send_timeout = Duration::from_secs(1);
    })
    .await;
    let subscribe = ClientMessage::Subscribe {
        subscription: Subscription::default(),
        after: None,
    };
    let mut slow = ws(&server).await;
    send(&mut slow, &subscribe).await;
    assert!(matches!(
        receive(&mut slow).await,
        ServerMessage::Subscribed { .. }
    ));
    let mut fast = ws(&server).await;
    send(&mut fast, &subscribe).await;
    assert!(matches!(
        receive(&mut fast).await,
        ServerMessage::Subscribed { .. }
    ));
    let mut sse_fast = sse(&server.url("/api/killmails/stream"), None).await;

    // Tens of megabytes of killmails with items, in batches: more than the
    // socket buffers hold for a client that does not read.
    let kills = fights(6000, 3);
    let reader = tokio::spawn(async move {
        let got = events(&mut fast, 6000).await;
        (killmail_ids(got.iter().map(|(_, e)| e)), fast)
    });
    let sse_reader = tokio::spawn(async move {
        let got = take(&mut sse_fast, 6000).await;
        got.iter().map(killmail_of).collect::<Vec<_>>()
    });
    for chunk in kills.chunks(250) {
        server
            .append(&chunk.iter().map(enriched).collect::<Vec<_>>())
            .await;
    }
    let all: Vec<u64> = kills.iter().map(|k| k.killmail_id).collect();
    let (got, _fast) = reader.await.unwrap();
    assert_eq!(
        got, all,
        "the fast WebSocket client got everything in order"
    );
    assert_eq!(sse_reader.await.unwrap(), all, "so did the SSE client");

    // The slow one: what was in flight, then (perhaps) `closing`, then the
    // end — never all of it.
    let mut received = 0;
    let mut reason = None;
    let mut close = None;
    loop {
        match tokio::time::timeout(WAIT, slow.next())
            .await
            .expect("the slow socket ends")
        {
            Some(Ok(Message::Text(text))) => match serde_json::from_str(&text).unwrap() {
                ServerMessage::Event { .. } => received += 1,
                ServerMessage::Closing { reason: r } => reason = Some(r),
                ServerMessage::Heartbeat { .. } => {}
                other => panic!("{other:?}"),
            },
            Some(Ok(Message::Close(frame))) => close = frame,
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break,
        }
    }
    assert!(
        received < all.len(),
        "the slow client was dropped ({received} events)"
    );
    if let Some(reason) = &reason {
        assert!(
            reason.contains("too slow") || reason.contains("not reading"),
            "{reason}"
        );
    }
    if let Some(frame) = &close {
        assert_eq!(frame.code, CloseCode::Again, "{frame:?}");
    }
    let metrics = server.metrics().await;
    assert!(
        metrics.contains(r#"api_streams_closed_total{transport="ws",reason="slow"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn streams_end_with_a_reason_when_the_server_stops() {
    let server = Server::start(|_| {}).await;
    let mut stream = sse(&server.url("/api/battles/stream"), None).await;
    let mut socket = ws(&server).await;
    send(
        &mut socket,
        &ClientMessage::Subscribe {
            subscription: Subscription::default(),
            after: None,
        },
    )
    .await;
    assert!(matches!(
        receive(&mut socket).await,
        ServerMessage::Subscribed { .. }
    ));
    let metrics = server.metrics().await;
    assert!(
        metrics.contains(r#"api_streams_open{transport="sse"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"api_streams_open{transport="ws"} 1"#),
        "{metrics}"
    );

    server.stop.send(true).unwrap();
    let last = take(&mut stream, 1).await.remove(0);
    assert_eq!(last.event, "closing");
    let closing: ServerMessage = serde_json::from_str(&last.data).unwrap();
    assert!(
        matches!(&closing, ServerMessage::Closing { reason } if reason.contains("shutting down")),
        "{closing:?}"
    );
    assert!(
        tokio::time::timeout(WAIT, stream.next())
            .await
            .unwrap()
            .is_none(),
        "the SSE stream ends"
    );
    assert!(matches!(
        receive(&mut socket).await,
        ServerMessage::Closing { .. }
    ));
    match tokio::time::timeout(WAIT, socket.next()).await.unwrap() {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("{other:?}"),
    }
    let metrics = server.metrics().await;
    assert!(
        metrics.contains(r#"api_streams_open{transport="sse"} 0"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"api_streams_closed_total{transport="ws",reason="shutdown"} 1"#),
        "{metrics}"
    );
    // New streams are refused while stopping.
    let response = client()
        .get(server.url("/api/killmails/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
}
