//! The embedded universe tables through the public API.

use battlescope_core::universe::{
    rounded_security, ship_type, ship_types, system, systems, SecurityClass, ShipClass, ShipType,
    SolarSystem, SDE_VERSION,
};

const JITA: u32 = 30_000_142;
const TAMA: u32 = 30_002_813;
const ONE_DQ: u32 = 30_004_759;
const THERA: u32 = 31_000_005;
const KUHARAH: u32 = 30_000_021;

#[test]
fn table_sizes_are_pinned() {
    assert_eq!(SDE_VERSION, "126.6.18");
    assert_eq!(systems().len(), 8436);
    assert_eq!(ship_types().len(), 7662);
}

#[test]
fn jita_row() {
    let jita = system(JITA).expect("Jita");
    assert_eq!(
        *jita,
        SolarSystem {
            id: JITA,
            name: "Jita",
            constellation_id: 20_000_020,
            region_id: 10_000_002,
            region_name: "The Forge",
            security: 0.945_913_116_665,
        }
    );
    assert_eq!(jita.security_class(), SecurityClass::HighSec);
    assert!((jita.rounded_security() - 0.9).abs() < 1e-12);
}

#[test]
fn known_system_rows() {
    let row = |id| {
        let s = system(id).unwrap_or_else(|| panic!("system {id}"));
        (s.name, s.constellation_id, s.region_id, s.region_name)
    };
    assert_eq!(row(TAMA), ("Tama", 20_000_412, 10_000_033, "The Citadel"));
    assert_eq!(row(ONE_DQ), ("1DQ1-A", 20_000_696, 10_000_060, "Delve"));
    assert_eq!(row(THERA), ("Thera", 21_000_324, 11_000_031, "G-R00031"));
    assert_eq!(row(KUHARAH), ("Kuharah", 20_000_788, 10_000_070, "Pochven"));
    assert_eq!(
        row(30_100_000),
        ("Zarzakh", 20_010_000, 10_001_000, "Yasna Zakh")
    );
    assert_eq!(row(32_000_001), ("AD001", 22_000_001, 12_000_001, "ADR01"));
    // A name that YAML would read as a number.
    assert_eq!(system(30_003_270).map(|s| s.name), Some("6E-578"));
    assert!(
        (system(TAMA).map_or(f64::NAN, |s| s.security) - 0.282_555_688_333_796_9).abs() < 1e-15
    );
}

#[test]
fn security_classes_of_known_systems() {
    assert_eq!(SecurityClass::of_system(JITA), Some(SecurityClass::HighSec));
    assert_eq!(SecurityClass::of_system(TAMA), Some(SecurityClass::LowSec));
    assert_eq!(
        SecurityClass::of_system(ONE_DQ),
        Some(SecurityClass::NullSec)
    );
    assert_eq!(
        SecurityClass::of_system(THERA),
        Some(SecurityClass::Wormhole)
    );
    assert_eq!(
        SecurityClass::of_system(31_000_001),
        Some(SecurityClass::Wormhole)
    );
    assert_eq!(
        SecurityClass::of_system(KUHARAH),
        Some(SecurityClass::Pochven)
    );
    assert_eq!(
        SecurityClass::of_system(30_100_000),
        Some(SecurityClass::NullSec)
    );
    assert_eq!(
        SecurityClass::of_system(32_000_001),
        Some(SecurityClass::Abyssal)
    );
    // Hophib (Aridia, true security 0.029) shows 0.1 in game: low-sec.
    assert_eq!(
        SecurityClass::of_system(30_004_309),
        Some(SecurityClass::LowSec)
    );
}

#[test]
fn ranges_classify_ids_missing_from_the_table() {
    assert!(system(31_999_999).is_none());
    assert_eq!(
        SecurityClass::of_system(31_999_999),
        Some(SecurityClass::Wormhole)
    );
    assert!(system(32_999_999).is_none());
    assert_eq!(
        SecurityClass::of_system(32_999_999),
        Some(SecurityClass::Abyssal)
    );
    assert_eq!(
        SecurityClass::of_system(u32::MAX),
        Some(SecurityClass::Abyssal)
    );
}

#[test]
fn unknown_ids_are_none() {
    for id in [0, 1, 29_999_999, 30_000_000, 30_999_999] {
        assert!(system(id).is_none(), "{id}");
        assert_eq!(SecurityClass::of_system(id), None, "{id}");
    }
    for id in [0, 1, 34, 2_000_000_000, u32::MAX] {
        assert!(ship_type(id).is_none(), "{id}");
        assert_eq!(ShipClass::of_type(id), None, "{id}");
    }
}

#[test]
fn security_rounding_edges() {
    use SecurityClass::{HighSec, LowSec, NullSec};
    for (sec, class) in [
        (1.0, HighSec),
        (0.5, HighSec),
        (0.45, HighSec),
        (0.449_999, LowSec),
        (0.05, LowSec),
        // Positive security always shows at least 0.1 (see `rounded_security`).
        (0.04, LowSec),
        (0.0, NullSec),
        (-0.04, NullSec),
        (-0.5, NullSec),
        (-1.0, NullSec),
        (f64::NAN, NullSec),
    ] {
        assert_eq!(SecurityClass::from_security(sec), class, "{sec}");
    }
    assert!((rounded_security(0.45) - 0.5).abs() < 1e-12);
    assert!((rounded_security(0.05) - 0.1).abs() < 1e-12);
    assert!((rounded_security(0.04) - 0.1).abs() < 1e-12);
    assert!(rounded_security(-0.04).abs() < 1e-12);
}

#[test]
fn every_system_has_a_class_and_the_counts_are_pinned() {
    let mut counts = std::collections::BTreeMap::new();
    for s in systems() {
        assert_eq!(
            SecurityClass::of_system(s.id),
            Some(s.security_class()),
            "{}",
            s.name
        );
        assert_eq!(system(s.id), Some(s));
        *counts.entry(s.security_class()).or_insert(0_usize) += 1;
    }
    let counts: Vec<_> = counts.into_iter().collect();
    assert_eq!(
        counts,
        vec![
            (SecurityClass::HighSec, 1_193),
            (SecurityClass::LowSec, 687),
            (SecurityClass::NullSec, 3_525),
            (SecurityClass::Wormhole, 2_604),
            (SecurityClass::Pochven, 27),
            (SecurityClass::Abyssal, 400),
        ]
    );
}

#[test]
fn security_class_names() {
    assert_eq!(SecurityClass::HighSec.to_string(), "high_sec");
    assert_eq!(
        "pochven".parse::<SecurityClass>(),
        Ok(SecurityClass::Pochven)
    );
    let err = "High-Sec".parse::<SecurityClass>().unwrap_err();
    let message = err.to_string();
    assert!(message.contains("\"High-Sec\""), "{message}");
    assert!(
        message.contains("high_sec, low_sec, null_sec, wormhole, pochven, abyssal"),
        "{message}"
    );
    assert_eq!(
        serde_json::to_string(&SecurityClass::NullSec)
            .ok()
            .as_deref(),
        Some("\"null_sec\"")
    );
    assert_eq!(
        serde_json::from_str::<SecurityClass>("\"wormhole\"").ok(),
        Some(SecurityClass::Wormhole)
    );
    assert!(serde_json::from_str::<SecurityClass>("\"WORMHOLE\"").is_err());
}

#[test]
fn known_ship_rows() {
    assert_eq!(
        ship_type(587),
        Some(&ShipType {
            id: 587,
            name: "Rifter",
            group_id: 25,
            group_name: "Frigate",
            category_id: 6,
        })
    );
    let row = |id| {
        let t = ship_type(id).unwrap_or_else(|| panic!("type {id}"));
        (t.name, t.group_id, t.group_name, t.category_id)
    };
    assert_eq!(row(35_832), ("Astrahus", 1657, "Citadel", 65));
    assert_eq!(
        row(2233),
        ("Customs Office", 1025, "Orbital Infrastructure", 46)
    );
    assert_eq!(
        row(12_198),
        (
            "Mobile Small Warp Disruptor I",
            361,
            "Mobile Warp Disruptor",
            22
        )
    );
    assert_eq!(
        row(33_328),
        (
            "Capsule - Genolution 'Auroral' 197-variant",
            29,
            "Capsule",
            6
        )
    );
}

#[test]
fn ship_classes_of_known_hulls() {
    for (id, name, class) in [
        (587, "Rifter", ShipClass::Frigate),
        (16_240, "Catalyst", ShipClass::Destroyer),
        (22_456, "Sabre", ShipClass::Destroyer),
        (11_987, "Guardian", ShipClass::Cruiser),
        (24_698, "Drake", ShipClass::Battlecruiser),
        (638, "Raven", ShipClass::Battleship),
        (670, "Capsule", ShipClass::Capsule),
        (
            33_328,
            "Capsule - Genolution 'Auroral' 197-variant",
            ShipClass::Capsule,
        ),
        (11_567, "Avatar", ShipClass::Titan),
        (23_913, "Nyx", ShipClass::Supercapital),
        (23_757, "Archon", ShipClass::Capital),
        (28_352, "Rorqual", ShipClass::Capital),
        (32_880, "Venture", ShipClass::Mining),
        (33_697, "Prospect", ShipClass::Mining),
        (37_135, "Endurance", ShipClass::Mining),
        (35_832, "Astrahus", ShipClass::Structure),
        (601, "Ibis", ShipClass::Corvette),
        (28_606, "Orca", ShipClass::Industrial),
        (34_328, "Bowhead", ShipClass::Industrial),
        (2233, "Customs Office", ShipClass::Structure),
        (
            12_198,
            "Mobile Small Warp Disruptor I",
            ShipClass::Deployable,
        ),
    ] {
        assert_eq!(ship_type(id).map(|t| t.name), Some(name), "{id}");
        assert_eq!(ShipClass::of_type(id), Some(class), "{name}");
    }
}

#[test]
fn every_ship_type_has_a_specific_class() {
    for t in ship_types() {
        assert_ne!(t.class(), ShipClass::Other, "{} ({})", t.name, t.group_name);
        assert_eq!(ShipClass::of_type(t.id), Some(t.class()));
    }
    let npc = ship_types()
        .iter()
        .filter(|t| t.class() == ShipClass::Npc)
        .count();
    let fighters = ship_types()
        .iter()
        .filter(|t| t.class() == ShipClass::Fighter)
        .count();
    assert_eq!((npc, fighters), (6693, 99));
}

#[test]
fn ship_class_names() {
    assert_eq!(ShipClass::Battlecruiser.to_string(), "battlecruiser");
    assert_eq!("npc".parse::<ShipClass>(), Ok(ShipClass::Npc));
    let err = "dread".parse::<ShipClass>().unwrap_err();
    assert!(err.to_string().contains("\"dread\""));
    assert!(err.to_string().contains("supercapital"));
    assert_eq!(
        serde_json::to_string(&ShipClass::Supercapital)
            .ok()
            .as_deref(),
        Some("\"supercapital\"")
    );
    assert_eq!(ShipClass::of_group(25, 6), ShipClass::Frigate);
    assert_eq!(ShipClass::of_group(1657, 65), ShipClass::Structure);
}
