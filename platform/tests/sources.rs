//! The R2Z2 and RedisQ pollers against the stub on loopback.

use std::time::{Duration, Instant};

use battlescope_core::input::Record;
use battlescope_platform::adapters::http::RetryConfig;
use battlescope_platform::adapters::r2z2::{R2z2Config, R2z2Source};
use battlescope_platform::adapters::redisq::{RedisqConfig, RedisqSource};
use battlescope_platform::stub::{Fault, Stub, StubConfig, Target};
use battlescope_synth::ScenarioConfig;

const FIRST: u64 = 96_599_404;

async fn stub(fixtures: bool) -> Stub {
    Stub::start(StubConfig {
        fixtures,
        ..StubConfig::default()
    })
    .await
    .expect("stub starts")
}

fn quick_retries() -> RetryConfig {
    RetryConfig {
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retries: 3,
    }
}

fn r2z2(stub: &Stub) -> R2z2Config {
    R2z2Config {
        base_url: stub.r2z2_base(),
        poll_interval: Duration::from_millis(20),
        min_request_interval: Duration::ZERO,
        timeout: Duration::from_secs(5),
        retry: quick_retries(),
        ..R2z2Config::default()
    }
}

fn redisq(stub: &Stub, ttw_secs: u64) -> RedisqConfig {
    RedisqConfig {
        url: stub.redisq_url(),
        queue_id: "tests".to_owned(),
        ttw: Duration::from_secs(ttw_secs),
        timeout: Duration::from_secs(5),
        retry: quick_retries(),
        ..RedisqConfig::default()
    }
}

fn killmail_id(record: &Result<Record, battlescope_core::Error>) -> u64 {
    match record {
        Ok(Record::Killmail(km)) => km.killmail_id,
        other => panic!("expected a killmail, got {other:?}"),
    }
}

#[tokio::test]
async fn r2z2_waits_through_404_until_the_item_is_published() {
    let stub = stub(false).await;
    let mut source = R2z2Source::starting_at(&r2z2(&stub), FIRST).unwrap();
    let reader = tokio::spawn(async move {
        let record = source.next().await;
        (record, source.stats())
    });
    // The poller has asked at least twice (404, wait, 404) before the
    // item exists.
    stub.state().wait_for_hits(Target::R2z2, 2).await;
    let km = battlescope_synth::generate(&ScenarioConfig::small(), 3).remove(0);
    assert_eq!(stub.state().data.publish(&km), FIRST);

    let (record, stats) = reader.await.unwrap();
    let record = record.unwrap();
    assert_eq!(record.position, format!("r2z2 sequence {FIRST}"));
    assert_eq!(record.cursor, (FIRST + 1).to_string());
    assert_eq!(killmail_id(&record.parsed), km.killmail_id);
    assert!(stats.not_found >= 2, "{stats:?}");
}

#[tokio::test]
async fn r2z2_starts_at_the_newest_sequence_and_reads_the_real_items() {
    let stub = stub(true).await;
    let mut source = R2z2Source::new(&r2z2(&stub)).unwrap();
    assert_eq!(source.cursor(), None);
    // sequence.json names the newest item: the second sample.
    let record = source.next().await.unwrap();
    assert_eq!(record.position, format!("r2z2 sequence {}", FIRST + 1));
    assert_eq!(killmail_id(&record.parsed), 134_435_757);
    assert!(source.poll().await.unwrap().is_none());
}

#[tokio::test]
async fn r2z2_honours_retry_after() {
    let stub = stub(true).await;
    stub.state().faults.inject(
        Target::R2z2,
        Fault::RateLimit {
            retry_after_secs: 1,
        },
        1,
    );
    let mut source = R2z2Source::starting_at(&r2z2(&stub), FIRST).unwrap();
    let started = Instant::now();
    let record = source.next().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(killmail_id(&record.parsed), 134_265_477);
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert_eq!(source.stats().rate_limited, 1);
    assert_eq!(source.stats().retries, 0, "a 429 is not a failure");
    assert_eq!(stub.state().hits(Target::R2z2), 2);
}

#[tokio::test]
async fn r2z2_retries_server_errors() {
    let stub = stub(true).await;
    stub.state()
        .faults
        .inject(Target::R2z2, Fault::ServerError { status: 502 }, 2);
    let mut source = R2z2Source::starting_at(&r2z2(&stub), FIRST).unwrap();
    let record = source.next().await.unwrap();
    assert_eq!(killmail_id(&record.parsed), 134_265_477);
    assert_eq!(source.stats().retries, 2);
}

#[tokio::test]
async fn r2z2_paces_its_requests() {
    let stub = stub(false).await;
    for km in battlescope_synth::generate(&ScenarioConfig::small(), 4)
        .iter()
        .take(4)
    {
        stub.state().data.publish(km);
    }
    let mut source = R2z2Source::starting_at(
        &R2z2Config {
            min_request_interval: Duration::from_millis(100),
            ..r2z2(&stub)
        },
        FIRST,
    )
    .unwrap();
    let started = Instant::now();
    for _ in 0..4 {
        source.next().await.unwrap();
    }
    // Four requests, three gaps of at least 100 ms.
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(R2z2Config::default().min_request_interval >= Duration::from_millis(1000 / 15));
}

#[tokio::test]
async fn r2z2_gives_up_after_the_retries_and_keeps_its_place() {
    let stub = stub(true).await;
    stub.state()
        .faults
        .inject(Target::R2z2, Fault::ServerError { status: 500 }, 4);
    let mut source = R2z2Source::starting_at(&r2z2(&stub), FIRST).unwrap();
    let err = source.poll().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("gave up after 4 attempts: HTTP 500"),
        "{err}"
    );
    assert_eq!(source.cursor(), Some(FIRST.to_string()));
    let record = source.next().await.unwrap();
    assert_eq!(record.position, format!("r2z2 sequence {FIRST}"));
}

#[tokio::test]
async fn r2z2_resumes_from_its_cursor_after_a_restart() {
    let stub = stub(true).await;
    let config = r2z2(&stub);
    let cursor = {
        let mut first_run = R2z2Source::starting_at(&config, FIRST).unwrap();
        let record = first_run.next().await.unwrap();
        assert_eq!(killmail_id(&record.parsed), 134_265_477);
        record.cursor
    };
    let mut second_run = R2z2Source::resume(&config, &cursor).unwrap();
    let record = second_run.next().await.unwrap();
    assert_eq!(record.position, format!("r2z2 sequence {}", FIRST + 1));
    assert_eq!(killmail_id(&record.parsed), 134_435_757);
}

#[tokio::test]
async fn r2z2_hands_out_a_bad_record_as_an_error_naming_it() {
    let stub = stub(true).await;
    stub.state()
        .faults
        .inject(Target::R2z2, Fault::WrongField, 1);
    let garbage = stub
        .state()
        .data
        .push_r2z2(bytes::Bytes::from_static(b"<html>oops</html>"));
    let mut source = R2z2Source::starting_at(&r2z2(&stub), FIRST).unwrap();

    let spoiled = source.next().await.unwrap();
    let err = spoiled.parsed.unwrap_err();
    assert_eq!(err.field(), Some("esi.killmail_time"));
    let text = err.to_string();
    assert!(
        text.contains(&format!("r2z2 sequence {FIRST}")) && text.contains("killmail 134265477"),
        "{text}"
    );
    // The feed goes on past it.
    let fine = source.next().await.unwrap();
    assert_eq!(killmail_id(&fine.parsed), 134_435_757);
    let not_json = source.next().await.unwrap();
    assert_eq!(not_json.position, format!("r2z2 sequence {garbage}"));
    assert!(not_json.parsed.is_err());
    assert_eq!(not_json.bytes.as_ref(), b"<html>oops</html>");
}

#[tokio::test]
async fn redisq_null_package_means_nothing_new() {
    let stub = stub(false).await;
    let mut source = RedisqSource::new(&redisq(&stub, 0)).unwrap();
    assert!(source.poll().await.unwrap().is_none());
    let km = battlescope_synth::generate(&ScenarioConfig::small(), 5).remove(0);
    stub.state().data.publish(&km);
    let record = source.poll().await.unwrap().expect("a package");
    assert_eq!(record.position, "redisq queue tests package 1");
    assert_eq!(record.cursor, "tests");
    assert_eq!(killmail_id(&record.parsed), km.killmail_id);
    assert!(source.poll().await.unwrap().is_none());
}

#[tokio::test]
async fn redisq_long_poll_wakes_on_a_new_package() {
    let stub = stub(false).await;
    let mut source = RedisqSource::new(&redisq(&stub, 10)).unwrap();
    let reader = tokio::spawn(async move { source.poll().await });
    stub.state().wait_for_hits(Target::Redisq, 1).await;
    let started = Instant::now();
    let km = battlescope_synth::generate(&ScenarioConfig::small(), 5).remove(1);
    stub.state().data.publish(&km);
    let record = reader.await.unwrap().unwrap().expect("a package");
    assert_eq!(killmail_id(&record.parsed), km.killmail_id);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn redisq_reads_the_real_packages_and_names_a_bad_one() {
    let stub = stub(true).await;
    stub.state()
        .faults
        .inject(Target::Redisq, Fault::Garbage, 1);
    let mut source = RedisqSource::new(&redisq(&stub, 0)).unwrap();
    // The garbage answer took no package off the queue.
    let bad = source.poll().await.unwrap().expect("an error item");
    let err = bad.parsed.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("redisq queue tests package 1: "),
        "{err}"
    );
    let full = source.poll().await.unwrap().expect("a package");
    assert_eq!(killmail_id(&full.parsed), 119_455_394);
    // The newer zkb-only package is a reference for ESI.
    let zkb_only = source.poll().await.unwrap().expect("a package");
    match zkb_only.parsed {
        Ok(Record::Reference(r)) => {
            assert_eq!(r.killmail_id, 130_678_514);
            assert_eq!(r.hash, "145c457c34ce9c9e8d67e942e764d8f439b22271");
        }
        other => panic!("expected a reference, got {other:?}"),
    }
    assert_eq!(zkb_only.position, "redisq queue tests package 3");
}

#[tokio::test]
async fn r2z2_on_an_empty_feed_waits_for_the_first_item() {
    let stub = stub(false).await;
    let mut source = R2z2Source::new(&r2z2(&stub)).unwrap();
    let reader = tokio::spawn(async move { source.next().await });
    // sequence.json, then the first item's 404.
    stub.state().wait_for_hits(Target::R2z2, 2).await;
    let km = battlescope_synth::generate(&ScenarioConfig::small(), 9).remove(0);
    stub.state().data.publish(&km);
    let record = reader.await.unwrap().unwrap();
    assert_eq!(record.position, format!("r2z2 sequence {FIRST}"));
    assert_eq!(killmail_id(&record.parsed), km.killmail_id);
}

#[test]
fn the_real_feeds_over_https_are_accepted_and_other_schemes_refused() {
    // The defaults point at zKillboard over https (TLS: rustls + ring).
    R2z2Source::new(&R2z2Config::default()).unwrap();
    RedisqSource::new(&RedisqConfig::default()).unwrap();
    let err = R2z2Source::new(&R2z2Config {
        base_url: "ftp://r2z2.zkillboard.com/ephemeral".to_owned(),
        ..R2z2Config::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("not an http(s) URL"), "{err}");
}

#[test]
fn polling_futures_can_move_between_threads() {
    fn assert_send<T: Send>(_: &T) {}
    let config = R2z2Config {
        base_url: "http://127.0.0.1:1/ephemeral".to_owned(),
        ..R2z2Config::default()
    };
    let mut r2z2 = R2z2Source::starting_at(&config, 1).unwrap();
    assert_send(&r2z2.next());
    let mut redisq = RedisqSource::new(&RedisqConfig {
        url: "http://127.0.0.1:1/listen.php".to_owned(),
        ..RedisqConfig::default()
    })
    .unwrap();
    assert_send(&redisq.next());
}

#[tokio::test]
async fn an_oversized_item_is_an_error_item_and_the_feed_goes_on() {
    let stub = stub(true).await;
    let small = stub
        .state()
        .data
        .push_r2z2(bytes::Bytes::from_static(b"{\"not\": \"a killmail\"}"));
    let mut source = R2z2Source::starting_at(
        &R2z2Config {
            // The real items are 4-6 KB.
            max_body: 1_000,
            ..r2z2(&stub)
        },
        FIRST,
    )
    .unwrap();
    let big = source.next().await.unwrap();
    let err = big.parsed.unwrap_err();
    assert!(
        matches!(err, battlescope_core::Error::TooLarge { limit: 1_000, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("r2z2 sequence {FIRST}: record is ")),
        "{err}"
    );
    assert!(big.bytes.is_empty());
    assert_eq!(big.cursor, (FIRST + 1).to_string());
    source.next().await.unwrap();
    let next = source.next().await.unwrap();
    assert_eq!(next.position, format!("r2z2 sequence {small}"));
    assert!(next.parsed.is_err(), "small, but not a killmail");
}
