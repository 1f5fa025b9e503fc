//! Parsers on real killmails in every format (sources in fixtures/SOURCES.md).

use std::io::Write;
use std::path::{Path, PathBuf};

use battlescope_core::input::{
    parse_r2z2_sequence, parse_record, read_killmails, read_path, ReadOptions, Record, Shape,
};
use battlescope_core::killmail::Limits;
use battlescope_core::{Killmail, RecordLoc};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn record(rel: &str, shape: Shape) -> Record {
    let bytes = std::fs::read(fixture(rel)).unwrap();
    parse_record(&bytes, shape, &Limits::default(), &RecordLoc::default())
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn killmail(rel: &str, shape: Shape) -> Killmail {
    match record(rel, shape) {
        Record::Killmail(km) => *km,
        other => panic!("{rel}: expected a killmail, got {other:?}"),
    }
}

const ESI: [(&str, u64); 7] = [
    ("esi/killmail-56733821.json", 56_733_821),
    ("esi/killmail-78560358.json", 78_560_358),
    ("esi/killmail-88486806.json", 88_486_806),
    ("esi/killmail-111519365.json", 111_519_365),
    ("esi/killmail-119455394.json", 119_455_394),
    ("esi/killmail-132377263.json", 132_377_263),
    ("esi/killmail-134265477.json", 134_265_477),
];

#[test]
fn real_esi_killmails_parse_and_round_trip() {
    for (file, id) in ESI {
        let km = killmail(file, Shape::Esi);
        assert_eq!(km.killmail_id, id, "{file}");
        assert!(km.zkb.is_none());
        // Serialising gives back the same JSON value ESI served.
        let original: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixture(file)).unwrap()).unwrap();
        let ours = serde_json::to_value(&km).unwrap();
        assert_eq!(normalise(ours), normalise(original), "{file}");
    }
}

/// ESI writes `0` where we write `0.0`; compare numbers as f64.
fn normalise(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.into_iter().map(normalise).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, normalise(v))).collect()),
        other => other,
    }
}

#[test]
fn real_details_come_through() {
    let km = killmail("esi/killmail-78560358.json", Shape::Auto);
    assert_eq!(km.killmail_time.to_rfc3339(), "2019-08-22T01:26:53+00:00");
    assert_eq!(km.solar_system_id, 30_002_384);
    let npc = &km.attackers[1];
    assert_eq!((npc.character_id, npc.faction_id), (None, Some(500_024)));
    assert_eq!(
        km.final_blow().unwrap().character_id,
        km.attackers[0].character_id
    );

    let pod = killmail("esi/killmail-132377263.json", Shape::Auto);
    assert_eq!(pod.victim.ship_type_id, 670);
    assert_eq!(
        battlescope_core::universe::ShipClass::of_type(pod.victim.ship_type_id),
        Some(battlescope_core::universe::ShipClass::Capsule)
    );
}

#[test]
fn redisq_packages_full_empty_and_zkb_only() {
    let km = killmail("redisq/package-119455394.json", Shape::RedisQ);
    assert_eq!(km.killmail_id, 119_455_394);
    let zkb = km.zkb.as_ref().unwrap();
    assert_eq!(
        zkb.hash.as_deref(),
        Some("d2913bf8250db18456601a8ae061441e89ccadf3")
    );
    assert_eq!(zkb.total_value, Some(142_572_993.92));
    assert_eq!(zkb.solo, Some(true));
    assert_eq!(zkb.labels, ["cat:6", "solo", "pvp", "loc:nullsec"]);
    // The same killmail from ESI directly is the same killmail, minus zkb.
    let mut esi = killmail("esi/killmail-119455394.json", Shape::Esi);
    esi.zkb = km.zkb.clone();
    assert_eq!(esi, km);

    assert_eq!(
        record("redisq/package-null.json", Shape::Auto),
        Record::Empty
    );

    let Record::Reference(r) = record("redisq/package-130678514-zkb-only.json", Shape::RedisQ)
    else {
        panic!("a zkb-only package is a reference to fetch from ESI")
    };
    assert_eq!(r.killmail_id, 130_678_514);
    assert_eq!(r.hash, "145c457c34ce9c9e8d67e942e764d8f439b22271");
}

#[test]
fn r2z2_items_and_sequence() {
    let km = killmail("r2z2/96599404.json", Shape::R2z2);
    assert_eq!(km.killmail_id, 134_265_477);
    let zkb = km.zkb.as_ref().unwrap();
    assert_eq!(
        zkb.hash.as_deref(),
        Some("aa937ee180fca44b172de00f2a26e751f5b2a851")
    );
    assert_eq!(zkb.total_value, Some(86_180_108.73));
    let esi = killmail("esi/killmail-134265477.json", Shape::Esi);
    assert_eq!(esi.attackers, km.attackers);

    let pod = killmail("r2z2/96724073.json", Shape::Auto);
    assert_eq!(pod.killmail_id, 134_435_757);
    assert_eq!(pod.victim.ship_type_id, 670);

    let seq = std::fs::read(fixture("r2z2/sequence.json")).unwrap();
    assert_eq!(parse_r2z2_sequence(&seq).unwrap(), 96_088_891);
    let err = parse_r2z2_sequence(br#"{"sequence": "soon"}"#).unwrap_err();
    assert_eq!(err.field(), Some("sequence"), "{err}");
}

#[test]
fn zkillboard_api_rows_are_references() {
    let out = read_path(
        &fixture("zkb-api/kills-page-78878972-78879321.json"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(out.references.len(), 200);
    assert!(out.killmails.is_empty());
    assert_eq!(out.report.records, 200);
    assert_eq!(out.report.skipped_total(), 0);
    let first = &out.references[0];
    assert_eq!(first.killmail_id, 78_879_321);
    assert_eq!(first.hash, "4b57224f402b47f4548e57bdf2540005bcac4c9a");
    assert_eq!(
        out.references
            .iter()
            .filter(|r| r.zkb.npc == Some(true))
            .count(),
        24
    );
}

#[test]
fn killmails_with_embedded_zkb_parse_as_esi() {
    for (file, id) in [
        ("zkb-websocket/killmail-111519365.json", 111_519_365),
        ("zkb-websocket/killmail-88486806.json", 88_486_806),
    ] {
        let km = killmail(file, Shape::Esi);
        assert_eq!(km.killmail_id, id);
        assert!(km.zkb.as_ref().unwrap().hash.is_some(), "{file}");
    }
}

/// All real killmails as one JSON Lines stream, in mixed shapes.
fn mixed_jsonl() -> String {
    let mut lines = Vec::new();
    for rel in [
        "esi/killmail-56733821.json",
        "r2z2/96599404.json",
        "redisq/package-119455394.json",
        "redisq/package-null.json",
        "zkb-websocket/killmail-88486806.json",
        "esi/killmail-119455394.json", // duplicate of the RedisQ package
        "r2z2/96724073.json",
    ] {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixture(rel)).unwrap()).unwrap();
        lines.push(serde_json::to_string(&v).unwrap());
    }
    lines.join("\n")
}

#[test]
fn mixed_shapes_in_json_lines_with_duplicates() {
    let out = read_killmails(
        mixed_jsonl().as_bytes(),
        Some("mixed.jsonl"),
        &ReadOptions::default(),
    )
    .unwrap();
    let ids: Vec<u64> = out.killmails.iter().map(|k| k.killmail_id).collect();
    assert_eq!(
        ids,
        [
            56_733_821,
            134_265_477,
            119_455_394,
            88_486_806,
            134_435_757
        ]
    );
    assert_eq!(out.report.empty, 1);
    assert_eq!(out.report.duplicates, 1);
    assert_eq!(out.duplicate_ids, [119_455_394]);
    // The first copy (from RedisQ) kept its zkb.
    assert!(out.killmails[2].zkb.is_some());
}

/// Without the `archive` feature a daily archive is refused with a reason
/// (the test below reads one with it).
#[cfg(not(feature = "archive"))]
#[test]
fn daily_archive_needs_the_archive_feature() {
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(2);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "killmails/1.json", &b"{}"[..])
        .unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&tar.into_inner().unwrap()).unwrap();
    let archive = bz.finish().unwrap();
    let err = read_killmails(archive.as_slice(), None, &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("`archive` feature"), "{err}");
}

#[cfg(feature = "archive")]
#[test]
fn daily_archive_built_in_the_test() {
    let mut tar = tar::Builder::new(Vec::new());
    let mut add = |name: &str, bytes: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes).unwrap();
    };
    for (file, id) in ESI {
        add(
            &format!("killmails/{id}.json"),
            &std::fs::read(fixture(file)).unwrap(),
        );
    }
    add(
        "killmails/999.json",
        b"{\"killmail_id\": 999, \"killmail_time\": ",
    );
    add("README.txt", b"not a killmail");
    let tar_bytes = tar.into_inner().unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&tar_bytes).unwrap();
    let archive = bz.finish().unwrap();

    // Detected by content (no file name), and by name.
    for name in [None, Some("killmails-2024-01-01.tar.bz2")] {
        let out = read_killmails(archive.as_slice(), name, &ReadOptions::default()).unwrap();
        assert_eq!(out.killmails.len(), 7);
        assert_eq!(out.report.skipped["invalid_json"], 1);
        let err = out.errors[0].to_string();
        assert!(
            err.contains("entry killmails/999.json") && err.starts_with("killmail 999"),
            "{err}"
        );
    }
    // A corrupt archive is an error of the whole input, not a panic.
    let mut broken = archive.clone();
    broken.truncate(archive.len() / 2);
    let mut outcome = battlescope_core::input::ReadOutcome::default();
    let result = outcome.read(
        broken.as_slice(),
        Some("broken.tar.bz2"),
        &ReadOptions::default(),
    );
    assert!(result.is_err());
    assert!(result
        .unwrap_err()
        .to_string()
        .starts_with("broken.tar.bz2"));
}
