//! A late kill re-clustered from the store: its component, walked with
//! `Reach` window by window, re-clustered against the stored battles that
//! hold its kills, gives the batch result of every kill.

mod common;

use battlescope_core::cluster::{cluster, recluster, ClusterConfig, Reach, StoredBattle};
use battlescope_core::Killmail;
use battlescope_synth::{generate, ScenarioConfig};
use common::*;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: case_count().min(128), ..ProptestConfig::default() })]

    #[test]
    fn the_component_of_a_late_kill_reclusters_to_batch(seed in any::<u64>(), pick in any::<prop::sample::Index>(), min_shared in 0_u32..3) {
        let config = ClusterConfig::default().with_min_shared(min_shared);
        let kms = generate(&ScenarioConfig { kills: 300, ..ScenarioConfig::small() }, seed);
        let late = kms[pick.index(kms.len())].clone();
        let stored_kills: Vec<Killmail> = kms.iter().filter(|k| k.killmail_id != late.killmail_id).cloned().collect();
        let stored_battles = cluster(&stored_kills, &config).unwrap();

        // Walk the component, fetching windows from the "store".
        let mut reach = Reach::new(late.clone(), config.clone());
        let mut fetches = 0;
        while let Some((from, to)) = reach.next_window() {
            fetches += 1;
            prop_assert!(fetches <= kms.len(), "the walk ends");
            reach.add(stored_kills.iter().filter(|k| k.killmail_time >= from && k.killmail_time <= to).cloned());
        }
        let component = reach.into_kills();
        prop_assert!(component.iter().any(|k| k.killmail_id == late.killmail_id));

        // The stored battles that hold a component kill, re-clustered with it.
        let ids: std::collections::BTreeSet<u64> = component.iter().map(|k| k.killmail_id).collect();
        let touched: Vec<StoredBattle> = stored_battles
            .iter()
            .filter(|b| b.killmail_ids.iter().any(|k| ids.contains(k)))
            .map(StoredBattle::from)
            .collect();
        for b in &touched {
            prop_assert!(b.killmail_ids.iter().all(|k| ids.contains(k)), "a stored battle lies inside the component");
        }
        let out = recluster(&component, &touched, &config).unwrap();
        let mut map = memberships(&stored_battles);
        apply(&out.events, &mut map);
        prop_assert_eq!(map, memberships(&cluster(&kms, &config).unwrap()));
    }
}

#[test]
fn a_late_kill_with_no_neighbour_is_its_own_component() {
    let late = kill(
        1,
        JITA,
        0,
        pilot(10, 98_000_001, None),
        &[pilot(11, 98_000_002, None)],
        None,
    );
    let far = kill(
        2,
        JITA,
        86_400,
        pilot(10, 98_000_001, None),
        &[pilot(11, 98_000_002, None)],
        None,
    );
    let mut reach = Reach::new(late, ClusterConfig::default());
    let mut windows = 0;
    while reach.next_window().is_some() {
        windows += 1;
        reach.add([far.clone()]);
    }
    assert_eq!(windows, 1);
    let ids: Vec<u64> = reach.into_kills().iter().map(|k| k.killmail_id).collect();
    assert_eq!(ids, [1]);
}
