//! How right are the sides? First the agreement with the known teams of
//! generated fights (`battle::rand_index` on `battlescope_synth::team_fight`),
//! then label-free checks on real killmail files (`battle::check_sides`)
//! over every battle of at least 30 kills, pooled and per day of the
//! battle's first kill, and the worst battles of at least 100 kills with
//! what their failing kills are.
//!
//! ```text
//! cargo run --release -p battlescope-core --features archive --example sides_quality -- \
//!     killmails-2021-11-27.tar.bz2 killmails-2021-11-28.tar.bz2
//! ```
//!
//! Any input the reader knows works (archives, JSON Lines, JSON arrays);
//! without files only the generated fights are scored.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::Instant;

use battlescope_core::battle::{assign_sides, check_sides, rand_index, Battle, Side, SideChecks};
use battlescope_core::cluster::{cluster, ClusterConfig};
use battlescope_core::input::{ReadOptions, ReadOutcome};
use battlescope_core::universe::ShipClass;
use battlescope_core::Killmail;
use battlescope_synth::{team_fight, TeamFightConfig};

/// Battles below this many kills are not judged (small fights are easy).
const MIN_KILLS: u32 = 30;
/// Battles from this many kills up are listed one by one when they score low.
const BIG: u32 = 100;
/// The lowest hostile score a battle of `BIG` kills should have.
const BIG_HOSTILE: f64 = 0.90;

/// Seeds per kind of generated fight.
const SEEDS: u64 = 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    synthetic();
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        return Ok(());
    }
    let mut read = ReadOutcome::default();
    for p in &paths {
        read.read_path(Path::new(p), &ReadOptions::default())?;
    }
    let kills = read.killmails;
    let started = Instant::now();
    let battles = cluster(&kills, &ClusterConfig::default())?;
    let elapsed = started.elapsed();
    println!(
        "{} killmails, {} battles (clustered with documents in {:.2} s)",
        kills.len(),
        battles.len(),
        elapsed.as_secs_f64()
    );
    let by_id: std::collections::HashMap<u64, &Killmail> =
        kills.iter().map(|k| (k.killmail_id, k)).collect();

    let mut all = SideChecks::default();
    let mut big = SideChecks::default();
    let mut judged = 0;
    let mut rows = Vec::new();
    // Per day of the battle's first kill: checks, battles, big ones below target.
    let mut days: BTreeMap<chrono::NaiveDate, (SideChecks, u32, Vec<String>)> = BTreeMap::new();
    for b in battles.iter().filter(|b| b.stats.kill_count >= MIN_KILLS) {
        let refs: Vec<&Killmail> = b.killmail_ids.iter().map(|id| by_id[id]).collect();
        let c = check_sides(&refs, &b.sides);
        all.add(&c);
        judged += 1;
        let day = days.entry(b.start_time.date_naive()).or_default();
        day.0.add(&c);
        day.1 += 1;
        if b.stats.kill_count >= BIG {
            big.add(&c);
            if c.hostile().is_some_and(|h| h < BIG_HOSTILE) {
                day.2.push(b.system_name.clone().unwrap_or_default());
            }
            rows.push((c, b, failures(&refs, &b.sides)));
        }
    }
    let pct = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), |x| format!("{x:.3}"));
    println!(
        "battles >= {MIN_KILLS} kills: {judged}; hostile {} ({} of {} kills), allied {} ({} of {} kills)",
        pct(all.hostile()),
        all.hostile_passed,
        all.hostile_judged,
        pct(all.allied()),
        all.allied_passed,
        all.allied_judged
    );
    println!(
        "battles >= {BIG} kills: {}; hostile {}, allied {}",
        rows.len(),
        pct(big.hostile()),
        pct(big.allied())
    );
    println!(
        "kills no side assignment can pass (victim and top attacker of one group): {} of {} judged",
        all.hostile_same_group, all.hostile_judged
    );
    for (day, (c, n, low)) in &days {
        println!(
            "  day {day}: {n} battles; hostile {} ({} of {}, {} same-group), allied {} ({} of {}); >= {BIG} kills below hostile {BIG_HOSTILE}: {}",
            pct(c.hostile()),
            c.hostile_passed,
            c.hostile_judged,
            c.hostile_same_group,
            pct(c.allied()),
            c.allied_passed,
            c.allied_judged,
            if low.is_empty() { "none".to_owned() } else { low.join(", ") }
        );
    }
    rows.sort_by(|a, b| {
        a.0.hostile()
            .partial_cmp(&b.0.hostile())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    println!("battles >= {BIG} kills, lowest hostile first:");
    for (c, b, f) in &rows {
        println!(
            "  {:<10} {} {:>5} kills {:>5} pilots  hostile {} ({} failed of {}, {} same-group)  allied {}  sides {}",
            b.system_name.as_deref().unwrap_or("?"),
            b.start_time.format("%m-%d %H:%M"),
            b.stats.kill_count,
            b.stats.unique_pilots,
            pct(c.hostile()),
            c.hostile_judged - c.hostile_passed,
            c.hostile_judged,
            c.hostile_same_group,
            pct(c.allied()),
            describe(b)
        );
        if c.hostile_passed < c.hostile_judged {
            println!(
                "             failing: {} same group, {} pods shot by another group of their side, \
                 {} with no damage by any attacker pilot, {} other{}",
                f.same_group,
                f.pods,
                f.no_damage,
                f.other.len(),
                if f.other.is_empty() {
                    String::new()
                } else {
                    format!(" (killmails {:?})", f.other)
                }
            );
        }
        if c.hostile().is_some_and(|h| h < BIG_HOSTILE) {
            let pairs: Vec<String> = f
                .pairs
                .iter()
                .map(|((x, y), n)| format!("{}-{} x{n}", name(*x), name(*y)))
                .collect();
            println!(
                "             pairs of groups those kills put on one side: {}",
                pairs.join(", ")
            );
            let apart: BTreeSet<Group> = f.pairs.keys().flat_map(|(x, y)| [*x, *y]).collect();
            let refs: Vec<&Killmail> = b.killmail_ids.iter().map(|id| by_id[id]).collect();
            let split = check_sides(&refs, &split_apart(&b.sides, f, &apart));
            println!(
                "             with each of those {} groups on a side of its own: hostile {}, allied {}",
                apart.len(),
                pct(split.hostile()),
                pct(split.allied())
            );
        }
    }
    Ok(())
}

/// Rand index of the sides of generated fights against their teams.
fn synthetic() {
    let kinds = [
        (
            "two teams",
            TeamFightConfig {
                teams: 2,
                ..TeamFightConfig::default()
            },
        ),
        ("two teams and a third party", TeamFightConfig::default()),
        (
            "third party shot by both teams on 25% of the kills",
            TeamFightConfig {
                shared_victim_rate: 0.25,
                ..TeamFightConfig::default()
            },
        ),
        (
            "big: 2,000 kills, up to 150 on a mail",
            TeamFightConfig {
                kills: 2_000,
                alliances_per_team: (4, 12),
                pilots_per_alliance: (5, 150),
                max_attackers: 150,
                ..TeamFightConfig::default()
            },
        ),
    ];
    for (name, config) in &kinds {
        let scores: Vec<f64> = (1..=SEEDS)
            .map(|seed| {
                let fight = team_fight(config, seed);
                let refs: Vec<&Killmail> = fight.kills.iter().collect();
                rand_index(&fight.teams, &assign_sides(&refs))
            })
            .collect();
        #[allow(clippy::cast_precision_loss)]
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        let min = scores.iter().copied().fold(f64::INFINITY, f64::min);
        println!("synthetic, {name}: Rand index mean {mean:.4}, min {min:.4} over {SEEDS} fights");
    }
}

/// The kills of a battle that fail the hostile check, by kind.
#[derive(Default)]
struct Failures {
    /// Victim and top-damage attacker pilot of one alliance or corporation.
    same_group: u32,
    /// Capsules shot by a pilot of another group on the victim's side
    /// (most often a friend's pod sent home).
    pods: u32,
    /// No attacker pilot did any damage: the "top" pilot is the mail's first.
    no_damage: u32,
    other: Vec<u64>,
    /// Victim group and top-damage pilot's group of every failing kill
    /// but the same-group ones: the pairs that would have to be on
    /// different sides for the kill to pass.
    pairs: BTreeMap<(Group, Group), u32>,
    /// The group of every pilot of the battle.
    pilot_group: HashMap<u64, Group>,
}

/// A side-forming group as core forms it: (0, alliance), (1, corporation
/// outside the NPC range) or (2, character).
type Group = (u8, u64);

fn group(ch: Option<u64>, corp: Option<u64>, al: Option<u64>) -> Option<Group> {
    al.map(|a| (0, a))
        .or_else(|| {
            corp.filter(|c| !(1_000_000..2_000_000).contains(c))
                .map(|c| (1, c))
        })
        .or_else(|| ch.map(|p| (2, p)))
}

fn name(g: Group) -> String {
    match g {
        (0, a) => a.to_string(),
        (1, c) => format!("corporation {c}"),
        (_, p) => format!("pilot {p}"),
    }
}

/// The sides with every pilot of `apart` moved to a side of their group's
/// own (only `pilots` matter to the checks).
fn split_apart(sides: &[Side], f: &Failures, apart: &BTreeSet<Group>) -> Vec<Side> {
    let mut out: Vec<Side> = sides.to_vec();
    let mut moved: BTreeMap<Group, Vec<u64>> = BTreeMap::new();
    for s in &mut out {
        s.pilots.retain(|p| match f.pilot_group.get(p) {
            Some(g) if apart.contains(g) => {
                moved.entry(*g).or_default().push(*p);
                false
            }
            _ => true,
        });
    }
    for pilots in moved.into_values() {
        let mut side = sides[0].clone();
        side.pilots = pilots;
        out.push(side);
    }
    out
}

/// Sort the failing kills of `check_sides` by kind (same order of attackers
/// as the check: most damage first, the mail's order on ties).
fn failures(kills: &[&Killmail], sides: &[Side]) -> Failures {
    let mut side_of = HashMap::new();
    for (i, s) in sides.iter().enumerate() {
        for p in &s.pilots {
            side_of.entry(*p).or_insert(i);
        }
    }
    let mut out = Failures::default();
    for km in kills {
        let v = &km.victim;
        for (ch, g) in std::iter::once((
            v.character_id,
            group(v.character_id, v.corporation_id, v.alliance_id),
        ))
        .chain(km.attackers.iter().map(|a| {
            (
                a.character_id,
                group(a.character_id, a.corporation_id, a.alliance_id),
            )
        })) {
            if let (Some(ch), Some(g)) = (ch, g) {
                out.pilot_group.entry(ch).or_insert(g);
            }
        }
        let mut top: Vec<(&battlescope_core::Attacker, usize)> = km
            .attackers
            .iter()
            .filter_map(|a| Some((a, *side_of.get(&a.character_id?)?)))
            .collect();
        top.sort_by_key(|(a, _)| std::cmp::Reverse(a.damage_done));
        let (Some(&vs), Some(&(a, s))) =
            (v.character_id.and_then(|c| side_of.get(&c)), top.first())
        else {
            continue;
        };
        if vs != s {
            continue;
        }
        let (vg, ag) = (
            group(v.character_id, v.corporation_id, v.alliance_id),
            group(a.character_id, a.corporation_id, a.alliance_id),
        );
        if vg == ag {
            out.same_group += 1;
            continue;
        }
        if let (Some(x), Some(y)) = (vg, ag) {
            *out.pairs.entry((x.min(y), x.max(y))).or_default() += 1;
        }
        if a.damage_done == 0 {
            out.no_damage += 1;
        } else if ShipClass::of_type(v.ship_type_id) == Some(ShipClass::Capsule) {
            out.pods += 1;
        } else {
            out.other.push(km.killmail_id);
        }
    }
    out
}

/// The largest sides as `pilots/kills/losses`, and how many more there are.
fn describe(b: &Battle) -> String {
    let mut parts: Vec<String> = b
        .sides
        .iter()
        .take(3)
        .map(|s| format!("{}p {}k/{}l", s.pilots.len(), s.kills, s.losses))
        .collect();
    if b.sides.len() > 3 {
        parts.push(format!("+{} more", b.sides.len() - 3));
    }
    parts.join(", ")
}
