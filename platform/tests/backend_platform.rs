//! The platform on its distributed backends (Kafka, PostgreSQL,
//! Typesense), as processes of the `battlescope` binary: `serve` with the
//! three URLs, and one process per service with two clusterers sharing the
//! partitions while the group rebalances. Both must store exactly the
//! battles core's batch `cluster()` finds in the same generated fights.
//! Needs `deploy/local/services up` (scripts/test-backends); fails, never
//! skips, without it.

mod common;

use std::time::{Duration, Instant};

use battlescope_core::cluster::{cluster, ClusterConfig};
use battlescope_platform::ports::search::{HitKind, SearchIndex, SearchQuery};
use common::platform::{battlescope, by_members, fights, speed_for, write_file, Backends, Service};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_kafka_postgres_and_typesense_stores_the_batch_battles() {
    let backends = Backends::new("serve").await;
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(1_200, 21);
    let file = write_file(dir.path(), &kills);
    let out = battlescope(&backends)
        .args(["serve", "--listen", "127.0.0.1:0", "--exit-after-replay"])
        .args(["--bus", &backends.bus, "--store", &backends.store])
        .args(["--search", &backends.search, "--data"])
        .arg(dir.path().join("data"))
        .arg("--replay")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "serve failed:\n{stderr}");

    let store = battlescope_platform::serve::open_store(&backends.store)
        .await
        .expect("open the store");
    let stored = backends.battles(&*store).await;
    let batch = cluster(&kills, &ClusterConfig::default()).unwrap();
    assert!(batch.len() > 20, "the scenario has fights: {}", batch.len());
    assert_eq!(by_members(&stored), by_members(&batch), "core cluster()");

    // The search index followed: each battle's system finds it.
    let index = backends.index().await;
    for b in stored.iter().take(10) {
        let system = b.system_name.clone().expect("a named system");
        let hits = index
            .search(&SearchQuery {
                text: system.clone(),
                kinds: vec![HitKind::Battle],
                limit: 250,
            })
            .await
            .unwrap();
        assert!(
            hits.iter().any(|h| h.id == b.id.to_string()),
            "battle {} in {system} not in the index: {hits:?}",
            b.id
        );
    }
    backends.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_per_service_with_two_clusterers_sharing_partitions_stores_the_batch_battles() {
    let backends = Backends::new("services").await;
    let dir = tempfile::tempdir().unwrap();
    let kills = fights(1_500, 23);
    let file = write_file(dir.path(), &kills);
    let batch = cluster(&kills, &ClusterConfig::default()).unwrap();
    // Replayed over ~12 s of wall time, so the group moves partitions mid-replay.
    let speed = speed_for(&kills, 12.0);

    let store = battlescope_platform::serve::open_store(&backends.store)
        .await
        .expect("open the store (migrates it before the services start)");
    let mut writer = Service::start(&backends, dir.path(), "writer", &[]);
    let mut enrich = Service::start(&backends, dir.path(), "enrich", &[]);
    let clusterer_args = ["--checkpoint-interval", "1s"];
    let mut first = Service::start(&backends, dir.path(), "clusterer", &clusterer_args);
    std::thread::sleep(Duration::from_secs(3));
    let mut ingest = Service::start(
        &backends,
        dir.path(),
        "ingest",
        &["--replay", file.to_str().unwrap(), "--speed", &speed],
    );
    // A second clusterer joins (the group splits the partitions), then the
    // first leaves (the second takes them all, from the first's checkpoints).
    std::thread::sleep(Duration::from_secs(4));
    let mut second = Service::start(&backends, dir.path(), "clusterer", &clusterer_args);
    std::thread::sleep(Duration::from_secs(5));
    first.stop();

    let deadline = Instant::now() + Duration::from_secs(120);
    let expected = by_members(&batch);
    let stored = loop {
        let stored = by_members(&backends.battles(&*store).await);
        if stored == expected {
            break stored;
        }
        if Instant::now() > deadline {
            let missing: Vec<_> = expected
                .keys()
                .filter(|k| !stored.contains_key(*k))
                .collect();
            let extra: Vec<_> = stored
                .keys()
                .filter(|k| !expected.contains_key(*k))
                .collect();
            let raw = backends.battles(&*store).await;
            let extra_ids: Vec<_> = raw
                .iter()
                .filter(|b| extra.contains(&&b.killmail_ids))
                .map(|b| (b.id, b.system_id, b.start_time))
                .collect();
            let same_docs: Vec<_> = stored
                .iter()
                .filter(|(k, b)| expected.get(*k).is_some_and(|e| e != *b))
                .map(|(k, _)| k.len())
                .collect();
            panic!(
                "stored battles differ from cluster(): missing {missing:?}, not in batch {extra:?} {extra_ids:?}, \
                 same kills but other documents: {same_docs:?} \
                 ({} stored, {} expected)\nclusterer 1:\n{}\nclusterer 2:\n{}",
                stored.len(),
                expected.len(),
                first.log(),
                second.log()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(stored.len(), batch.len());
    let first_log = first.log();
    let second_log = second.log();
    assert!(
        first_log.contains("clusterer partitions moved")
            && second_log.contains("clusterer partitions moved"),
        "no rebalance was seen:\n{first_log}\n{second_log}"
    );
    assert!(
        second_log.contains("clusterer state restored"),
        "the second clusterer never rebuilt a partition from a checkpoint:\n{second_log}"
    );
    for s in [&mut ingest, &mut second, &mut enrich, &mut writer] {
        s.stop();
    }
    backends.drop().await;
}
