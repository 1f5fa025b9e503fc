//! Every golden example under `schemas/examples/` (produced by core, see
//! `xtask/src/examples.rs`) decodes through the generated types and encodes
//! back to the same JSON; broken events fail with the error that names the
//! problem.

use std::path::{Path, PathBuf};

use battlescope_client::{decode, DecodeError, Event, EVENT_TYPES};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

fn read(rel: &str) -> Vec<u8> {
    let path = schemas_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn stream() -> Vec<Vec<u8>> {
    read("examples/events.jsonl")
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn assert_round_trip(bytes: &[u8]) -> Event {
    let original: Value = serde_json::from_slice(bytes).unwrap();
    let event = decode(bytes).unwrap_or_else(|e| panic!("{e}\n{original}"));
    let again: Value = serde_json::from_slice(&event.to_json()).unwrap();
    assert_eq!(again, original, "{} changed on the way", event.event_type());
    event
}

#[test]
fn every_example_event_round_trips() {
    let events: Vec<Event> = stream().iter().map(|b| assert_round_trip(b)).collect();
    assert_eq!(events.len(), 28);
    // The stream covers every event type.
    for t in EVENT_TYPES {
        assert!(events.iter().any(|e| e.event_type() == t), "no {t} example");
    }
    // And every update reason.
    let reasons: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::BattleUpdated(u) => Some(u.data.reason.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        ["appended", "out_of_order", "merge", "late_arrival"]
    );
}

#[test]
fn every_pretty_example_round_trips() {
    for t in EVENT_TYPES {
        let event = assert_round_trip(&read(&format!("examples/{t}.json")));
        assert_eq!(event.event_type(), t);
    }
}

fn assert_document_round_trips<T: DeserializeOwned + Serialize>(rel: &str) -> T {
    let original: Value = serde_json::from_slice(&read(rel)).unwrap();
    let doc: T =
        serde_path_to_error::deserialize(original.clone()).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(serde_json::to_value(&doc).unwrap(), original, "{rel}");
    doc
}

#[test]
fn every_example_document_round_trips() {
    let battle: battlescope_client::Battle = assert_document_round_trips("examples/battle.json");
    assert_eq!(battle.stats.kill_count, 8);
    assert!(battle.sides.len() >= 2);
    let km: battlescope_client::Killmail = assert_document_round_trips("examples/killmail.json");
    assert!(
        km.attackers.iter().any(|a| a.character_id.is_none()),
        "has an NPC"
    );
    let summary: battlescope_client::KillSummary =
        assert_document_round_trips("examples/kill-summary.json");
    assert_eq!(summary.killmail_id, km.killmail_id);
    let config: battlescope_client::ClusterConfig =
        assert_document_round_trips("examples/cluster-config.json");
    assert_eq!(config.min_kills.get(), 2);
}

#[test]
fn the_client_knows_exactly_the_event_types_of_the_schemas() {
    let union: Value = serde_json::from_slice(&read("event.schema.json")).unwrap();
    let mut from_schema: Vec<String> = union["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let name = r["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
            union["$defs"][name]["properties"]["eventType"]["const"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    from_schema.sort();
    let mut known: Vec<String> = EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect();
    known.sort();
    assert_eq!(known, from_schema);
}

fn first_of(event_type: &str) -> Value {
    stream()
        .iter()
        .map(|b| serde_json::from_slice::<Value>(b).unwrap())
        .find(|v| v["eventType"] == event_type)
        .unwrap()
}

fn decode_value(v: &Value) -> Result<Event, DecodeError> {
    decode(&serde_json::to_vec(v).unwrap())
}

#[test]
fn unknown_event_types_are_named() {
    let mut v = first_of("battle.created");
    v["eventType"] = json!("battle.renamed");
    let err = decode_value(&v).unwrap_err();
    assert!(
        matches!(&err, DecodeError::UnknownEventType { event_type } if event_type == "battle.renamed"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("unknown eventType `battle.renamed`"),
        "{err}"
    );
}

#[test]
fn unsupported_versions_are_named() {
    let mut v = first_of("battle.updated");
    v["version"] = json!("2");
    let err = decode_value(&v).unwrap_err();
    assert!(
        matches!(&err, DecodeError::UnsupportedVersion { event_type: "battle.updated", version } if version == "2"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "battle.updated version `2` is not supported (this client reads version 1)"
    );
}

#[test]
fn invalid_payloads_name_the_field() {
    let mut v = first_of("battle.updated");
    v["data"]["battle"]["stats"]["killCount"] = json!("many");
    let err = decode_value(&v).unwrap_err();
    match &err {
        DecodeError::InvalidPayload {
            event_type, path, ..
        } => {
            assert_eq!(*event_type, "battle.updated");
            assert_eq!(path, "data.battle.stats.killCount");
        }
        other => panic!("{other:?}"),
    }

    let mut v = first_of("killmail.ingested");
    v["data"].as_object_mut().unwrap().remove("hash");
    let err = decode_value(&v).unwrap_err();
    assert!(err.to_string().contains("missing field `hash`"), "{err}");
    assert!(err.to_string().contains("at `data`"), "{err}");

    let mut v = first_of("battle.deleted");
    v["data"]["mergedInto"] = json!("not-a-uuid");
    let err = decode_value(&v).unwrap_err();
    assert!(err.to_string().contains("data.mergedInto"), "{err}");
}

#[test]
fn broken_envelopes_say_what_is_wrong() {
    assert!(matches!(decode(b"{oops"), Err(DecodeError::NotJson(_))));
    assert!(matches!(
        decode(b"[1, 2]"),
        Err(DecodeError::NotAnObject { found: "an array" })
    ));
    let mut v = first_of("battle.created");
    v.as_object_mut().unwrap().remove("eventType");
    assert!(matches!(
        decode_value(&v),
        Err(DecodeError::MissingField { field: "eventType" })
    ));
    let mut v = first_of("battle.created");
    v["version"] = json!(1);
    assert!(matches!(
        decode_value(&v),
        Err(DecodeError::NotAString {
            field: "version",
            found: "a number"
        })
    ));
}

#[test]
fn unknown_fields_are_tolerated() {
    // Additive changes keep the version: an older client reads newer events.
    let mut v = first_of("battle.created");
    v["data"]["battle"]["newField"] = json!({"added": "later"});
    v["traceparent"] = json!("00-abc-def-01");
    let event = decode_value(&v).unwrap();
    assert_eq!(event.event_type(), "battle.created");
    assert!(event.battle_id().is_some());
}

#[test]
fn the_example_ruleset_round_trips() {
    let ruleset: battlescope_client::Ruleset = assert_document_round_trips("examples/ruleset.json");
    assert_eq!(ruleset.min_pilots, Some(3));
    assert!(matches!(
        ruleset.exclude.alliances,
        Some(battlescope_client::ParticipantListUint64::Object { .. })
    ));
}
