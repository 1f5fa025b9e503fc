//! Clustering speed on generated realistic fights (battlescope-synth):
//! batch partition and full documents of 1M killmails, and incremental
//! pushes. Latency percentiles and peak memory: see `push_latency`.

use battlescope_core::cluster::{cluster, partition, ClusterConfig, Clusterer};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn kills(n: usize) -> Vec<battlescope_core::Killmail> {
    battlescope_synth::generate(&battlescope_synth::ScenarioConfig::with_kills(n), 42)
}

fn bench_batch(c: &mut Criterion) {
    let kms = kills(1_000_000);
    let config = ClusterConfig::default();
    let mut group = c.benchmark_group("batch");
    group.sample_size(10);
    group.throughput(Throughput::Elements(kms.len() as u64));
    group.bench_function("partition_1m", |b| {
        b.iter(|| partition(&kms, &config).unwrap());
    });
    group.bench_function("cluster_with_documents_1m", |b| {
        b.iter(|| cluster(&kms, &config).unwrap());
    });
    group.finish();
}

fn bench_incremental(c: &mut Criterion) {
    let kms = kills(100_000);
    let stream = battlescope_synth::arrival_with_delay(&kms, 0.02, 600, 7);
    let mut group = c.benchmark_group("incremental");
    group.sample_size(10);
    group.throughput(Throughput::Elements(stream.len() as u64));
    group.bench_function("push_100k_with_delays_and_duplicates", |b| {
        b.iter(|| {
            let mut c = Clusterer::new(ClusterConfig::default()).unwrap();
            for km in &stream {
                std::hint::black_box(c.push(km.clone()));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench_batch, bench_incremental);
criterion_main!(benches);
