//! The HTTP adapters against the stub on loopback: how many killmails per
//! second the R2Z2 poller reads (one request per item, as the feed
//! demands) and the ESI client fetches (uncached, N calls in flight).
//! Loopback and an in-process stub make this the adapters' own ceiling,
//! not zKillboard's or ESI's.
//!
//! `cargo bench -p battlescope --bench adapters`

use std::sync::Arc;
use std::time::Duration;

use battlescope_platform::adapters::esi::{EsiClient, EsiConfig};
use battlescope_platform::adapters::r2z2::{R2z2Config, R2z2Source};
use battlescope_platform::stub::{Stub, StubConfig};
use battlescope_synth::ScenarioConfig;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const KILLS: usize = 2_000;
const FIRST: u64 = 1;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn adapters(c: &mut Criterion) {
    let rt = runtime();
    let kills = battlescope_synth::generate(&ScenarioConfig::with_kills(KILLS), 11);
    let stub = rt.block_on(async {
        Stub::start(StubConfig {
            first_sequence: FIRST,
            fixtures: false,
            ..StubConfig::default()
        })
        .await
        .expect("stub")
    });
    for km in &kills {
        stub.state().data.publish(km);
    }
    let refs: Arc<Vec<(u64, String)>> = Arc::new(
        kills
            .iter()
            .map(|km| {
                let hash = km.zkb.as_ref().and_then(|z| z.hash.clone());
                (km.killmail_id, hash.expect("synth killmails have a hash"))
            })
            .collect(),
    );

    let mut group = c.benchmark_group("adapters");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(KILLS as u64));

    let r2z2 = R2z2Config {
        base_url: stub.r2z2_base(),
        // Unpaced: the stub has no rate limit to respect.
        min_request_interval: Duration::ZERO,
        ..R2z2Config::default()
    };
    group.bench_function("r2z2_poll_parse", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut source = R2z2Source::starting_at(&r2z2, FIRST).expect("source");
                for _ in 0..KILLS {
                    let record = source.next().await.expect("record");
                    assert!(record.parsed.is_ok());
                }
            });
        });
    });

    for in_flight in [1usize, 16, 64] {
        let esi = EsiConfig {
            base_url: stub.url(),
            ..EsiConfig::default()
        };
        group.bench_with_input(
            BenchmarkId::new("esi_killmails_uncached", in_flight),
            &in_flight,
            |b, &in_flight| {
                b.iter(|| {
                    rt.block_on(async {
                        // A fresh client: nothing cached.
                        let client = Arc::new(EsiClient::new(&esi).expect("client"));
                        let workers: Vec<_> = (0..in_flight)
                            .map(|w| {
                                let client = Arc::clone(&client);
                                let refs = Arc::clone(&refs);
                                tokio::spawn(async move {
                                    for (id, hash) in refs.iter().skip(w).step_by(in_flight) {
                                        client.killmail(*id, hash).await.expect("killmail");
                                    }
                                })
                            })
                            .collect();
                        for w in workers {
                            w.await.expect("worker");
                        }
                    });
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, adapters);
criterion_main!(benches);
