//! The store contract: what every implementation of the `Store` port must
//! do, written once and run against each store — SQLite in
//! `tests/store_sqlite.rs` (plain `cargo test`), PostgreSQL in
//! `tests/backend_postgres.rs` (needs the server; fails without it).
//!
//! Each test takes a fresh, empty store. [`contract_tests!`] turns every
//! test here into a `#[tokio::test]` of the including file, given a runner
//! that makes the store and hands it over.

// Each including binary uses the whole contract, but rustc checks each on
// its own.
#![allow(dead_code)]

use std::sync::Arc;

use battlescope_core::battle::KillSummary;
use battlescope_core::events::{
    EntityName, Envelope, EventMetadata, KillmailEnrichedData, NameCategory,
};
use battlescope_core::intel::Entity;
use battlescope_core::{Attacker, Battle, Killmail, Victim, ZkbMeta};
use battlescope_platform::ports::source::SourceCursor;
use battlescope_platform::ports::store::{
    BattleChange, BattleLookup, BattleQuery, Checkpoint, DeadLetter, EventBody, EventRecord,
    PilotShip, Store, StoredRuleset, WriteBatch,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Every test of the contract, each a `#[tokio::test]` calling
/// `$run(test)`, where `$run` makes a fresh store and calls the test with it.
macro_rules! contract_tests {
    ($run:path) => {
        $crate::store_contract::contract_tests!(@each $run;
            ping_answers,
            a_batch_written_twice_is_stored_once,
            a_killmail_reads_back_with_its_battle,
            a_late_document_of_a_merged_battle_changes_nothing,
            merges_redirect_to_the_end_of_their_chain,
            a_dissolved_battle_answers_nothing_until_formed_again,
            kills_that_left_a_battle_no_longer_point_at_it,
            a_kill_claimed_twice_in_a_batch_ends_with_the_later_battle,
            a_battle_whose_every_kill_another_took_is_merged_into_it,
            the_list_filters_select_what_they_name,
            the_list_pages_newest_first_without_gaps_or_repeats,
            killmails_in_gives_a_systems_window_in_time_order,
            battles_holding_names_only_battles_still_standing,
            events_read_back_in_append_order_and_resume_after_a_seq,
            the_newest_seq_is_known_and_appends_wake_the_signal,
            a_killmail_event_kept_by_reference_reads_back_whole,
            dead_letters_come_newest_first_and_once_each,
            pilot_ships_come_newest_first_with_losses_marked,
            saving_an_active_ruleset_replaces_the_active_one,
            a_checkpoint_replaces_its_partitions_checkpoint,
            ingest_remembers_ids_and_its_cursor,
            the_list_filters_on_isk_and_on_ids,
            a_battles_killmails_come_oldest_first_with_names,
            recent_killmails_page_newest_first_with_their_battles,
            an_entity_is_seen_on_any_side_of_a_killmail
        );
    };
    (@each $run:path; $($name:ident),+) => {
        $(
            #[tokio::test]
            async fn $name() {
                $run($crate::store_contract::$name).await;
            }
        )+
    };
}
pub(crate) use contract_tests;

// ------------------------------------------------------------------ data --

/// 2025-06-15 15:06:40 UTC: times are offsets from here, in seconds.
const T0: i64 = 1_750_000_000;
/// Jita (high-sec, The Forge).
const JITA: u32 = 30_000_142;
/// Amamake (low-sec, Heimatar).
const AMAMAKE: u32 = 30_002_537;

fn at(offset: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(T0 + offset, 0).expect("a time in range")
}

/// Someone on a killmail: pilot `n` flies ship `ship`, in corporation
/// `1000 + n / 10` and alliance `2000 + n / 100`.
#[derive(Clone, Copy)]
struct Pilot {
    n: u64,
    ship: Option<u32>,
}

fn pilot(n: u64, ship: u32) -> Pilot {
    Pilot {
        n,
        ship: Some(ship),
    }
}

fn character(n: u64) -> u64 {
    90_000_000 + n
}
fn corporation(n: u64) -> u64 {
    98_000_000 + n / 10
}
fn alliance(n: u64) -> u64 {
    99_000_000 + n / 100
}

fn kill(id: u64, system: u32, offset: i64, victim: Pilot, attackers: &[Pilot]) -> Killmail {
    Killmail {
        killmail_id: id,
        killmail_time: at(offset),
        solar_system_id: system,
        moon_id: None,
        war_id: None,
        victim: Victim {
            alliance_id: Some(alliance(victim.n)),
            character_id: Some(character(victim.n)),
            corporation_id: Some(corporation(victim.n)),
            faction_id: None,
            damage_taken: 1_000,
            ship_type_id: victim.ship.unwrap_or(670),
            items: None,
            position: None,
        },
        attackers: attackers
            .iter()
            .enumerate()
            .map(|(i, a)| Attacker {
                alliance_id: Some(alliance(a.n)),
                character_id: Some(character(a.n)),
                corporation_id: Some(corporation(a.n)),
                faction_id: None,
                damage_done: 500,
                final_blow: i == 0,
                security_status: Some(0.5),
                ship_type_id: a.ship,
                weapon_type_id: None,
            })
            .collect(),
        zkb: None,
    }
}

/// `km` with zKillboard's value.
fn valued(mut km: Killmail, isk: f64) -> Killmail {
    km.zkb = Some(ZkbMeta {
        total_value: Some(isk),
        ..ZkbMeta::default()
    });
    km
}

/// A kill in `system` at `offset` between two pilots numbered from `id`.
fn simple_kill(id: u64, system: u32, offset: i64) -> Killmail {
    kill(id, system, offset, pilot(id, 587), &[pilot(id + 1, 24_698)])
}

fn names(km: &Killmail) -> Vec<EntityName> {
    vec![EntityName {
        id: km.victim.character_id.unwrap_or(0),
        name: format!("Pilot {}", km.killmail_id),
        category: NameCategory::Character,
    }]
}

fn killmails(kills: &[&Killmail]) -> WriteBatch {
    WriteBatch {
        killmails: kills
            .iter()
            .map(|k| ((*k).clone(), KillSummary::of(k), names(k)))
            .collect(),
        ..WriteBatch::default()
    }
}

/// The battle `n` of `kills` (sorted by time, then id).
fn battle(n: u128, kills: &[&Killmail]) -> Battle {
    Battle::from_sorted_kills(Uuid::from_u128(n), kills)
}

/// A battle created (or replaced) with all of its kills.
fn upsert(b: &Battle) -> BattleChange {
    BattleChange::Upsert {
        battle: Box::new(b.clone()),
        added: b.killmail_ids.clone(),
        removed: vec![],
    }
}

fn battles(changes: Vec<BattleChange>) -> WriteBatch {
    WriteBatch {
        battles: changes,
        ..WriteBatch::default()
    }
}

fn event(n: u128, body: EventBody) -> EventRecord {
    EventRecord {
        event_id: Uuid::from_u128(n),
        event_type: "battle.updated".to_owned(),
        key: JITA.to_string(),
        timestamp_ms: (T0 * 1_000) + i64::try_from(n).expect("a small n"),
        body,
    }
}

fn json_event(n: u128) -> EventRecord {
    event(n, EventBody::Json(format!(r#"{{"n":{n}}}"#)))
}

fn dead_letter(id: &str, recorded_at: i64) -> DeadLetter {
    DeadLetter {
        id: id.to_owned(),
        stage: "enrich".to_owned(),
        position: format!("killmail.ingested/0@{recorded_at}"),
        error: "no such killmail".to_owned(),
        payload: "{}".to_owned(),
        recorded_at,
    }
}

async fn write(store: &dyn Store, batch: &WriteBatch) {
    store.write(batch).await.expect("write");
}

async fn lookup(store: &dyn Store, id: Uuid) -> Option<BattleLookup> {
    store.battle(id).await.expect("battle lookup")
}

async fn list(store: &dyn Store, query: BattleQuery) -> Vec<Uuid> {
    let page = store.battles(&query).await.expect("battle list");
    page.battles.iter().map(|b| b.id).collect()
}

fn query() -> BattleQuery {
    BattleQuery {
        limit: 100,
        ..BattleQuery::default()
    }
}

async fn battle_of(store: &dyn Store, killmail_id: u64) -> Option<Uuid> {
    store
        .killmail(killmail_id)
        .await
        .expect("killmail lookup")
        .unwrap_or_else(|| panic!("killmail {killmail_id} is stored"))
        .battle_id
}

// ----------------------------------------------------------------- tests --

pub async fn ping_answers(store: Arc<dyn Store>) {
    store.ping().await.expect("a fresh store answers ping");
}

/// A batch of a bit of everything: two kills, their battle, two events
/// (one holding a killmail by reference) and a dead letter.
pub fn sample_batch() -> WriteBatch {
    let (a, b) = (simple_kill(1, JITA, 0), simple_kill(3, JITA, 60));
    let mut batch = killmails(&[&a, &b]);
    batch.battles = vec![upsert(&battle(1, &[&a, &b]))];
    batch.events = vec![
        json_event(1),
        event(
            2,
            EventBody::Killmail {
                killmail_id: 3,
                timestamp: at(60),
                metadata: EventMetadata {
                    correlation_id: Uuid::from_u128(2),
                    causation_id: Uuid::from_u128(2),
                    source: "battlescope-enrich".to_owned(),
                },
            },
        ),
    ];
    batch.dead_letters = vec![dead_letter("enrich/0@7", 7)];
    batch
}

/// `store` holds [`sample_batch`], each row once.
pub async fn assert_holds_sample_once(store: &dyn Store) {
    let (a, b) = (simple_kill(1, JITA, 0), simple_kill(3, JITA, 60));
    let fight = battle(1, &[&a, &b]);
    assert_eq!(list(store, query()).await, vec![fight.id]);
    assert_eq!(store.events_after(0, 100).await.unwrap().len(), 2);
    assert_eq!(store.dead_letters(100).await.unwrap().len(), 1);
    assert_eq!(store.killmails_in(JITA, 0, i64::MAX).await.unwrap(), [a, b]);
    // Participants too: the victim's history has the one loss.
    assert_eq!(store.pilot_ships(character(1), 100).await.unwrap().len(), 1);
    assert_eq!(battle_of(store, 3).await, Some(fight.id));
    assert_eq!(
        lookup(store, fight.id).await,
        Some(BattleLookup::Found(Box::new(fight)))
    );
}

pub async fn a_batch_written_twice_is_stored_once(store: Arc<dyn Store>) {
    write(&*store, &sample_batch()).await;
    write(&*store, &sample_batch()).await;
    assert_holds_sample_once(&*store).await;
}

pub async fn a_killmail_reads_back_with_its_battle(store: Arc<dyn Store>) {
    let (a, b, alone) = (
        simple_kill(1, JITA, 0),
        simple_kill(3, JITA, 60),
        simple_kill(5, AMAMAKE, 0),
    );
    let fight = battle(1, &[&a, &b]);
    let mut batch = killmails(&[&a, &b, &alone]);
    batch.battles = vec![upsert(&fight)];
    write(&*store, &batch).await;

    let stored = store.killmail(1).await.unwrap().expect("killmail 1");
    assert_eq!(stored.killmail, a);
    assert_eq!(stored.summary, KillSummary::of(&a));
    assert_eq!(stored.names, names(&a));
    assert_eq!(stored.battle_id, Some(fight.id));
    assert_eq!(battle_of(&*store, 5).await, None, "a kill in no battle");
    assert_eq!(store.killmail(99).await.unwrap(), None, "never stored");
}

pub async fn a_late_document_of_a_merged_battle_changes_nothing(store: Arc<dyn Store>) {
    let (a, b, c) = (
        simple_kill(1, JITA, 0),
        simple_kill(3, JITA, 60),
        simple_kill(5, JITA, 120),
    );
    let absorbed = battle(2, &[&c]);
    let survivor = battle(1, &[&a, &b, &c]);
    let mut batch = killmails(&[&a, &b, &c]);
    batch.battles = vec![upsert(&absorbed)];
    write(&*store, &batch).await;
    write(
        &*store,
        &battles(vec![
            upsert(&survivor),
            BattleChange::Merged {
                id: absorbed.id,
                into: survivor.id,
            },
        ]),
    )
    .await;
    // The absorbed battle's creation, redelivered.
    write(&*store, &battles(vec![upsert(&absorbed)])).await;

    assert_eq!(
        lookup(&*store, absorbed.id).await,
        Some(BattleLookup::MergedInto(survivor.id))
    );
    assert_eq!(list(&*store, query()).await, vec![survivor.id]);
    assert_eq!(battle_of(&*store, 5).await, Some(survivor.id));
}

/// A clusterer resuming from a checkpoint may never name again a battle
/// the first run published in passing: once every kill of it belongs to
/// other battles, it redirects to the one that took them, and is listed no
/// more; a battle that keeps a kill stays.
pub async fn a_battle_whose_every_kill_another_took_is_merged_into_it(store: Arc<dyn Store>) {
    let (a, b, c, d) = (
        simple_kill(1, JITA, 0),
        simple_kill(3, JITA, 60),
        simple_kill(5, JITA, 120),
        simple_kill(7, JITA, 180),
    );
    let passing = battle(5, &[&b, &c]);
    let keeps_one = battle(7, &[&d]);
    let mut batch = killmails(&[&a, &b, &c, &d]);
    batch.battles = vec![upsert(&passing), upsert(&keeps_one)];
    write(&*store, &batch).await;
    // The resumed run's battle takes b and c (and a), never naming `passing`.
    let whole = battle(1, &[&a, &b, &c]);
    write(&*store, &battles(vec![upsert(&whole)])).await;

    assert_eq!(
        lookup(&*store, passing.id).await,
        Some(BattleLookup::MergedInto(whole.id))
    );
    let mut listed = list(&*store, query()).await;
    listed.sort();
    assert_eq!(listed, vec![whole.id, keeps_one.id]);
    assert_eq!(battle_of(&*store, 5).await, Some(whole.id));
    assert_eq!(battle_of(&*store, 7).await, Some(keeps_one.id));
}

pub async fn merges_redirect_to_the_end_of_their_chain(store: Arc<dyn Store>) {
    let a = simple_kill(1, JITA, 0);
    let last = battle(3, &[&a]);
    let (first, middle, elsewhere) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(9));
    let mut batch = killmails(&[&a]);
    batch.battles = vec![
        upsert(&last),
        BattleChange::Merged {
            id: first,
            into: middle,
        },
        BattleChange::Merged {
            id: middle,
            into: last.id,
        },
        // Into a battle whose document is not stored (yet).
        BattleChange::Merged {
            id: Uuid::from_u128(8),
            into: elsewhere,
        },
    ];
    write(&*store, &batch).await;

    assert_eq!(
        lookup(&*store, first).await,
        Some(BattleLookup::MergedInto(last.id))
    );
    assert_eq!(
        lookup(&*store, middle).await,
        Some(BattleLookup::MergedInto(last.id))
    );
    assert_eq!(
        lookup(&*store, last.id).await,
        Some(BattleLookup::Found(Box::new(last.clone())))
    );
    assert_eq!(
        lookup(&*store, Uuid::from_u128(8)).await,
        Some(BattleLookup::MergedInto(elsewhere))
    );
    assert_eq!(lookup(&*store, Uuid::from_u128(77)).await, None, "unknown");
}

pub async fn a_dissolved_battle_answers_nothing_until_formed_again(store: Arc<dyn Store>) {
    let (a, b) = (simple_kill(1, JITA, 0), simple_kill(3, JITA, 60));
    let fight = battle(1, &[&a, &b]);
    let mut batch = killmails(&[&a, &b]);
    batch.battles = vec![upsert(&fight)];
    write(&*store, &batch).await;
    write(
        &*store,
        &battles(vec![BattleChange::Dissolved { id: fight.id }]),
    )
    .await;

    assert_eq!(lookup(&*store, fight.id).await, None);
    assert_eq!(list(&*store, query()).await, Vec::<Uuid>::new());
    assert_eq!(battle_of(&*store, 1).await, None, "its kills are released");
    assert!(store.battles_holding(&[1, 3]).await.unwrap().is_empty());

    // A re-cluster that forms the same battle again brings it back.
    write(&*store, &battles(vec![upsert(&fight)])).await;
    assert_eq!(list(&*store, query()).await, vec![fight.id]);
    assert_eq!(battle_of(&*store, 3).await, Some(fight.id));
}

pub async fn kills_that_left_a_battle_no_longer_point_at_it(store: Arc<dyn Store>) {
    let (a, b, c) = (
        simple_kill(1, JITA, 0),
        simple_kill(3, JITA, 60),
        simple_kill(5, JITA, 120),
    );
    let whole = battle(1, &[&a, &b, &c]);
    let shrunk = battle(1, &[&a, &b]);
    let mut batch = killmails(&[&a, &b, &c]);
    batch.battles = vec![upsert(&whole)];
    write(&*store, &batch).await;
    write(
        &*store,
        &battles(vec![BattleChange::Upsert {
            battle: Box::new(shrunk.clone()),
            added: vec![],
            removed: vec![5],
        }]),
    )
    .await;

    assert_eq!(battle_of(&*store, 5).await, None);
    assert_eq!(battle_of(&*store, 1).await, Some(whole.id));
    assert!(store.battles_holding(&[5]).await.unwrap().is_empty());
    // The last document is current, even with fewer kills.
    assert_eq!(
        lookup(&*store, whole.id).await,
        Some(BattleLookup::Found(Box::new(shrunk)))
    );
}

pub async fn a_kill_claimed_twice_in_a_batch_ends_with_the_later_battle(store: Arc<dyn Store>) {
    let (a, b) = (simple_kill(1, JITA, 0), simple_kill(3, JITA, 60));
    let first = battle(1, &[&a, &b]);
    let second = battle(2, &[&b]);
    let mut batch = killmails(&[&a, &b]);
    batch.battles = vec![upsert(&first), upsert(&second)];
    write(&*store, &batch).await;

    assert_eq!(battle_of(&*store, 3).await, Some(second.id));
    assert_eq!(battle_of(&*store, 1).await, Some(first.id));
}

pub async fn the_list_filters_select_what_they_name(store: Arc<dyn Store>) {
    // Three battles: two in Jita (one small and early, one large and
    // late), one in Amamake; pilots 100.. fight only in the first, 200..
    // only in the last.
    let early = [
        kill(1, JITA, 0, pilot(100, 587), &[pilot(101, 587)]),
        kill(2, JITA, 30, pilot(102, 587), &[pilot(103, 587)]),
    ];
    let late = [
        kill(10, JITA, 7_200, pilot(300, 587), &[pilot(301, 587)]),
        kill(11, JITA, 7_230, pilot(302, 587), &[pilot(303, 587)]),
        kill(12, JITA, 7_260, pilot(304, 587), &[pilot(305, 587)]),
    ];
    let away = [kill(
        20,
        AMAMAKE,
        3_600,
        pilot(200, 587),
        &[pilot(201, 587)],
    )];
    let (early, late, away): (Vec<&Killmail>, Vec<&Killmail>, Vec<&Killmail>) = (
        early.iter().collect(),
        late.iter().collect(),
        away.iter().collect(),
    );
    let (b_early, b_late, b_away) = (battle(1, &early), battle(2, &late), battle(3, &away));
    assert_ne!(
        b_early.region_id, b_away.region_id,
        "the systems differ in region"
    );
    assert_ne!(b_early.security_class, b_away.security_class);
    let all: Vec<&Killmail> = early.iter().chain(&late).chain(&away).copied().collect();
    let mut batch = killmails(&all);
    batch.battles = vec![upsert(&b_early), upsert(&b_late), upsert(&b_away)];
    write(&*store, &batch).await;

    let newest_first = vec![b_late.id, b_away.id, b_early.id];
    assert_eq!(list(&*store, query()).await, newest_first);
    let cases: Vec<(&str, BattleQuery, Vec<Uuid>)> = vec![
        (
            "system",
            BattleQuery {
                system_id: Some(JITA),
                ..query()
            },
            vec![b_late.id, b_early.id],
        ),
        (
            "region",
            BattleQuery {
                region_id: b_away.region_id,
                ..query()
            },
            vec![b_away.id],
        ),
        (
            "security class",
            BattleQuery {
                security_class: b_away.security_class,
                ..query()
            },
            vec![b_away.id],
        ),
        (
            "alliance",
            BattleQuery {
                alliance_id: Some(alliance(200)),
                ..query()
            },
            vec![b_away.id],
        ),
        (
            "corporation",
            BattleQuery {
                corporation_id: Some(corporation(101)),
                ..query()
            },
            vec![b_early.id],
        ),
        (
            "character (an attacker)",
            BattleQuery {
                character_id: Some(character(305)),
                ..query()
            },
            vec![b_late.id],
        ),
        (
            "since",
            BattleQuery {
                since: Some(T0 + 3_600),
                ..query()
            },
            vec![b_late.id, b_away.id],
        ),
        (
            "until",
            BattleQuery {
                until: Some(T0 + 3_600),
                ..query()
            },
            vec![b_away.id, b_early.id],
        ),
        (
            "min kills",
            BattleQuery {
                min_kills: Some(3),
                ..query()
            },
            vec![b_late.id],
        ),
        (
            "several at once",
            BattleQuery {
                system_id: Some(JITA),
                until: Some(T0 + 60),
                ..query()
            },
            vec![b_early.id],
        ),
        (
            "nothing matches",
            BattleQuery {
                character_id: Some(character(999)),
                ..query()
            },
            vec![],
        ),
    ];
    for (what, q, expected) in cases {
        assert_eq!(list(&*store, q).await, expected, "filter on {what}");
    }
}

pub async fn the_list_pages_newest_first_without_gaps_or_repeats(store: Arc<dyn Store>) {
    // Seven one-kill battles; three start at the same second (the id
    // breaks the tie).
    let offsets = [0, 60, 60, 60, 120, 180, 240];
    let kills: Vec<Killmail> = offsets
        .iter()
        .zip(1..)
        .map(|(&offset, n)| simple_kill(n * 2, JITA, offset))
        .collect();
    let fights: Vec<Battle> = kills
        .iter()
        .zip(1..)
        .map(|(k, n)| battle(n * 7_919, &[k]))
        .collect();
    let mut batch = killmails(&kills.iter().collect::<Vec<_>>());
    batch.battles = fights.iter().map(upsert).collect();
    write(&*store, &batch).await;

    let mut expected: Vec<(i64, Uuid)> = fights
        .iter()
        .map(|b| (b.start_time.timestamp(), b.id))
        .collect();
    expected.sort_unstable_by(|x, y| y.cmp(x));
    let mut seen = Vec::new();
    let mut after = None;
    for page_number in 1.. {
        assert!(page_number <= 3, "7 battles fit in 3 pages of 3");
        let page = store
            .battles(&BattleQuery {
                after,
                limit: 3,
                ..BattleQuery::default()
            })
            .await
            .unwrap();
        assert!(page.battles.len() <= 3);
        seen.extend(
            page.battles
                .iter()
                .map(|b| (b.start_time.timestamp(), b.id)),
        );
        match page.next {
            Some(next) => {
                assert_eq!(Some(&next), seen.last(), "next is the page's last battle");
                after = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(seen, expected);
}

pub async fn killmails_in_gives_a_systems_window_in_time_order(store: Arc<dyn Store>) {
    let kills = [
        simple_kill(8, JITA, 100),
        simple_kill(2, JITA, 0),
        simple_kill(4, JITA, 50),
        simple_kill(6, JITA, 50),
        simple_kill(10, JITA, 101),
        simple_kill(12, AMAMAKE, 50),
    ];
    write(&*store, &killmails(&kills.iter().collect::<Vec<_>>())).await;

    let window = store.killmails_in(JITA, T0, T0 + 100).await.unwrap();
    assert_eq!(
        window,
        [&kills[1], &kills[2], &kills[3], &kills[0]].map(Clone::clone),
        "both ends included, by time then id"
    );
    let ids = |ks: Vec<Killmail>| ks.iter().map(|k| k.killmail_id).collect::<Vec<_>>();
    let instant = store.killmails_in(JITA, T0 + 50, T0 + 50).await.unwrap();
    assert_eq!(ids(instant), [4, 6]);
    assert!(store
        .killmails_in(JITA, T0 + 102, T0 + 500)
        .await
        .unwrap()
        .is_empty());
}

pub async fn battles_holding_names_only_battles_still_standing(store: Arc<dyn Store>) {
    let kills: Vec<Killmail> = (0..4)
        .map(|i| simple_kill(i * 2 + 1, JITA, i64::try_from(i).unwrap() * 600))
        .collect();
    let standing = battle(1, &[&kills[0]]);
    let other = battle(2, &[&kills[1]]);
    let merged = battle(3, &[&kills[2]]);
    let dissolved = battle(4, &[&kills[3]]);
    let mut batch = killmails(&kills.iter().collect::<Vec<_>>());
    batch.battles = vec![
        upsert(&standing),
        upsert(&other),
        upsert(&merged),
        upsert(&dissolved),
        BattleChange::Merged {
            id: merged.id,
            into: Uuid::from_u128(99),
        },
        BattleChange::Dissolved { id: dissolved.id },
    ];
    write(&*store, &batch).await;

    let mut holding = store.battles_holding(&[1, 3, 5, 7, 1_000]).await.unwrap();
    holding.sort_by_key(|b| b.id);
    assert_eq!(holding, vec![standing.clone(), other]);
    assert_eq!(
        store.battles_holding(&[1, 1]).await.unwrap(),
        vec![standing]
    );
    assert!(store.battles_holding(&[]).await.unwrap().is_empty());
}

/// Where the event store ends, and the append signal the live streams
/// wait on: a write that appends events wakes it (PostgreSQL: through
/// LISTEN/NOTIFY, so from any process).
pub async fn the_newest_seq_is_known_and_appends_wake_the_signal(store: Arc<dyn Store>) {
    assert_eq!(store.last_event_seq().await.unwrap(), 0, "empty");
    let signal = store
        .appends()
        .expect("both stores can tell when events are appended");
    let appended = |events: Vec<EventRecord>| {
        let store = store.clone();
        let signal = signal.clone();
        async move {
            let woken = signal.notified();
            let mut woken = std::pin::pin!(woken);
            woken.as_mut().enable();
            write(
                &*store,
                &WriteBatch {
                    events,
                    ..WriteBatch::default()
                },
            )
            .await;
            tokio::time::timeout(std::time::Duration::from_secs(10), woken)
                .await
                .is_ok()
        }
    };
    // The first may race the listener's start; the second cannot.
    appended(vec![json_event(1), json_event(2)]).await;
    assert!(
        appended(vec![json_event(3)]).await,
        "an append wakes the signal"
    );
    let all = store.events_after(0, 100).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(store.last_event_seq().await.unwrap(), all[2].seq);
}

pub async fn events_read_back_in_append_order_and_resume_after_a_seq(store: Arc<dyn Store>) {
    // Ids in descending order: an order by id would read them backwards.
    let first = vec![json_event(50), json_event(40), json_event(30)];
    let second = vec![json_event(20), json_event(10)];
    for events in [&first, &second] {
        write(
            &*store,
            &WriteBatch {
                events: events.clone(),
                ..WriteBatch::default()
            },
        )
        .await;
    }
    // A redelivered batch appends nothing.
    write(
        &*store,
        &WriteBatch {
            events: first.clone(),
            ..WriteBatch::default()
        },
    )
    .await;

    let all = store.events_after(0, 100).await.unwrap();
    let records: Vec<EventRecord> = all.iter().map(|e| e.record.clone()).collect();
    let appended: Vec<EventRecord> = first.iter().chain(&second).cloned().collect();
    assert_eq!(records, appended);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq), "seq increases");
    assert!(all[0].seq > 0, "0 reads from the beginning");

    let resumed = store.events_after(all[2].seq, 1).await.unwrap();
    assert_eq!(resumed.len(), 1, "the limit holds");
    assert_eq!(resumed[0], all[3]);
    assert!(store
        .events_after(all[4].seq, 100)
        .await
        .unwrap()
        .is_empty());
}

pub async fn a_killmail_event_kept_by_reference_reads_back_whole(store: Arc<dyn Store>) {
    let a = simple_kill(1, JITA, 0);
    let metadata = EventMetadata {
        correlation_id: Uuid::from_u128(5),
        causation_id: Uuid::from_u128(5),
        source: "battlescope-enrich".to_owned(),
    };
    let mut batch = killmails(&[&a]);
    batch.events = vec![
        json_event(1),
        EventRecord {
            event_type: "killmail.enriched".to_owned(),
            ..event(
                5,
                EventBody::Killmail {
                    killmail_id: 1,
                    timestamp: at(3),
                    metadata: metadata.clone(),
                },
            )
        },
    ];
    write(&*store, &batch).await;

    let events = store.events_after(0, 100).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].record, json_event(1));
    let json = events[1]
        .record
        .body
        .json()
        .expect("a reference reads back as the whole envelope");
    let envelope: Envelope<KillmailEnrichedData> =
        serde_json::from_str(json).expect("a killmail.enriched envelope");
    assert_eq!(envelope.event_id, Uuid::from_u128(5));
    assert_eq!(envelope.timestamp, at(3));
    assert_eq!(envelope.metadata, metadata);
    assert_eq!(envelope.data.killmail, a);
    assert_eq!(envelope.data.summary, KillSummary::of(&a));
    assert_eq!(envelope.data.names, names(&a));
}

pub async fn dead_letters_come_newest_first_and_once_each(store: Arc<dyn Store>) {
    let letters = [
        dead_letter("enrich/0@1", 100),
        dead_letter("enrich/0@3", 300),
        dead_letter("enrich/0@2", 200),
    ];
    for letter in &letters {
        write(
            &*store,
            &WriteBatch {
                dead_letters: vec![letter.clone()],
                ..WriteBatch::default()
            },
        )
        .await;
    }
    // Redelivered with another time: the first record stands.
    write(
        &*store,
        &WriteBatch {
            dead_letters: vec![dead_letter("enrich/0@1", 999)],
            ..WriteBatch::default()
        },
    )
    .await;

    let stored = store.dead_letters(100).await.unwrap();
    assert_eq!(
        stored,
        vec![letters[1].clone(), letters[2].clone(), letters[0].clone()]
    );
    assert_eq!(
        store.dead_letters(1).await.unwrap(),
        vec![letters[1].clone()]
    );
}

pub async fn pilot_ships_come_newest_first_with_losses_marked(store: Arc<dyn Store>) {
    let me = 500;
    let kills = [
        kill(1, JITA, 0, pilot(600, 587), &[pilot(me, 24_698)]),
        kill(2, JITA, 100, pilot(me, 11_987), &[pilot(601, 587)]),
        // In no ship (an attacker ESI gives no hull for): not listed, and
        // not counted against the limit.
        kill(
            3,
            JITA,
            200,
            pilot(602, 587),
            &[Pilot { n: me, ship: None }],
        ),
        kill(4, JITA, 300, pilot(603, 587), &[pilot(604, 587)]),
    ];
    write(&*store, &killmails(&kills.iter().collect::<Vec<_>>())).await;

    let ships = store.pilot_ships(character(me), 100).await.unwrap();
    assert_eq!(
        ships,
        vec![
            PilotShip {
                ship_type_id: 11_987,
                killmail_id: 2,
                killmail_time: T0 + 100,
                lost: true,
            },
            PilotShip {
                ship_type_id: 24_698,
                killmail_id: 1,
                killmail_time: T0,
                lost: false,
            },
        ]
    );
    assert_eq!(
        store.pilot_ships(character(me), 1).await.unwrap(),
        ships[..1]
    );
    assert!(store
        .pilot_ships(character(999), 100)
        .await
        .unwrap()
        .is_empty());
}

fn ruleset(name: &str, text: &str, active: bool) -> StoredRuleset {
    StoredRuleset {
        name: name.to_owned(),
        format: "toml".to_owned(),
        text: text.to_owned(),
        active,
    }
}

pub async fn saving_an_active_ruleset_replaces_the_active_one(store: Arc<dyn Store>) {
    assert_eq!(store.active_ruleset().await.unwrap(), None);
    store.put_ruleset(&ruleset("a", "# a", true)).await.unwrap();
    assert_eq!(
        store.active_ruleset().await.unwrap(),
        Some(ruleset("a", "# a", true))
    );
    store.put_ruleset(&ruleset("b", "# b", true)).await.unwrap();
    assert_eq!(
        store.active_ruleset().await.unwrap(),
        Some(ruleset("b", "# b", true))
    );
    store
        .put_ruleset(&ruleset("c", "# c", false))
        .await
        .unwrap();
    assert_eq!(
        store.active_ruleset().await.unwrap(),
        Some(ruleset("b", "# b", true)),
        "an inactive ruleset leaves the active one"
    );
    store
        .put_ruleset(&ruleset("a", "# a, again", true))
        .await
        .unwrap();
    assert_eq!(
        store.active_ruleset().await.unwrap(),
        Some(ruleset("a", "# a, again", true))
    );
}

fn checkpoint(partition: u32, next_offset: u64) -> Checkpoint {
    Checkpoint {
        group: "clusterer".to_owned(),
        topic: "killmail.enriched".to_owned(),
        partition,
        log_id: format!("log-{partition}"),
        next_offset,
        snapshot: format!(r#"{{"at":{next_offset}}}"#),
    }
}

pub async fn a_checkpoint_replaces_its_partitions_checkpoint(store: Arc<dyn Store>) {
    for cp in [checkpoint(1, 10), checkpoint(0, 5), checkpoint(0, 42)] {
        store.save_checkpoint(&cp).await.unwrap();
    }
    assert_eq!(
        store
            .checkpoints("clusterer", "killmail.enriched")
            .await
            .unwrap(),
        vec![checkpoint(0, 42), checkpoint(1, 10)]
    );
    assert!(store
        .checkpoints("clusterer", "battle.events")
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .checkpoints("indexer", "killmail.enriched")
        .await
        .unwrap()
        .is_empty());
}

pub async fn ingest_remembers_ids_and_its_cursor(store: Arc<dyn Store>) {
    assert_eq!(store.source_cursor("r2z2").await.unwrap(), None);
    assert!(store.ingested(&[1, 2, 3]).await.unwrap().is_empty());
    let first = SourceCursor("100".to_owned());
    store
        .record_ingested("r2z2", &[1, 2], Some(&first))
        .await
        .unwrap();
    let mut seen = store.ingested(&[1, 2, 3]).await.unwrap();
    seen.sort_unstable();
    assert_eq!(seen, [1, 2]);
    assert_eq!(
        store.source_cursor("r2z2").await.unwrap(),
        Some(first.clone())
    );

    // Ids again (redelivery) without a cursor: the cursor stays.
    store.record_ingested("r2z2", &[2, 3], None).await.unwrap();
    let mut seen = store.ingested(&[3, 2, 1, 4]).await.unwrap();
    seen.sort_unstable();
    assert_eq!(seen, [1, 2, 3]);
    assert_eq!(store.source_cursor("r2z2").await.unwrap(), Some(first));

    let second = SourceCursor("200".to_owned());
    store
        .record_ingested("r2z2", &[], Some(&second))
        .await
        .unwrap();
    assert_eq!(store.source_cursor("r2z2").await.unwrap(), Some(second));
    assert_eq!(store.source_cursor("redisq").await.unwrap(), None);
    assert!(store.ingested(&[]).await.unwrap().is_empty());
}

pub async fn the_list_filters_on_isk_and_on_ids(store: Arc<dyn Store>) {
    let cheap = [
        valued(simple_kill(1, JITA, 0), 1.0e6),
        valued(simple_kill(3, JITA, 30), 2.0e6),
    ];
    let dear = [
        valued(simple_kill(10, JITA, 7_200), 4.0e9),
        simple_kill(12, JITA, 7_230),
    ];
    let away = [valued(simple_kill(20, AMAMAKE, 3_600), 5.0e8)];
    let (cheap, dear, away): (Vec<&Killmail>, Vec<&Killmail>, Vec<&Killmail>) = (
        cheap.iter().collect(),
        dear.iter().collect(),
        away.iter().collect(),
    );
    let (b_cheap, b_dear, b_away) = (battle(1, &cheap), battle(2, &dear), battle(3, &away));
    let all: Vec<&Killmail> = cheap.iter().chain(&dear).chain(&away).copied().collect();
    let mut batch = killmails(&all);
    batch.battles = vec![upsert(&b_cheap), upsert(&b_dear), upsert(&b_away)];
    write(&*store, &batch).await;
    let cases: Vec<(&str, BattleQuery, Vec<Uuid>)> = vec![
        (
            "min ISK",
            BattleQuery {
                min_isk: Some(5.0e8),
                ..query()
            },
            vec![b_dear.id, b_away.id],
        ),
        (
            "min ISK, exactly a battle's",
            BattleQuery {
                min_isk: Some(3.0e6),
                ..query()
            },
            vec![b_dear.id, b_away.id, b_cheap.id],
        ),
        (
            "ids",
            BattleQuery {
                ids: Some(vec![b_cheap.id, b_away.id, Uuid::from_u128(404)]),
                ..query()
            },
            vec![b_away.id, b_cheap.id],
        ),
        (
            "no ids",
            BattleQuery {
                ids: Some(vec![]),
                ..query()
            },
            vec![],
        ),
        (
            "ids and a filter",
            BattleQuery {
                ids: Some(vec![b_cheap.id, b_away.id]),
                system_id: Some(JITA),
                ..query()
            },
            vec![b_cheap.id],
        ),
    ];
    for (what, q, expected) in cases {
        assert_eq!(list(&*store, q).await, expected, "filter on {what}");
    }
}

pub async fn a_battles_killmails_come_oldest_first_with_names(store: Arc<dyn Store>) {
    let kills = [
        simple_kill(5, JITA, 60),
        simple_kill(3, JITA, 0),
        simple_kill(7, JITA, 60),
    ];
    let other = simple_kill(9, JITA, 30);
    let refs: Vec<&Killmail> = vec![&kills[1], &kills[0], &kills[2]];
    let b = battle(1, &refs);
    let mut batch = killmails(&[&kills[0], &kills[1], &kills[2], &other]);
    batch.battles = vec![upsert(&b)];
    write(&*store, &batch).await;
    let got = store
        .battle_killmails(b.id)
        .await
        .expect("battle killmails");
    let ids: Vec<u64> = got.iter().map(|k| k.killmail.killmail_id).collect();
    assert_eq!(
        ids,
        vec![3, 5, 7],
        "by time, then id; the other kill left out"
    );
    for k in &got {
        assert_eq!(k.battle_id, Some(b.id));
        assert_eq!(k.names, names(&k.killmail));
    }
    assert!(store
        .battle_killmails(Uuid::from_u128(404))
        .await
        .expect("an unknown battle")
        .is_empty());

    // Merged away: its kills are the survivor's.
    let survivor = battle(2, &refs);
    write(
        &*store,
        &battles(vec![
            upsert(&survivor),
            BattleChange::Merged {
                id: b.id,
                into: survivor.id,
            },
        ]),
    )
    .await;
    let moved: Vec<u64> = store
        .battle_killmails(survivor.id)
        .await
        .expect("survivor killmails")
        .iter()
        .map(|k| k.killmail.killmail_id)
        .collect();
    assert_eq!(moved, vec![3, 5, 7]);
    assert!(store.battle_killmails(b.id).await.unwrap().is_empty());
}

pub async fn recent_killmails_page_newest_first_with_their_battles(store: Arc<dyn Store>) {
    // Seven kills, three at one second (the id breaks the tie), two in a battle.
    let kills: Vec<Killmail> = [
        (1, 0),
        (2, 60),
        (3, 60),
        (4, 60),
        (5, 120),
        (6, 30),
        (7, 600),
    ]
    .into_iter()
    .map(|(id, offset)| simple_kill(id, JITA, offset))
    .collect();
    let in_battle: Vec<&Killmail> = vec![&kills[0], &kills[5]];
    let b = battle(1, &in_battle);
    let refs: Vec<&Killmail> = kills.iter().collect();
    let mut batch = killmails(&refs);
    batch.battles = vec![upsert(&b)];
    write(&*store, &batch).await;

    let mut expected: Vec<(i64, u64)> = kills
        .iter()
        .map(|k| (k.killmail_time.timestamp(), k.killmail_id))
        .collect();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = store
            .recent_killmails(after, 3)
            .await
            .expect("recent killmails");
        pages += 1;
        assert!(page.killmails.len() <= 3);
        for k in &page.killmails {
            let id = k.killmail.killmail_id;
            seen.push((k.killmail.killmail_time.timestamp(), id));
            let expected_battle = b.killmail_ids.contains(&id).then_some(b.id);
            assert_eq!(k.battle_id, expected_battle, "killmail {id}");
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, expected, "newest first, no gap, no repeat");
    assert_eq!(pages, 3);
    let all = store.recent_killmails(None, 500).await.expect("one page");
    assert_eq!(all.killmails.len(), 7);
    assert_eq!(all.next, None);
}

pub async fn an_entity_is_seen_on_any_side_of_a_killmail(store: Arc<dyn Store>) {
    // Pilot 120 the victim, 131 an attacker.
    let km = kill(1, JITA, 0, pilot(120, 587), &[pilot(131, 587)]);
    write(&*store, &killmails(&[&km])).await;
    for entity in [
        Entity::Character(character(120)),
        Entity::Character(character(131)),
        Entity::Corporation(corporation(120)),
        Entity::Corporation(corporation(131)),
        Entity::Alliance(alliance(120)),
    ] {
        assert!(store.entity_seen(entity).await.expect("seen"), "{entity}");
    }
    for entity in [
        Entity::Character(character(999)),
        Entity::Corporation(corporation(999)),
        Entity::Alliance(alliance(999_999)),
        // An alliance id that is some pilot's character id is not an alliance.
        Entity::Alliance(character(120)),
    ] {
        assert!(!store.entity_seen(entity).await.expect("seen"), "{entity}");
    }
}
