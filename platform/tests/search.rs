//! The embedded search index: typo-tolerant lookups of real names.

use battlescope_core::universe;
use battlescope_platform::adapters::search::{
    DocKind, SearchConfig, SearchDoc, SearchIndex, SearchQuery,
};

/// Real alliances of New Eden.
const ALLIANCES: &[(u64, &str)] = &[
    (1_354_830_081, "Goonswarm Federation"),
    (99_005_338, "Pandemic Horde"),
    (498_125_261, "Test Alliance Please Ignore"),
    (99_003_581, "Fraternity."),
    (1_727_758_877, "Northern Coalition."),
    (99_001_317, "Banderlogs Alliance"),
];

async fn index_with_names() -> SearchIndex {
    let index = SearchIndex::in_memory(SearchConfig::default()).unwrap();
    let mut docs: Vec<SearchDoc> = ALLIANCES
        .iter()
        .map(|(id, name)| SearchDoc::entity(DocKind::Alliance, *id, *name))
        .collect();
    docs.extend(
        universe::systems()
            .iter()
            .map(|s| SearchDoc::entity(DocKind::System, u64::from(s.id), s.name)),
    );
    index.upsert(docs).await.unwrap();
    index.commit().await.unwrap();
    index
}

async fn first(index: &SearchIndex, text: &str, kinds: &[DocKind]) -> Option<(DocKind, String)> {
    let hits = index
        .search(SearchQuery::new(text).kinds(kinds))
        .await
        .unwrap();
    hits.into_iter().next().map(|h| (h.kind, h.name))
}

#[tokio::test]
async fn finds_misspelled_alliances() {
    let index = index_with_names().await;
    for (typed, expected) in [
        ("Gonswarm", "Goonswarm Federation"),
        ("goonswram federatoin", "Goonswarm Federation"),
        ("pandemik hord", "Pandemic Horde"),
        ("Test Aliance", "Test Alliance Please Ignore"),
        ("fraternty", "Fraternity."),
        // Still typing.
        ("bandarlo", "Banderlogs Alliance"),
    ] {
        assert_eq!(
            first(&index, typed, &[DocKind::Alliance]).await,
            Some((DocKind::Alliance, expected.to_owned())),
            "{typed}"
        );
    }
}

#[tokio::test]
async fn finds_misspelled_systems_among_all_of_new_eden() {
    let index = index_with_names().await;
    assert!(index.num_docs() > 8_000);
    for (typed, expected) in [
        ("Jitta", "Jita"),
        ("Amamke", "Amamake"),
        ("Tamma", "Tama"),
        ("1DQ1-A", "1DQ1-A"),
        ("Perimiter", "Perimeter"),
    ] {
        assert_eq!(
            first(&index, typed, &[DocKind::System]).await,
            Some((DocKind::System, expected.to_owned())),
            "{typed}"
        );
    }
    // No kind filter: still the system.
    assert_eq!(
        first(&index, "Jitta", &[]).await,
        Some((DocKind::System, "Jita".to_owned()))
    );
    assert_eq!(first(&index, "", &[]).await, None);
    assert_eq!(first(&index, "zzzzqqqq", &[]).await, None);
}

fn battle(id: &str, system: &str, text: &str, kills: u64) -> SearchDoc {
    SearchDoc {
        kind: DocKind::Battle,
        id: id.to_owned(),
        name: system.to_owned(),
        text: text.to_owned(),
        time: None,
        rank: kills,
    }
}

#[tokio::test]
async fn battles_are_found_by_who_fought_and_bigger_ones_first() {
    let index = SearchIndex::in_memory(SearchConfig::default()).unwrap();
    index
        .upsert(vec![
            battle(
                "b-small",
                "1DQ1-A",
                "Delve Goonswarm Federation Pandemic Horde",
                3,
            ),
            battle(
                "b-big",
                "1DQ1-A",
                "Delve Goonswarm Federation Pandemic Horde",
                300,
            ),
            battle(
                "b-other",
                "Jita",
                "The Forge Test Alliance Please Ignore",
                50,
            ),
        ])
        .await
        .unwrap();
    // Not visible before the commit.
    assert!(index
        .search(SearchQuery::new("horde"))
        .await
        .unwrap()
        .is_empty());
    index.commit().await.unwrap();
    let hits = index
        .search(SearchQuery::new("pandemc hord 1dq1").kinds(&[DocKind::Battle]))
        .await
        .unwrap();
    let ids: Vec<_> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["b-big", "b-small"]);
}

#[tokio::test]
async fn writing_a_document_again_replaces_it_and_deletes_remove_it() {
    let index = SearchIndex::in_memory(SearchConfig::default()).unwrap();
    index
        .upsert(vec![SearchDoc::entity(
            DocKind::Corporation,
            7,
            "Old Name Inc",
        )])
        .await
        .unwrap();
    index.commit().await.unwrap();
    index
        .upsert(vec![SearchDoc::entity(
            DocKind::Corporation,
            7,
            "New Name Corp",
        )])
        .await
        .unwrap();
    index.commit().await.unwrap();
    assert_eq!(index.num_docs(), 1);
    assert_eq!(first(&index, "old", &[]).await, None);
    assert_eq!(
        first(&index, "new name", &[]).await,
        Some((DocKind::Corporation, "New Name Corp".to_owned()))
    );
    index.delete(DocKind::Corporation, "7").await.unwrap();
    index.commit().await.unwrap();
    assert_eq!(index.num_docs(), 0);
}

#[tokio::test]
async fn an_index_on_disk_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path(), SearchConfig::default()).unwrap();
        index
            .upsert(vec![SearchDoc::entity(
                DocKind::Character,
                2_112_000_001,
                "Chribba",
            )])
            .await
            .unwrap();
        index.commit().await.unwrap();
    }
    let index = SearchIndex::open(dir.path(), SearchConfig::default()).unwrap();
    assert_eq!(
        first(&index, "chriba", &[DocKind::Character]).await,
        Some((DocKind::Character, "Chribba".to_owned()))
    );
}

#[tokio::test]
async fn clustered_battles_and_their_killmails_are_found() {
    use battlescope_core::{cluster, ClusterConfig};
    use battlescope_synth::ScenarioConfig;

    let kills = battlescope_synth::generate(&ScenarioConfig::small(), 7);
    let battles = cluster(&kills, &ClusterConfig::default()).expect("default config is valid");
    let biggest = battles
        .iter()
        .max_by_key(|b| b.killmail_ids.len())
        .expect("the scenario has battles");
    // Names as the ESI cache would give them.
    let names = |id: u64| Some(format!("Name{id}"));
    let index = SearchIndex::in_memory(SearchConfig::default()).unwrap();
    let mut docs: Vec<SearchDoc> = battles
        .iter()
        .map(|b| SearchDoc::battle(b, names))
        .collect();
    docs.extend(kills.iter().map(|km| SearchDoc::killmail(km, names)));
    index.upsert(docs).await.unwrap();
    index.commit().await.unwrap();

    let system = biggest.system_name.clone().expect("a known system");
    let hits = index
        .search(SearchQuery::new(system.clone()).kinds(&[DocKind::Battle]))
        .await
        .unwrap();
    assert_eq!(hits[0].id, biggest.id.to_string(), "{system}: {hits:?}");
    assert_eq!(hits[0].name, system);

    // A killmail by its victim's alliance name.
    let km = kills
        .iter()
        .find(|km| km.victim.alliance_id.is_some())
        .expect("a victim in an alliance");
    let alliance = format!("Name{}", km.victim.alliance_id.unwrap_or_default());
    let hits = index
        .search(SearchQuery {
            limit: 1000,
            ..SearchQuery::new(alliance).kinds(&[DocKind::Killmail])
        })
        .await
        .unwrap();
    assert!(hits.iter().any(|h| h.id == km.killmail_id.to_string()));
}

/// Through the `search` port, as the indexer service uses it: battles of
/// real clustering and entities go in, misspelled names find them, a
/// battle merged away is deleted.
#[tokio::test]
async fn the_port_indexes_what_the_indexer_sends_and_finds_it_misspelled() {
    use battlescope_platform::ports::search::{
        BattleDocument, EntityDocument, EntityKind, HitKind, SearchIndex as Port, SearchQuery as Q,
    };
    let index = SearchIndex::in_memory(SearchConfig::default()).unwrap();
    let port: &dyn Port = &index;
    let kills = battlescope_synth::generate(&battlescope_synth::ScenarioConfig::small(), 3);
    let battles =
        battlescope_core::cluster(&kills, &battlescope_core::ClusterConfig::default()).unwrap();
    let docs: Vec<BattleDocument> = battles.iter().map(BattleDocument::of).collect();
    port.index_battles(&docs).await.unwrap();
    port.index_entities(&[EntityDocument {
        kind: EntityKind::Alliance,
        id: 99_005_338,
        name: "Pandemic Horde".to_owned(),
    }])
    .await
    .unwrap();
    port.commit().await.unwrap();

    let biggest_in_jita = battles
        .iter()
        .filter(|b| b.system_name.as_deref() == Some("Jita"))
        .max_by_key(|b| b.stats.kill_count)
        .expect("the scenario fights in Jita");
    let hits = port
        .search(&Q {
            text: "jitta".to_owned(),
            kinds: vec![HitKind::Battle],
            limit: 5,
        })
        .await
        .unwrap();
    assert_eq!(hits[0].id, biggest_in_jita.id.to_string(), "{hits:?}");
    assert_eq!(hits[0].title, "Jita");
    let hits = port
        .search(&Q {
            text: "pandemik hord".to_owned(),
            kinds: vec![],
            limit: 5,
        })
        .await
        .unwrap();
    assert_eq!(hits[0].kind, HitKind::Entity(EntityKind::Alliance));
    assert_eq!(hits[0].id, "99005338");

    port.delete_battles(&[biggest_in_jita.id]).await.unwrap();
    port.commit().await.unwrap();
    let hits = port
        .search(&Q {
            text: "jita".to_owned(),
            kinds: vec![HitKind::Battle],
            limit: 500,
        })
        .await
        .unwrap();
    assert!(hits.iter().all(|h| h.id != biggest_in_jita.id.to_string()));
}

#[path = "common/search_contract.rs"]
mod search_contract;

/// The port's contract (shared with Typesense) on the embedded index.
mod contract {
    use super::search_contract as c;
    use battlescope_platform::adapters::search::{SearchConfig, SearchIndex};

    fn empty() -> SearchIndex {
        SearchIndex::in_memory(SearchConfig::default()).unwrap()
    }

    #[tokio::test]
    async fn finds_a_misspelt_alliance() {
        c::finds_a_misspelt_alliance(&empty()).await;
    }

    #[tokio::test]
    async fn kinds_limit_the_hits() {
        c::kinds_limit_the_hits(&empty()).await;
    }

    #[tokio::test]
    async fn battles_are_found_by_place_bigger_first() {
        c::battles_are_found_by_place_bigger_first(&empty()).await;
    }

    #[tokio::test]
    async fn a_rewrite_replaces_and_a_delete_removes() {
        c::a_rewrite_replaces_and_a_delete_removes(&empty()).await;
    }

    #[tokio::test]
    async fn an_empty_query_finds_nothing() {
        c::an_empty_query_finds_nothing(&empty()).await;
    }
}
