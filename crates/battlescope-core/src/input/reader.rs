//! Reading whole inputs record by record, with per-record errors and a
//! report of what was read and skipped.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::format::{Container, Format};
use super::record::{parse_record, KillmailRef, Record};
use super::split::{is_complete_value, ArrayElements, ArrayItem, Chunk, Lines};
use crate::error::{Error, RecordLoc, RecordPosition};
use crate::killmail::{Killmail, Limits};

/// How to read an input.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Container and record shape, each explicit or detected.
    pub format: Format,
    /// Validation limits for killmails.
    pub limits: Limits,
    /// Largest record accepted, in bytes; larger ones are skipped as
    /// `too_large` (a real killmail with 10,000 attackers is about 3 MB).
    pub max_record_bytes: usize,
    /// How many record errors [`ReadOutcome::errors`] keeps (all are counted).
    pub max_errors_kept: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            format: Format::AUTO,
            limits: Limits::default(),
            max_record_bytes: 16 << 20,
            max_errors_kept: 1000,
        }
    }
}

/// Counts of what an input held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadReport {
    /// Inputs (files, streams) read.
    pub sources: u64,
    /// Records met, good or bad.
    pub records: u64,
    /// Distinct killmails kept.
    pub killmails: u64,
    /// Distinct killmail references (id + hash, still needing ESI) kept.
    pub references: u64,
    /// RedisQ "nothing new" answers.
    pub empty: u64,
    /// Records whose killmail id had already been read; collapsed into the first.
    pub duplicates: u64,
    /// Skipped records by reason key (see [`Error::reason_key`]).
    pub skipped: BTreeMap<String, u64>,
}

impl ReadReport {
    /// Total records skipped, all reasons together.
    #[must_use]
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// Everything read from one or more inputs.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ReadOutcome {
    /// Distinct killmails, in input order of first appearance; of copies
    /// with one id, the one [`Killmail::compare_copies`] keeps.
    pub killmails: Vec<Killmail>,
    /// Distinct references (zKillboard API rows) that need an ESI fetch.
    pub references: Vec<KillmailRef>,
    /// What was read and skipped, by reason.
    pub report: ReadReport,
    /// The first [`ReadOptions::max_errors_kept`] record errors.
    pub errors: Vec<Error>,
    /// Ids of collapsed duplicates (the first `max_errors_kept`).
    pub duplicate_ids: Vec<u64>,
    /// Inputs that could not be read to the end (records read before the
    /// failure are kept); see [`ReadOutcome::check_readable`].
    pub unreadable: Vec<Error>,
    by_id: HashMap<u64, usize>,
    refs_by_id: HashMap<u64, usize>,
}

impl ReadOutcome {
    /// Read one more input into this outcome; duplicates across inputs are
    /// collapsed too.
    ///
    /// # Errors
    /// Only errors that stop the input (I/O, an unreadable container);
    /// record errors are counted in the report and kept in `errors`.
    pub fn read(
        &mut self,
        input: impl Read,
        source: Option<&str>,
        options: &ReadOptions,
    ) -> Result<(), Error> {
        self.report.sources += 1;
        for_each_record(input, source, options, |result| self.add(result, options))
    }

    /// Read a file into this outcome.
    ///
    /// # Errors
    /// As [`ReadOutcome::read`], plus failing to open the file.
    pub fn read_path(&mut self, path: &Path, options: &ReadOptions) -> Result<(), Error> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|source| Error::Io {
            source_name: name.clone(),
            context: "cannot open".to_owned(),
            source,
        })?;
        self.read(file, Some(&name), options)
    }

    fn add(&mut self, result: Result<Record, Error>, options: &ReadOptions) {
        self.report.records += 1;
        match result {
            Ok(Record::Killmail(km)) => self.add_killmail(*km, options),
            Ok(Record::Reference(r)) => {
                if let Some(&i) = self.refs_by_id.get(&r.killmail_id) {
                    self.note_duplicate(r.killmail_id, options);
                    let _ = i;
                } else if let Some(&i) = self.by_id.get(&r.killmail_id) {
                    // Already have the full killmail: the reference adds at
                    // most its zKillboard metadata (as when it comes first).
                    let kept = &mut self.killmails[i];
                    if kept.zkb.is_none() {
                        kept.zkb = Some(r.zkb);
                    }
                    self.note_duplicate(r.killmail_id, options);
                } else {
                    self.refs_by_id.insert(r.killmail_id, self.references.len());
                    self.references.push(r);
                    self.report.references += 1;
                }
            }
            Ok(Record::Empty) => self.report.empty += 1,
            Err(e) => {
                *self.report.skipped.entry(e.reason_key()).or_default() += 1;
                if self.errors.len() < options.max_errors_kept {
                    self.errors.push(e);
                }
            }
        }
    }

    fn add_killmail(&mut self, km: Killmail, options: &ReadOptions) {
        if let Some(&i) = self.by_id.get(&km.killmail_id) {
            // Keep the copy the content rule prefers, whatever the order
            // (`Killmail::compare_copies`).
            let id = km.killmail_id;
            let kept = &mut self.killmails[i];
            if km.is_preferred_over(kept) {
                *kept = km;
            }
            self.note_duplicate(id, options);
            return;
        }
        if let Some(i) = self.refs_by_id.remove(&km.killmail_id) {
            // The full killmail supersedes a reference read earlier.
            let r = self.references.remove(i);
            for idx in self.refs_by_id.values_mut() {
                if *idx > i {
                    *idx -= 1;
                }
            }
            self.report.references -= 1;
            let mut km = km;
            if km.zkb.is_none() {
                km.zkb = Some(r.zkb);
            }
            self.push_killmail(km);
            return;
        }
        self.push_killmail(km);
    }

    fn push_killmail(&mut self, km: Killmail) {
        self.by_id.insert(km.killmail_id, self.killmails.len());
        self.killmails.push(km);
        self.report.killmails += 1;
    }

    fn note_duplicate(&mut self, id: u64, options: &ReadOptions) {
        self.report.duplicates += 1;
        if self.duplicate_ids.len() < options.max_errors_kept {
            self.duplicate_ids.push(id);
        }
    }
}

/// Read every record of one input into a [`ReadOutcome`].
///
/// # Errors
/// See [`ReadOutcome::read`].
pub fn read_killmails(
    input: impl Read,
    source: Option<&str>,
    options: &ReadOptions,
) -> Result<ReadOutcome, Error> {
    let mut out = ReadOutcome::default();
    out.read(input, source, options)?;
    Ok(out)
}

/// Read every record of one file into a [`ReadOutcome`].
///
/// # Errors
/// See [`ReadOutcome::read_path`].
pub fn read_path(path: &Path, options: &ReadOptions) -> Result<ReadOutcome, Error> {
    let mut out = ReadOutcome::default();
    out.read_path(path, options)?;
    Ok(out)
}

/// Hand every record of `input` to `sink`, in order, each with its own
/// result. This is the streaming primitive under [`read_killmails`].
///
/// # Errors
/// Only errors that stop the whole input: I/O failures, and a container that
/// cannot be detected or is broken beyond the current record (e.g. a JSON
/// array whose nesting is broken). Records before the failure were already
/// handed to `sink`.
pub fn for_each_record(
    input: impl Read,
    source: Option<&str>,
    options: &ReadOptions,
    mut sink: impl FnMut(Result<Record, Error>),
) -> Result<(), Error> {
    let name = source.unwrap_or("input");
    let io_err = |context: &str, source: std::io::Error| Error::Io {
        source_name: name.to_owned(),
        context: context.to_owned(),
        source,
    };
    let mut reader = BufReader::with_capacity(256 << 10, input);
    let mut container = options.format.container;
    if container == Container::Auto {
        container = source
            .and_then(Format::container_from_name)
            .unwrap_or(Container::Auto);
    }
    let head: Vec<u8> = reader
        .fill_buf()
        .map_err(|e| io_err("cannot read", e))?
        .iter()
        .take(16)
        .copied()
        .collect();
    if container == Container::Auto && head.starts_with(b"BZh") {
        container = Container::Archive;
    }
    let first = head.iter().copied().find(|b| !b.is_ascii_whitespace());
    // Read the clock once per input, not once per record.
    let limits = Limits {
        now: Some(options.limits.now.unwrap_or_else(chrono::Utc::now)),
        ..options.limits.clone()
    };
    let parse =
        |bytes: &[u8], loc: RecordLoc| parse_record(bytes, options.format.shape, &limits, &loc);
    let too_large = |loc: RecordLoc, size: u64| Error::TooLarge {
        record: loc,
        size,
        limit: options.max_record_bytes as u64,
    };

    match (container, first) {
        (Container::Archive, _) => {
            return read_archive(reader, name, options, &mut sink);
        }
        (_, None) => return Ok(()),
        (Container::Auto | Container::Json, Some(b'[')) => {
            let mut elements = ArrayElements::new(reader, options.max_record_bytes);
            while let Some(item) = elements.next_item().map_err(|e| io_err("cannot read", e))? {
                match item {
                    ArrayItem::Element(i, chunk) => {
                        let loc = RecordLoc::new(source, RecordPosition::Element(i));
                        sink(match chunk {
                            Chunk::Bytes(b) => parse(&b, loc),
                            Chunk::TooLarge(size) => Err(too_large(loc, size)),
                        });
                    }
                    ArrayItem::Syntax(reason) => {
                        return Err(Error::Format {
                            source_name: name.to_owned(),
                            reason: format!("broken JSON array: {reason}"),
                        });
                    }
                }
            }
        }
        (Container::Lines | Container::Auto | Container::Json, Some(_)) => {
            let mut lines = Lines::new(reader, options.max_record_bytes);
            let Some((n, chunk)) = lines.next_line().map_err(|e| io_err("cannot read", e))? else {
                return Ok(());
            };
            let whole_document = container == Container::Json
                || (container == Container::Auto
                    && matches!(&chunk, Chunk::Bytes(b) if !is_complete_value(b)));
            if whole_document {
                // A pretty-printed single document: the first line is only its start.
                let Chunk::Bytes(mut doc) = chunk else {
                    unreachable!("whole_document implies bytes")
                };
                doc.push(b'\n');
                let mut rest = lines.into_inner();
                let limit = options.max_record_bytes as u64;
                (&mut rest)
                    .take(limit + 1)
                    .read_to_end(&mut doc)
                    .map_err(|e| io_err("cannot read", e))?;
                let loc = RecordLoc::new(source, RecordPosition::Whole);
                if doc.len() as u64 > limit {
                    sink(Err(too_large(loc, doc.len() as u64)));
                } else {
                    sink(parse(&doc, loc));
                }
                return Ok(());
            }
            let loc = RecordLoc::new(source, RecordPosition::Line(n));
            sink(match chunk {
                Chunk::Bytes(b) => parse(&b, loc),
                Chunk::TooLarge(size) => Err(too_large(loc, size)),
            });
            // The rest without copying lines that sit whole in the buffer.
            lines
                .for_each_line(|n, line| {
                    let loc = RecordLoc::new(source, RecordPosition::Line(n));
                    sink(match line {
                        Ok(bytes) => parse(bytes, loc),
                        Err(size) => Err(too_large(loc, size)),
                    });
                })
                .map_err(|e| io_err("cannot read", e))?;
        }
    }
    Ok(())
}

#[cfg(feature = "archive")]
fn read_archive(
    reader: impl BufRead,
    name: &str,
    options: &ReadOptions,
    sink: &mut dyn FnMut(Result<Record, Error>),
) -> Result<(), Error> {
    super::archive::read_archive(reader, name, options, sink)
}

#[cfg(not(feature = "archive"))]
fn read_archive(
    _reader: impl BufRead,
    name: &str,
    _options: &ReadOptions,
    _sink: &mut dyn FnMut(Result<Record, Error>),
) -> Result<(), Error> {
    Err(Error::Format {
        source_name: name.to_owned(),
        reason: "is a .tar.bz2 archive, but this build of battlescope-core lacks the \
                 `archive` feature"
            .to_owned(),
    })
}

with_setters!(ReadOptions {
    /// Sets [`ReadOptions::format`].
    with_format => format: Format,
    /// Sets [`ReadOptions::limits`].
    with_limits => limits: Limits,
    /// Sets [`ReadOptions::max_record_bytes`].
    with_max_record_bytes => max_record_bytes: usize,
    /// Sets [`ReadOptions::max_errors_kept`].
    with_max_errors_kept => max_errors_kept: usize,
});
