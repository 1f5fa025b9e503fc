//! The ESI client against the stub on loopback: retries, the breaker,
//! the cache and the errors a caller acts on.

use std::time::{Duration, Instant};

use battlescope_platform::adapters::breaker::{BreakerConfig, BreakerState};
use battlescope_platform::adapters::esi::{EsiClient, EsiConfig, EsiError, NameCategory};
use battlescope_platform::adapters::http::RetryConfig;
use battlescope_platform::stub::{Fault, Stub, StubConfig, Target};

const ID: u64 = 119_455_394;
const HASH: &str = "d2913bf8250db18456601a8ae061441e89ccadf3";

async fn stub() -> Stub {
    Stub::start(StubConfig::default())
        .await
        .expect("stub starts")
}

fn config(stub: &Stub) -> EsiConfig {
    EsiConfig {
        base_url: stub.url(),
        timeout: Duration::from_secs(5),
        retry: RetryConfig {
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_retries: 2,
        },
        breaker: BreakerConfig {
            failure_threshold: 3,
            open_for: Duration::from_millis(300),
        },
        ..EsiConfig::default()
    }
}

fn assert_send<T: Send>(_: &T) {}

#[tokio::test]
async fn fetches_a_real_killmail_once_then_from_the_cache() {
    let stub = stub().await;
    let esi = EsiClient::new(&config(&stub)).unwrap();
    let call = esi.killmail(ID, HASH);
    assert_send(&call);
    let km = call.await.unwrap();
    assert_eq!(km.killmail_id, ID);
    assert_eq!(km.solar_system_id, 30_004_859);
    let again = esi.killmail(ID, HASH).await.unwrap();
    assert_eq!(again, km);
    assert_eq!(stub.state().hits(Target::Esi), 1);
    assert_eq!(esi.stats().cache_hits, 1);
}

#[tokio::test]
async fn server_errors_are_retried_until_esi_answers() {
    let stub = stub().await;
    stub.state()
        .faults
        .inject(Target::Esi, Fault::ServerError { status: 503 }, 2);
    let esi = EsiClient::new(&config(&stub)).unwrap();
    let km = esi.killmail(ID, HASH).await.unwrap();
    assert_eq!(km.killmail_id, ID);
    assert_eq!(esi.stats().retries, 2);
    assert_eq!(stub.state().hits(Target::Esi), 3);
    assert_eq!(esi.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn server_errors_beyond_the_limit_open_the_breaker_and_are_poison() {
    let stub = stub().await;
    stub.state()
        .faults
        .inject(Target::Esi, Fault::ServerError { status: 500 }, 100);
    let esi = EsiClient::new(&config(&stub)).unwrap();

    let err = esi.killmail(ID, HASH).await.unwrap_err();
    assert!(
        matches!(err, EsiError::GaveUp { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(err.is_poison());
    assert_eq!(
        err.to_string(),
        "ESI killmail 119455394: gave up after 3 attempts: HTTP 500 Internal Server Error"
    );
    assert_eq!(esi.breaker_state(), BreakerState::Open);
    assert_eq!(esi.stats().breaker_opened, 1);

    // Open: fail fast, nothing sent, and "later" rather than poison.
    let err = esi
        .killmail(134_265_477, "aa937ee180fca44b172de00f2a26e751f5b2a851")
        .await
        .unwrap_err();
    assert!(
        matches!(err, EsiError::CircuitOpen { .. }) && err.is_retryable(),
        "{err:?}"
    );
    assert_eq!(stub.state().hits(Target::Esi), 3);

    // ESI is back; once the open period is over one trial call closes it.
    stub.state().faults.clear();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(esi.breaker_state(), BreakerState::HalfOpen);
    assert_eq!(esi.killmail(ID, HASH).await.unwrap().killmail_id, ID);
    assert_eq!(esi.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_named() {
    let stub = stub().await;
    stub.state()
        .faults
        .inject(Target::Esi, Fault::WrongField, 1);
    let esi = EsiClient::new(&config(&stub)).unwrap();
    let err = esi.killmail(ID, HASH).await.unwrap_err();
    assert_eq!(err.field(), Some("killmail_time"));
    assert!(err.is_poison());
    let text = err.to_string();
    assert!(
        text.starts_with("ESI killmail 119455394: bad body: ") && text.contains("killmail_time"),
        "{text}"
    );
    // Not retried: ESI would serve the same bytes.
    assert_eq!(stub.state().hits(Target::Esi), 1);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_clear_error() {
    let stub = stub().await;
    stub.state().faults.inject(Target::Esi, Fault::Garbage, 1);
    let esi = EsiClient::new(&config(&stub)).unwrap();
    let err = esi.killmail(ID, HASH).await.unwrap_err();
    assert!(matches!(err, EsiError::BadKillmail { .. }), "{err:?}");
    assert!(err.to_string().contains("expected value"), "{err}");
}

#[tokio::test]
async fn garbage_bodies_count_against_the_breaker() {
    let stub = stub().await;
    stub.state().faults.inject(Target::Esi, Fault::Garbage, 3);
    let esi = EsiClient::new(&config(&stub)).unwrap();
    for _ in 0..3 {
        assert!(esi.killmail(ID, HASH).await.unwrap_err().is_poison());
    }
    assert_eq!(esi.breaker_state(), BreakerState::Open);
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_retried() {
    let stub = stub().await;
    stub.state()
        .faults
        .inject(Target::Esi, Fault::Slow { delay_ms: 2_000 }, 1);
    let esi = EsiClient::new(&EsiConfig {
        timeout: Duration::from_millis(200),
        ..config(&stub)
    })
    .unwrap();
    let started = Instant::now();
    assert_eq!(esi.killmail(ID, HASH).await.unwrap().killmail_id, ID);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(esi.stats().retries, 1);
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after() {
    let stub = stub().await;
    stub.state().faults.inject(
        Target::Esi,
        Fault::RateLimit {
            retry_after_secs: 1,
        },
        1,
    );
    let esi = EsiClient::new(&config(&stub)).unwrap();
    let started = Instant::now();
    assert_eq!(esi.killmail(ID, HASH).await.unwrap().killmail_id, ID);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(esi.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn an_unknown_hash_is_poison_at_once() {
    let stub = stub().await;
    let esi = EsiClient::new(&config(&stub)).unwrap();
    let err = esi.killmail(ID, "00ff").await.unwrap_err();
    assert!(
        matches!(err, EsiError::NotFound { status: 404, .. }),
        "{err:?}"
    );
    assert!(err.is_poison());
    assert_eq!(stub.state().hits(Target::Esi), 1);
    // A hash that could not be one is not even sent.
    let err = esi.killmail(ID, "../../x").await.unwrap_err();
    assert!(matches!(err, EsiError::BadHash { .. }) && err.is_poison());
    assert_eq!(stub.state().hits(Target::Esi), 1);
}

#[tokio::test]
async fn names_are_resolved_once_and_cached() {
    let stub = stub().await;
    let esi = EsiClient::new(&config(&stub)).unwrap();
    let names = esi
        .names(&[30_000_142, 587, 99_003_581, 30_000_142])
        .await
        .unwrap();
    let got: Vec<_> = names
        .iter()
        .map(|n| (n.id, n.name.as_str(), n.category.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (30_000_142, "Jita", NameCategory::SolarSystem),
            (587, "Rifter", NameCategory::InventoryType),
            (99_003_581, "Alliance 99003581", NameCategory::Alliance),
        ]
    );
    assert_eq!(esi.names(&[587, 30_000_142]).await.unwrap().len(), 2);
    assert_eq!(stub.state().hits(Target::Esi), 1);
}

#[tokio::test]
async fn unknown_ids_are_left_out_not_fatal() {
    let stub = stub().await;
    let esi = EsiClient::new(&config(&stub)).unwrap();
    // ESI refuses the whole call for the one id it does not know (7).
    let names = esi
        .names(&[30_000_142, 587, 7, 99_003_581, 30_002_187])
        .await
        .unwrap();
    let ids: Vec<u64> = names.iter().map(|n| n.id).collect();
    assert_eq!(ids, [30_000_142, 587, 99_003_581, 30_002_187]);
    assert_eq!(esi.stats().unknown_names, 1);
    // 5 ids 404 -> [30000142, 587] ok, [7, 99003581, 30002187] 404 ->
    // [7] 404, [99003581, 30002187] ok.
    assert_eq!(stub.state().hits(Target::Esi), 5);
    assert_eq!(esi.stats().errors, 3, "the three calls that got a 404");
}

#[tokio::test]
async fn a_garbled_names_answer_names_the_field() {
    let stub = stub().await;
    stub.state()
        .faults
        .inject(Target::Esi, Fault::WrongField, 1);
    let esi = EsiClient::new(&config(&stub)).unwrap();
    let err = esi.names(&[30_000_142]).await.unwrap_err();
    assert_eq!(err.field(), Some("[0].id"), "{err}");
}

#[tokio::test]
async fn an_oversized_body_is_poison_and_counts_against_the_breaker() {
    let stub = stub().await;
    let esi = EsiClient::new(&EsiConfig {
        max_body: 1_000,
        ..config(&stub)
    })
    .unwrap();
    let err = esi.killmail(ID, HASH).await.unwrap_err();
    assert!(
        matches!(err, EsiError::TooLarge { limit: 1_000, .. }) && err.is_poison(),
        "{err:?}"
    );
    assert_eq!(stub.state().hits(Target::Esi), 1, "not retried");
    esi.killmail(ID, HASH).await.unwrap_err();
    esi.killmail(ID, HASH).await.unwrap_err();
    assert_eq!(esi.breaker_state(), BreakerState::Open);
}
