//! Records already in memory (a notebook's dicts, a frame's rows, a bot's
//! objects): one record per element, errors named by element index.

use super::format::Container;
use super::reader::{read_killmails, ReadOptions, ReadOutcome};
use crate::error::{Error, RecordPosition};

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
