//! Records already in memory (a notebook's dicts, a frame's rows, a bot's
//! objects): one record per element, errors named by element index.

use super::format::{Container, Shape};
use super::reader::{read_killmails, ReadOptions, ReadOutcome};
use super::record::{parse_record, Record};
use crate::error::{Error, RecordLoc, RecordPosition};
use crate::killmail::{Killmail, Limits};

/// One killmail from the bytes of one record in any shape core reads (ESI
/// killmail, R2Z2 item, RedisQ package): what a binding's "parse one
/// killmail" is. `index` is the record's place in a collection, for errors.
///
/// # Errors
/// The record's parse error, or [`Error::Shape`] when the record is not a
/// killmail yet: a zKillboard API row (a reference to fetch from ESI) or
/// RedisQ's empty package.
pub fn parse_killmail(bytes: &[u8], index: Option<u64>) -> Result<Killmail, Error> {
    let position = index.map_or(RecordPosition::Whole, RecordPosition::Element);
    let loc = RecordLoc::new(None, position);
    let shape = |record: RecordLoc, reason: &str| Error::Shape {
        record,
        reason: reason.to_owned(),
    };
    match parse_record(bytes, Shape::Auto, &Limits::default(), &loc)? {
        Record::Killmail(km) => Ok(*km),
        Record::Reference(r) => Err(shape(
            loc.with_killmail(r.killmail_id),
            "a zKillboard API row: a reference whose killmail must still be fetched from ESI",
        )),
        Record::Empty => Err(shape(
            loc,
            "RedisQ's empty package (`{\"package\": null}`): nothing new yet",
        )),
    }
}

/// Read records held in memory, each the bytes of one JSON record in any
/// shape core reads; `source` names the collection in errors. Errors name the record by its 0-based index
/// ([`RecordPosition::Element`]); `options.format`'s container is ignored (each
/// element is one record).
///
/// # Errors
/// None in practice (records are in memory); kept for the reader's
/// signature.
pub fn read_records<R: AsRef<[u8]>>(
    records: impl IntoIterator<Item = R>,
    source: Option<&str>,
    options: &ReadOptions,
) -> Result<ReadOutcome, Error> {
    let mut lines = Vec::new();
    for r in records {
        push_line(&mut lines, r.as_ref());
    }
    let mut options = options.clone();
    options.format.container = Container::Lines;
    let mut outcome = read_killmails(lines.as_slice(), source, &options)?;
    for e in &mut outcome.errors {
        if let Some(record) = e.record_mut() {
            if let RecordPosition::Line(n) = record.position {
                record.position = RecordPosition::Element(n - 1);
            }
        }
    }
    Ok(outcome)
}

/// Append one record as one line of JSON Lines. Text that spans lines is
/// written compactly when it is JSON; when it is not, its line breaks
/// become NUL bytes (which no JSON accepts), so it stays one bad record
/// instead of becoming several. Blank text becomes a NUL byte too, so it is
/// reported rather than skipped as a blank line.
fn push_line(out: &mut Vec<u8>, record: &[u8]) {
    if record.trim_ascii().is_empty() {
        out.push(0);
    } else if record.contains(&b'\n') || record.contains(&b'\r') {
        match serde_json::from_slice::<serde_json::Value>(record) {
            Ok(value) => {
                // Writing a parsed Value into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, &value);
            }
            Err(_) => out.extend(
                record
                    .iter()
                    .map(|&b| if b == b'\n' || b == b'\r' { 0 } else { b }),
            ),
        }
    } else {
        out.extend_from_slice(record);
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_record_must_be_a_killmail() {
        let good = r#"{"killmail_id":5,"killmail_time":"2024-01-01T00:00:00Z","solar_system_id":30000142,
            "victim":{"character_id":1,"corporation_id":98000001,"damage_taken":10,"ship_type_id":587},
            "attackers":[{"character_id":2,"corporation_id":98000002,"damage_done":10,"final_blow":true}]}"#;
        assert_eq!(
            parse_killmail(good.as_bytes(), None).unwrap().killmail_id,
            5
        );
        let row = br#"{"killmail_id": 11, "zkb": {"hash": "aa"}}"#;
        let err = parse_killmail(row, Some(3)).unwrap_err();
        assert_eq!(err.kind(), "shape");
        assert_eq!(
            err.record().map(|r| (r.killmail_id, r.position.clone())),
            Some((Some(11), RecordPosition::Element(3)))
        );
        assert!(
            err.to_string().contains("must still be fetched from ESI"),
            "{err}"
        );
        let empty = parse_killmail(br#"{"package": null}"#, None).unwrap_err();
        assert!(empty.to_string().contains("nothing new yet"), "{empty}");
        assert_eq!(parse_killmail(b"{oops", None).unwrap_err().kind(), "json");
    }

    #[test]
    fn errors_name_the_element_and_multi_line_records_stay_one() {
        let good = r#"{"killmail_id":5,"killmail_time":"2024-01-01T00:00:00Z","solar_system_id":30000142,
            "victim":{"character_id":1,"corporation_id":98000001,"damage_taken":10,"ship_type_id":587},
            "attackers":[{"character_id":2,"corporation_id":98000002,"damage_done":10,"final_blow":true}]}"#;
        let records: Vec<&[u8]> =
            vec![good.as_bytes(), b"{oops\n}", b"  ", b"{\"killmail_id\": 6}"];
        let out = read_records(records, None, &ReadOptions::default()).unwrap();
        assert_eq!(out.killmails.len(), 1);
        let positions: Vec<RecordPosition> = out
            .errors
            .iter()
            .map(|e| e.record().unwrap().position.clone())
            .collect();
        assert_eq!(
            positions,
            vec![
                RecordPosition::Element(1),
                RecordPosition::Element(2),
                RecordPosition::Element(3)
            ]
        );
    }
}
