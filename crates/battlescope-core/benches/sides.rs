//! Side assignment of one large battle: 5,000 kills of a generated fight
//! between two coalitions and a third party (battlescope-synth
//! `team_fight`), up to 150 attackers on a mail. Target: < 50 ms.

use battlescope_core::battle::assign_sides;
use battlescope_core::Killmail;
use battlescope_synth::{team_fight, TeamFightConfig};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// The first 5,000 kills (by time) of a big generated fight.
fn battle() -> Vec<Killmail> {
    let config = TeamFightConfig {
        kills: 4_000,
        alliances_per_team: (4, 12),
        pilots_per_alliance: (5, 150),
        max_attackers: 150,
        ..TeamFightConfig::default()
    };
    let mut kills = team_fight(&config, 42).kills;
    assert!(kills.len() >= 5_000, "{}", kills.len());
    kills.truncate(5_000);
    kills
}

fn bench_sides(c: &mut Criterion) {
    let kills = battle();
    let refs: Vec<&Killmail> = kills.iter().collect();
    let attackers: usize = kills.iter().map(|k| k.attackers.len()).sum();
    println!("5,000 kills, {attackers} attacker rows");
    let mut group = c.benchmark_group("sides");
    group.sample_size(20);
    group.throughput(Throughput::Elements(refs.len() as u64));
    group.bench_function("assign_sides_5000_kills", |b| {
        b.iter(|| assign_sides(std::hint::black_box(&refs)));
    });
    group.finish();
}

criterion_group!(benches, bench_sides);
criterion_main!(benches);
