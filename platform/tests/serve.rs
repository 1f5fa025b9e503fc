//! The embedded platform end to end: generated fights replayed through
//! `serve`'s pipeline (memory bus, SQLite store, file replay) and read back
//! through the HTTP API, compared with batch clustering of the same file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use battlescope_core::cluster::{cluster, ClusterConfig};
use battlescope_core::events::{EntityName, Envelope, KillmailEnrichedData};
use battlescope_core::{Battle, Killmail};
use battlescope_platform::adapters::memory_bus::MemoryBus;
use battlescope_platform::adapters::replay::ReplaySource;
use battlescope_platform::adapters::sqlite::SqliteStore;
use battlescope_platform::api::{router, AppState};
use battlescope_platform::ports::esi::{Esi, EsiError};
use battlescope_platform::ports::search::{
    BattleDocument, EntityDocument, KillmailDocument, SearchError, SearchHit, SearchIndex,
    SearchQuery,
};
use battlescope_platform::ports::source::{KillmailSource, SourceCursor, SourceError, SourcePoll};
use battlescope_platform::ports::store::{BattleChange, Store, StoredRuleset, WriteBatch};
use battlescope_platform::serve::{Pipeline, PipelineOptions};
use battlescope_platform::services::{dlq, rulesets, PipelineStats};
use battlescope_synth::{generate, write_jsonl, ScenarioConfig};
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::sync::watch;
use tower::ServiceExt;
use uuid::Uuid;

/// Small batches and frequent checkpoints, so a short replay crosses many.
fn options() -> PipelineOptions {
    PipelineOptions {
        batch: 40,
        store_batch: 60,
        checkpoint_interval: Duration::from_millis(30),
        checkpoint_every: 150,
    }
}

fn fights(kills: usize, seed: u64) -> Vec<Killmail> {
    let config = ScenarioConfig {
        kills,
        ..ScenarioConfig::small()
    };
    generate(&config, seed)
}

fn write_file(dir: &Path, name: &str, kills: &[Killmail]) -> PathBuf {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    write_jsonl(std::io::BufWriter::new(file), kills).unwrap();
    path
}

struct Run {
    store: Arc<dyn Store>,
    stats: Arc<PipelineStats>,
}

/// A source that asks the pipeline to stop once it has handed out `limit`
/// records, the way Ctrl-C would at that moment.
#[derive(Debug)]
struct StopAfter {
    inner: ReplaySource,
    limit: u64,
    given: u64,
    stop: watch::Sender<bool>,
}

#[async_trait]
impl KillmailSource for StopAfter {
    fn name(&self) -> &str {
        self.inner.name()
    }
    async fn resume(&mut self, cursor: &SourceCursor) -> Result<(), SourceError> {
        self.inner.resume(cursor).await
    }
    async fn poll(&mut self, max: usize) -> Result<SourcePoll, SourceError> {
        if self.given >= self.limit {
            let _ = self.stop.send(true);
            return Ok(SourcePoll::Idle(Duration::from_secs(60)));
        }
        let max = max.min(usize::try_from(self.limit - self.given).unwrap_or(usize::MAX));
        let poll = self.inner.poll(max).await?;
        if let SourcePoll::Records(r) = &poll {
            self.given += r.len() as u64;
        }
        Ok(poll)
    }
}

/// Replay `files` into the store at `db` until the source is exhausted,
/// or stop after `stop_after` records were read.
async fn replay(
    db: &Path,
    files: Vec<PathBuf>,
    stop_after: Option<u64>,
    esi: Option<Arc<dyn Esi>>,
    search: Option<Arc<dyn SearchIndex>>,
) -> Run {
    replay_with(
        MemoryBus::new(4, 500),
        ClusterConfig::default(),
        db,
        files,
        stop_after,
        esi,
        search,
    )
    .await
}

async fn replay_with(
    bus: MemoryBus,
    config: ClusterConfig,
    db: &Path,
    files: Vec<PathBuf>,
    stop_after: Option<u64>,
    esi: Option<Arc<dyn Esi>>,
    search: Option<Arc<dyn SearchIndex>>,
) -> Run {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db).await.unwrap());
    let stats = Arc::new(PipelineStats::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let replay = ReplaySource::new(files, None);
    let source: Box<dyn KillmailSource> = match stop_after {
        Some(limit) => Box::new(StopAfter {
            inner: replay,
            limit,
            given: 0,
            stop: stop_tx.clone(),
        }),
        None => Box::new(replay),
    };
    let running = Pipeline {
        bus: Arc::new(bus),
        store: store.clone(),
        search,
        esi,
        source: Some(source),
        config,
        stats: stats.clone(),
        options: options(),
    }
    .start(stop_rx);
    tokio::time::timeout(Duration::from_secs(120), running.finished())
        .await
        .expect("the pipeline drains")
        .expect("no service failed");
    drop(stop_tx);
    Run { store, stats }
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = app
        .clone()
        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, headers, body)
}

fn app(store: Arc<dyn Store>) -> axum::Router {
    router(AppState {
        store,
        search: None,
        ready: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        stats: Arc::new(PipelineStats::default()),
    })
}

/// Every battle the API lists, following the cursor.
async fn all_battles(app: &axum::Router, filter: &str, limit: u32) -> Vec<Battle> {
    let mut out = Vec::new();
    let mut uri = format!("/api/battles?limit={limit}{filter}");
    loop {
        let (status, _, body) = get(app, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        let page: Vec<Battle> = serde_json::from_value(body["battles"].clone()).unwrap();
        out.extend(page);
        match body["nextCursor"].as_str() {
            Some(c) => uri = format!("/api/battles?limit={limit}{filter}&cursor={c}"),
            None => return out,
        }
    }
}

/// `GET /metrics` of `app`: it answers 200, in text.
async fn metrics_text(app: axum::Router) -> String {
    let response = app
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

/// Battles by membership, ids left out: incremental clustering keeps the
/// first name a battle got, batch names it by its earliest kill.
fn by_members(battles: &[Battle]) -> BTreeMap<Vec<u64>, Battle> {
    battles
        .iter()
        .map(|b| {
            let mut b = b.clone();
            b.id = Uuid::nil();
            (b.killmail_ids.clone(), b)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_fights_give_the_battles_of_batch_clustering() {
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(1500, 7);
    let file = write_file(dir.path(), "fights.jsonl", &kills);
    let run = replay(
        &dir.path().join("store.db"),
        vec![file.clone()],
        None,
        None,
        None,
    )
    .await;
    assert_eq!(PipelineStats::get(&run.stats.ingested), kills.len() as u64);
    assert_eq!(
        PipelineStats::get(&run.stats.late),
        0,
        "the generated stream is within the lateness"
    );
    assert_eq!(PipelineStats::get(&run.stats.dead_letters), 0);

    let app = app(run.store.clone());
    let listed = all_battles(&app, "", 7).await;
    // Newest first, no battle twice.
    assert!(listed
        .windows(2)
        .all(|w| (w[0].start_time, w[0].id) >= (w[1].start_time, w[1].id)));
    let ids: BTreeSet<Uuid> = listed.iter().map(|b| b.id).collect();
    assert_eq!(ids.len(), listed.len());

    let batch = cluster(&kills, &ClusterConfig::default()).unwrap();
    assert!(batch.len() > 20, "the scenario has fights: {}", batch.len());
    assert_eq!(by_members(&listed), by_members(&batch), "core cluster()");

    // Every kill of a stored battle was timed from source to store (kills
    // that moved between battles count again), and no faster than nothing.
    let in_battles: u64 = batch.iter().map(|b| b.killmail_ids.len() as u64).sum();
    let latency = run
        .stats
        .kill_to_battle
        .summary()
        .expect("latencies recorded");
    assert!(
        latency.count >= in_battles,
        "{latency:?} for {in_battles} kills"
    );
    assert!(latency.p50_ms <= latency.p99_ms && latency.p99_ms <= latency.max_ms);

    // The same counters on /metrics, in Prometheus' format.
    let api = router(AppState {
        store: run.store.clone(),
        search: None,
        ready: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        stats: run.stats.clone(),
    });
    let text = metrics_text(api).await;
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} not in\n{text}"))
    };
    #[allow(clippy::cast_precision_loss)]
    let kills_f = kills.len() as f64;
    assert_eq!(value("battlescope_ingested_total"), kills_f);
    assert_eq!(value("battlescope_clustered_total"), kills_f);
    assert_eq!(value("battlescope_dead_letters_total"), 0.0);
    #[allow(clippy::cast_precision_loss)]
    let timed = latency.count as f64;
    assert_eq!(value("battlescope_kill_to_battle_seconds_count"), timed);
    assert_eq!(
        value("battlescope_kill_to_battle_seconds_bucket{le=\"+Inf\"}"),
        timed,
        "buckets are cumulative"
    );
    assert!(value("battlescope_kill_to_battle_seconds_bucket{le=\"120.0\"}") <= timed);
    // Every kill read once by the clusterer and the writer from
    // killmail.enriched (the writer also reads battle.events), all read by
    // the end: lag 0 on every partition of every consumer.
    assert_eq!(
        value("battlescope_consumed_total{topic=\"killmail.enriched\"}"),
        2.0 * kills_f
    );
    let lags: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with("battlescope_consumer_lag{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    for group in ["enrich", "clusterer", "writer"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with("battlescope_consumer_lag{")
                    && l.contains(&format!("group=\"{group}\""))),
            "{group}'s lag:\n{text}"
        );
    }
    assert!(lags.iter().all(|&l| l == 0.0), "drained: {lags:?}");
    for service in ["enrich", "clusterer", "writer"] {
        assert!(
            value(&format!(
                "battlescope_processing_seconds_count{{service=\"{service}\"}}"
            )) > 0.0,
            "{service} timed its batches"
        );
    }
    assert!(value("battlescope_store_operation_seconds_count{operation=\"write\"}") > 0.0);
    assert!(value("battlescope_store_operation_seconds_count{operation=\"dedupe\"}") > 0.0);
    assert_eq!(value("battlescope_dead_letters_stored"), 0.0);

    // The CLI's batch command on the same file agrees too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_battlescope"))
        .arg("cluster")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Vec<Battle> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(by_members(&listed), by_members(&cli), "battlescope cluster");

    // A pilot's ship history: every killmail they are on, with the hull.
    let pilot = kills.iter().flat_map(Killmail::characters).next().unwrap();
    let mut expected: Vec<(i64, u64, u32, bool)> = Vec::new();
    for k in &kills {
        if k.victim.character_id == Some(pilot) {
            expected.push((
                k.killmail_time.timestamp(),
                k.killmail_id,
                k.victim.ship_type_id,
                true,
            ));
        }
        for a in k.attackers.iter().filter(|a| a.character_id == Some(pilot)) {
            if let Some(ship) = a.ship_type_id {
                expected.push((k.killmail_time.timestamp(), k.killmail_id, ship, false));
            }
        }
    }
    expected.sort_unstable_by(|a, b| b.cmp(a));
    let history: Vec<(i64, u64, u32, bool)> = run
        .store
        .pilot_ships(pilot, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.killmail_time, p.killmail_id, p.ship_type_id, p.lost))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(history, expected, "ship history of {pilot}");

    // Each battle's page is the document listed, and its kills point back.
    for b in listed.iter().take(25) {
        let (status, _, body) = get(&app, &format!("/api/battles/{}", b.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(serde_json::from_value::<Battle>(body).unwrap(), *b);
        let k = b.killmail_ids[0];
        let (status, _, body) = get(&app, &format!("/api/killmails/{k}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["battleId"], b.id.to_string());
        assert_eq!(body["killmail"]["killmail_id"], k);
    }

    // A bus that carries bytes only (as Kafka does) gives the same store:
    // every service works from the bytes when no decoded value travels.
    let bytes = replay_with(
        MemoryBus::bytes_only(4, 500),
        ClusterConfig::default(),
        &dir.path().join("bytes-only.db"),
        vec![file.clone()],
        None,
        None,
        None,
    )
    .await;
    assert_eq!(PipelineStats::get(&bytes.stats.dead_letters), 0);
    let from_bytes = all_battles(&self::app(bytes.store.clone()), "", 500).await;
    assert_eq!(from_bytes, all_battles(&app, "", 500).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_filters_select_what_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(600, 11);
    let file = write_file(dir.path(), "fights.jsonl", &kills);
    let run = replay(&dir.path().join("store.db"), vec![file], None, None, None).await;
    let app = app(run.store.clone());
    let all = all_battles(&app, "", 500).await;
    let by_id: BTreeMap<u64, &Killmail> = kills.iter().map(|k| (k.killmail_id, k)).collect();
    let on = |b: &Battle, f: &dyn Fn(&Killmail) -> Vec<Option<u64>>| -> BTreeSet<u64> {
        b.killmail_ids
            .iter()
            .flat_map(|k| f(by_id[k]))
            .flatten()
            .collect()
    };
    let participants = |f: fn(&battlescope_core::Attacker) -> Option<u64>,
                        v: fn(&battlescope_core::Victim) -> Option<u64>| {
        move |k: &Killmail| -> Vec<Option<u64>> {
            std::iter::once(v(&k.victim))
                .chain(k.attackers.iter().map(f))
                .collect()
        }
    };
    let big = all.iter().max_by_key(|b| b.stats.kill_count).unwrap();
    let system = big.system_id;
    let alliance = *on(big, &participants(|a| a.alliance_id, |v| v.alliance_id))
        .iter()
        .next()
        .unwrap();
    let character = *on(big, &participants(|a| a.character_id, |v| v.character_id))
        .iter()
        .next()
        .unwrap();
    let corporation = *on(
        big,
        &participants(|a| a.corporation_id, |v| v.corporation_id),
    )
    .iter()
    .next()
    .unwrap();
    let min_kills = big.stats.kill_count;
    let mid = all[all.len() / 2].start_time.timestamp();

    let expect = |pred: &dyn Fn(&Battle) -> bool| -> Vec<Uuid> {
        all.iter().filter(|b| pred(b)).map(|b| b.id).collect()
    };
    let cases: Vec<(String, Vec<Uuid>)> = vec![
        (
            format!("&system={system}"),
            expect(&|b| b.system_id == system),
        ),
        (
            format!("&minKills={min_kills}"),
            expect(&|b| b.stats.kill_count >= min_kills),
        ),
        (
            format!("&since={mid}"),
            expect(&|b| b.end_time.timestamp() >= mid),
        ),
        (
            format!("&until={mid}"),
            expect(&|b| b.start_time.timestamp() <= mid),
        ),
        (
            format!("&alliance={alliance}"),
            expect(&|b| {
                on(b, &participants(|a| a.alliance_id, |v| v.alliance_id)).contains(&alliance)
            }),
        ),
        (
            format!("&corporation={corporation}"),
            expect(&|b| {
                on(b, &participants(|a| a.corporation_id, |v| v.corporation_id))
                    .contains(&corporation)
            }),
        ),
        (
            format!("&character={character}"),
            expect(&|b| {
                on(b, &participants(|a| a.character_id, |v| v.character_id)).contains(&character)
            }),
        ),
        (
            "&security=wormhole".to_owned(),
            expect(&|b| {
                b.security_class == Some(battlescope_core::universe::SecurityClass::Wormhole)
            }),
        ),
    ];
    for (filter, expected) in cases {
        assert!(
            !expected.is_empty(),
            "{filter} selects something in this scenario"
        );
        let got: Vec<Uuid> = all_battles(&app, &filter, 3)
            .await
            .iter()
            .map(|b| b.id)
            .collect();
        assert_eq!(got, expected, "{filter}");
    }
    // A bad parameter is named.
    let (status, _, body) = get(&app, "/api/battles?minKills=many").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["parameter"], "minKills");
    let (status, _, body) = get(&app, "/api/battles/not-a-uuid").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["parameter"], "id");
    let (status, _, body) = get(&app, &format!("/api/battles/{}", Uuid::nil())).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _, _) = get(&app, "/api/killmails/1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = get(&app, "/api/killmails/-4").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["parameter"], "id");
}

/// Everything the store says about the replayed killmails: the battles,
/// each kill's battle, the killmail events, and the battles the event
/// store's battle events add up to.
async fn contents(
    store: &Arc<dyn Store>,
    kills: &[Killmail],
) -> (
    Vec<Battle>,
    BTreeMap<u64, Option<Uuid>>,
    BTreeSet<Uuid>,
    BTreeMap<Uuid, Vec<u64>>,
) {
    let app = app(store.clone());
    let battles = all_battles(&app, "", 500).await;
    let mut memberships = BTreeMap::new();
    for k in kills {
        let stored = store
            .killmail(k.killmail_id)
            .await
            .unwrap()
            .expect("stored");
        assert_eq!(stored.killmail.killmail_id, k.killmail_id);
        memberships.insert(k.killmail_id, stored.battle_id);
    }
    let events = store.events_after(0, 1_000_000).await.unwrap();
    // Killmail events are kept by reference and read back whole: the
    // envelope as published (its id is derived from its data).
    let by_id: BTreeMap<u64, &Killmail> = kills.iter().map(|k| (k.killmail_id, k)).collect();
    let killmail_events = events
        .iter()
        .filter(|e| e.record.event_type.starts_with("killmail."))
        .map(|e| {
            let json = e.record.body.json().expect("read back whole");
            let envelope: Envelope<KillmailEnrichedData> =
                serde_json::from_str(json).expect("a killmail.enriched envelope");
            let published = Envelope::new(
                envelope.data.clone(),
                envelope.timestamp,
                envelope.metadata.clone(),
            );
            assert_eq!(envelope.event_id, published.event_id);
            assert_eq!(e.record.event_id, envelope.event_id);
            assert_eq!(
                Some(&&envelope.data.killmail),
                by_id.get(&envelope.data.killmail.killmail_id)
            );
            e.record.event_id
        })
        .collect();
    (
        battles,
        memberships,
        killmail_events,
        replay_battle_events(&events),
    )
}

/// What a stream consumer resuming from the event store ends with:
/// battle events applied in store order, each document the battle's state
/// (events after a restart may be grouped differently from the run before
/// it, never lost).
fn replay_battle_events(
    events: &[battlescope_platform::ports::store::StoredEvent],
) -> BTreeMap<Uuid, Vec<u64>> {
    use battlescope_core::events::Event;
    let mut battles: BTreeMap<Uuid, Vec<u64>> = BTreeMap::new();
    let members = |b: &Battle| {
        let mut ids = b.killmail_ids.clone();
        ids.sort_unstable();
        ids
    };
    for e in events
        .iter()
        .filter(|e| e.record.event_type.starts_with("battle."))
    {
        match serde_json::from_str::<Event>(e.record.body.json().expect("read whole"))
            .expect("a battle event")
        {
            Event::BattleCreated(c) => {
                battles.insert(c.data.battle.id, members(&c.data.battle));
            }
            Event::BattleUpdated(u) => {
                if let Some(previous) = u.data.previous_id {
                    battles.remove(&previous);
                }
                battles.insert(u.data.battle.id, members(&u.data.battle));
            }
            Event::BattleSealed(s) => {
                battles.insert(s.data.battle.id, members(&s.data.battle));
            }
            Event::BattleDeleted(d) => {
                battles.remove(&d.data.battle_id);
            }
            other => panic!("{} in the battle events", other.event_type()),
        }
    }
    battles
}

/// Kills that arrive long after their fight (beyond the allowed lateness)
/// are re-clustered from the store: the stored battles are those of batch
/// clustering on every kill, and nothing is dead-lettered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kills_beyond_the_horizon_are_reclustered_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut kills = fights(1500, 11);
    kills.sort_by_key(|k| (k.killmail_time, k.killmail_id));
    let span = kills[kills.len() - 1].killmail_time - kills[0].killmail_time;
    let config = ClusterConfig::default()
        .with_allowed_lateness(Duration::from_secs(600))
        .with_correlation_window(Duration::from_secs(600))
        .with_max_gap(Duration::from_secs(300));
    assert!(
        span.num_seconds() > 3 * 3600,
        "the fights span hours: {span}"
    );
    // Every 25th kill of the first two thirds arrives at the end.
    let cut = kills.len() * 2 / 3;
    let (mut early, mut moved) = (Vec::new(), Vec::new());
    for (i, k) in kills.iter().enumerate() {
        if i < cut && i % 25 == 0 {
            moved.push(k.clone());
        } else {
            early.push(k.clone());
        }
    }
    early.extend(moved.iter().cloned());
    let file = write_file(dir.path(), "late.jsonl", &early);
    let run = replay_with(
        MemoryBus::new(4, 500),
        config.clone(),
        &dir.path().join("store.db"),
        vec![file],
        None,
        None,
        None,
    )
    .await;
    let late = PipelineStats::get(&run.stats.late);
    assert!(
        late >= moved.len() as u64 / 2,
        "most moved kills are beyond the horizon: {late}"
    );
    assert_eq!(PipelineStats::get(&run.stats.reclustered), late);
    assert_eq!(PipelineStats::get(&run.stats.dead_letters), 0);
    let stored = all_battles(&app(run.store.clone()), "", 500).await;
    let memberships = |bs: &[Battle]| -> BTreeMap<Uuid, Vec<u64>> {
        bs.iter()
            .map(|b| {
                let mut ids = b.killmail_ids.clone();
                ids.sort_unstable();
                (b.id, ids)
            })
            .collect()
    };
    let batch = cluster(&kills, &config).unwrap();
    assert_eq!(memberships(&stored), memberships(&batch));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_at_a_random_point_and_a_restart_end_with_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(1200, 3);
    let file = write_file(dir.path(), "fights.jsonl", &kills);
    let whole = replay(
        &dir.path().join("whole.db"),
        vec![file.clone()],
        None,
        None,
        None,
    )
    .await;
    let expected = contents(&whole.store, &kills).await;
    assert!(expected.0.len() > 10);
    let live: BTreeMap<Uuid, Vec<u64>> = expected
        .0
        .iter()
        .map(|b| {
            let mut ids = b.killmail_ids.clone();
            ids.sort_unstable();
            (b.id, ids)
        })
        .collect();
    assert_eq!(
        expected.3, live,
        "the event store replays to the stored battles"
    );

    // Stop points drawn once from a fixed seed (xorshift), spread over the file.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..3 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let stop_at = 1 + x % (kills.len() as u64 - 1);
        let db = dir.path().join(format!("restarted-{round}.db"));
        let first = replay(&db, vec![file.clone()], Some(stop_at), None, None).await;
        let read = PipelineStats::get(&first.stats.records);
        assert_eq!(read, stop_at, "round {round}");
        drop(first);
        // A new process: a new bus, the same store file.
        let second = replay(&db, vec![file.clone()], None, None, None).await;
        assert_eq!(
            PipelineStats::get(&second.stats.records) + read,
            kills.len() as u64,
            "round {round}: the source resumed where it stopped"
        );
        let got = contents(&second.store, &kills).await;
        assert_eq!(
            got.0, expected.0,
            "round {round} (stop after {stop_at}): battles"
        );
        assert_eq!(got.1, expected.1, "round {round}: memberships");
        assert_eq!(got.2, expected.2, "round {round}: killmail events");
        assert_eq!(got.3, expected.3, "round {round}: battle events replayed");
    }
}

/// ESI that knows some killmails and fails on the others.
#[derive(Debug)]
struct FakeEsi {
    known: BTreeMap<u64, Killmail>,
}

#[async_trait]
impl Esi for FakeEsi {
    async fn killmail(&self, killmail_id: u64, hash: &str) -> Result<Killmail, EsiError> {
        match self.known.get(&killmail_id) {
            Some(km) => {
                let mut km = km.clone();
                km.zkb = None; // ESI serves no zKillboard metadata
                Ok(km)
            }
            None => Err(EsiError::Unavailable(format!(
                "502 Bad Gateway for /killmails/{killmail_id}/{hash}/ after 3 tries"
            ))),
        }
    }

    async fn names(&self, ids: &[u64]) -> Result<Vec<EntityName>, EsiError> {
        Ok(ids
            .iter()
            .filter(|id| **id >= 90_000_000)
            .map(|&id| EntityName {
                id,
                name: format!("Pilot {id}"),
                category: battlescope_core::events::NameCategory::Character,
            })
            .collect())
    }
}

/// A zKillboard API row: a reference ESI must fill in.
fn reference(km: &Killmail) -> String {
    let hash = km
        .zkb
        .as_ref()
        .and_then(|z| z.hash.clone())
        .unwrap_or_else(|| "abc".to_owned());
    format!(
        r#"{{"killmail_id":{},"zkb":{{"hash":"{hash}","totalValue":1000.0}}}}"#,
        km.killmail_id
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_records_go_to_the_dead_letter_queue_and_the_rest_flows() {
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(300, 5);
    // Lines: 1 not JSON, 2 no known shape, then good kills; two references
    // (one ESI knows, one it fails on) at the end.
    let path = dir.path().join("mixed.jsonl");
    let mut text =
        String::from("{\"killmail_id\": 12, \"killmail_time\": \n{\"colour\": \"red\"}\n");
    for k in &kills[..kills.len() - 2] {
        text.push_str(&serde_json::to_string(k).unwrap());
        text.push('\n');
    }
    let known = kills[kills.len() - 2].clone();
    let failing = kills[kills.len() - 1].clone();
    text.push_str(&reference(&known));
    text.push('\n');
    text.push_str(&reference(&failing));
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    let esi = FakeEsi {
        known: [(known.killmail_id, known.clone())].into_iter().collect(),
    };
    let run = replay(
        &dir.path().join("store.db"),
        vec![path.clone()],
        None,
        Some(Arc::new(esi)),
        None,
    )
    .await;

    let letters = run.store.dead_letters(100).await.unwrap();
    let by_stage: BTreeMap<(String, String), String> = letters
        .iter()
        .map(|d| ((d.stage.clone(), d.position.clone()), d.error.clone()))
        .collect();
    assert_eq!(letters.len(), 3, "{letters:#?}");
    let name = path.display().to_string();
    let line1 = &by_stage[&("ingest".to_owned(), format!("{name} line 1"))];
    assert!(line1.contains("line 1"), "{line1}");
    let line2 = &by_stage[&("ingest".to_owned(), format!("{name} line 2"))];
    assert!(line2.contains("not a killmail record"), "{line2}");
    let (enrich_pos, enrich_err) = by_stage
        .iter()
        .find(|((stage, _), _)| stage == "enrich")
        .map(|((_, p), e)| (p.clone(), e.clone()))
        .expect("the failing reference is dead-lettered by enrich");
    assert!(enrich_pos.starts_with("killmail.ingested/"), "{enrich_pos}");
    assert!(
        enrich_err.contains("502 Bad Gateway")
            && enrich_err.contains(&failing.killmail_id.to_string()),
        "{enrich_err}"
    );
    let payload = &letters
        .iter()
        .find(|d| d.stage == "enrich")
        .unwrap()
        .payload;
    assert!(
        payload.contains(&failing.killmail_id.to_string()),
        "the message is kept: {payload}"
    );

    // Nothing else was lost: every good killmail is stored, the referenced
    // one with ESI's body, zKillboard's metadata and resolved names.
    for k in &kills[..kills.len() - 1] {
        assert!(
            run.store.killmail(k.killmail_id).await.unwrap().is_some(),
            "{}",
            k.killmail_id
        );
    }
    let fetched = run
        .store
        .killmail(known.killmail_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fetched.killmail.attackers, known.attackers);
    assert_eq!(
        fetched.killmail.zkb.and_then(|z| z.total_value),
        Some(1000.0)
    );
    assert!(run
        .store
        .killmail(failing.killmail_id)
        .await
        .unwrap()
        .is_none());
    let battles = all_battles(&app(run.store.clone()), "", 500).await;
    assert!(!battles.is_empty());

    // The DLQ depth on /metrics is the store's.
    let text = metrics_text(app(run.store.clone())).await;
    assert!(
        text.lines()
            .any(|l| l == "battlescope_dead_letters_stored 3"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_replayed_once_its_cause_is_fixed_flows_through() {
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(200, 9);
    // A line that is no killmail (ingest's letter, which cannot go back to
    // a topic) and a reference ESI fails on (enrich's letter).
    let failing = kills[kills.len() - 1].clone();
    let mut text = String::from("{\"colour\": \"red\"}\n");
    for k in &kills[..kills.len() - 1] {
        text.push_str(&serde_json::to_string(k).unwrap());
        text.push('\n');
    }
    text.push_str(&reference(&failing));
    text.push('\n');
    let path = dir.path().join("mixed.jsonl");
    std::fs::write(&path, text).unwrap();
    let bus = MemoryBus::new(4, 500);
    let db = dir.path().join("store.db");
    let down = FakeEsi {
        known: BTreeMap::new(),
    };
    let run = replay_with(
        bus.clone(),
        ClusterConfig::default(),
        &db,
        vec![path],
        None,
        Some(Arc::new(down)),
        None,
    )
    .await;
    assert!(run
        .store
        .killmail(failing.killmail_id)
        .await
        .unwrap()
        .is_none());
    let letters = run.store.dead_letters(10).await.unwrap();
    assert_eq!(letters.len(), 2, "{letters:#?}");
    let enrich = letters
        .iter()
        .find(|d| d.stage == "enrich")
        .unwrap()
        .id
        .clone();
    let ingest = letters
        .iter()
        .find(|d| d.stage == "ingest")
        .unwrap()
        .id
        .clone();

    let done = dlq::replay(
        &bus,
        &*run.store,
        &dlq::Selection {
            limit: 100,
            ..dlq::Selection::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(done.replayed, vec![enrich.clone()]);
    assert_eq!(done.kept.len(), 1);
    assert_eq!(done.kept[0].0, ingest);
    assert!(done.kept[0].1.contains("source record"), "{:?}", done.kept);
    drop(run);

    // ESI answers again: the same pipeline (same bus, same groups) takes
    // the replayed message, and only it.
    let up = FakeEsi {
        known: [(failing.killmail_id, failing.clone())]
            .into_iter()
            .collect(),
    };
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let run = replay_with(
        bus,
        ClusterConfig::default(),
        &db,
        vec![empty],
        None,
        Some(Arc::new(up)),
        None,
    )
    .await;
    let stored = run.store.killmail(failing.killmail_id).await.unwrap();
    assert_eq!(
        stored
            .expect("the replayed kill is stored")
            .killmail
            .attackers,
        failing.attackers
    );
    assert_eq!(
        PipelineStats::get(&run.stats.enriched),
        1,
        "only the replayed message"
    );
    let left: Vec<String> = run
        .store
        .dead_letters(10)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(left, vec![ingest], "the replayed letter left the queue");
    // Its battle is the one batch clustering gives the whole file (the
    // memberships: the replayed kill's value comes from its reference).
    let batch = cluster(&kills, &ClusterConfig::default()).unwrap();
    let listed = all_battles(&app(run.store.clone()), "", 500).await;
    let members =
        |b: &[Battle]| -> BTreeSet<Vec<u64>> { b.iter().map(|b| b.killmail_ids.clone()).collect() };
    assert_eq!(members(&listed), members(&batch));
}

#[tokio::test]
async fn a_ruleset_with_an_unknown_field_is_refused_naming_it() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let bad = StoredRuleset {
        name: "typo".to_owned(),
        format: "json".to_owned(),
        text: r#"{"min_pilotz": 10}"#.to_owned(),
        active: true,
    };
    let err = rulesets::put(&*store, bad.clone()).await.unwrap_err();
    assert!(err.to_string().contains("min_pilotz"), "{err}");
    assert!(
        store.active_ruleset().await.unwrap().is_none(),
        "nothing stored"
    );

    // One that slipped into the store another way stops ingest at start.
    store.put_ruleset(&bad).await.unwrap();
    let (_stop_tx, stop_rx) = watch::channel(false);
    let ingest = battlescope_platform::services::ingest::Ingest {
        bus: Arc::new(MemoryBus::default()),
        store: store.clone(),
        source: Box::new(ReplaySource::new(vec![], None)),
        stats: Arc::new(PipelineStats::default()),
        batch: 10,
    };
    let err = ingest.run(stop_rx).await.unwrap_err();
    assert!(err.to_string().contains("min_pilotz"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ruleset_in_the_store_decides_what_is_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(300, 9);
    let file = write_file(dir.path(), "fights.jsonl", &kills);
    let db = dir.path().join("store.db");
    {
        let store = SqliteStore::open(&db).await.unwrap();
        let ruleset = StoredRuleset {
            name: "big".to_owned(),
            format: "json".to_owned(),
            text: r#"{"min_pilots": 8}"#.to_owned(),
            active: true,
        };
        rulesets::put(&store, ruleset).await.unwrap();
    }
    let run = replay(&db, vec![file], None, None, None).await;
    let pilots = |k: &Killmail| k.characters().collect::<BTreeSet<_>>().len();
    let accepted = kills.iter().filter(|k| pilots(k) >= 8).count() as u64;
    assert!(accepted > 0 && accepted < kills.len() as u64);
    assert_eq!(PipelineStats::get(&run.stats.ingested), accepted);
    assert_eq!(
        PipelineStats::get(&run.stats.rejected),
        kills.len() as u64 - accepted
    );
}

/// A search index that keeps what it is given.
#[derive(Debug, Default)]
struct RecordingIndex {
    battles: Mutex<BTreeMap<Uuid, BattleDocument>>,
    killmails: Mutex<BTreeSet<u64>>,
    entities: Mutex<BTreeSet<(String, u64)>>,
}

#[async_trait]
impl SearchIndex for RecordingIndex {
    async fn index_battles(&self, docs: &[BattleDocument]) -> Result<(), SearchError> {
        let mut b = self.battles.lock().unwrap();
        for d in docs {
            b.insert(d.id, d.clone());
        }
        Ok(())
    }
    async fn delete_battles(&self, ids: &[Uuid]) -> Result<(), SearchError> {
        let mut b = self.battles.lock().unwrap();
        for id in ids {
            b.remove(id);
        }
        Ok(())
    }
    async fn index_entities(&self, docs: &[EntityDocument]) -> Result<(), SearchError> {
        let mut e = self.entities.lock().unwrap();
        e.extend(docs.iter().map(|d| (format!("{:?}", d.kind), d.id)));
        Ok(())
    }
    async fn index_killmails(&self, docs: &[KillmailDocument]) -> Result<(), SearchError> {
        let mut k = self.killmails.lock().unwrap();
        k.extend(docs.iter().map(|d| d.summary.killmail_id));
        Ok(())
    }
    async fn commit(&self) -> Result<(), SearchError> {
        Ok(())
    }
    async fn search(&self, _query: &SearchQuery) -> Result<Vec<SearchHit>, SearchError> {
        Ok(Vec::new())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_indexer_keeps_the_search_index_in_step_with_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(600, 13);
    let file = write_file(dir.path(), "fights.jsonl", &kills);
    let index = Arc::new(RecordingIndex::default());
    let run = replay(
        &dir.path().join("store.db"),
        vec![file],
        None,
        None,
        Some(index.clone()),
    )
    .await;
    let stored = all_battles(&app(run.store.clone()), "", 500).await;
    let indexed = index.battles.lock().unwrap().clone();
    let expected: BTreeMap<Uuid, BattleDocument> = stored
        .iter()
        .map(|b| (b.id, BattleDocument::of(b)))
        .collect();
    assert_eq!(
        indexed, expected,
        "merged-away battles removed, others current"
    );
    let ids: BTreeSet<u64> = kills.iter().map(|k| k.killmail_id).collect();
    assert_eq!(*index.killmails.lock().unwrap(), ids);
    let systems: BTreeSet<u64> = kills.iter().map(|k| u64::from(k.solar_system_id)).collect();
    let entity_systems: BTreeSet<u64> = index
        .entities
        .lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| k == "System")
        .map(|(_, id)| *id)
        .collect();
    assert_eq!(entity_systems, systems);

    // A re-index from the event store rebuilds the same index.
    let rebuilt = RecordingIndex::default();
    let done = battlescope_platform::services::indexer::reindex(&*run.store, &rebuilt, 97)
        .await
        .unwrap();
    assert_eq!(done.skipped, 0, "{done:?}");
    assert!(done.events > kills.len() as u64, "{done:?}");
    assert_eq!(*rebuilt.battles.lock().unwrap(), expected);
    assert_eq!(*rebuilt.killmails.lock().unwrap(), ids);
    assert_eq!(
        *rebuilt.entities.lock().unwrap(),
        *index.entities.lock().unwrap()
    );
}

#[tokio::test]
async fn a_battle_merged_away_redirects_to_its_survivor() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let kills = fights(300, 21);
    let battle = cluster(&kills, &ClusterConfig::default())
        .unwrap()
        .remove(0);
    let (gone, middle) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let batch = WriteBatch {
        battles: vec![
            BattleChange::Upsert {
                added: battle.killmail_ids.clone(),
                battle: Box::new(battle.clone()),
                removed: vec![],
            },
            BattleChange::Merged {
                id: gone,
                into: middle,
            },
            BattleChange::Merged {
                id: middle,
                into: battle.id,
            },
        ],
        ..WriteBatch::default()
    };
    store.write(&batch).await.unwrap();
    // A stale document of the merged battle arriving late changes nothing.
    let mut stale = battle.clone();
    stale.id = gone;
    store
        .write(&WriteBatch {
            battles: vec![BattleChange::Upsert {
                added: vec![],
                battle: Box::new(stale),
                removed: vec![],
            }],
            ..WriteBatch::default()
        })
        .await
        .unwrap();
    let app = app(store);
    let (status, headers, body) = get(&app, &format!("/api/battles/{gone}")).await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(headers["location"], format!("/api/battles/{}", battle.id));
    assert_eq!(body["mergedInto"], battle.id.to_string());
    let listed = all_battles(&app, "", 500).await;
    assert_eq!(listed, vec![battle]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killmails_ingested_before_are_not_ingested_again() {
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(400, 17);
    let first = write_file(dir.path(), "first.jsonl", &kills[..150]);
    // The second file repeats the first one's kills, some twice.
    let mut again = kills.clone();
    again.extend_from_slice(&kills[100..120]);
    let second = write_file(dir.path(), "second.jsonl", &again);
    let db = dir.path().join("store.db");
    let one = replay(&db, vec![first], None, None, None).await;
    assert_eq!(PipelineStats::get(&one.stats.ingested), 150);
    let two = replay(&db, vec![second], None, None, None).await;
    assert_eq!(PipelineStats::get(&two.stats.ingested), 250);
    assert_eq!(PipelineStats::get(&two.stats.duplicates), 170);
    let listed = all_battles(&app(two.store.clone()), "", 500).await;
    let batch = cluster(&kills, &ClusterConfig::default()).unwrap();
    assert_eq!(by_members(&listed), by_members(&batch));
}

/// A store whose writes fail while `down` is set, like a full disk.
#[derive(Debug)]
struct FlakyStore {
    inner: SqliteStore,
    down: std::sync::atomic::AtomicBool,
    refused: std::sync::atomic::AtomicU64,
}

impl FlakyStore {
    fn check(&self) -> Result<(), battlescope_platform::ports::StoreError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            self.refused
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            return Err(battlescope_platform::ports::StoreError::Backend(
                "database or disk is full".to_owned(),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Store for FlakyStore {
    async fn ping(&self) -> Result<(), battlescope_platform::ports::StoreError> {
        self.inner.ping().await
    }
    async fn put_ruleset(
        &self,
        r: &StoredRuleset,
    ) -> Result<(), battlescope_platform::ports::StoreError> {
        self.check()?;
        self.inner.put_ruleset(r).await
    }
    async fn active_ruleset(
        &self,
    ) -> Result<Option<StoredRuleset>, battlescope_platform::ports::StoreError> {
        self.inner.active_ruleset().await
    }
    async fn source_cursor(
        &self,
        s: &str,
    ) -> Result<Option<SourceCursor>, battlescope_platform::ports::StoreError> {
        self.inner.source_cursor(s).await
    }
    async fn ingested(
        &self,
        ids: &[u64],
    ) -> Result<Vec<u64>, battlescope_platform::ports::StoreError> {
        self.inner.ingested(ids).await
    }
    async fn record_ingested(
        &self,
        s: &str,
        ids: &[u64],
        c: Option<&SourceCursor>,
    ) -> Result<(), battlescope_platform::ports::StoreError> {
        self.check()?;
        self.inner.record_ingested(s, ids, c).await
    }
    async fn checkpoints(
        &self,
        g: &str,
        t: &str,
    ) -> Result<
        Vec<battlescope_platform::ports::store::Checkpoint>,
        battlescope_platform::ports::StoreError,
    > {
        self.inner.checkpoints(g, t).await
    }
    async fn save_checkpoint(
        &self,
        c: &battlescope_platform::ports::store::Checkpoint,
    ) -> Result<(), battlescope_platform::ports::StoreError> {
        self.check()?;
        self.inner.save_checkpoint(c).await
    }
    async fn write(&self, b: &WriteBatch) -> Result<(), battlescope_platform::ports::StoreError> {
        self.check()?;
        self.inner.write(b).await
    }
    async fn battles(
        &self,
        q: &battlescope_platform::ports::store::BattleQuery,
    ) -> Result<
        battlescope_platform::ports::store::BattlePage,
        battlescope_platform::ports::StoreError,
    > {
        self.inner.battles(q).await
    }
    async fn battle(
        &self,
        id: Uuid,
    ) -> Result<
        Option<battlescope_platform::ports::store::BattleLookup>,
        battlescope_platform::ports::StoreError,
    > {
        self.inner.battle(id).await
    }
    async fn killmail(
        &self,
        id: u64,
    ) -> Result<
        Option<battlescope_platform::ports::store::StoredKillmail>,
        battlescope_platform::ports::StoreError,
    > {
        self.inner.killmail(id).await
    }
    async fn killmails_in(
        &self,
        system_id: u32,
        from: i64,
        to: i64,
    ) -> Result<Vec<Killmail>, battlescope_platform::ports::StoreError> {
        self.inner.killmails_in(system_id, from, to).await
    }
    async fn battles_holding(
        &self,
        ids: &[u64],
    ) -> Result<Vec<Battle>, battlescope_platform::ports::StoreError> {
        self.inner.battles_holding(ids).await
    }
    async fn last_event_seq(&self) -> Result<i64, battlescope_platform::ports::StoreError> {
        self.inner.last_event_seq().await
    }

    async fn events_after(
        &self,
        seq: i64,
        limit: u32,
    ) -> Result<
        Vec<battlescope_platform::ports::store::StoredEvent>,
        battlescope_platform::ports::StoreError,
    > {
        self.inner.events_after(seq, limit).await
    }
    async fn dead_letters(
        &self,
        limit: u32,
    ) -> Result<
        Vec<battlescope_platform::ports::store::DeadLetter>,
        battlescope_platform::ports::StoreError,
    > {
        self.inner.dead_letters(limit).await
    }
    async fn dead_letter_count(&self) -> Result<u64, battlescope_platform::ports::StoreError> {
        self.inner.dead_letter_count().await
    }
    async fn remove_dead_letters(
        &self,
        ids: &[String],
    ) -> Result<(), battlescope_platform::ports::StoreError> {
        self.inner.remove_dead_letters(ids).await
    }
    async fn pilot_ships(
        &self,
        c: u64,
        limit: u32,
    ) -> Result<
        Vec<battlescope_platform::ports::store::PilotShip>,
        battlescope_platform::ports::StoreError,
    > {
        self.inner.pilot_ships(c, limit).await
    }
    async fn battle_killmails(
        &self,
        id: Uuid,
    ) -> Result<
        Vec<battlescope_platform::ports::store::StoredKillmail>,
        battlescope_platform::ports::StoreError,
    > {
        self.inner.battle_killmails(id).await
    }
    async fn recent_killmails(
        &self,
        after: Option<(i64, u64)>,
        limit: u32,
    ) -> Result<
        battlescope_platform::ports::store::KillmailPage,
        battlescope_platform::ports::StoreError,
    > {
        self.inner.recent_killmails(after, limit).await
    }
    async fn entity_seen(
        &self,
        entity: battlescope_core::intel::Entity,
    ) -> Result<bool, battlescope_platform::ports::StoreError> {
        self.inner.entity_seen(entity).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_refuses_writes_makes_the_process_unready_and_loses_nothing() {
    use std::sync::atomic::Ordering::SeqCst;
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(500, 23);
    let file = write_file(dir.path(), "fights.jsonl", &kills);
    let flaky = Arc::new(FlakyStore {
        inner: SqliteStore::open(&dir.path().join("store.db"))
            .await
            .unwrap(),
        down: std::sync::atomic::AtomicBool::new(true),
        refused: std::sync::atomic::AtomicU64::new(0),
    });
    let store: Arc<dyn Store> = flaky.clone();
    let stats = Arc::new(PipelineStats::default());
    let api = router(AppState {
        store: store.clone(),
        search: None,
        ready: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        stats: stats.clone(),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let running = Pipeline {
        bus: Arc::new(MemoryBus::new(4, 500)),
        store: store.clone(),
        search: None,
        esi: None,
        source: Some(Box::new(ReplaySource::new(vec![file], None))),
        config: ClusterConfig::default(),
        stats: stats.clone(),
        options: options(),
    }
    .start(stop_rx);
    // The store refuses: services retry, and the process says it is not ready.
    tokio::time::timeout(Duration::from_secs(30), async {
        while flaky.refused.load(SeqCst) < 3 || PipelineStats::get(&stats.failing) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("writes are retried");
    let (status, _, body) = get(&api, "/health/ready").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["reason"].as_str().unwrap().contains("retrying"),
        "{body}"
    );
    // The store comes back: everything arrives, once.
    flaky.down.store(false, SeqCst);
    tokio::time::timeout(Duration::from_secs(120), running.finished())
        .await
        .expect("the pipeline drains")
        .expect("no service failed");
    drop(stop_tx);
    let (status, _, _) = get(&api, "/health/ready").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(PipelineStats::get(&stats.failing), 0);
    let listed = all_battles(&api, "", 500).await;
    let batch = cluster(&kills, &ClusterConfig::default()).unwrap();
    assert_eq!(by_members(&listed), by_members(&batch));
    for k in &kills {
        assert!(store.killmail(k.killmail_id).await.unwrap().is_some());
    }
}
