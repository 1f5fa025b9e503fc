//! `serve`'s pipeline fed live by the zKillboard feeds of the local stub:
//! R2Z2 items (full killmails) and RedisQ packages that only reference a
//! killmail (enriched through the ESI client against the stub). Both end
//! with the battles of batch clustering, ids included.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use battlescope_core::cluster::{cluster, ClusterConfig};
use battlescope_core::{Battle, Killmail};
use battlescope_platform::adapters::esi::{EsiClient, EsiConfig};
use battlescope_platform::adapters::memory_bus::MemoryBus;
use battlescope_platform::adapters::r2z2::{R2z2Config, R2z2Source};
use battlescope_platform::adapters::redisq::{RedisqConfig, RedisqSource};
use battlescope_platform::adapters::sqlite::SqliteStore;
use battlescope_platform::ports::esi::Esi;
use battlescope_platform::ports::source::KillmailSource;
use battlescope_platform::ports::store::{BattleQuery, Store};
use battlescope_platform::serve::{Pipeline, PipelineOptions};
use battlescope_platform::services::PipelineStats;
use battlescope_platform::stub::{Stub, StubConfig};
use battlescope_synth::{generate, ScenarioConfig};
use tokio::sync::watch;

const FIRST: u64 = 5_000;

fn fights() -> Vec<Killmail> {
    generate(
        &ScenarioConfig {
            kills: 300,
            ..ScenarioConfig::small()
        },
        21,
    )
}

/// Run the pipeline on `source` until `kills` killmails are clustered,
/// then stop it and return every stored battle.
async fn run_until_clustered(
    source: Box<dyn KillmailSource>,
    esi: Option<Arc<dyn Esi>>,
    kills: u64,
) -> (Vec<Battle>, Arc<PipelineStats>) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&dir.path().join("s.db")).await.unwrap());
    let stats = Arc::new(PipelineStats::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let running = Pipeline {
        bus: Arc::new(MemoryBus::new(4, 500)),
        store: store.clone(),
        search: None,
        esi,
        source: Some(source),
        config: ClusterConfig::default(),
        stats: stats.clone(),
        options: PipelineOptions::default(),
    }
    .start(stop_rx);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while stats.clustered.load(Ordering::Relaxed) < kills {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {kills} clustered ({:?})",
            stats.clustered.load(Ordering::Relaxed),
            stats
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(60), running.finished())
        .await
        .expect("the pipeline drains")
        .expect("no service failed");
    let mut battles = Vec::new();
    let mut query = BattleQuery {
        limit: 500,
        ..BattleQuery::default()
    };
    loop {
        let page = store.battles(&query).await.unwrap();
        battles.extend(page.battles);
        match page.next {
            Some(after) => query.after = Some(after),
            None => break,
        }
    }
    battles.sort_by_key(|b| (b.start_time, b.killmail_ids[0]));
    (battles, stats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_r2z2_feed_gives_the_battles_of_batch_clustering() {
    battlescope_platform::adapters::http::install_tls_provider();
    let stub = Stub::start(StubConfig {
        first_sequence: FIRST,
        fixtures: false,
        ..StubConfig::default()
    })
    .await
    .unwrap();
    let kms = fights();
    for km in &kms {
        stub.state().data.publish(km);
    }
    let config = R2z2Config {
        base_url: stub.r2z2_base(),
        poll_interval: Duration::from_millis(20),
        min_request_interval: Duration::ZERO,
        ..R2z2Config::default()
    };
    let source = R2z2Source::starting_at(&config, FIRST).unwrap();
    let (battles, _) = run_until_clustered(Box::new(source), None, kms.len() as u64).await;
    assert_eq!(battles, cluster(&kms, &ClusterConfig::default()).unwrap());
    stub.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redisq_references_are_enriched_through_esi() {
    battlescope_platform::adapters::http::install_tls_provider();
    let stub = Stub::start(StubConfig {
        fixtures: false,
        ..StubConfig::default()
    })
    .await
    .unwrap();
    let kms = fights();
    for km in &kms {
        // ESI has the body; RedisQ only says the killmail exists (the
        // zkb-only package zKillboard sends today).
        let hash = format!("{:040x}", km.killmail_id);
        let mut body = km.clone();
        body.zkb = None;
        stub.state().data.put_esi(
            km.killmail_id,
            &hash,
            serde_json::to_vec(&body).unwrap().into(),
        );
        let package = serde_json::json!({"package": {"killID": km.killmail_id, "zkb": {
            "hash": hash, "totalValue": 1.0e6, "points": 1, "npc": false, "solo": false, "awox": false,
            "locationID": 50_000_001, "fittedValue": 1.0, "droppedValue": 0.0, "destroyedValue": 1.0e6,
            "labels": [], "href": format!("https://esi.evetech.net/latest/killmails/{}/{hash}/", km.killmail_id)
        }}});
        stub.state()
            .data
            .push_redisq(serde_json::to_vec(&package).unwrap().into());
    }
    let source = RedisqSource::new(&RedisqConfig {
        url: stub.redisq_url(),
        queue_id: "test".to_owned(),
        ttw: Duration::from_secs(1),
        ..RedisqConfig::default()
    })
    .unwrap();
    let esi = EsiClient::new(&EsiConfig {
        base_url: stub.url(),
        ..EsiConfig::default()
    })
    .unwrap();
    let (battles, stats) =
        run_until_clustered(Box::new(source), Some(Arc::new(esi)), kms.len() as u64).await;
    assert_eq!(stats.enriched.load(Ordering::Relaxed), kms.len() as u64);
    // Clustering reads only the ESI body: same battles (ids and members)
    // as batch on the killmails; the documents also carry the references'
    // zKillboard values.
    let batch = cluster(&kms, &ClusterConfig::default()).unwrap();
    assert!(battles
        .iter()
        .all(|b| b.stats.isk_destroyed >= 1.0e6 * f64::from(b.stats.kill_count) - 1.0));
    let ids = |bs: &[Battle]| -> Vec<(uuid::Uuid, Vec<u64>)> {
        bs.iter().map(|b| (b.id, b.killmail_ids.clone())).collect()
    };
    assert_eq!(ids(&battles), ids(&batch));
    stub.shutdown().await.unwrap();
}
