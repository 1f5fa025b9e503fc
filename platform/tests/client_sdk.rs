//! The client SDK's HTTP client (`battlescope_client::Client`) against the
//! API served on a loopback port by `axum::serve`, over a SQLite store and
//! an embedded search index this test fills itself with generated fights
//! (batch clustered). Every answer is compared with what the store holds or
//! with core's computation over the same killmails, converted to the
//! client's generated types through their JSON — so a field the client
//! reads wrongly, a parameter it names wrongly or a page it skips fails.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use battlescope_client as client;
use battlescope_client::{BattleFilter, Client, ClientError, RateLimitRetry, SearchQuery};
use battlescope_core::api::{entity_page, participants, timeline, Names};
use battlescope_core::battle::KillSummary;
use battlescope_core::cluster::{cluster, ClusterConfig};
use battlescope_core::events::{EntityName, NameCategory};
use battlescope_core::intel::Entity;
use battlescope_core::{Battle, Killmail};
use battlescope_platform::adapters::search::{SearchConfig, SearchIndex as Tantivy};
use battlescope_platform::adapters::sqlite::SqliteStore;
use battlescope_platform::api::{make_service, router_with, ApiOptions, AppState, RateLimit};
use battlescope_platform::ports::search::{
    BattleDocument, EntityDocument, EntityKind, SearchIndex,
};
use battlescope_platform::ports::store::{BattleChange, Store, WriteBatch};
use battlescope_platform::services::PipelineStats;
use battlescope_synth::{generate, ScenarioConfig};
use futures_util::TryStreamExt;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

/// The id of a battle merged into the newest one.
const GONE: Uuid = Uuid::from_u128(77);

struct World {
    /// The API with a search index.
    api: Client,
    /// The same API without a search index.
    bare: Client,
    /// The same API below `/battlescope/` (as behind a proxy).
    prefixed: Client,
    kills: Vec<Killmail>,
    /// Newest first, as the API lists them.
    battles: Vec<Battle>,
    _dir: tempfile::TempDir,
}

fn alliance_name(id: u64) -> String {
    format!("Alliance{id} Coalition")
}

/// The names enrichment would store: every alliance and character.
fn names(km: &Killmail) -> Vec<EntityName> {
    let mut out = Vec::new();
    let people = std::iter::once((km.victim.character_id, km.victim.alliance_id))
        .chain(km.attackers.iter().map(|a| (a.character_id, a.alliance_id)));
    for (character, alliance) in people {
        if let Some(c) = character {
            out.push(EntityName {
                id: c,
                name: format!("Pilot {c}"),
                category: NameCategory::Character,
            });
        }
        if let Some(a) = alliance {
            out.push(EntityName {
                id: a,
                name: alliance_name(a),
                category: NameCategory::Alliance,
            });
        }
    }
    out
}

/// A core value as the client's generated type, through its JSON.
fn wire<T: DeserializeOwned>(value: &impl Serialize) -> T {
    serde_json::from_value(serde_json::to_value(value).unwrap()).unwrap()
}

/// `app` served on a free loopback port, until the test's runtime ends.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, make_service(app)).await });
    format!("http://{address}")
}

fn unlimited() -> ApiOptions {
    ApiOptions {
        rate_limit: RateLimit {
            per_second: 0,
            burst: 1,
        },
        ..ApiOptions::default()
    }
}

fn state(store: &Arc<dyn Store>, search: Option<Arc<dyn SearchIndex>>, ready: bool) -> AppState {
    AppState {
        store: store.clone(),
        search,
        ready: Arc::new(AtomicBool::new(ready)),
        stats: Arc::new(PipelineStats::default()),
    }
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let kills = generate(
        &ScenarioConfig {
            kills: 500,
            ..ScenarioConfig::small()
        },
        21,
    );
    let mut battles = cluster(&kills, &ClusterConfig::default()).unwrap();
    assert!(battles.len() > 10, "the scenario has battles");
    battles.sort_by_key(|b| std::cmp::Reverse((b.start_time, b.id.to_string())));
    let sqlite = SqliteStore::open(&dir.path().join("store.db"))
        .await
        .unwrap();
    let mut changes: Vec<BattleChange> = battles
        .iter()
        .map(|b| BattleChange::Upsert {
            battle: Box::new(b.clone()),
            added: b.killmail_ids.clone(),
            removed: vec![],
        })
        .collect();
    changes.push(BattleChange::Merged {
        id: GONE,
        into: battles[0].id,
    });
    sqlite
        .write(&WriteBatch {
            killmails: kills
                .iter()
                .map(|k| (k.clone(), KillSummary::of(k), names(k)))
                .collect(),
            battles: changes,
            ..WriteBatch::default()
        })
        .await
        .unwrap();
    let index = Tantivy::open(&dir.path().join("search"), SearchConfig::default()).unwrap();
    index
        .index_battles(&battles.iter().map(BattleDocument::of).collect::<Vec<_>>())
        .await
        .unwrap();
    let alliances: BTreeSet<u64> = kills
        .iter()
        .flat_map(|k| {
            std::iter::once(k.victim.alliance_id).chain(k.attackers.iter().map(|a| a.alliance_id))
        })
        .flatten()
        .collect();
    index
        .index_entities(
            &alliances
                .iter()
                .map(|&id| EntityDocument {
                    kind: EntityKind::Alliance,
                    id,
                    name: alliance_name(id),
                })
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    index.commit().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(sqlite);
    let index: Arc<dyn SearchIndex> = Arc::new(index);
    let app = router_with(state(&store, Some(index.clone()), true), &unlimited());
    let bare = router_with(state(&store, None, true), &unlimited());
    let prefixed = axum::Router::new().nest("/battlescope", app.clone());
    World {
        api: Client::new(&serve(app).await).unwrap(),
        bare: Client::new(&serve(bare).await).unwrap(),
        prefixed: Client::new(&format!("{}/battlescope/", serve(prefixed).await)).unwrap(),
        kills,
        battles,
        _dir: dir,
    }
}

impl World {
    /// The battle's killmails, oldest first (as the store reads them).
    fn kills_of(&self, b: &Battle) -> Vec<Killmail> {
        let mut kills: Vec<Killmail> = self
            .kills
            .iter()
            .filter(|k| b.killmail_ids.contains(&k.killmail_id))
            .cloned()
            .collect();
        kills.sort_by_key(|k| (k.killmail_time, k.killmail_id));
        kills
    }

    fn names_of(kills: &[Killmail]) -> Names {
        let lists: Vec<Vec<EntityName>> = kills.iter().map(names).collect();
        Names::of(lists.iter().map(Vec::as_slice))
    }

    /// The ids of the battles `keep` selects, newest first.
    fn expected(&self, keep: impl Fn(&Battle) -> bool) -> Vec<Uuid> {
        self.battles
            .iter()
            .filter(|b| keep(b))
            .map(|b| b.id)
            .collect()
    }

    fn has(&self, b: &Battle, entity: Entity) -> bool {
        self.kills_of(b)
            .iter()
            .any(|k| entity.is_victim(k) || entity.is_attacker(k))
    }
}

/// Every battle of every page of the list with `filter`.
async fn all_ids(client: &Client, filter: BattleFilter) -> Vec<Uuid> {
    let battles: Vec<client::Battle> = client
        .battle_pages(filter)
        .items()
        .try_collect()
        .await
        .unwrap();
    battles.into_iter().map(|b| b.id).collect()
}

/// A 400 naming `parameter`.
fn assert_names(result: Result<impl std::fmt::Debug, ClientError>, parameter: &str) {
    let e = result.expect_err(parameter);
    assert_eq!(e.status(), Some(StatusCode::BAD_REQUEST), "{e}");
    assert_eq!(e.code(), Some("bad_parameter"), "{e}");
    assert_eq!(e.parameter(), Some(parameter), "{e}");
    assert!(
        matches!(&e, ClientError::Api { request_id: Some(id), .. } if !id.is_empty()),
        "{e:?}"
    );
}

fn assert_not_found(result: Result<impl std::fmt::Debug, ClientError>) {
    let e = result.expect_err("404");
    assert!(e.is_not_found(), "{e}");
    assert_eq!(e.code(), Some("not_found"), "{e}");
    assert_eq!(e.parameter(), None);
}

#[tokio::test]
async fn each_battle_its_timeline_and_participants_are_the_stored_ones() {
    let w = world().await;
    for b in &w.battles {
        let kills = w.kills_of(b);
        let battle = w.api.battle(b.id).await.unwrap();
        assert_eq!(battle.value, wire::<client::Battle>(b), "battle {}", b.id);
        assert_eq!((battle.requested, battle.merged_into), (b.id, None));
        let t = w.api.battle_timeline(b.id).await.unwrap();
        assert_eq!(t.value, wire::<client::Timeline>(&timeline(b, &kills)));
        assert_eq!(t.merged_into, None);
        let p = w.api.battle_participants(b.id).await.unwrap();
        let expected = participants(b, &kills, &World::names_of(&kills));
        assert_eq!(p.value, wire::<client::Participants>(&expected));
        assert!(!p.value.participants.is_empty());
    }
}

#[tokio::test]
async fn pages_walk_every_battle_once_newest_first() {
    let w = world().await;
    let everything = w.expected(|_| true);
    assert_eq!(
        all_ids(&w.api, BattleFilter::new().limit(7)).await,
        everything
    );
    // Page by page: full pages of 7 but the last, which has no cursor.
    let mut pages = w.api.battle_pages(BattleFilter::new().limit(7));
    let mut sizes = Vec::new();
    let mut seen = Vec::new();
    while let Some(page) = pages.next_page().await.unwrap() {
        sizes.push(page.battles.len());
        assert_eq!(
            page.next_cursor.is_none(),
            seen.len() + 7 >= everything.len()
        );
        seen.extend(page.battles.iter().map(|b| b.id));
    }
    assert_eq!(seen, everything);
    assert_eq!(sizes.len(), everything.len().div_ceil(7));
    assert!(
        sizes[..sizes.len() - 1].iter().all(|&n| n == 7),
        "{sizes:?}"
    );
    assert!(pages.next_page().await.unwrap().is_none(), "stays done");
    // One page, then the rest from its cursor.
    let first = w.api.battles(&BattleFilter::new().limit(5)).await.unwrap();
    let cursor = first.next_cursor.clone().expect("more than 5 battles");
    let rest = all_ids(&w.api, BattleFilter::new().limit(11).cursor(cursor)).await;
    assert_eq!(first.battles.len(), 5);
    assert_eq!(rest, everything[5..]);
    // The server's default page.
    let page = w.api.battles(&BattleFilter::new()).await.unwrap();
    assert_eq!(page.battles.len(), everything.len().min(50));
    // The battle search pages the same way.
    let searched: Vec<client::Battle> = w
        .api
        .search_battle_pages(BattleFilter::new().limit(3).as_search().clone())
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        searched.iter().map(|b| b.id).collect::<Vec<_>>(),
        everything
    );
}

#[tokio::test]
async fn recent_killmails_page_newest_first_with_their_battles() {
    let w = world().await;
    let battle_of: BTreeMap<u64, Uuid> = w
        .battles
        .iter()
        .flat_map(|b| b.killmail_ids.iter().map(move |k| (*k, b.id)))
        .collect();
    let view = |k: &Killmail| client::KillmailView {
        battle_id: battle_of.get(&k.killmail_id).copied(),
        killmail: wire(k),
        names: wire(&names(k)),
        summary: wire(&KillSummary::of(k)),
    };
    let mut newest_first: Vec<&Killmail> = w.kills.iter().collect();
    newest_first.sort_by_key(|k| std::cmp::Reverse((k.killmail_time, k.killmail_id)));
    newest_first.dedup_by_key(|k| k.killmail_id);
    let expected: Vec<client::KillmailView> = newest_first.iter().map(|k| view(k)).collect();
    let walked: Vec<client::KillmailView> = w
        .api
        .killmail_pages(Some(37))
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(walked.len(), expected.len());
    assert!(walked == expected, "every killmail once, newest first");
    assert!(
        walked.iter().any(|v| v.battle_id.is_none()),
        "some in no battle"
    );
    let first = w.api.recent_killmails(Some(10), None).await.unwrap();
    assert_eq!(first.killmails, expected[..10]);
    let second = w
        .api
        .recent_killmails(Some(10), first.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(second.killmails, expected[10..20]);
    for k in newest_first.iter().step_by(25) {
        let one = w.api.killmail(k.killmail_id).await.unwrap();
        assert_eq!(one, view(k), "killmail {}", k.killmail_id);
    }
}

#[tokio::test]
async fn filters_select_what_the_store_holds() {
    let w = world().await;
    // A battle of the middle of the list with an alliance on a side.
    let b = w.battles[w.battles.len() / 2..]
        .iter()
        .find(|b| b.sides.iter().any(|s| !s.alliances.is_empty()))
        .expect("an alliance on a side");
    let alliance = b
        .sides
        .iter()
        .flat_map(|s| s.alliances.clone())
        .next()
        .unwrap();
    let corporation = b.sides[0].corporations[0];
    let character = b.sides[0].pilots[0];
    let median_isk = {
        let mut isk: Vec<f64> = w.battles.iter().map(|b| b.stats.isk_destroyed).collect();
        isk.sort_by(f64::total_cmp);
        isk[isk.len() / 2]
    };
    let (since, until) = (b.start_time, b.end_time + chrono::Duration::hours(6));
    let security = b.security_class.expect("a known system");
    let cases: Vec<(&str, BattleFilter, Vec<Uuid>)> = vec![
        (
            "system",
            BattleFilter::new().system(b.system_id),
            w.expected(|o| o.system_id == b.system_id),
        ),
        (
            "region",
            BattleFilter::new().region(b.region_id.unwrap()),
            w.expected(|o| o.region_id == b.region_id),
        ),
        (
            "security",
            BattleFilter::new().security(wire(&security)),
            w.expected(|o| o.security_class == Some(security)),
        ),
        (
            "alliance",
            BattleFilter::new().alliance(alliance),
            w.expected(|o| w.has(o, Entity::Alliance(alliance))),
        ),
        (
            "corporation",
            BattleFilter::new().corporation(corporation),
            w.expected(|o| w.has(o, Entity::Corporation(corporation))),
        ),
        (
            "character",
            BattleFilter::new().character(character),
            w.expected(|o| w.has(o, Entity::Character(character))),
        ),
        (
            "minKills",
            BattleFilter::new().min_kills(b.stats.kill_count),
            w.expected(|o| o.stats.kill_count >= b.stats.kill_count),
        ),
        (
            "minIsk",
            BattleFilter::new().min_isk(median_isk),
            w.expected(|o| o.stats.isk_destroyed >= median_isk),
        ),
        (
            "since and until",
            BattleFilter::new().since(since).until(until),
            w.expected(|o| o.end_time >= since && o.start_time <= until),
        ),
        (
            "system, minKills and until",
            BattleFilter::new()
                .system(b.system_id)
                .min_kills(3)
                .until(b.start_time),
            w.expected(|o| {
                o.system_id == b.system_id
                    && o.stats.kill_count >= 3
                    && o.start_time <= b.start_time
            }),
        ),
    ];
    for (what, filter, expected) in cases {
        assert!(!expected.is_empty(), "{what}: the case selects something");
        assert!(
            expected.len() < w.battles.len() || what == "minKills",
            "{what}: the case leaves something out"
        );
        assert_eq!(
            all_ids(&w.api, filter.clone().limit(4)).await,
            expected,
            "{what}"
        );
        // The battle search's body carries the same filters.
        let searched = w
            .api
            .search_battles(&filter.limit(500).as_search().clone())
            .await
            .unwrap();
        let searched: Vec<Uuid> = searched.battles.iter().map(|b| b.id).collect();
        assert_eq!(searched, expected, "{what} (search)");
    }
}

#[tokio::test]
async fn errors_are_the_server_s_naming_the_parameter() {
    let w = world().await;
    let api = &w.api;
    assert_names(api.battles(&BattleFilter::new().limit(501)).await, "limit");
    assert_names(api.battles(&BattleFilter::new().limit(0)).await, "limit");
    assert_names(
        api.battles(&BattleFilter::new().min_isk(-5.0)).await,
        "minIsk",
    );
    assert_names(
        api.battles(&BattleFilter::new().cursor("yesterday")).await,
        "cursor",
    );
    let now = chrono::Utc::now();
    assert_names(
        api.battles(
            &BattleFilter::new()
                .since(now)
                .until(now - chrono::Duration::days(1)),
        )
        .await,
        "since",
    );
    let mut pages = api.battle_pages(BattleFilter::new().cursor("nope"));
    assert_names(pages.next_page().await, "cursor");
    assert_names(api.recent_killmails(Some(0), None).await, "limit");
    assert_names(api.recent_killmails(None, Some("abc")).await, "cursor");
    assert_names(api.killmail(0).await, "id");
    assert_names(api.alliance(0).await, "id");
    assert_names(api.corporation(0).await, "id");
    assert_names(api.character(0).await, "id");
    assert_names(api.search("   ").await, "q");
    assert_names(
        api.search(SearchQuery::new("jita").limit(101)).await,
        "limit",
    );
    assert_names(
        api.search_battles(&BattleFilter::new().limit(501).as_search().clone())
            .await,
        "limit",
    );
    // A blank text cannot even be written into the body's type (its
    // schema says not blank): the client refuses it before sending.
    assert!(BattleFilter::new().with_text(" ").is_err());
    assert_not_found(api.battle(Uuid::from_u128(404)).await);
    assert_not_found(api.battle_timeline(Uuid::from_u128(404)).await);
    assert_not_found(api.battle_participants(Uuid::from_u128(404)).await);
    assert_not_found(api.killmail(9_999_999_999).await);
    assert_not_found(api.alliance(424_242).await);
    assert_not_found(api.corporation(424_242).await);
    assert_not_found(api.character(424_242).await);
    // The message is the server's, for people.
    let e = api
        .battles(&BattleFilter::new().limit(501))
        .await
        .unwrap_err();
    assert_eq!(
        e.detail().unwrap().message,
        "must be between 1 and 500",
        "{e}"
    );
}

#[tokio::test]
async fn a_merged_battle_answers_as_its_survivor_also_behind_a_prefix() {
    let w = world().await;
    let kept = &w.battles[0];
    let kills = w.kills_of(kept);
    for api in [&w.api, &w.prefixed] {
        let battle = api.battle(GONE).await.unwrap();
        assert_eq!(battle.requested, GONE);
        assert_eq!(battle.merged_into, Some(kept.id));
        assert_eq!(battle.battle_id(), kept.id);
        assert_eq!(battle.value, wire::<client::Battle>(kept));
        let t = api.battle_timeline(GONE).await.unwrap();
        assert_eq!(t.merged_into, Some(kept.id));
        assert_eq!(t.value, wire::<client::Timeline>(&timeline(kept, &kills)));
        let p = api.battle_participants(GONE).await.unwrap();
        assert_eq!(p.merged_into, Some(kept.id));
        assert_eq!(
            p.value,
            wire::<client::Participants>(&participants(kept, &kills, &World::names_of(&kills)))
        );
    }
    // The rest of the API answers below the prefix too.
    assert_eq!(
        all_ids(&w.prefixed, BattleFilter::new().limit(500)).await,
        w.expected(|_| true)
    );
}

/// `name` with its second and third letters swapped (one edit).
fn misspelt(name: &str) -> String {
    let mut c: Vec<char> = name.chars().collect();
    c.swap(1, 2);
    c.into_iter().collect()
}

#[tokio::test]
async fn search_finds_misspelt_names_and_needs_an_index() {
    let w = world().await;
    let b = w
        .battles
        .iter()
        .find(|b| {
            b.system_name
                .as_deref()
                .is_some_and(|n| n.len() >= 5 && n.chars().all(|c| c.is_ascii_alphabetic()))
        })
        .expect("a battle in a system with a plain name");
    let name = b.system_name.clone().unwrap();
    let in_system = w.expected(|o| o.system_name.as_deref() == Some(name.as_str()));

    let results = w
        .api
        .search(
            SearchQuery::new(misspelt(&name))
                .kinds([client::SearchHitKind::Battle])
                .limit(100),
        )
        .await
        .unwrap();
    assert_eq!(results.query, misspelt(&name));
    assert!(results
        .hits
        .iter()
        .all(|h| h.kind == client::SearchHitKind::Battle && h.title == name));
    let found: BTreeSet<String> = results.hits.iter().map(|h| h.id.clone()).collect();
    assert_eq!(
        found,
        in_system
            .iter()
            .map(Uuid::to_string)
            .collect::<BTreeSet<_>>()
    );

    let alliance = b.sides[0].alliances[0];
    let results = w
        .api
        .search(misspelt(&alliance_name(alliance)).as_str())
        .await
        .unwrap();
    assert_eq!(results.hits[0].kind, client::SearchHitKind::Alliance);
    assert_eq!(results.hits[0].id, alliance.to_string());

    // The battle search by misspelt text: that system's battles, paged.
    let searched: Vec<client::Battle> = w
        .api
        .search_battle_pages(
            BattleFilter::new()
                .limit(2)
                .with_text(misspelt(&name))
                .unwrap(),
        )
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(searched.iter().map(|b| b.id).collect::<Vec<_>>(), in_system);

    for e in [
        w.bare.search("jita").await.unwrap_err(),
        w.bare
            .search_battles(&BattleFilter::new().with_text("jita").unwrap())
            .await
            .unwrap_err(),
    ] {
        assert_eq!(e.status(), Some(StatusCode::SERVICE_UNAVAILABLE), "{e}");
        assert_eq!(e.code(), Some("search_unavailable"), "{e}");
    }
    // Filters alone need no index.
    let page = w
        .bare
        .search_battles(&BattleFilter::new().limit(500).as_search().clone())
        .await
        .unwrap();
    assert_eq!(page.battles.len(), w.battles.len());
}

#[tokio::test]
async fn entity_pages_are_core_intel_over_their_recent_battles() {
    let w = world().await;
    let b = &w.battles[0];
    let alliance = w
        .battles
        .iter()
        .flat_map(|b| b.sides.iter().flat_map(|s| s.alliances.iter().copied()))
        .next()
        .expect("an alliance on a side");
    let corporation = b.sides[0].corporations[0];
    let character = b.sides[0].pilots[0];
    for entity in [
        Entity::Alliance(alliance),
        Entity::Corporation(corporation),
        Entity::Character(character),
    ] {
        let page = match entity {
            Entity::Alliance(id) => w.api.alliance(id).await,
            Entity::Corporation(id) => w.api.corporation(id).await,
            Entity::Character(id) => w.api.character(id).await,
        }
        .unwrap();
        let mut recent: Vec<Battle> = w
            .battles
            .iter()
            .filter(|o| w.has(o, entity))
            .cloned()
            .collect();
        recent.truncate(20);
        let kills: Vec<Killmail> = recent.iter().flat_map(|o| w.kills_of(o)).collect();
        let expected = entity_page(entity, recent, &kills, &World::names_of(&kills));
        assert_eq!(page, wire::<client::EntityPage>(&expected), "{entity}");
        assert!(page.summary.battles > 0, "{entity}");
    }
    let page = w.api.alliance(alliance).await.unwrap();
    assert_eq!(page.name, Some(alliance_name(alliance)));
    assert_eq!(page.entity, client::Entity::Alliance(alliance));
}

#[tokio::test]
async fn a_rate_limit_is_returned_with_retry_after_or_waited_out() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("store.db"))
            .await
            .unwrap(),
    );
    let options = ApiOptions {
        rate_limit: RateLimit {
            per_second: 1,
            burst: 1,
        },
        ..ApiOptions::default()
    };
    let base = serve(router_with(state(&store, None, true), &options)).await;
    let impatient = Client::builder(&base)
        .retry_rate_limited(RateLimitRetry {
            max_retries: 0,
            ..RateLimitRetry::default()
        })
        .build()
        .unwrap();
    let empty = impatient.battles(&BattleFilter::new()).await.unwrap();
    assert!(empty.battles.is_empty() && empty.next_cursor.is_none());
    let e = impatient
        .battles(&BattleFilter::new())
        .await
        .expect_err("the second request within the second");
    assert!(e.is_rate_limited(), "{e}");
    assert_eq!(e.code(), Some("rate_limited"));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
    // The probes are never limited.
    assert_eq!(
        impatient.live().await.unwrap().status,
        client::HealthStatus::Live
    );
    // The default client waits and retries.
    let patient = Client::new(&base).unwrap();
    let started = Instant::now();
    let page = patient.recent_killmails(None, None).await.unwrap();
    assert!(page.killmails.is_empty());
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(500), "{waited:?}");
}

#[tokio::test]
async fn probes_metrics_and_the_api_document() {
    let w = world().await;
    assert_eq!(
        w.api.live().await.unwrap().status,
        client::HealthStatus::Live
    );
    let ready = w.api.ready().await.unwrap();
    assert_eq!(ready.status, client::HealthStatus::Ready, "{ready:?}");
    assert!(ready.backends.is_empty());
    // A 503 that says why is an answer, not an error.
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("store.db"))
            .await
            .unwrap(),
    );
    let starting =
        Client::new(&serve(router_with(state(&store, None, false), &unlimited())).await).unwrap();
    let health = starting.ready().await.unwrap();
    assert_eq!(health.status, client::HealthStatus::Starting);
    assert!(health.reason.is_some());

    w.api.battles(&BattleFilter::new()).await.unwrap();
    let metrics = w.api.metrics().await.unwrap();
    let counted = metrics.lines().any(|l| {
        l.starts_with("battlescope_http_requests_total{")
            && l.contains(r#"route="/api/battles""#)
            && l.contains(r#"status="200""#)
    });
    assert!(counted, "{metrics}");

    let document = w.api.openapi().await.unwrap();
    assert_eq!(document["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/api/battles",
        "/api/battles/{id}",
        "/api/battles/{id}/timeline",
        "/api/battles/{id}/participants",
        "/api/killmails/recent",
        "/api/killmails/{id}",
        "/api/search",
        "/api/search/battles",
        "/api/alliances/{id}",
        "/api/corporations/{id}",
        "/api/characters/{id}",
        "/health/live",
        "/health/ready",
        "/metrics",
        "/api/openapi.json",
    ] {
        assert!(paths.contains_key(path), "the client calls {path}");
    }
}
