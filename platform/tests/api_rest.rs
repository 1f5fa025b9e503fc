//! The REST endpoints of #19 over a store holding generated fights (batch
//! clustered, written through the store port) and an embedded search
//! index, called through the router with `oneshot`. Each answer is checked
//! against what the test computes itself from the same killmails.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use battlescope_core::battle::KillSummary;
use battlescope_core::cluster::{cluster, ClusterConfig};
use battlescope_core::events::{EntityName, NameCategory};
use battlescope_core::intel::{analyze, Entity, IntelConfig};
use battlescope_core::{Battle, Killmail};
use battlescope_platform::adapters::search::{SearchConfig, SearchIndex as Tantivy};
use battlescope_platform::adapters::sqlite::SqliteStore;
use battlescope_platform::api::{router, AppState};
use battlescope_platform::ports::search::{
    BattleDocument, EntityDocument, EntityKind, SearchIndex,
};
use battlescope_platform::ports::store::{BattleChange, Store, WriteBatch};
use battlescope_platform::services::PipelineStats;
use battlescope_synth::{generate, ScenarioConfig};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use uuid::Uuid;

struct World {
    app: axum::Router,
    /// The same routes without a search index.
    bare: axum::Router,
    kills: Vec<Killmail>,
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

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let kills = generate(
        &ScenarioConfig {
            kills: 500,
            ..ScenarioConfig::small()
        },
        21,
    );
    let battles = cluster(&kills, &ClusterConfig::default()).unwrap();
    assert!(battles.len() > 5, "the scenario has battles");
    let store = SqliteStore::open(&dir.path().join("store.db"))
        .await
        .unwrap();
    store
        .write(&WriteBatch {
            killmails: kills
                .iter()
                .map(|k| (k.clone(), KillSummary::of(k), names(k)))
                .collect(),
            battles: battles
                .iter()
                .map(|b| BattleChange::Upsert {
                    battle: Box::new(b.clone()),
                    added: b.killmail_ids.clone(),
                    removed: vec![],
                })
                .collect(),
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
    let store: Arc<dyn Store> = Arc::new(store);
    let state = |search: Option<Arc<dyn SearchIndex>>| AppState {
        store: store.clone(),
        search,
        ready: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        stats: Arc::new(PipelineStats::default()),
    };
    World {
        app: router(state(Some(Arc::new(index)))),
        bare: router(state(None)),
        kills,
        battles,
        _dir: dir,
    }
}

async fn call(
    app: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, headers, body)
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let (status, _, body) = call(app, Request::get(uri).body(Body::empty()).unwrap()).await;
    (status, body)
}

async fn post(app: &axum::Router, uri: &str, body: &str) -> (StatusCode, Value) {
    let request = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap();
    let (status, _, body) = call(app, request).await;
    (status, body)
}

/// A 400 naming `parameter`.
fn assert_names(status: StatusCode, body: &Value, parameter: &str, what: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
    assert_eq!(body["error"]["code"], "bad_parameter", "{what}: {body}");
    assert_eq!(body["error"]["parameter"], parameter, "{what}: {body}");
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

fn kills_of<'a>(world: &'a World, b: &Battle) -> Vec<&'a Killmail> {
    world
        .kills
        .iter()
        .filter(|k| b.killmail_ids.contains(&k.killmail_id))
        .collect()
}

#[tokio::test]
async fn each_timeline_adds_up_to_its_battle_and_sides() {
    let w = world().await;
    for b in &w.battles {
        let (status, t) = get(&w.app, &format!("/api/battles/{}/timeline", b.id)).await;
        assert_eq!(status, StatusCode::OK, "{t}");
        assert_eq!(t["battleId"], b.id.to_string());
        let minutes = t["minutes"].as_array().unwrap();
        let kills: u64 = minutes.iter().map(|m| m["kills"].as_u64().unwrap()).sum();
        assert_eq!(kills, u64::from(b.stats.kill_count), "battle {}", b.id);
        let isk: f64 = minutes
            .iter()
            .map(|m| m["iskDestroyed"].as_f64().unwrap())
            .sum();
        assert!(
            close(isk, b.stats.isk_destroyed),
            "{isk} vs {}",
            b.stats.isk_destroyed
        );
        // Each kill in the minute of its time.
        let mut per_minute: BTreeMap<i64, u64> = BTreeMap::new();
        for k in kills_of(&w, b) {
            *per_minute
                .entry(k.killmail_time.timestamp() / 60 * 60)
                .or_default() += 1;
        }
        let answered: BTreeMap<i64, u64> = minutes
            .iter()
            .map(|m| {
                let at =
                    chrono::DateTime::parse_from_rfc3339(m["minute"].as_str().unwrap()).unwrap();
                (at.timestamp(), m["kills"].as_u64().unwrap())
            })
            .collect();
        assert_eq!(answered, per_minute);
        for side in &b.sides {
            let (losses, isk) = minutes
                .iter()
                .flat_map(|m| m["sides"].as_array().unwrap())
                .filter(|s| s["side"] == side.index)
                .fold((0, 0.0), |(n, v), s| {
                    (
                        n + s["losses"].as_u64().unwrap(),
                        v + s["iskLost"].as_f64().unwrap(),
                    )
                });
            assert_eq!(
                losses,
                u64::from(side.losses),
                "battle {} side {}",
                b.id,
                side.index
            );
            assert!(close(isk, side.isk_lost));
        }
    }
}

#[tokio::test]
async fn participants_are_the_battles_pilots_with_their_losses() {
    let w = world().await;
    for b in &w.battles {
        let (status, body) = get(&w.app, &format!("/api/battles/{}/participants", b.id)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let rows = body["participants"].as_array().unwrap();
        let kills = kills_of(&w, b);
        let pilots: BTreeSet<u64> = kills
            .iter()
            .flat_map(|k| {
                std::iter::once(k.victim.character_id)
                    .chain(k.attackers.iter().map(|a| a.character_id))
            })
            .flatten()
            .collect();
        let listed: BTreeSet<u64> = rows
            .iter()
            .map(|r| r["characterId"].as_u64().unwrap())
            .collect();
        assert_eq!(listed, pilots, "battle {}", b.id);
        let losses: BTreeSet<(u64, u64, u64)> = kills
            .iter()
            .filter_map(|k| {
                Some((
                    k.victim.character_id?,
                    u64::from(k.victim.ship_type_id),
                    k.killmail_id,
                ))
            })
            .collect();
        let answered: BTreeSet<(u64, u64, u64)> = rows
            .iter()
            .flat_map(|r| {
                r["lossKillmailIds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |k| {
                        (
                            r["characterId"].as_u64().unwrap(),
                            r["shipTypeId"].as_u64().unwrap(),
                            k.as_u64().unwrap(),
                        )
                    })
            })
            .collect();
        assert_eq!(answered, losses, "battle {}", b.id);
        for r in rows {
            let c = r["characterId"].as_u64().unwrap();
            assert_eq!(r["characterName"], format!("Pilot {c}"));
            assert_eq!(
                r["lost"],
                !r["lossKillmailIds"].as_array().unwrap().is_empty()
            );
            let side = b
                .sides
                .iter()
                .find(|s| s.pilots.contains(&c))
                .map(|s| s.index);
            assert_eq!(r["side"], json!(side), "pilot {c}");
            if let Some(a) = r["allianceId"].as_u64() {
                assert_eq!(r["allianceName"], alliance_name(a));
            }
        }
    }
}

#[tokio::test]
async fn a_merged_battle_redirects_and_an_unknown_one_is_404() {
    let dir = tempfile::tempdir().unwrap();
    let kills = generate(&ScenarioConfig::small(), 3);
    let battles = cluster(&kills, &ClusterConfig::default()).unwrap();
    let kept = &battles[0];
    let gone = Uuid::from_u128(77);
    let sqlite = SqliteStore::open(&dir.path().join("s.db")).await.unwrap();
    sqlite
        .write(&WriteBatch {
            killmails: kills
                .iter()
                .map(|k| (k.clone(), KillSummary::of(k), vec![]))
                .collect(),
            battles: vec![
                BattleChange::Upsert {
                    battle: Box::new(kept.clone()),
                    added: kept.killmail_ids.clone(),
                    removed: vec![],
                },
                BattleChange::Merged {
                    id: gone,
                    into: kept.id,
                },
            ],
            ..WriteBatch::default()
        })
        .await
        .unwrap();
    let app = router(AppState {
        store: Arc::new(sqlite),
        search: None,
        ready: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        stats: Arc::new(PipelineStats::default()),
    });
    for suffix in ["/timeline", "/participants"] {
        let (status, headers, body) = call(
            &app,
            Request::get(format!("/api/battles/{gone}{suffix}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::PERMANENT_REDIRECT, "{suffix}");
        assert_eq!(
            headers[header::LOCATION],
            format!("/api/battles/{}{suffix}", kept.id)
        );
        assert_eq!(body["mergedInto"], kept.id.to_string());
        let (status, body) = get(
            &app,
            &format!("/api/battles/{}{suffix}", Uuid::from_u128(404)),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error"]["code"], "not_found");
        let (status, body) = get(&app, &format!("/api/battles/not-a-uuid{suffix}")).await;
        assert_names(status, &body, "id", suffix);
        // The survivor answers.
        let (status, body) = get(&app, &format!("/api/battles/{}{suffix}", kept.id)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["battleId"], kept.id.to_string());
    }
}

#[tokio::test]
async fn recent_killmails_page_newest_first_with_their_battles() {
    let w = world().await;
    let battle_of: BTreeMap<u64, Uuid> = w
        .battles
        .iter()
        .flat_map(|b| b.killmail_ids.iter().map(move |k| (*k, b.id)))
        .collect();
    let mut seen: Vec<(i64, u64)> = Vec::new();
    let mut uri = "/api/killmails/recent?limit=37".to_owned();
    loop {
        let (status, page) = get(&w.app, &uri).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["killmails"].as_array().unwrap();
        assert!(items.len() <= 37);
        for item in items {
            let km: Killmail = serde_json::from_value(item["killmail"].clone()).unwrap();
            assert_eq!(item["summary"]["killmailId"], km.killmail_id);
            assert_eq!(
                item["battleId"],
                json!(battle_of.get(&km.killmail_id)),
                "killmail {}",
                km.killmail_id
            );
            seen.push((km.killmail_time.timestamp(), km.killmail_id));
        }
        match page["nextCursor"].as_str() {
            Some(c) => uri = format!("/api/killmails/recent?limit=37&cursor={c}"),
            None => break,
        }
    }
    let mut expected: Vec<(i64, u64)> = w
        .kills
        .iter()
        .map(|k| (k.killmail_time.timestamp(), k.killmail_id))
        .collect();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    expected.dedup();
    assert_eq!(seen, expected);
    let (status, page) = get(&w.app, "/api/killmails/recent").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        page["killmails"].as_array().unwrap().len(),
        50,
        "the default page"
    );
    for (uri, parameter) in [
        ("/api/killmails/recent?limit=501", "limit"),
        ("/api/killmails/recent?limit=0", "limit"),
        ("/api/killmails/recent?cursor=yesterday", "cursor"),
        ("/api/killmails/recent?colour=red", "colour"),
    ] {
        let (status, body) = get(&w.app, uri).await;
        assert_names(status, &body, parameter, uri);
    }
}

#[tokio::test]
async fn entity_pages_carry_core_intel_on_their_recent_battles() {
    let w = world().await;
    let alliance = w
        .battles
        .iter()
        .flat_map(|b| b.sides.iter().flat_map(|s| s.alliances.iter().copied()))
        .next()
        .expect("an alliance on a side");
    let character = w.battles[0].sides[0].pilots[0];
    let corporation = w.battles[0].sides[0].corporations[0];
    for (path, entity, named) in [
        (
            "alliances",
            Entity::Alliance(alliance),
            Some(alliance_name(alliance)),
        ),
        (
            "characters",
            Entity::Character(character),
            Some(format!("Pilot {character}")),
        ),
        ("corporations", Entity::Corporation(corporation), None),
    ] {
        let (status, page) = get(&w.app, &format!("/api/{path}/{}", entity.id())).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        // The store's newest 20 battles with the entity on any killmail.
        let on = |k: &Killmail| entity.is_victim(k) || entity.is_attacker(k);
        let mut recent: Vec<&Battle> = w
            .battles
            .iter()
            .filter(|b| kills_of(&w, b).into_iter().any(on))
            .collect();
        recent.sort_by_key(|b| std::cmp::Reverse((b.start_time, b.id.to_string())));
        recent.truncate(20);
        let recent: Vec<Battle> = recent.into_iter().cloned().collect();
        let ids: Vec<String> = recent.iter().map(|b| b.id.to_string()).collect();
        let answered: Vec<String> = page["recentBattles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(answered, ids, "{entity}");
        let report =
            serde_json::to_value(analyze(entity, &recent, &w.kills, &IntelConfig::default()))
                .unwrap();
        assert_eq!(page["summary"], report["summary"], "{entity}");
        assert_eq!(page["ships"], report["ships"], "{entity}");
        assert_eq!(page["opponents"], report["opponents"], "{entity}");
        assert!(page["summary"]["battles"].as_u64().unwrap() > 0, "{entity}");
        assert_eq!(page["entity"], serde_json::to_value(entity).unwrap());
        assert_eq!(page["name"], json!(named), "{entity}");
    }
    let (status, body) = get(&w.app, "/api/alliances/424242").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    for uri in [
        "/api/alliances/goons",
        "/api/corporations/0",
        "/api/characters/-3",
    ] {
        let (status, body) = get(&w.app, uri).await;
        assert_names(status, &body, "id", uri);
    }
}

/// `name` with its second and third letters swapped (one edit).
fn misspelt(name: &str) -> String {
    let mut c: Vec<char> = name.chars().collect();
    c.swap(1, 2);
    c.into_iter().collect()
}

#[tokio::test]
async fn search_finds_battles_and_alliances_by_misspelt_names() {
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
    let typo = misspelt(&name);
    assert_ne!(typo, name);
    let (status, body) = get(
        &w.app,
        &format!("/api/search?q={typo}&kinds=battle&limit=100"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hits = body["hits"].as_array().unwrap();
    assert!(
        hits.iter()
            .all(|h| h["kind"] == "battle" && h["title"] == name.as_str()),
        "{body}"
    );
    let found: BTreeSet<&str> = hits.iter().map(|h| h["id"].as_str().unwrap()).collect();
    let expected: BTreeSet<String> = w
        .battles
        .iter()
        .filter(|o| o.system_name.as_deref() == Some(name.as_str()))
        .map(|o| o.id.to_string())
        .collect();
    assert_eq!(found, expected.iter().map(String::as_str).collect());

    let alliance = b.sides[0].alliances[0];
    let typo = misspelt(&alliance_name(alliance)).replace(' ', "+");
    let (status, body) = get(&w.app, &format!("/api/search?q={typo}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["hits"][0]["kind"], "alliance", "{body}");
    assert_eq!(body["hits"][0]["id"], alliance.to_string(), "{body}");

    for (uri, parameter) in [
        ("/api/search", "q"),
        ("/api/search?q=+++", "q"),
        ("/api/search?q=jita&kinds=planet", "kinds"),
        ("/api/search?q=jita&limit=101", "limit"),
        ("/api/search?q=jita&sort=new", "sort"),
    ] {
        let (status, body) = get(&w.app, uri).await;
        assert_names(status, &body, parameter, uri);
    }
    let (status, body) = get(&w.bare, "/api/search?q=jita").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "search_unavailable");
}

#[tokio::test]
async fn the_battle_search_filters_like_the_list_and_narrows_by_text() {
    let w = world().await;
    let system = w.battles[0].system_id;
    // The filters alone: the list's answer, page by page.
    let mut from_list = Vec::new();
    let mut uri = format!("/api/battles?system={system}&minKills=2&limit=2");
    loop {
        let (status, page) = get(&w.app, &uri).await;
        assert_eq!(status, StatusCode::OK);
        from_list.extend(
            page["battles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["id"].clone()),
        );
        match page["nextCursor"].as_str() {
            Some(c) => uri = format!("/api/battles?system={system}&minKills=2&limit=2&cursor={c}"),
            None => break,
        }
    }
    let mut from_search = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let body = json!({ "system": system, "minKills": 2, "limit": 2, "cursor": cursor });
        let (status, page) = post(&w.app, "/api/search/battles", &body.to_string()).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        from_search.extend(
            page["battles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["id"].clone()),
        );
        cursor = page["nextCursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    let expected: Vec<Value> = {
        let mut mine: Vec<&Battle> = w.battles.iter().filter(|b| b.system_id == system).collect();
        mine.sort_by_key(|b| std::cmp::Reverse((b.start_time, b.id.to_string())));
        mine.iter().map(|b| json!(b.id.to_string())).collect()
    };
    assert_eq!(from_list, expected);
    assert_eq!(from_search, expected);

    // Min ISK: only battles that destroyed that much.
    let median = {
        let mut isk: Vec<f64> = w.battles.iter().map(|b| b.stats.isk_destroyed).collect();
        isk.sort_by(f64::total_cmp);
        isk[isk.len() / 2]
    };
    let (status, page) = post(
        &w.app,
        "/api/search/battles",
        &json!({ "minIsk": median, "limit": 500 }).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let rich: BTreeSet<String> = page["battles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect();
    let expected: BTreeSet<String> = w
        .battles
        .iter()
        .filter(|b| b.stats.isk_destroyed >= median)
        .map(|b| b.id.to_string())
        .collect();
    assert_eq!(rich, expected);

    // A misspelt system name: the battles of that system, newest first.
    let b = w
        .battles
        .iter()
        .find(|b| {
            b.system_name
                .as_deref()
                .is_some_and(|n| n.len() >= 5 && n.chars().all(|c| c.is_ascii_alphabetic()))
        })
        .expect("a plain system name");
    let name = b.system_name.clone().unwrap();
    let (status, page) = post(
        &w.app,
        "/api/search/battles",
        &json!({ "q": misspelt(&name) }).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let found: Vec<&Value> = page["battles"].as_array().unwrap().iter().collect();
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|f| f["systemName"] == name.as_str()),
        "{page}"
    );
    assert_eq!(
        found.len(),
        w.battles
            .iter()
            .filter(|o| o.system_name.as_deref() == Some(name.as_str()))
            .count()
    );

    for (body, field) in [
        (r#"{"minKills": "many"}"#, "minKills"),
        (r#"{"colour": "red"}"#, "colour"),
        (r#"{"limit": 501}"#, "limit"),
        (r#"{"since": "last week"}"#, "since"),
        (r#"{"q": "  "}"#, "q"),
        ("not json", "body"),
    ] {
        let (status, answer) = post(&w.app, "/api/search/battles", body).await;
        assert_names(status, &answer, field, body);
    }
    let (status, body) = post(&w.bare, "/api/search/battles", r#"{"q": "jita"}"#).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}
