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
