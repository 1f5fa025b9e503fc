//! Bus events: clusterer events convert into envelopes without loss, a
//! consumer rebuilds every battle from the envelopes alone, and every event
//! validates against the checked-in JSON Schemas — which reject broken ones.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use battlescope_core::cluster::{BattleChange, ClusterConfig, Clusterer};
use battlescope_core::events::schema::{schema_files, SchemaKind};
use battlescope_core::events::{
    Envelope, Event, EventMetadata, EventType, KillmailEnrichedData, KillmailIngestedData,
};
use battlescope_core::{Battle, Killmail};
use battlescope_synth::{arrival_order, generate, ScenarioConfig};
use chrono::{DateTime, Utc};
use jsonschema::Validator;
use proptest::prelude::*;
use serde_json::{json, Value};
use uuid::Uuid;

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

fn read_json(rel: &str) -> Value {
    let path = schemas_dir().join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A validator for a checked-in schema file, with format checks (uuid,
/// date-time) on.
fn validator(file: &str) -> Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&read_json(file))
        .unwrap_or_else(|e| panic!("{file} is not a valid schema: {e}"))
}

fn errors(v: &Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000 + secs, 0).unwrap()
}

fn meta(source: &str) -> EventMetadata {
    let id = Uuid::from_u128(7);
    EventMetadata {
        correlation_id: id,
        causation_id: id,
        source: source.to_owned(),
    }
}

/// Feed `stream` one killmail at a time; return every clusterer event,
/// every bus event built from them, and the battles sealed on the way.
fn run(
    stream: &[Killmail],
    config: ClusterConfig,
) -> (Vec<BattleChange>, Vec<Event>, Clusterer, Vec<Battle>) {
    let mut clusterer = Clusterer::new(config).unwrap();
    let mut raw = Vec::new();
    let mut bus = Vec::new();
    let mut sealed = Vec::new();
    for (i, km) in stream.iter().enumerate() {
        let pushed = clusterer.push(km.clone());
        let events = Event::from_push(&pushed, &clusterer, at(i as i64), &meta("test")).unwrap();
        assert_eq!(events.len(), pushed.events.len());
        raw.extend(pushed.events.iter().cloned());
        bus.extend(events);
        sealed.extend(pushed.sealed);
    }
    (raw, bus, clusterer, sealed)
}

/// What a consumer that keeps only the bus events knows: battle id → document.
fn consume(events: &[Event]) -> BTreeMap<Uuid, Battle> {
    let mut store = BTreeMap::new();
    for e in events {
        match e {
            Event::BattleCreated(c) => {
                assert!(store
                    .insert(c.data.battle.id, c.data.battle.clone())
                    .is_none());
            }
            Event::BattleUpdated(u) => {
                let known = u.data.previous_id.unwrap_or(u.data.battle.id);
                let old: Battle = store.remove(&known).expect("known battle");
                assert!(
                    u.data.battle.stats.kill_count > old.stats.kill_count,
                    "killCount orders a battle's events"
                );
                store.insert(u.data.battle.id, u.data.battle.clone());
            }
            Event::BattleDeleted(d) => {
                assert!(store.remove(&d.data.battle_id).is_some());
                let into = d.data.merged_into.expect("a live feed only merges");
                assert!(store.contains_key(&into));
            }
            Event::BattleSealed(s) => {
                assert_eq!(store.get(&s.data.battle.id), Some(&s.data.battle));
            }
            _ => {}
        }
    }
    store
}

fn check_stream(stream: &[Killmail], config: ClusterConfig) {
    let (raw, bus, clusterer, sealed) = run(stream, config.clone());
    // Lossless: every bus event gives its clusterer event back, and
    // survives JSON.
    assert_eq!(raw.len(), bus.len());
    for (r, e) in raw.iter().zip(&bus) {
        assert_eq!(e.to_battle_change().as_ref(), Some(r));
        assert_eq!(&Event::from_json(&e.to_json()).unwrap(), e);
    }
    // Self-contained: the documents in the events are the final battles.
    let mut expected: BTreeMap<Uuid, Battle> =
        clusterer.battles().into_iter().map(|b| (b.id, b)).collect();
    expected.extend(sealed.into_iter().map(|b| (b.id, b)));
    assert_eq!(consume(&bus), expected);
    // Ids: distinct within a stream, equal on replay.
    let ids: HashSet<Uuid> = bus.iter().map(Event::event_id).collect();
    assert_eq!(ids.len(), bus.len(), "event ids are distinct");
    let (_, again, _, _) = run(stream, config);
    assert_eq!(
        again.iter().map(Event::event_id).collect::<Vec<_>>(),
        bus.iter().map(Event::event_id).collect::<Vec<_>>()
    );
}

#[test]
fn realistic_streams_convert_without_loss() {
    for seed in [1, 2, 3] {
        let kms = generate(&ScenarioConfig::small(), seed);
        check_stream(&arrival_order(&kms, 0.1, seed), ClusterConfig::default());
    }
}

#[test]
fn sealed_battles_still_get_their_documents() {
    // A short lateness seals battles while the stream goes on.
    let config =
        ClusterConfig::default().with_allowed_lateness(std::time::Duration::from_secs(600));
    let kms = generate(&ScenarioConfig::small(), 11);
    check_stream(&kms, config);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn any_arrival_order_converts_without_loss(seed in any::<u64>(), order in any::<u64>()) {
        let kms = generate(&ScenarioConfig::small(), seed);
        check_stream(&arrival_order(&kms, 0.1, order), ClusterConfig::default());
    }
}

#[test]
fn a_document_that_does_not_fit_is_refused() {
    let kms = generate(&ScenarioConfig::small(), 5);
    let mut clusterer = Clusterer::new(ClusterConfig::default()).unwrap();
    let mut checked = 0;
    for km in kms {
        let pushed = clusterer.push(km);
        for e in &pushed.events {
            let doc = clusterer.battle(e.battle_id());
            match e {
                BattleChange::Created(_) | BattleChange::Updated(_) => {
                    let missing = Event::from_battle_change(e, None, at(0), meta("t")).unwrap_err();
                    assert_eq!((missing.kind(), missing.field()), ("event", Some("battle")));
                    assert!(
                        missing
                            .to_string()
                            .starts_with(&format!("battle {}: no document", e.battle_id())),
                        "{missing}"
                    );
                    let Some(mut doc) = doc else { continue };
                    doc.system_id += 1;
                    let err = Event::from_battle_change(e, Some(&doc), at(0), meta("t"));
                    let err = err.unwrap_err();
                    assert_eq!(
                        (err.kind(), err.field()),
                        ("event", Some("systemId")),
                        "{err}"
                    );
                    doc.system_id -= 1;
                    doc.killmail_ids.retain(|_| false);
                    let err = Event::from_battle_change(e, Some(&doc), at(0), meta("t"));
                    let err = err.unwrap_err();
                    assert_eq!(
                        (err.kind(), err.field()),
                        ("event", Some("killmailIds")),
                        "{err}"
                    );
                    checked += 1;
                }
                BattleChange::Deleted(_) => {
                    assert!(Event::from_battle_change(e, None, at(0), meta("t")).is_ok());
                }
                _ => {}
            }
        }
    }
    assert!(checked > 10);
}

#[test]
fn killmail_events_carry_reference_and_body() {
    let km = generate(&ScenarioConfig::small(), 2).remove(0);
    let reference = KillmailIngestedData::from_killmail(&km).expect("synth kills have a hash");
    assert_eq!(reference.solar_system_id, Some(km.solar_system_id));
    let ingested: Event = Envelope::first(reference, at(1), "ingest").into();
    assert_eq!(ingested.metadata().correlation_id, ingested.event_id());
    assert_eq!(ingested.partition_key(), km.solar_system_id.to_string());
    let enriched: Event = Envelope::new(
        KillmailEnrichedData::new(km.clone(), Vec::new()),
        at(2),
        ingested.caused("enrich"),
    )
    .into();
    assert_eq!(enriched.metadata().correlation_id, ingested.event_id());
    assert_eq!(enriched.metadata().causation_id, ingested.event_id());
    let Event::KillmailEnriched(e) = &enriched else {
        unreachable!()
    };
    assert_eq!(e.data.killmail, km);
    assert_eq!(e.data.summary.killmail_id, km.killmail_id);
    // Same killmail, same ids: ingest and enrich are idempotent on replay.
    let again: Event = Envelope::new(
        KillmailEnrichedData::new(km, Vec::new()),
        at(9),
        ingested.caused("enrich"),
    )
    .into();
    assert_eq!(again.event_id(), enriched.event_id());
    assert_ne!(enriched.event_id(), ingested.event_id());
}

#[test]
fn decoding_names_unknown_types_and_versions() {
    let example = read_json("examples/battle.deleted.json");
    let decode = |v: &Value| Event::from_json(&serde_json::to_vec(v).unwrap());
    assert_eq!(
        decode(&example).unwrap().event_type(),
        EventType::BattleDeleted
    );
    let mut v = example.clone();
    v["eventType"] = json!("battle.renamed");
    let err = decode(&v).unwrap_err().to_string();
    assert!(err.contains("unknown eventType `battle.renamed`"), "{err}");
    let mut v = example.clone();
    v["version"] = json!("2");
    let err = decode(&v).unwrap_err().to_string();
    assert!(err.contains("version `2` is not supported"), "{err}");
    let mut v = example;
    v["data"]["mergedInto"] = json!(5);
    let err = decode(&v).unwrap_err().to_string();
    assert!(err.starts_with("event JSON: battle.deleted: "), "{err}");
    // An envelope of one type does not read as another.
    let created = read_json("examples/battle.created.json");
    let err =
        serde_json::from_value::<Envelope<battlescope_core::events::BattleDeletedData>>(created)
            .unwrap_err()
            .to_string();
    assert!(err.contains("expected eventType `battle.deleted`"), "{err}");
}

// --- schemas ----------------------------------------------------------------

#[test]
fn the_checked_in_schemas_are_current() {
    for f in schema_files() {
        let committed = read_json(&f.file_name());
        assert!(
            committed == f.schema,
            "schemas/{} is out of date: run `cargo run -p xtask -- schemas`",
            f.file_name()
        );
        assert_eq!(committed["$id"], f.id());
        assert!(f.id().contains("/v1/"));
    }
}

#[test]
fn every_example_validates() {
    let any = validator("event.schema.json");
    let stream = std::fs::read_to_string(schemas_dir().join("examples/events.jsonl")).unwrap();
    let mut per_type: BTreeMap<String, usize> = BTreeMap::new();
    for line in stream.lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        let t = event["eventType"].as_str().unwrap().to_owned();
        assert_eq!(errors(&any, &event), Vec::<String>::new(), "{t}");
        let own = validator(&format!("{t}.schema.json"));
        assert_eq!(errors(&own, &event), Vec::<String>::new(), "{t}");
        *per_type.entry(t).or_default() += 1;
    }
    assert_eq!(per_type.len(), EventType::ALL.len());
    for f in schema_files()
        .iter()
        .filter(|f| f.kind == SchemaKind::Document)
    {
        let example = read_json(&format!("examples/{}.json", f.name));
        let v = validator(&f.file_name());
        assert_eq!(errors(&v, &example), Vec::<String>::new(), "{}", f.name);
    }
}

#[test]
fn freshly_made_events_validate() {
    let any = validator("event.schema.json");
    let kms = generate(&ScenarioConfig::small(), 4);
    let (_, bus, _, _) = run(&arrival_order(&kms, 0.0, 4), ClusterConfig::default());
    assert!(bus.len() > 20);
    for e in &bus {
        let v = serde_json::to_value(e).unwrap();
        assert_eq!(errors(&any, &v), Vec::<String>::new(), "{}", e.event_type());
    }
    for km in kms.iter().take(50) {
        let enriched: Event = Envelope::first(
            KillmailEnrichedData::new(km.clone(), Vec::new()),
            at(0),
            "enrich",
        )
        .into();
        let v = serde_json::to_value(&enriched).unwrap();
        assert_eq!(errors(&any, &v), Vec::<String>::new());
    }
}

/// Break a valid example with `f`; both the union and the type's own
/// schema must reject it.
fn assert_rejected(file: &str, what: &str, f: impl FnOnce(&mut Value)) {
    let mut v = read_json(&format!("examples/{file}"));
    f(&mut v);
    for schema in [
        "event.schema.json".to_owned(),
        file.replace(".json", ".schema.json"),
    ] {
        let errs = errors(&validator(&schema), &v);
        assert!(!errs.is_empty(), "{schema} accepted {what}");
    }
}

#[test]
fn broken_events_are_rejected() {
    assert_rejected("battle.created.json", "a missing field", |v| {
        v["data"]["battle"]["stats"]
            .as_object_mut()
            .unwrap()
            .remove("killCount");
    });
    assert_rejected("battle.updated.json", "a wrong type", |v| {
        v["data"]["battle"]["stats"]["killCount"] = json!("seven");
    });
    assert_rejected("battle.updated.json", "an unknown reason", |v| {
        v["data"]["reason"] = json!("because");
    });
    assert_rejected("battle.updated.json", "an unknown ship class", |v| {
        v["data"]["battle"]["stats"]["shipsLost"]["starship"] = json!(1);
    });
    assert_rejected("battle.deleted.json", "a malformed uuid", |v| {
        v["data"]["mergedInto"] = json!("e3ca20c2");
    });
    assert_rejected("killmail.ingested.json", "a malformed time", |v| {
        v["timestamp"] = json!("yesterday");
    });
    assert_rejected("killmail.ingested.json", "a negative id", |v| {
        v["data"]["killmailId"] = json!(-1);
    });
    assert_rejected("killmail.enriched.json", "a killmail without victim", |v| {
        v["data"]["killmail"]
            .as_object_mut()
            .unwrap()
            .remove("victim");
    });
    assert_rejected("battle.created.json", "null for a required document", |v| {
        v["data"]["battle"] = Value::Null;
    });
    assert_rejected("battle.created.json", "another version", |v| {
        v["version"] = json!("2");
    });
    assert_rejected("battle.created.json", "a missing envelope field", |v| {
        v.as_object_mut().unwrap().remove("metadata");
    });
}

#[test]
fn unknown_event_types_are_rejected() {
    let mut v = read_json("examples/battle.created.json");
    v["eventType"] = json!("battle.renamed");
    assert!(!errors(&validator("event.schema.json"), &v).is_empty());
    assert!(!errors(&validator("battle.created.schema.json"), &v).is_empty());
    // Data of one type under another type's name is rejected too.
    let mut v = read_json("examples/battle.deleted.json");
    v["eventType"] = json!("battle.created");
    assert!(!errors(&validator("event.schema.json"), &v).is_empty());
}

#[test]
fn additive_changes_stay_valid() {
    // Unknown fields are allowed (the version policy relies on it).
    let mut v = read_json("examples/battle.updated.json");
    v["data"]["battle"]["headline"] = json!("Amamake brawl");
    v["traceparent"] = json!("00-abc-def-01");
    assert!(errors(&validator("event.schema.json"), &v).is_empty());
}

#[test]
fn cluster_config_durations_are_text_or_seconds() {
    let v = validator("cluster-config.schema.json");
    for ok in [
        json!({}),
        json!({"max_gap": "20m"}),
        json!({"max_gap": 600, "min_kills": 3}),
    ] {
        assert!(errors(&v, &ok).is_empty(), "{ok}");
        serde_json::from_value::<ClusterConfig>(ok).unwrap();
    }
    for bad in [
        json!({"max_gap": true}),
        json!({"max_gap": 0}),
        json!({"min_kills": 0}),
        json!({"window": "1h"}),
    ] {
        assert!(!errors(&v, &bad).is_empty(), "{bad}");
    }
}
