//! What every search index must do, through the port: the embedded index
//! runs these in `tests/search_port.rs`, Typesense in
//! `tests/backend_typesense.rs`. Each function starts from an empty index.

use battlescope_platform::ports::search::{
    BattleDocument, EntityDocument, EntityKind, HitKind, SearchIndex, SearchQuery,
};
use uuid::Uuid;

fn query(text: &str, kinds: &[HitKind], limit: u32) -> SearchQuery {
    SearchQuery {
        text: text.to_owned(),
        kinds: kinds.to_vec(),
        limit,
    }
}

fn entity(kind: EntityKind, id: u64, name: &str) -> EntityDocument {
    EntityDocument {
        kind,
        id,
        name: name.to_owned(),
    }
}

fn battle(id: u128, system: &str, region: &str, kills: u32) -> BattleDocument {
    BattleDocument {
        id: Uuid::from_u128(id),
        system_id: 30_000_142,
        system_name: Some(system.to_owned()),
        region_name: Some(region.to_owned()),
        security_class: Some("highsec".to_owned()),
        start_time: 1_700_000_000,
        end_time: 1_700_000_600,
        kill_count: kills,
        isk_destroyed: 1.0e9,
        alliance_ids: vec![],
        corporation_ids: vec![],
    }
}

/// Index, make visible, and check the index answers.
async fn visible(index: &dyn SearchIndex) {
    index.commit().await.expect("commit");
}

/// A misspelt alliance name finds the alliance, first.
pub async fn finds_a_misspelt_alliance(index: &dyn SearchIndex) {
    index
        .index_entities(&[
            entity(EntityKind::Alliance, 1_354_830_081, "Goonswarm Federation"),
            entity(
                EntityKind::Alliance,
                498_125_261,
                "Test Alliance Please Ignore",
            ),
            entity(EntityKind::Alliance, 99_005_338, "Pandemic Horde"),
        ])
        .await
        .expect("index entities");
    visible(index).await;
    let hits = index
        .search(&query("Pandemc", &[], 5))
        .await
        .expect("search");
    let first = hits
        .first()
        .unwrap_or_else(|| panic!("nothing found: {hits:?}"));
    assert_eq!(first.kind, HitKind::Entity(EntityKind::Alliance));
    assert_eq!(first.id, "99005338");
    assert_eq!(first.title, "Pandemic Horde");
}

/// Asked for characters only, a corporation of the same name is not found.
pub async fn kinds_limit_the_hits(index: &dyn SearchIndex) {
    index
        .index_entities(&[
            entity(EntityKind::Character, 7, "Horde Miner"),
            entity(EntityKind::Corporation, 7, "Horde Miner"),
        ])
        .await
        .expect("index entities");
    visible(index).await;
    let all = index
        .search(&query("Horde Miner", &[], 10))
        .await
        .expect("search");
    assert_eq!(all.len(), 2, "{all:?}");
    let characters = index
        .search(&query(
            "Horde Miner",
            &[HitKind::Entity(EntityKind::Character)],
            10,
        ))
        .await
        .expect("search");
    assert_eq!(characters.len(), 1, "{characters:?}");
    assert_eq!(characters[0].kind, HitKind::Entity(EntityKind::Character));
    assert_eq!(characters[0].id, "7");
}

/// Battles are found by their system and region; the bigger first.
pub async fn battles_are_found_by_place_bigger_first(index: &dyn SearchIndex) {
    index
        .index_battles(&[
            battle(1, "Jita", "The Forge", 5),
            battle(2, "Jita", "The Forge", 50),
            battle(3, "Amarr", "Domain", 80),
        ])
        .await
        .expect("index battles");
    visible(index).await;
    let hits = index
        .search(&query("Jita", &[HitKind::Battle], 10))
        .await
        .expect("search");
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            Uuid::from_u128(2).to_string(),
            Uuid::from_u128(1).to_string()
        ],
        "{hits:?}"
    );
    let by_region = index
        .search(&query("Domian", &[HitKind::Battle], 10))
        .await
        .expect("search");
    assert_eq!(by_region.len(), 1, "{by_region:?}");
    assert_eq!(by_region[0].id, Uuid::from_u128(3).to_string());
}

/// Writing a battle again replaces it; deleting removes it.
pub async fn a_rewrite_replaces_and_a_delete_removes(index: &dyn SearchIndex) {
    index
        .index_battles(&[battle(9, "Amarr", "Domain", 3)])
        .await
        .expect("index");
    visible(index).await;
    index
        .index_battles(&[battle(9, "Dodixie", "Sinq Laison", 4)])
        .await
        .expect("reindex");
    visible(index).await;
    let old = index
        .search(&query("Amarr", &[], 10))
        .await
        .expect("search");
    assert!(old.is_empty(), "the old document is still found: {old:?}");
    let new = index
        .search(&query("Dodixie", &[], 10))
        .await
        .expect("search");
    assert_eq!(new.len(), 1, "{new:?}");
    index
        .delete_battles(&[Uuid::from_u128(9), Uuid::from_u128(404)])
        .await
        .expect("delete (an unknown id is no error)");
    visible(index).await;
    let gone = index
        .search(&query("Dodixie", &[], 10))
        .await
        .expect("search");
    assert!(gone.is_empty(), "a deleted battle is found: {gone:?}");
}

/// Nothing typed finds nothing (not everything).
pub async fn an_empty_query_finds_nothing(index: &dyn SearchIndex) {
    index
        .index_entities(&[entity(EntityKind::System, 30_000_142, "Jita")])
        .await
        .expect("index");
    visible(index).await;
    let hits = index.search(&query("   ", &[], 10)).await.expect("search");
    assert!(hits.is_empty(), "{hits:?}");
}
