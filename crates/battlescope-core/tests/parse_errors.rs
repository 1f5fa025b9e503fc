//! Bad inputs: every one gets an error naming the record and the field, none
//! panics, and a bad record never costs the good ones around it.

use battlescope_core::error::RecordPosition;
use battlescope_core::input::{
    parse_record, read_killmails, Container, Format, ReadOptions, Record, Shape,
};
use battlescope_core::killmail::Limits;
use battlescope_core::{Error, RecordLoc};

fn esi(id: i64, time: &str) -> String {
    format!(
        r#"{{"killmail_id":{id},"killmail_time":"{time}","solar_system_id":30002813,
        "victim":{{"character_id":1,"corporation_id":2,"damage_taken":100,"ship_type_id":587}},
        "attackers":[{{"character_id":3,"corporation_id":4,"damage_done":100,"final_blow":true,"security_status":0.5,"ship_type_id":587}}]}}"#
    )
    .replace('\n', "")
}

fn parse(s: &str) -> Result<Record, Error> {
    parse_record(
        s.as_bytes(),
        Shape::Auto,
        &Limits::default(),
        &RecordLoc::default(),
    )
}

#[test]
fn good_record_parses() {
    let Record::Killmail(km) = parse(&esi(5, "2024-05-01T12:00:00Z")).unwrap() else {
        panic!("expected a killmail")
    };
    assert_eq!(km.killmail_id, 5);
    assert_eq!(km.attackers.len(), 1);
    assert!(km.zkb.is_none());
}

#[test]
fn truncated_json_names_the_killmail() {
    let full = esi(77, "2024-05-01T12:00:00Z");
    let err = parse(&full[..full.len() / 2]).unwrap_err();
    assert!(matches!(err, Error::Json { .. }), "{err:?}");
    assert_eq!(err.record().unwrap().killmail_id, Some(77), "{err}");
    assert!(err.to_string().contains("EOF"), "{err}");
}

#[test]
fn wrong_type_names_the_field_path() {
    let bad =
        esi(8, "2024-05-01T12:00:00Z").replace(r#""final_blow":true"#, r#""final_blow":"yes""#);
    let err = parse(&bad).unwrap_err();
    assert_eq!(err.field(), Some("attackers[0].final_blow"), "{err}");
    assert_eq!(err.record().unwrap().killmail_id, Some(8));
}

#[test]
fn missing_victim_is_named() {
    let v: serde_json::Value = serde_json::from_str(&esi(9, "2024-05-01T12:00:00Z")).unwrap();
    let mut obj = v.as_object().unwrap().clone();
    obj.remove("victim");
    let err = parse(&serde_json::to_string(&obj).unwrap()).unwrap_err();
    assert_eq!(err.field(), Some("victim"), "{err}");
    assert!(err.to_string().contains("killmail 9"), "{err}");
}

#[test]
fn negative_and_zero_ids_are_rejected() {
    let err = parse(&esi(-5, "2024-05-01T12:00:00Z")).unwrap_err();
    assert_eq!(err.field(), Some("killmail_id"), "{err}");
    assert!(err.to_string().contains("-5"), "{err}");
    let err = parse(&esi(0, "2024-05-01T12:00:00Z")).unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { field, .. } if field == "killmail_id"),
        "{err}"
    );
}

#[test]
fn absurd_dates_are_rejected() {
    for time in [
        "1999-01-01T00:00:00Z",
        "2003-05-05T23:59:59Z",
        "2999-01-01T00:00:00Z",
    ] {
        let err = parse(&esi(10, time)).unwrap_err();
        assert!(
            matches!(&err, Error::Invalid { field, .. } if field == "killmail_time"),
            "{time}: {err}"
        );
    }
    let err = parse(&esi(10, "yesterday")).unwrap_err();
    assert_eq!(err.field(), Some("killmail_time"), "{err}");
    // The day EVE launched is fine; so is a little clock skew.
    assert!(parse(&esi(10, "2003-05-06T00:00:00Z")).is_ok());
    let soon = (chrono::Utc::now() + chrono::TimeDelta::hours(2)).to_rfc3339();
    assert!(parse(&esi(10, &soon)).is_ok());
}

#[test]
fn too_many_attackers_and_two_final_blows_are_rejected() {
    let attacker = r#"{"character_id":3,"damage_done":1,"final_blow":false,"security_status":0.0}"#;
    let many = vec![attacker; 50_000].join(",");
    let huge = esi(11, "2024-05-01T12:00:00Z")
        .replace(r#""attackers":["#, &format!(r#""attackers":[{many},"#));
    let err = parse(&huge).unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { field, .. } if field == "attackers"),
        "{err}"
    );
    assert!(err.to_string().contains("50001"), "{err}");

    let two = esi(12, "2024-05-01T12:00:00Z").replace(
        r#""attackers":["#,
        r#""attackers":[{"character_id":9,"damage_done":1,"final_blow":true,"security_status":0.0},"#,
    );
    let err = parse(&two).unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { field, .. } if field == "attackers[].final_blow"),
        "{err}"
    );
}

#[test]
fn unknown_shape_and_wrong_explicit_shape_are_explained() {
    let err = parse(r#"{"hello": "world"}"#).unwrap_err();
    assert!(matches!(err, Error::Shape { .. }), "{err}");
    let err = parse_record(
        esi(13, "2024-05-01T12:00:00Z").as_bytes(),
        Shape::R2z2,
        &Limits::default(),
        &RecordLoc::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("expected a r2z2 record, found a esi record"),
        "{err}"
    );
    // JSON that is not an object is no record; its message names no Rust type.
    let err = parse("[1,2,3]").unwrap_err();
    assert!(matches!(err, Error::Shape { .. }), "{err}");
    assert!(!err.to_string().contains("RawRecord"), "{err}");
}

#[test]
fn bad_lines_are_skipped_and_counted_good_ones_kept() {
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(20 << 20));
    let input = [
        esi(1, "2024-05-01T12:00:00Z"),
        "{\"killmail_id\": 2, \"killm".to_owned(),
        String::new(),
        esi(3, "2024-05-01T12:01:00Z"),
        big,
        esi(1, "2024-05-01T12:00:00Z"),
        esi(-4, "2024-05-01T12:00:00Z"),
        esi(5, "1990-05-01T12:01:00Z"),
        esi(6, "2024-05-01T12:02:00Z"),
    ]
    .join("\n");
    let opts = ReadOptions::default();
    let out = read_killmails(input.as_bytes(), Some("day.jsonl"), &opts).unwrap();
    let ids: Vec<u64> = out.killmails.iter().map(|k| k.killmail_id).collect();
    assert_eq!(ids, vec![1, 3, 6]);
    assert_eq!(out.report.records, 8);
    assert_eq!(out.report.duplicates, 1);
    assert_eq!(out.duplicate_ids, vec![1]);
    // The truncated line is invalid JSON; a negative id is valid JSON with
    // a bad field.
    assert_eq!(out.report.skipped["invalid_json"], 1);
    assert_eq!(out.report.skipped["invalid:killmail_id"], 1);
    assert_eq!(out.report.skipped["too_large"], 1);
    assert_eq!(out.report.skipped["invalid:killmail_time"], 1);
    // Every error says where: file and line.
    let lines: Vec<String> = out.errors.iter().map(ToString::to_string).collect();
    assert!(
        lines[0].starts_with("killmail 2 at day.jsonl line 2"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("day.jsonl line 5: record is 20971530 bytes"),
        "{lines:?}"
    );
    assert!(
        lines[2].starts_with("day.jsonl line 7: field `killmail_id`"),
        "{lines:?}"
    );
    assert!(
        lines[3].starts_with("killmail 5 at day.jsonl line 8: field `killmail_time`"),
        "{lines:?}"
    );
}

#[test]
fn bad_array_elements_are_skipped_and_broken_arrays_stop_with_a_format_error() {
    let input = format!(
        "[{}, {{\"killmail_id\": \"seven\"}}, {}]",
        esi(1, "2024-05-01T12:00:00Z"),
        esi(2, "2024-05-01T12:00:00Z")
    );
    let out = read_killmails(input.as_bytes(), Some("a.json"), &ReadOptions::default()).unwrap();
    assert_eq!(out.killmails.len(), 2);
    let rec = out.errors[0].record().unwrap();
    assert_eq!(rec.position, RecordPosition::Element(1));

    let truncated = format!("[{}, {{\"killmail_id\": 3", esi(1, "2024-05-01T12:00:00Z"));
    let mut outcome = battlescope_core::input::ReadOutcome::default();
    let err = outcome
        .read(
            truncated.as_bytes(),
            Some("t.json"),
            &ReadOptions::default(),
        )
        .unwrap_err();
    assert!(
        err.to_string().starts_with("t.json: broken JSON array"),
        "{err}"
    );
    assert_eq!(
        outcome.killmails.len(),
        1,
        "records before the break are kept"
    );
}

#[test]
fn explicit_container_overrides_detection() {
    let input = format!(
        "{}\n{}\n",
        esi(1, "2024-05-01T12:00:00Z"),
        esi(2, "2024-05-01T12:00:00Z")
    );
    let opts = ReadOptions::default().with_format(Format {
        container: Container::Json,
        shape: Shape::Auto,
    });
    // Read as one JSON document, two concatenated objects are invalid JSON.
    let out = read_killmails(input.as_bytes(), None, &opts).unwrap();
    assert_eq!(out.killmails.len(), 0);
    assert_eq!(out.report.skipped["invalid_json"], 1);
    let out = read_killmails(input.as_bytes(), None, &ReadOptions::default()).unwrap();
    assert_eq!(out.killmails.len(), 2);
}

#[test]
fn garbage_never_panics() {
    let inputs: [&[u8]; 8] = [
        b"",
        b"   \n\n",
        b"\xff\xfe\x00garbage",
        b"[",
        b"]",
        b"{{{{{{",
        b"[}]",
        b"null",
    ];
    for input in inputs {
        let mut out = battlescope_core::input::ReadOutcome::default();
        let _ = out.read(input, Some("junk"), &ReadOptions::default());
        assert!(out.killmails.is_empty());
    }
}

#[test]
fn a_huge_value_is_cut_in_the_message() {
    let huge = "x".repeat(10_000_000);
    let bad = esi(12, "2024-05-01T12:00:00Z")
        .replace(r#""final_blow":true"#, &format!(r#""final_blow":"{huge}""#));
    let err = parse(&bad).unwrap_err();
    assert_eq!(err.field(), Some("attackers[0].final_blow"), "{err}");
    let message = err.to_string();
    assert!(message.len() < 300, "{} bytes", message.len());
    assert!(message.contains("(10000000 bytes)"), "{message}");
    let bad_date = esi(13, &huge);
    let message = parse(&bad_date).unwrap_err().to_string();
    assert!(message.len() < 300, "{} bytes", message.len());
    // Ruleset and configuration values are cut the same way.
    let err = huge
        .parse::<battlescope_core::cluster::CorrelateBy>()
        .unwrap_err();
    assert!(err.to_string().contains("(10000000 bytes)"), "{err}");
    assert!(err.to_string().len() < 300);
}
