//! The public daily killmail archives: a `.tar.bz2` holding one killmail JSON
//! per member (e.g. `killmails/123456.json`).

use std::io::{BufRead, Read};

use super::reader::ReadOptions;
use super::record::{parse_record, Record};
use crate::error::{Error, RecordLoc, RecordPosition};

/// Hand every `.json` member of the archive to `sink` as a record; members
/// that are not JSON files (directories, READMEs) are passed over.
pub(crate) fn read_archive(
    reader: impl BufRead,
    name: &str,
    options: &ReadOptions,
    sink: &mut dyn FnMut(Result<Record, Error>),
) -> Result<(), Error> {
    let io_err = |context: String, source: std::io::Error| Error::Io {
        source_name: name.to_owned(),
        context,
        source,
    };
    let mut archive = tar::Archive::new(bzip2::bufread::MultiBzDecoder::new(reader));
    let entries = archive
        .entries()
        .map_err(|e| io_err("not a readable .tar.bz2 archive".to_owned(), e))?;
    let limit = options.max_record_bytes as u64;
    let mut buf = Vec::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| io_err("archive is corrupt".to_owned(), e))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let member = entry.path().map_or_else(
            |_| "<non-UTF-8 name>".to_owned(),
            |p| p.display().to_string(),
        );
        if !member.to_ascii_lowercase().ends_with(".json") {
            continue;
        }
        let loc = RecordLoc::new(Some(name), RecordPosition::Entry(member.clone()));
        let size = entry.header().size().unwrap_or(0);
        if size > limit {
            sink(Err(Error::TooLarge {
                record: loc,
                size,
                limit,
            }));
            continue;
        }
        buf.clear();
        (&mut entry)
            .take(limit + 1)
            .read_to_end(&mut buf)
            .map_err(|e| io_err(format!("cannot read entry {member}"), e))?;
        sink(parse_record(
            &buf,
            options.format.shape,
            &options.limits,
            &loc,
        ));
    }
    Ok(())
}
