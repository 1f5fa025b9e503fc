//! A live loop: killmails arrive one at a time (here replayed from files in
//! time order, a few out of order), the `Clusterer` answers with battle
//! events, and late kills beyond its horizon go through `recluster` against
//! the battles already sealed — what a service does with its store.
//!
//! ```text
//! cargo run -p battlescope-examples --bin live -- examples/data
//! ```

use std::process::ExitCode;

use battlescope_core::cluster::{
    cluster, recluster, BattleChange, ClusterConfig, Clusterer, PushOutcome, StoredBattle,
};
use battlescope_core::input::{expand_paths, read_paths, ReadOptions};
use battlescope_core::{Battle, Killmail};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), battlescope_core::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = if args.is_empty() {
        vec!["examples/data".to_owned()]
    } else {
        args
    };
    let files = expand_paths(&args)?;
    let mut read = read_paths(&files, &ReadOptions::default(), &mut |_| Ok(()))?;
    read.check_readable()?;
    let mut feed = read.killmails;
    feed.sort_by_key(|k| (k.killmail_time, k.killmail_id));
    // Every tenth kill arrives at the end, late.
    let late: Vec<Killmail> = feed.iter().skip(9).step_by(10).cloned().collect();
    let mut arrival: Vec<Killmail> = feed
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 != 9)
        .map(|(_, k)| k.clone())
        .collect();
    arrival.extend(late);

    let config = ClusterConfig::default();
    let mut clusterer = Clusterer::new(config.clone())?;
    // What a service's store would hold: the sealed battles and every kill.
    let mut store: Vec<Battle> = Vec::new();
    let mut seen: Vec<Killmail> = Vec::new();
    for km in arrival {
        clusterer.set_trusted_time(km.killmail_time);
        seen.push(km.clone());
        let pushed = clusterer.push(km.clone());
        for event in &pushed.events {
            describe(event);
        }
        store.extend(pushed.sealed);
        if let PushOutcome::LateBeyondHorizon { .. } = pushed.outcome {
            // Re-cluster what the store holds with the late kill.
            let stored: Vec<StoredBattle> = store.iter().map(StoredBattle::from).collect();
            let sealed_kills: Vec<Killmail> = seen
                .iter()
                .filter(|k| clusterer.killmail(k.killmail_id).is_none())
                .cloned()
                .collect();
            let out = recluster(&sealed_kills, &stored, &config)?;
            for event in &out.events {
                describe(event);
            }
            store = out.battles;
        }
    }
    let mut all = store;
    all.extend(clusterer.open_battles());
    all.sort_by_key(|b| (b.start_time, b.killmail_ids[0]));
    let batch = cluster(&seen, &config)?;
    println!(
        "{} battles ({:?}); same as batch cluster(): {}",
        all.len(),
        clusterer.counts(),
        all == batch
    );
    Ok(())
}

fn describe(event: &BattleChange) {
    match event {
        BattleChange::Created(e) => println!(
            "created {} with {} kills",
            e.battle_id,
            e.killmail_ids.len()
        ),
        BattleChange::Updated(e) => match e.previous_id {
            Some(prev) => println!(
                "renamed {prev} -> {} (+{} kills)",
                e.battle_id,
                e.added_killmail_ids.len()
            ),
            None => println!(
                "updated {} (+{} kills, {:?})",
                e.battle_id,
                e.added_killmail_ids.len(),
                e.reason
            ),
        },
        BattleChange::Deleted(e) => match e.merged_into {
            Some(into) => println!("deleted {} (merged into {into})", e.battle_id),
            None => println!("deleted {} (no longer a battle)", e.battle_id),
        },
        BattleChange::Sealed(e) => println!("sealed {} ({} kills)", e.battle_id, e.killmail_count),
        _ => println!("{event:?}"),
    }
}
