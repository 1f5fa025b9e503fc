//! Reading files and directories of them: one behaviour for the CLI, the
//! bindings and the platform's file replay.
//!
//! - [`expand_paths`]: files as given; directories walked recursively for
//!   the files core reads (every extension of [`KILLMAIL_EXTENSIONS`]),
//!   sorted so runs are reproducible. An empty directory is an error: a
//!   mistyped path must not read as "no killmails".
//! - [`read_paths`]: every file into one [`ReadOutcome`] (duplicates collapse
//!   across files). A file that cannot be read to the end stops only itself:
//!   the reading goes on, each such file is reported in
//!   [`ReadOutcome::unreadable`], and [`ReadOutcome::check_readable`] turns
//!   them into an error at the end — the one policy every caller applies
//!   unless asked to go on.
//! - Progress: the callback hears about every few MiB read and about the end
//!   of every file (counted whole even when a reader stops before its last
//!   byte, as the archive reader does at the tar end marker), so a progress
//!   bar always reaches 100 %.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::format::Format;
use super::reader::{ReadOptions, ReadOutcome};
use crate::error::Error;

/// Extensions (lowercase) of the files a directory is searched for.
pub const KILLMAIL_EXTENSIONS: [&str; 7] = [
    ".json",
    ".jsonl",
    ".ndjson",
    ".jsonlines",
    ".tar.bz2",
    ".tbz2",
    ".tbz",
];

/// True when a file of this name is one core reads (by its extension).
#[must_use]
pub fn is_killmail_file(name: &str) -> bool {
    Format::container_from_name(name).is_some() || name.to_ascii_lowercase().ends_with(".json")
}

/// Expand paths: files as given, directories to the killmail files under
/// them (recursively, sorted).
///
/// # Errors
/// [`Error::Io`] when a directory cannot be listed; [`Error::Format`] when a
/// directory holds no killmail file.
pub fn expand_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for path in paths {
        let path = path.as_ref();
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            if found.is_empty() {
                return Err(Error::Format {
                    source_name: path.display().to_string(),
                    reason: format!(
                        "the directory holds no killmail file (looked for {})",
                        KILLMAIL_EXTENSIONS.join(", ")
                    ),
                });
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(path.to_path_buf());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io = |source| Error::Io {
        source_name: dir.display().to_string(),
        context: "cannot list".to_owned(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if is_killmail_file(&path.to_string_lossy()) {
            out.push(path);
        }
    }
    Ok(())
}

/// Where a multi-file read stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadProgress {
    /// Bytes of the files read so far (a finished file counts whole).
    pub bytes: u64,
    /// Size of all the files (those whose size could be known).
    pub total_bytes: u64,
    /// Files finished (read, or failed).
    pub files_done: usize,
    /// Files in the read.
    pub files: usize,
    /// The file being read, or `None` when all are done.
    pub current: Option<String>,
}

/// How often, in bytes, progress is reported while a file is read.
const REPORT_EVERY: u64 = 4 << 20;

/// Read every file into one outcome (see the module docs). `progress` may
/// stop the read by returning an error (a notebook's interrupt, a closed
/// progress bar); that error is returned as [`Error::Io`].
///
/// # Errors
/// Only the error `progress` returns; unreadable files are reported in
/// [`ReadOutcome::unreadable`].
pub fn read_paths<P: AsRef<Path>>(
    paths: &[P],
    options: &ReadOptions,
    progress: &mut dyn FnMut(&ReadProgress) -> io::Result<()>,
) -> Result<ReadOutcome, Error> {
    let mut outcome = ReadOutcome::default();
    outcome.read_paths(paths, options, progress)?;
    Ok(outcome)
}

impl ReadOutcome {
    /// [`read_paths`] into this outcome.
    ///
    /// # Errors
    /// As [`read_paths`].
    pub fn read_paths<P: AsRef<Path>>(
        &mut self,
        paths: &[P],
        options: &ReadOptions,
        progress: &mut dyn FnMut(&ReadProgress) -> io::Result<()>,
    ) -> Result<(), Error> {
        let sizes: Vec<Option<u64>> = paths
            .iter()
            .map(|p| std::fs::metadata(p).ok().map(|m| m.len()))
            .collect();
        let mut state = ReadProgress {
            bytes: 0,
            total_bytes: sizes.iter().flatten().sum(),
            files_done: 0,
            files: paths.len(),
            current: None,
        };
        let stopped = |source: io::Error| Error::Io {
            source_name: "progress".to_owned(),
            context: "reading stopped".to_owned(),
            source,
        };
        for (path, size) in paths.iter().zip(&sizes) {
            let name = path.as_ref().display().to_string();
            state.current = Some(name.clone());
            progress(&state).map_err(stopped)?;
            let start = state.bytes;
            let mut interrupted = None;
            let result = File::open(path.as_ref())
                .map_err(|source| Error::Io {
                    source_name: name.clone(),
                    context: "cannot open".to_owned(),
                    source,
                })
                .and_then(|file| {
                    let counted = Counted {
                        inner: file,
                        state: &mut state,
                        since_report: 0,
                        progress: &mut *progress,
                        interrupted: &mut interrupted,
                    };
                    self.read(counted, Some(&name), options)
                });
            if let Some(e) = interrupted {
                return Err(stopped(e));
            }
            if let Err(e) = result {
                self.unreadable.push(e);
            }
            state.bytes = start + size.unwrap_or(state.bytes - start);
            state.files_done += 1;
        }
        state.current = None;
        progress(&state).map_err(stopped)
    }

    /// Fail when a file could not be read to the end: the first such error
    /// (taken out of [`ReadOutcome::unreadable`]), saying how many more
    /// there were — the default policy of every caller.
    ///
    /// # Errors
    /// The first unreadable input's own error ([`Error::Io`] or
    /// [`Error::Format`]).
    pub fn check_readable(&mut self) -> Result<(), Error> {
        if self.unreadable.is_empty() {
            return Ok(());
        }
        let more = self.unreadable.len() - 1;
        let mut first = self.unreadable.remove(0);
        if more > 0 {
            let note = format!(" (and {more} more inputs could not be read)");
            match &mut first {
                Error::Io { context, .. } => context.push_str(&note),
                Error::Format { reason, .. } => reason.push_str(&note),
                _ => {}
            }
        }
        Err(first)
    }
}

/// A file that counts its bytes into the progress and reports every few
/// MiB; an error from the callback stops the read.
struct Counted<'a> {
    inner: File,
    state: &'a mut ReadProgress,
    since_report: u64,
    progress: &'a mut dyn FnMut(&ReadProgress) -> io::Result<()>,
    interrupted: &'a mut Option<io::Error>,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.state.bytes += n as u64;
        self.since_report += n as u64;
        if self.since_report >= REPORT_EVERY {
            self.since_report = 0;
            if let Err(e) = (self.progress)(self.state) {
                let message = e.to_string();
                *self.interrupted = Some(e);
                return Err(io::Error::other(message));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_extension_core_reads_is_found_in_a_directory() {
        for ext in KILLMAIL_EXTENSIONS {
            assert!(is_killmail_file(&format!("day{ext}")), "{ext}");
            assert!(
                is_killmail_file(&format!("DAY{}", ext.to_uppercase())),
                "{ext}"
            );
        }
        assert!(!is_killmail_file("notes.txt"));
        assert!(!is_killmail_file("killmails.csv"));
    }
}
