//! Golden example events, produced by core from a small scenario.
//!
//! Nine killmails in Amamake (and one in Jita), fed to a `Clusterer` in
//! arrival order, give every event type and every update reason but one:
//! a battle is created, grows (appended, out of order), a second battle is
//! created and then merged into the first (updated + deleted), a lone kill
//! elsewhere moves the watermark, and a late kill still joins (late
//! arrival). Each killmail is ingested (one of them from a zKillboard API
//! row, without system or time) and enriched before it is clustered, and
//! the metadata chains every event to its cause.
//!
//! Written to `schemas/examples/`: `events.jsonl` (the whole stream, one
//! event a line), one pretty file per event type, and one per document.
//! The client's round-trip test and core's validation test read them.

use anyhow::{Context as _, Result};
use battlescope_core::battle::KillSummary;
use battlescope_core::events::{
    EntityName, Envelope, Event, EventMetadata, KillmailEnrichedData, KillmailIngestedData,
    NameCategory,
};
use battlescope_core::input::KillmailRef;
use battlescope_core::ruleset::Ruleset;
use battlescope_core::{universe, ClusterConfig, Clusterer, Killmail};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::schemas::pretty;

const AMAMAKE: u32 = 30_002_537;
const JITA: u32 = 30_000_142;
const RIFTER: u32 = 587;
const THORAX: u32 = 627;
const VEXOR: u32 = 626;
const DRAKE: u32 = 24_698;
const HURRICANE: u32 = 24_702;
const HAWK: u32 = 11_379;
const STRATIOS: u32 = 33_470;
const TENGU: u32 = 29_984;
const CAPSULE: u32 = 670;

/// A ruleset for low- and null-sec fleet fights, using both list forms.
const RULESET: &str = r#"{
    "name": "Low and null fleet fights",
    "description": "Player kills with at least three pilots outside high-sec: no awox, no pods or shuttles, not the losses of alliance 99000002.",
    "min_pilots": 3,
    "min_isk": 1000000,
    "unknown_value": "accept",
    "drop_npc": true,
    "drop_awox": true,
    "include": { "security_classes": ["low_sec", "null_sec", "pochven"] },
    "exclude": {
        "alliances": { "side": "victim", "values": [99000002] },
        "ship_classes": ["capsule", "shuttle"]
    }
}"#;

/// A pilot: character, corporation, alliance.
#[derive(Clone, Copy)]
struct Pilot(u64, u64, Option<u64>);

const A1: Pilot = Pilot(2_112_000_001, 98_000_001, Some(99_000_001));
const A2: Pilot = Pilot(2_112_000_002, 98_000_001, Some(99_000_001));
const A3: Pilot = Pilot(2_112_000_003, 98_000_001, Some(99_000_001));
const B1: Pilot = Pilot(2_112_000_011, 98_000_002, Some(99_000_002));
const B2: Pilot = Pilot(2_112_000_012, 98_000_002, Some(99_000_002));
const B3: Pilot = Pilot(2_112_000_013, 98_000_002, Some(99_000_002));
const C1: Pilot = Pilot(2_112_000_021, 98_000_003, None);
const C2: Pilot = Pilot(2_112_000_022, 98_000_003, None);
const D1: Pilot = Pilot(2_112_000_031, 98_000_004, Some(99_000_004));
const D2: Pilot = Pilot(2_112_000_032, 98_000_004, Some(99_000_004));
const E1: Pilot = Pilot(2_112_000_041, 1_000_167, None);

/// Names enrich would resolve for the example ids.
const NAMES: &[(u64, &str, NameCategory)] = &[
    (2_112_000_001, "Arden Vale", NameCategory::Character),
    (2_112_000_002, "Brisa Kell", NameCategory::Character),
    (2_112_000_003, "Corin Dray", NameCategory::Character),
    (2_112_000_011, "Dassa Oru", NameCategory::Character),
    (2_112_000_012, "Eton Maar", NameCategory::Character),
    (2_112_000_013, "Fenn Istvaan", NameCategory::Character),
    (2_112_000_021, "Gale Ostrom", NameCategory::Character),
    (2_112_000_022, "Hale Quorin", NameCategory::Character),
    (2_112_000_031, "Ilse Varn", NameCategory::Character),
    (2_112_000_032, "Joss Teruun", NameCategory::Character),
    (2_112_000_041, "Kestrel Amon", NameCategory::Character),
    (
        98_000_001,
        "Ashen Wake Industries",
        NameCategory::Corporation,
    ),
    (98_000_002, "Black Meridian", NameCategory::Corporation),
    (
        98_000_003,
        "Cold Harbour Salvage",
        NameCategory::Corporation,
    ),
    (98_000_004, "Drifting Lantern", NameCategory::Corporation),
    (1_000_167, "State War Academy", NameCategory::Corporation),
    (1_000_125, "CONCORD", NameCategory::Corporation),
    (99_000_001, "Ashen Compact", NameCategory::Alliance),
    (99_000_002, "Blackwater Accord", NameCategory::Alliance),
    (99_000_004, "Lantern Pact", NameCategory::Alliance),
];

/// One attacker: a pilot in a ship, or an NPC (no pilot).
#[derive(Clone)]
struct Shooter {
    pilot: Option<Pilot>,
    ship: u32,
    final_blow: bool,
}

fn pilot(p: Pilot, ship: u32) -> Shooter {
    Shooter {
        pilot: Some(p),
        ship,
        final_blow: false,
    }
}

fn final_blow(p: Pilot, ship: u32) -> Shooter {
    Shooter {
        pilot: Some(p),
        ship,
        final_blow: true,
    }
}

/// An ESI-shaped 40-hex-digit hash, deterministic per killmail.
fn hash(id: u64) -> String {
    let a = Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("killmail:{id}").as_bytes());
    let b = Uuid::new_v5(&a, b"hash");
    format!("{}{}", a.simple(), &b.simple().to_string()[..8])
}

fn at(hms: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2025-06-14T{hms}Z"))
        .expect("valid example time")
        .with_timezone(&Utc)
}

/// A killmail as ESI and zKillboard would serve it. `value` is zKillboard's
/// total value (`None`: not priced yet).
fn killmail(
    id: u64,
    time: &str,
    system: u32,
    victim: (Pilot, u32),
    attackers: &[Shooter],
    value: Option<f64>,
) -> Result<Killmail> {
    let (v, ship) = victim;
    let attackers: Vec<Value> = attackers
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let damage = 900 - 150 * i64::try_from(i).unwrap_or(0);
            match a.pilot {
                Some(Pilot(character, corporation, alliance)) => {
                    let mut obj = json!({
                        "character_id": character,
                        "corporation_id": corporation,
                        "damage_done": damage,
                        "final_blow": a.final_blow,
                        "security_status": -2.3,
                        "ship_type_id": a.ship,
                        "weapon_type_id": 2_889,
                    });
                    if let Some(alliance) = alliance {
                        obj["alliance_id"] = json!(alliance);
                    }
                    obj
                }
                None => json!({
                    "corporation_id": 1_000_125,
                    "damage_done": damage,
                    "faction_id": 500_002,
                    "final_blow": a.final_blow,
                    "security_status": 0.0,
                    "ship_type_id": a.ship,
                }),
            }
        })
        .collect();
    let mut victim = json!({
        "character_id": v.0,
        "corporation_id": v.1,
        "damage_taken": 2_450,
        "items": [
            { "flag": 27, "item_type_id": 2_889, "quantity_destroyed": 1, "singleton": 0 },
            { "flag": 5, "item_type_id": 21_898, "quantity_dropped": 120, "singleton": 0 }
        ],
        "position": { "x": -1.2345e11, "y": 4.5e9, "z": 2.5e11 },
        "ship_type_id": ship,
    });
    if let Some(alliance) = v.2 {
        victim["alliance_id"] = json!(alliance);
    }
    let npc = attackers.iter().all(|a| a.get("character_id").is_none());
    let h = hash(id);
    let mut zkb = json!({
        "locationID": 40_161_000 + u64::from(system % 1000),
        "hash": h,
        "points": if npc { 1 } else { 8 },
        "npc": npc,
        "solo": attackers.len() == 1,
        "awox": false,
        "labels": if npc { json!(["npc"]) } else { json!(["pvp", "loc:lowsec"]) },
        "href": format!("https://esi.evetech.net/v1/killmails/{id}/{h}/"),
    });
    if let Some(total) = value {
        zkb["fittedValue"] = json!(total * 0.8);
        zkb["droppedValue"] = json!(total * 0.25);
        zkb["destroyedValue"] = json!(total * 0.75);
        zkb["totalValue"] = json!(total);
    }
    let km = json!({
        "killmail_id": id,
        "killmail_time": at(time),
        "solar_system_id": system,
        "victim": victim,
        "attackers": attackers,
        "zkb": zkb,
    });
    serde_json::from_value(km).with_context(|| format!("example killmail {id}"))
}

/// The names enrich resolves for a killmail: pilots, corporations,
/// alliances, the system and the ship types, sorted by id.
fn names_of(km: &Killmail) -> Vec<EntityName> {
    let mut ids: Vec<u64> = Vec::new();
    let v = &km.victim;
    ids.extend(
        v.character_id
            .into_iter()
            .chain(v.corporation_id)
            .chain(v.alliance_id),
    );
    for a in &km.attackers {
        ids.extend(
            a.character_id
                .into_iter()
                .chain(a.corporation_id)
                .chain(a.alliance_id),
        );
    }
    let mut names: Vec<EntityName> = ids
        .into_iter()
        .filter_map(|id| {
            NAMES
                .iter()
                .find(|n| n.0 == id)
                .map(|&(id, name, category)| EntityName {
                    id,
                    name: name.to_owned(),
                    category,
                })
        })
        .collect();
    if let Some(system) = universe::system(km.solar_system_id) {
        names.push(EntityName {
            id: u64::from(km.solar_system_id),
            name: system.name.to_owned(),
            category: NameCategory::SolarSystem,
        });
    }
    let ships =
        std::iter::once(v.ship_type_id).chain(km.attackers.iter().filter_map(|a| a.ship_type_id));
    for ship in ships {
        if let Some(t) = universe::ship_type(ship) {
            names.push(EntityName {
                id: u64::from(ship),
                name: t.name.to_owned(),
                category: NameCategory::InventoryType,
            });
        }
    }
    names.sort_by_key(|n| n.id);
    names.dedup();
    names
}

/// The scenario, in arrival order: (killmail, arrives as a zKillboard API row).
fn scenario() -> Result<Vec<(Killmail, bool)>> {
    let npc = Shooter {
        pilot: None,
        ship: 3_740,
        final_blow: false,
    };
    let concord = Shooter {
        pilot: None,
        ship: 3_740,
        final_blow: true,
    };
    Ok(vec![
        // A battle starts: B1 dies to A1 and A2, then A2 to B2 and B3.
        (
            killmail(
                128_000_001,
                "12:00:00",
                AMAMAKE,
                (B1, RIFTER),
                &[final_blow(A1, THORAX), pilot(A2, RIFTER)],
                Some(12.5e6),
            )?,
            false,
        ),
        (
            killmail(
                128_000_002,
                "12:03:00",
                AMAMAKE,
                (A2, RIFTER),
                &[final_blow(B2, DRAKE), pilot(B3, HURRICANE)],
                Some(13.1e6),
            )?,
            false,
        ),
        // Appended: A1 and A3 (and a rat) kill B2.
        (
            killmail(
                128_000_004,
                "12:06:10",
                AMAMAKE,
                (B2, DRAKE),
                &[final_blow(A1, THORAX), pilot(A3, VEXOR), npc],
                Some(68.0e6),
            )?,
            false,
        ),
        // Out of order: an earlier kill arrives after a later one.
        (
            killmail(
                128_000_005,
                "12:04:30",
                AMAMAKE,
                (B3, HURRICANE),
                &[final_blow(A3, VEXOR), pilot(A1, THORAX)],
                Some(61.0e6),
            )?,
            false,
        ),
        // A second fight nearby in time, with other pilots: a second battle.
        (
            killmail(
                128_000_006,
                "12:20:00",
                AMAMAKE,
                (C1, HAWK),
                &[final_blow(D1, STRATIOS), pilot(D2, STRATIOS)],
                Some(41.7e6),
            )?,
            false,
        ),
        (
            killmail(
                128_000_007,
                "12:22:00",
                AMAMAKE,
                (D2, STRATIOS),
                &[final_blow(C2, TENGU), pilot(C1, CAPSULE)],
                None,
            )?,
            false,
        ),
        // A1 shoots in the second fight: the battles merge.
        (
            killmail(
                128_000_008,
                "12:21:00",
                AMAMAKE,
                (C2, TENGU),
                &[final_blow(A1, THORAX), pilot(D1, STRATIOS)],
                Some(402.0e6),
            )?,
            false,
        ),
        // Hours later, elsewhere, CONCORD: the watermark moves to 12:45.
        (
            killmail(
                128_000_009,
                "18:45:00",
                JITA,
                (E1, CAPSULE),
                std::slice::from_ref(&concord),
                Some(10_000.0),
            )?,
            true,
        ),
        // Late, but the battle is still open: it joins.
        (
            killmail(
                128_000_010,
                "12:24:00",
                AMAMAKE,
                (D1, STRATIOS),
                &[final_blow(A2, RIFTER), pilot(A3, VEXOR)],
                Some(180.0e6),
            )?,
            false,
        ),
        // Hours later: the day's fights fall behind the horizon and are sealed.
        (
            killmail(
                128_000_011,
                "23:59:00",
                JITA,
                (E1, CAPSULE),
                &[concord],
                Some(10_000.0),
            )?,
            false,
        ),
    ])
}

/// The example files: name → bytes.
pub fn generate() -> Result<Vec<(String, Vec<u8>)>> {
    // Keeps sealed battles, so the battle example is there at the end.
    let mut clusterer = Clusterer::new(ClusterConfig::default())?.keep_sealed(true);
    let mut events: Vec<Event> = Vec::new();
    let mut clock = at("12:00:00");
    let mut tick = |kill_time: DateTime<Utc>| {
        clock = (clock + Duration::seconds(1)).max(kill_time + Duration::seconds(45));
        clock
    };
    let mut sample_kill = None;
    for (km, from_api_row) in scenario()? {
        let reference = if from_api_row {
            KillmailIngestedData::from_ref(&KillmailRef {
                killmail_id: km.killmail_id,
                hash: hash(km.killmail_id),
                zkb: km.zkb.clone().unwrap_or_default(),
            })
        } else {
            KillmailIngestedData::from_killmail(&km).context("example killmails have a hash")?
        };
        let ingested: Event =
            Envelope::first(reference, tick(km.killmail_time), "battlescope-ingest").into();
        let enriched: Event = Envelope::new(
            KillmailEnrichedData::new(km.clone(), names_of(&km)),
            tick(km.killmail_time),
            ingested.caused("battlescope-enrich"),
        )
        .into();
        let pushed = clusterer.push(km.clone());
        let battle_events = Event::from_push(
            &pushed,
            &clusterer,
            tick(km.killmail_time),
            &enriched.caused(EventMetadata::CLUSTER_SOURCE),
        )?;
        if km.killmail_id == 128_000_004 {
            sample_kill = Some(km);
        }
        events.push(ingested);
        events.push(enriched);
        events.extend(battle_events);
    }

    let mut files = Vec::new();
    let mut stream = Vec::new();
    for e in &events {
        stream.extend(e.to_json());
        stream.push(b'\n');
    }
    files.push(("events.jsonl".to_owned(), stream));
    // One pretty example per type: the first of each, and the merge update
    // (which shows `absorbed`).
    for t in battlescope_core::events::EventType::ALL {
        let pick = events
            .iter()
            .filter(|e| e.event_type() == t)
            .find(|e| match e {
                Event::BattleUpdated(u) => !u.data.absorbed.is_empty(),
                _ => true,
            });
        let e = pick.with_context(|| format!("the scenario has no {t} event"))?;
        files.push((format!("{t}.json"), pretty(&serde_json::to_value(e)?)));
    }
    let battle = clusterer
        .battles()
        .into_iter()
        .next()
        .context("the scenario ends with a battle")?;
    files.push((
        "battle.json".to_owned(),
        pretty(&serde_json::to_value(&battle)?),
    ));
    let kill = sample_kill.context("the sample kill is in the scenario")?;
    files.push((
        "kill-summary.json".to_owned(),
        pretty(&serde_json::to_value(KillSummary::of(&kill))?),
    ));
    files.push((
        "killmail.json".to_owned(),
        pretty(&serde_json::to_value(&kill)?),
    ));
    files.push((
        "cluster-config.json".to_owned(),
        pretty(&serde_json::to_value(ClusterConfig::default())?),
    ));
    let ruleset = Ruleset::from_json(RULESET)?;
    files.push((
        "ruleset.json".to_owned(),
        pretty(&serde_json::to_value(&ruleset)?),
    ));
    Ok(files)
}
