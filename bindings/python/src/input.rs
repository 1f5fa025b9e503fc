//! Reading killmails (core `input`): files and in-memory records into a
//! `KillmailSet`, and `parse_killmail` for one record.
//!
//! Everything is read by core (`expand_paths`, `read_paths`,
//! `read_records`), so directories, deduplication, per-record errors,
//! unreadable files and the report are core's. The one piece of plumbing
//! here: core's progress callback re-attaches to Python, to report progress
//! and to let Ctrl-C (a notebook's "interrupt") stop a long read.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use battlescope_core as core;
use core::input::{Format, KillmailRef, ReadOptions, ReadOutcome, ReadReport};
use core::ruleset::FilterStats;
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PySlice};

use crate::convert::{killmail_from_py, record_json, to_py};
use crate::error::{to_py_err, to_py_exception, IntoPyResult};
use crate::killmail::PyKillmail;

/// Killmails read from files or records, held in Rust, with a report of
/// what the input held and what was skipped.
///
/// `len(s)`, `s[i]`, iteration (`Killmail` objects), `skipped` (reason →
/// count), `errors` (the first 1,000 record errors as exception objects),
/// `to_pandas()`.
#[pyclass(module = "battlescope", name = "KillmailSet", frozen)]
#[derive(Debug)]
pub struct PyKillmailSet {
    pub(crate) killmails: Arc<Vec<core::Killmail>>,
    report: ReadReport,
    errors: Vec<core::Error>,
    /// Inputs that could not be read to the end (`skip_unreadable=True`).
    unreadable: Vec<core::Error>,
    references: Vec<KillmailRef>,
    duplicate_ids: Vec<u64>,
    /// Killmails a ruleset rejected, by rule (sets made by `filter`).
    rejected: BTreeMap<String, u64>,
}

/// What a pickled `KillmailSet` keeps: its killmails and its counts (the
/// error objects and references are not kept).
#[derive(serde::Serialize, serde::Deserialize)]
struct Pickled {
    killmails: Vec<core::Killmail>,
    sources: u64,
    records: u64,
    empty: u64,
    duplicates: u64,
    skipped: BTreeMap<String, u64>,
    rejected: BTreeMap<String, u64>,
    duplicate_ids: Vec<u64>,
}

impl PyKillmailSet {
    fn from_outcome(mut outcome: ReadOutcome) -> Self {
        Self {
            killmails: Arc::new(std::mem::take(&mut outcome.killmails)),
            report: std::mem::take(&mut outcome.report),
            errors: std::mem::take(&mut outcome.errors),
            unreadable: std::mem::take(&mut outcome.unreadable),
            references: std::mem::take(&mut outcome.references),
            duplicate_ids: std::mem::take(&mut outcome.duplicate_ids),
            rejected: BTreeMap::new(),
        }
    }

    /// The killmails a ruleset accepted: the report counts the killmails
    /// decided, `rejected` the others by rule.
    pub(crate) fn from_filter(kept: Vec<core::Killmail>, stats: &FilterStats) -> Self {
        Self {
            report: stats.read_report(),
            killmails: Arc::new(kept),
            errors: Vec::new(),
            unreadable: Vec::new(),
            references: Vec::new(),
            duplicate_ids: Vec::new(),
            rejected: stats
                .rejected
                .iter()
                .map(|(rule, n)| ((*rule).to_owned(), *n))
                .collect(),
        }
    }

    /// A set of chosen killmails, its report counting only them.
    fn selection(killmails: Vec<core::Killmail>) -> Self {
        let mut report = ReadReport::default();
        report.killmails = killmails.len() as u64;
        Self {
            killmails: Arc::new(killmails),
            report,
            errors: Vec::new(),
            unreadable: Vec::new(),
            references: Vec::new(),
            duplicate_ids: Vec::new(),
            rejected: BTreeMap::new(),
        }
    }

    fn item(&self, index: isize) -> PyResult<PyKillmail> {
        let len = self.killmails.len();
        let i = if index < 0 {
            len.checked_sub(index.unsigned_abs())
        } else {
            Some(index.unsigned_abs()).filter(|&i| i < len)
        };
        i.map(|i| PyKillmail(self.killmails[i].clone()))
            .ok_or_else(|| PyIndexError::new_err("KillmailSet index out of range"))
    }

    fn raise_first_error(&self, py: Python<'_>) -> PyResult<()> {
        match self.errors.first() {
            Some(e) => Err(to_py_err(py, e)),
            None => Ok(()),
        }
    }
}

#[pymethods]
impl PyKillmailSet {
    fn __len__(&self) -> usize {
        self.killmails.len()
    }

    /// `s[i]` is a `Killmail`; `s[a:b:c]` a `KillmailSet` of those
    /// killmails (a selection: its report counts them, it has no skipped
    /// records, errors or references of its own).
    fn __getitem__<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<Py<PyAny>> {
        if let Ok(slice) = key.cast::<PySlice>() {
            let len = self.killmails.len();
            let idx = slice.indices(isize::try_from(len).unwrap_or(isize::MAX))?;
            let mut picked = Vec::with_capacity(idx.slicelength);
            let mut i = idx.start;
            for _ in 0..idx.slicelength {
                picked.push(self.killmails[i.unsigned_abs()].clone());
                i += idx.step;
            }
            return Ok(Py::new(py, Self::selection(picked))?.into_any());
        }
        let index: isize = key.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "KillmailSet indices are integers or slices, not {}",
                key.get_type()
                    .name()
                    .map_or_else(|_| "?".into(), |n| n.to_string())
            ))
        })?;
        Ok(Py::new(py, self.item(index)?)?.into_any())
    }

    /// Pickles as its killmails and counts (`skipped`, `report`,
    /// `rejected`, `duplicate_ids`); `errors`, `unreadable` and
    /// `references` are not kept.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        let this = slf.get();
        let state = Pickled {
            killmails: this.killmails.as_ref().clone(),
            sources: this.report.sources,
            records: this.report.records,
            empty: this.report.empty,
            duplicates: this.report.duplicates,
            skipped: this.report.skipped.clone(),
            rejected: this.rejected.clone(),
            duplicate_ids: this.duplicate_ids.clone(),
        };
        let bytes = serde_json::to_vec(&state)
            .map_err(|e| PyValueError::new_err(format!("KillmailSet cannot be pickled: {e}")))?;
        let restore = py
            .import("battlescope._battlescope")?
            .getattr("_killmail_set_from_pickle")?;
        Ok((restore, (PyBytes::new(py, &bytes),)))
    }
    fn __iter__(&self) -> KillmailIter {
        KillmailIter {
            killmails: Arc::clone(&self.killmails),
            next: 0,
        }
    }

    /// Records skipped, by reason (`invalid_json`, `invalid:<field>`,
    /// `not_a_killmail`, `too_large`).
    #[getter]
    fn skipped<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (reason, n) in &self.report.skipped {
            out.set_item(reason, n)?;
        }
        Ok(out)
    }

    /// Killmails a ruleset rejected, by rule (for sets made by `filter`;
    /// empty otherwise).
    #[getter]
    fn rejected(&self) -> BTreeMap<String, u64> {
        self.rejected.clone()
    }

    /// The first 1,000 record errors, as exception objects (`ParseError`
    /// and subclasses) carrying the record, field and killmail id.
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.errors.iter().map(|e| to_py_exception(py, e)))
    }

    /// Inputs that could not be read to the end, as exception objects
    /// (`ReadError` / `FormatError`; only with `skip_unreadable=True`, which
    /// keeps the killmails read before the failure).
    #[getter]
    fn unreadable<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.unreadable.iter().map(|e| to_py_exception(py, e)))
    }

    /// Counts of what the input held: `sources`, `records`, `killmails`,
    /// `references`, `empty`, `duplicates`, `skipped` (by reason) and
    /// `skipped_total`.
    #[getter]
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = &self.report;
        let out = PyDict::new(py);
        out.set_item("sources", r.sources)?;
        out.set_item("records", r.records)?;
        out.set_item("killmails", r.killmails)?;
        out.set_item("references", r.references)?;
        out.set_item("empty", r.empty)?;
        out.set_item("duplicates", r.duplicates)?;
        out.set_item("skipped", self.skipped(py)?)?;
        out.set_item("skipped_total", r.skipped_total())?;
        Ok(out)
    }

    /// zKillboard API rows read (`killmail_id`, `hash`, `zkb`): killmails
    /// still to fetch from ESI.
    #[getter]
    fn references<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.references)
    }

    /// Ids of the duplicate records collapsed into their first copy (the
    /// first 1,000).
    #[getter]
    fn duplicate_ids(&self) -> Vec<u64> {
        self.duplicate_ids.clone()
    }

    /// The killmail ids, in input order.
    #[getter]
    fn killmail_ids(&self) -> Vec<u64> {
        self.killmails.iter().map(|k| k.killmail_id).collect()
    }

    /// Every killmail as its JSON object (ESI keys, plus `zkb`).
    fn to_dicts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &*self.killmails)
    }

    /// A pandas `DataFrame`, one row per killmail: summary columns
    /// (`killmail_id`, `killmail_time`, system, victim, ship class, value,
    /// …) and, with `nested=True`, the ESI objects `victim`, `attackers`
    /// and `zkb`, which make the frame readable again by `read_killmails`.
    #[pyo3(signature = (*, nested = true))]
    fn to_pandas<'py>(&self, py: Python<'py>, nested: bool) -> PyResult<Bound<'py, PyAny>> {
        crate::frame::killmails_frame(py, &self.killmails, nested)
    }

    fn __repr__(&self) -> String {
        let skipped = self.report.skipped_total();
        format!(
            "<KillmailSet {} killmails, {} duplicates, {} skipped, {} references>",
            self.killmails.len(),
            self.report.duplicates,
            skipped,
            self.references.len()
        )
    }
}

/// Iterator over a `KillmailSet`.
#[pyclass(module = "battlescope", name = "KillmailIterator")]
#[derive(Debug)]
pub struct KillmailIter {
    killmails: Arc<Vec<core::Killmail>>,
    next: usize,
}

#[pymethods]
impl KillmailIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self) -> Option<PyKillmail> {
        let km = self.killmails.get(self.next)?;
        self.next += 1;
        Some(PyKillmail(km.clone()))
    }
}

fn options(format: &str) -> PyResult<ReadOptions> {
    let format: Format = format.parse().into_py_result()?;
    Ok(ReadOptions::default().with_format(format))
}

/// Files as given; directories to the killmail files under them (core's
/// `expand_paths`: recursive, sorted, every extension core reads; an empty
/// directory is an error).
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned arguments
fn expand_paths(paths: Vec<PathBuf>) -> PyResult<Vec<String>> {
    let files = core::input::expand_paths(&paths).into_py_result()?;
    Ok(files.iter().map(|f| f.display().to_string()).collect())
}

/// Read killmail files (the native half of `battlescope.read_killmails`,
/// which expands directories first) with core's `read_paths`: duplicates
/// collapse across files, a file that cannot be read stops only itself,
/// and unless `skip_unreadable` the first such file is raised at the end.
/// `progress`, when given, is called with the number of bytes read since
/// its last call (every few MiB and at the end of each file); Ctrl-C stops
/// the read.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned arguments
#[pyo3(signature = (paths, *, format = "auto", progress = None, strict = false, skip_unreadable = false))]
fn read_paths(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    format: &str,
    progress: Option<Py<PyAny>>,
    strict: bool,
    skip_unreadable: bool,
) -> PyResult<PyKillmailSet> {
    let options = options(format)?;
    let mut failure: Option<PyErr> = None;
    let mut reported = 0_u64;
    let result = py.detach(|| {
        core::input::read_paths(&paths, &options, &mut |p| {
            let bytes = p.bytes.saturating_sub(reported);
            reported = p.bytes;
            Python::attach(|py| {
                py.check_signals()?;
                if let Some(cb) = &progress {
                    cb.call1(py, (bytes,))?;
                }
                Ok::<_, PyErr>(())
            })
            .map_err(|e| {
                failure = Some(e);
                io::Error::other("stopped from Python")
            })
        })
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let mut outcome = result.into_py_result()?;
    if !skip_unreadable {
        outcome.check_readable().into_py_result()?;
    }
    let set = PyKillmailSet::from_outcome(outcome);
    if strict {
        set.raise_first_error(py)?;
    }
    Ok(set)
}

/// Read in-memory records (`Killmail` objects, JSON text, dicts; the native
/// half of `read_killmails` for `DataFrame`s and iterables) with core's
/// `read_records`: errors name each record by its 0-based index.
/// `progress`, when given, is called with the number of records converted
/// since its last call (every 4,096), the last ones once core has read them.
#[pyfunction]
#[pyo3(signature = (records, *, format = "auto", strict = false, progress = None))]
fn read_records(
    py: Python<'_>,
    records: &Bound<'_, PyAny>,
    format: &str,
    strict: bool,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyKillmailSet> {
    const REPORT_EVERY: usize = 4096;
    let options = options(format)?;
    let mut items: Vec<Vec<u8>> = Vec::new();
    let mut pending = 0_usize;
    for item in records.try_iter()? {
        items.push(record_json(&item?)?.into_owned());
        pending += 1;
        if pending == REPORT_EVERY {
            py.check_signals()?;
            if let Some(cb) = progress {
                cb.call1((pending,))?;
            }
            pending = 0;
        }
    }
    let outcome = py
        .detach(|| core::input::read_records(&items, None, &options))
        .into_py_result()?;
    if let Some(cb) = progress {
        cb.call1((pending,))?;
    }
    let set = PyKillmailSet::from_outcome(outcome);
    if strict {
        set.raise_first_error(py)?;
    }
    Ok(set)
}

/// Parse one killmail from a dict, JSON text (`str` / `bytes`) or any
/// record shape core reads (ESI, R2Z2, RedisQ).
///
/// Raises `ParseError` (or `InvalidKillmailError`) naming the field.
#[pyfunction]
fn parse_killmail(record: &Bound<'_, PyAny>) -> PyResult<PyKillmail> {
    killmail_from_py(record, None).map(PyKillmail)
}

/// The other half of `KillmailSet.__reduce__`.
#[pyfunction]
fn _killmail_set_from_pickle(data: &[u8]) -> PyResult<PyKillmailSet> {
    let state: Pickled = serde_json::from_slice(data)
        .map_err(|e| PyValueError::new_err(format!("not a pickled KillmailSet: {e}")))?;
    let mut set = PyKillmailSet::selection(state.killmails);
    set.report.sources = state.sources;
    set.report.records = state.records;
    set.report.empty = state.empty;
    set.report.duplicates = state.duplicates;
    set.report.skipped = state.skipped;
    set.rejected = state.rejected;
    set.duplicate_ids = state.duplicate_ids;
    Ok(set)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyKillmailSet>()?;
    m.add_function(wrap_pyfunction!(_killmail_set_from_pickle, m)?)?;
    m.add_class::<KillmailIter>()?;
    m.add_function(wrap_pyfunction!(expand_paths, m)?)?;
    m.add_function(wrap_pyfunction!(read_paths, m)?)?;
    m.add_function(wrap_pyfunction!(read_records, m)?)?;
    m.add_function(wrap_pyfunction!(parse_killmail, m)?)?;
    Ok(())
}
