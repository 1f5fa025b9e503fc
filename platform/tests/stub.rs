//! The stub over loopback: real samples at the real paths, faults on demand.

use battlescope_platform::stub::{Fault, FaultRule, Stub, StubConfig, Target};
use reqwest::StatusCode;

async fn stub() -> Stub {
    Stub::start(StubConfig::default())
        .await
        .expect("stub starts")
}

#[tokio::test]
async fn serves_the_real_samples_at_the_real_paths() {
    battlescope_platform::adapters::http::install_tls_provider();
    let stub = stub().await;
    let http = reqwest::Client::new();
    let seq: serde_json::Value = http
        .get(format!("{}/sequence.json", stub.r2z2_base()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seq["sequence"], 96_599_405);

    let item = http
        .get(format!("{}/96599404.json", stub.r2z2_base()))
        .send()
        .await
        .unwrap();
    assert_eq!(item.status(), StatusCode::OK);
    let body = item.bytes().await.unwrap();
    // The sample, byte for byte.
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/battlescope-core/tests/fixtures/r2z2/96599404.json"
    ))
    .unwrap();
    assert_eq!(body.as_ref(), sample.as_slice());

    let missing = http
        .get(format!("{}/96599406.json", stub.r2z2_base()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let package: serde_json::Value = http
        .get(format!("{}?queueID=t&ttw=0", stub.redisq_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(package["package"]["killID"], 119_455_394);

    let km = http
        .get(format!(
            "{}/killmails/119455394/d2913bf8250db18456601a8ae061441e89ccadf3/",
            stub.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(km.status(), StatusCode::OK);
    let wrong_hash = http
        .get(format!("{}/killmails/119455394/00/", stub.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_hash.status(), StatusCode::NOT_FOUND);

    let names: serde_json::Value = http
        .post(format!("{}/universe/names/", stub.url()))
        .body("[30000142]")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        names,
        serde_json::json!([{"category": "solar_system", "id": 30000142, "name": "Jita"}])
    );
    assert_eq!(stub.state().hits(Target::Any), 7);
    stub.shutdown().await.unwrap();
}

#[tokio::test]
async fn redisq_answers_null_when_nothing_is_new() {
    battlescope_platform::adapters::http::install_tls_provider();
    let stub = Stub::start(StubConfig {
        fixtures: false,
        ..StubConfig::default()
    })
    .await
    .unwrap();
    let body = reqwest::get(format!("{}?queueID=t&ttw=0", stub.redisq_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, r#"{"package":null}"#);
}

#[tokio::test]
async fn faults_set_over_http_spoil_the_next_answers() {
    battlescope_platform::adapters::http::install_tls_provider();
    let stub = stub().await;
    let http = reqwest::Client::new();
    let rules = [
        FaultRule {
            target: Target::Esi,
            fault: Fault::RateLimit {
                retry_after_secs: 2,
            },
            times: 1,
        },
        FaultRule {
            target: Target::Esi,
            fault: Fault::ServerError { status: 503 },
            times: 1,
        },
        FaultRule {
            target: Target::Esi,
            fault: Fault::WrongField,
            times: 1,
        },
        FaultRule {
            target: Target::Esi,
            fault: Fault::Garbage,
            times: 1,
        },
    ];
    for rule in &rules {
        let status = http
            .post(format!("{}/_stub/faults", stub.url()))
            .json(rule)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let url = format!(
        "{}/killmails/119455394/d2913bf8250db18456601a8ae061441e89ccadf3/",
        stub.url()
    );
    let limited = http.get(&url).send().await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["retry-after"], "2");
    let failed = http.get(&url).send().await.unwrap();
    assert_eq!(failed.status(), StatusCode::SERVICE_UNAVAILABLE);
    let spoiled: serde_json::Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(spoiled["killmail_time"], 1_234_567);
    let garbage = http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&garbage).is_err());
    let normal: serde_json::Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(normal["killmail_time"], "2024-07-14T15:49:53Z");
    assert_eq!(stub.state().hits(Target::Esi), 5);
}

#[tokio::test]
async fn shutdown_ends_long_polls_at_once() {
    battlescope_platform::adapters::http::install_tls_provider();
    let stub = Stub::start(StubConfig {
        fixtures: false,
        ..StubConfig::default()
    })
    .await
    .unwrap();
    let url = format!("{}?queueID=t&ttw=10", stub.redisq_url());
    let waiting = tokio::spawn(async move { reqwest::get(url).await?.text().await });
    stub.state().wait_for_hits(Target::Redisq, 1).await;
    let started = std::time::Instant::now();
    stub.shutdown().await.unwrap();
    assert_eq!(waiting.await.unwrap().unwrap(), r#"{"package":null}"#);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
