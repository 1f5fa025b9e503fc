//! Parse throughput: JSON Lines of real ESI killmails, and the daily archive
//! reader. Input: the real fixtures, repeated with fresh ids to ~64 MB.

use std::io::Write;

use battlescope_core::input::{for_each_record, read_killmails, ReadOptions};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const FIXTURES: [&str; 7] = [
    "esi/killmail-56733821.json",
    "esi/killmail-78560358.json",
    "esi/killmail-88486806.json",
    "esi/killmail-111519365.json",
    "esi/killmail-119455394.json",
    "esi/killmail-132377263.json",
    "esi/killmail-134265477.json",
];

/// Real killmails as compact JSON values.
fn real_killmails() -> Vec<serde_json::Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    FIXTURES
        .iter()
        .map(|f| serde_json::from_slice(&std::fs::read(dir.join(f)).unwrap()).unwrap())
        .collect()
}

/// `n` killmails cycling through the real ones, each with its own id.
fn lines(n: usize) -> Vec<String> {
    let real = real_killmails();
    (0..n)
        .map(|i| {
            let mut v = real[i % real.len()].clone();
            v["killmail_id"] = serde_json::json!(100_000_000 + i);
            serde_json::to_string(&v).unwrap()
        })
        .collect()
}

fn bench_jsonl(c: &mut Criterion) {
    let lines = lines(64 * 1024);
    let input = lines.join("\n");
    let mut group = c.benchmark_group("parse");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function(BenchmarkId::new("jsonl_bytes", input.len()), |b| {
        b.iter(|| {
            let out = read_killmails(input.as_bytes(), None, &ReadOptions::default()).unwrap();
            assert_eq!(out.killmails.len(), lines.len());
        });
    });
    // Streaming: every record parsed and validated, none kept.
    group.bench_function(BenchmarkId::new("jsonl_stream_bytes", input.len()), |b| {
        b.iter(|| {
            let mut n = 0_usize;
            for_each_record(input.as_bytes(), None, &ReadOptions::default(), |r| {
                n += usize::from(r.is_ok());
            })
            .unwrap();
            assert_eq!(n, lines.len());
        });
    });
    // Reference point: serde_json straight into the model, nothing else
    // (no line splitting, shape detection, validation or dedup).
    group.bench_function("serde_json_direct_reference", |b| {
        b.iter(|| {
            for l in &lines {
                std::hint::black_box(
                    serde_json::from_str::<battlescope_core::Killmail>(l).unwrap(),
                );
            }
        });
    });
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function(BenchmarkId::new("jsonl_killmails", lines.len()), |b| {
        b.iter(|| read_killmails(input.as_bytes(), None, &ReadOptions::default()).unwrap());
    });
    group.finish();
}

fn bench_archive(c: &mut Criterion) {
    let lines = lines(16 * 1024);
    let mut tar = tar::Builder::new(Vec::new());
    for (i, line) in lines.iter().enumerate() {
        let mut header = tar::Header::new_gnu();
        header.set_size(line.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, format!("killmails/{i}.json"), line.as_bytes())
            .unwrap();
    }
    let tar = tar.into_inner().unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    bz.write_all(&tar).unwrap();
    let archive = bz.finish().unwrap();
    let mut group = c.benchmark_group("archive");
    group.sample_size(10);
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function(
        BenchmarkId::new(
            "tar_bz2_killmails",
            format!("{}_compressed_{}", lines.len(), archive.len()),
        ),
        |b| {
            b.iter(|| {
                let out = read_killmails(
                    archive.as_slice(),
                    Some("day.tar.bz2"),
                    &ReadOptions::default(),
                )
                .unwrap();
                assert_eq!(out.killmails.len(), lines.len());
            });
        },
    );
    group.finish();
}

criterion_group!(benches, bench_jsonl, bench_archive);
criterion_main!(benches);
