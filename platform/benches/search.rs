//! Embedded search: how fast documents go in (upsert + commit) and how
//! fast typo-tolerant queries come back, on every real solar system plus
//! generated alliances, corporations, characters and battles; and, for
//! scale, the same misspelled lookup as a linear scan with an edit
//! distance (what the index saves).
//!
//! `cargo bench -p battlescope --bench search`

use std::hint::black_box;
use std::time::Duration;

use battlescope_core::universe;
use battlescope_platform::adapters::search::{
    DocKind, SearchConfig, SearchDoc, SearchIndex, SearchQuery,
};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const SYLLABLES: &[&str] = &[
    "gor", "vex", "ka", "lin", "tor", "ra", "mon", "dre", "sil", "ux", "zen", "qua", "bel", "ith",
    "or", "nax", "pri", "sol", "tek", "vor",
];
const SUFFIXES: &[&str] = &[
    "Federation",
    "Alliance",
    "Industries",
    "Holdings",
    "Coalition",
    "Syndicate",
    "Collective",
    "Legion",
    "Corp",
    "Enterprises",
];

/// A pronounceable name from `n` (deterministic, mostly distinct).
fn made_up_name(mut n: u64, words: usize) -> String {
    let mut out = String::new();
    for w in 0..words {
        if w > 0 {
            out.push(' ');
        }
        let len = 2 + (n % 3) as usize;
        let mut word = String::new();
        for _ in 0..len {
            word.push_str(SYLLABLES[(n % SYLLABLES.len() as u64) as usize]);
            n = n / SYLLABLES.len() as u64 + n.wrapping_mul(2_654_435_761) % 7;
        }
        let mut chars = word.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out.push(' ');
    out.push_str(SUFFIXES[(n % SUFFIXES.len() as u64) as usize]);
    out
}

/// Every real system, then `entities` generated alliances / corporations /
/// characters and `entities / 10` battles.
fn corpus(entities: u64) -> Vec<SearchDoc> {
    let mut docs: Vec<SearchDoc> = universe::systems()
        .iter()
        .map(|s| SearchDoc::entity(DocKind::System, u64::from(s.id), s.name))
        .collect();
    let kinds = [DocKind::Alliance, DocKind::Corporation, DocKind::Character];
    for i in 0..entities {
        let kind = kinds[(i % 3) as usize];
        docs.push(SearchDoc::entity(
            kind,
            99_000_000 + i,
            made_up_name(i * 7919 + 13, 1 + (i % 2) as usize),
        ));
    }
    let systems = universe::systems();
    for i in 0..entities / 10 {
        let system = &systems[(i as usize * 31) % systems.len()];
        docs.push(SearchDoc {
            kind: DocKind::Battle,
            id: format!("battle-{i}"),
            name: system.name.to_owned(),
            text: format!(
                "{} {} {}",
                system.region_name,
                made_up_name(i * 7919 + 13, 2),
                made_up_name(i * 104_729 + 5, 1)
            ),
            time: None,
            rank: i % 500,
        });
    }
    docs
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

fn build(rt: &tokio::runtime::Runtime, docs: Vec<SearchDoc>) -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = SearchIndex::open(dir.path(), SearchConfig::default()).expect("index");
    rt.block_on(async {
        index.upsert(docs).await.expect("upsert");
        index.commit().await.expect("commit");
    });
    (dir, index)
}

fn indexing(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("search_index");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for entities in [10_000u64, 100_000] {
        let docs = corpus(entities);
        group.throughput(Throughput::Elements(docs.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("upsert_commit", docs.len()),
            &docs,
            |b, docs| b.iter(|| black_box(build(&rt, docs.clone()))),
        );
    }
    group.finish();
}

fn querying(c: &mut Criterion) {
    let rt = runtime();
    let docs = corpus(100_000);
    let names: Vec<(DocKind, String)> = docs
        .iter()
        .map(|d| (d.kind, d.name.to_lowercase()))
        .collect();
    let alliance = docs
        .iter()
        .find(|d| d.kind == DocKind::Alliance && d.name.len() > 12)
        .expect("an alliance")
        .name
        .clone();
    // Two letters swapped in the first word: a typical typo.
    let mut typo: Vec<char> = alliance.chars().collect();
    typo.swap(2, 3);
    let typo: String = typo.into_iter().collect();
    let (_dir, index) = build(&rt, docs);

    let mut group = c.benchmark_group("search_query");
    group.throughput(Throughput::Elements(1));
    let cases = [
        (
            "system_typo",
            SearchQuery::new("Amamke").kinds(&[DocKind::System]),
        ),
        (
            "alliance_typo",
            SearchQuery::new(typo.clone()).kinds(&[DocKind::Alliance]),
        ),
        ("any_kind_typo", SearchQuery::new(typo.clone())),
        ("prefix", SearchQuery::new("Goryx")),
        (
            "battle_two_words",
            SearchQuery::new("delve gorvex").kinds(&[DocKind::Battle]),
        ),
    ];
    for (name, query) in &cases {
        let hits = index.search_blocking(query).expect("search");
        eprintln!("{name}: `{}` -> {} hits", query.text, hits.len());
        group.bench_function(*name, |b| {
            b.iter(|| black_box(index.search_blocking(query).expect("search")));
        });
    }
    // What the index saves: the same lookup by scanning every name.
    let word = typo.split(' ').next().unwrap_or_default().to_lowercase();
    group.sample_size(10);
    group.bench_function("alliance_typo_linear_scan", |b| {
        b.iter(|| {
            let found = names
                .iter()
                .filter(|(kind, _)| *kind == DocKind::Alliance)
                .filter(|(_, name)| name.split(' ').any(|w| edit_distance(w, &word) <= 2))
                .count();
            black_box(found)
        });
    });
    group.finish();
}

/// Levenshtein distance, for the scan baseline.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

criterion_group!(benches, indexing, querying);
criterion_main!(benches);
