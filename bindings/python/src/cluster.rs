//! Clustering (core `cluster`): batch `cluster()` and the incremental
//! `Clusterer`, with the configuration taken from keyword arguments.
//!
//! Both run with the GIL released when they touch more than one killmail.
//! Events and snapshots are core's serde forms: an event is the dict of a
//! core `BattleChange` (`{"type": "created" | "updated" | "deleted", …}`), a
//! snapshot is the JSON of a core `ClustererSnapshot`.

use std::sync::Arc;

use battlescope_core as core;
use chrono::{DateTime, Utc};
use core::cluster::{ClusterConfig, ClustererSnapshot, Pushed};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use crate::battle::PyBattle;
use crate::convert::{duration, killmail_from_py, killmails_from_py, to_py};
use crate::error::{config_error, IntoPyResult};

/// Build a core configuration from the Python keyword arguments; absent
/// durations keep core's defaults.
fn config(
    correlation_window: Option<&Bound<'_, PyAny>>,
    max_gap: Option<&Bound<'_, PyAny>>,
    min_shared: u32,
    correlate_by: &str,
    min_kills: u32,
    allowed_lateness: Option<&Bound<'_, PyAny>>,
) -> PyResult<ClusterConfig> {
    let mut config = ClusterConfig::default()
        .with_min_shared(min_shared)
        .with_correlate_by(correlate_by.parse().into_py_result()?)
        .with_min_kills(min_kills);
    if let Some(w) = correlation_window {
        config.correlation_window = duration("correlation_window", w)?;
    }
    if let Some(g) = max_gap {
        config.max_gap = duration("max_gap", g)?;
    }
    if let Some(l) = allowed_lateness {
        config.allowed_lateness = duration("allowed_lateness", l)?;
    }
    Ok(config)
}

fn wrap_battles(py: Python<'_>, battles: Vec<core::Battle>) -> PyResult<Bound<'_, PyList>> {
    PyList::new(py, battles.into_iter().map(PyBattle))
}

/// Cluster killmails into battles (DESIGN.md "Clustering"): linked kills
/// (same system, within `correlation_window`, sharing `min_shared`
/// participants by `correlate_by`) form battles, split by silences longer
/// than `max_gap`; groups under `min_kills` kills are dropped.
///
/// `killmails`: a `KillmailSet`, a pandas `DataFrame`, or an iterable of
/// `Killmail` objects, dicts or JSON strings. Durations: `"30m"`,
/// `"1h 30m"`, seconds, or a `timedelta`. Returns battles sorted by first
/// kill.
#[pyfunction]
#[pyo3(signature = (
    killmails,
    *,
    correlation_window = None,
    max_gap = None,
    min_shared = 1,
    correlate_by = "character",
    min_kills = 2,
))]
fn cluster<'py>(
    py: Python<'py>,
    killmails: &Bound<'py, PyAny>,
    correlation_window: Option<&Bound<'py, PyAny>>,
    max_gap: Option<&Bound<'py, PyAny>>,
    min_shared: u32,
    correlate_by: &str,
    min_kills: u32,
) -> PyResult<Bound<'py, PyList>> {
    let config = config(
        correlation_window,
        max_gap,
        min_shared,
        correlate_by,
        min_kills,
        None,
    )?;
    let killmails: Arc<Vec<core::Killmail>> = killmails_from_py(killmails)?;
    let battles = py
        .detach(|| core::cluster(&killmails, &config))
        .into_py_result()?;
    wrap_battles(py, battles)
}

/// Parse a duration as `cluster()` reads it (`"30m"`, `"1h 30m"`, `"90"`
/// seconds) into a `timedelta`.
#[pyfunction]
fn parse_duration(text: &str) -> PyResult<std::time::Duration> {
    core::cluster::parse_duration("duration", text).into_py_result()
}

/// Incremental clustering: push killmails one at a time (in any order,
/// duplicates allowed) and get battle events; ends with the same battles as
/// `cluster()` on the same set.
///
/// State is bounded: battles whose last kill is older than the newest kill
/// minus `allowed_lateness` are sealed and evicted (see `Pushed.sealed`).
#[pyclass(module = "battlescope", name = "Clusterer")]
#[derive(Debug)]
pub struct PyClusterer(core::Clusterer);

#[pymethods]
impl PyClusterer {
    #[new]
    #[pyo3(signature = (
        *,
        correlation_window = None,
        max_gap = None,
        min_shared = 1,
        correlate_by = "character",
        min_kills = 2,
        allowed_lateness = None,
        keep_sealed = true,
    ))]
    fn new(
        correlation_window: Option<&Bound<'_, PyAny>>,
        max_gap: Option<&Bound<'_, PyAny>>,
        min_shared: u32,
        correlate_by: &str,
        min_kills: u32,
        allowed_lateness: Option<&Bound<'_, PyAny>>,
        keep_sealed: bool,
    ) -> PyResult<Self> {
        let config = config(
            correlation_window,
            max_gap,
            min_shared,
            correlate_by,
            min_kills,
            allowed_lateness,
        )?;
        core::Clusterer::new(config)
            .into_py_result()
            .map(|c| Self(c.keep_sealed(keep_sealed)))
    }

    /// Cluster one killmail (a `Killmail`, dict or JSON text) and return
    /// everything the push did, the same shape as Node's `push`: the
    /// `outcome`, the battle `events` (changes, as dicts) and the battles
    /// it `sealed`.
    fn push(&mut self, killmail: &Bound<'_, PyAny>) -> PyResult<PyPushed> {
        let km = killmail_from_py(killmail, None)?;
        Ok(PyPushed(self.0.push(km)))
    }

    /// Cluster many killmails (as `cluster()` accepts them) with the GIL
    /// released; returns all their events, in order.
    fn push_many<'py>(
        &mut self,
        py: Python<'py>,
        killmails: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let killmails = killmails_from_py(killmails)?;
        let inner = &mut self.0;
        let before = inner.counts();
        let events: Vec<core::cluster::BattleChange> = py.detach(|| {
            killmails
                .iter()
                .flat_map(|km| inner.push(km.clone()).events)
                .collect()
        });
        let after = inner.counts();
        let late = after.late_beyond_horizon - before.late_beyond_horizon;
        let future = after.future_dated - before.future_dated;
        if late + future > 0 {
            warn(
                py,
                &format!(
                    "{late} killmails were late beyond the horizon and {future} dated in the \
                     future: not clustered (see Clusterer.counts)"
                ),
            )?;
        }
        to_py(py, &events)
    }

    /// Every battle of the run, sorted by first kill: the open ones and,
    /// with `keep_sealed` (the default), the sealed ones.
    fn battles<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let inner = &self.0;
        let battles = py.detach(|| inner.battles());
        wrap_battles(py, battles)
    }

    /// The open (not yet sealed) battles, sorted by first kill.
    fn open_battles<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let inner = &self.0;
        let battles = py.detach(|| inner.open_battles());
        wrap_battles(py, battles)
    }

    /// How many pushes ended in each outcome: a dict of `added`,
    /// `duplicates`, `replaced`, `late_beyond_horizon`, `reclustered`,
    /// `future_dated`.
    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0.counts())
    }

    /// Say what time you trust (e.g. `datetime.now(timezone.utc)`): kills
    /// dated more than `max_future_skew` (1 h) after it are refused.
    fn set_trusted_time(&mut self, now: DateTime<Utc>) {
        self.0.set_trusted_time(now);
    }

    /// The battle a killmail belongs to (its id), or `None`.
    fn battle_of(&self, killmail_id: u64) -> Option<String> {
        self.0.battle_of(killmail_id).map(|id| id.to_string())
    }

    /// The current document of one open battle, or `None`.
    fn battle(&self, battle_id: &str) -> PyResult<Option<PyBattle>> {
        let id = uuid::Uuid::parse_str(battle_id)
            .map_err(|e| config_error("battle_id", format!("`{battle_id}` is not a UUID: {e}")))?;
        Ok(self.0.battle(id).map(PyBattle))
    }

    /// Newest kill time seen minus `allowed_lateness`; `None` before the
    /// first push.
    #[getter]
    fn watermark(&self) -> Option<DateTime<Utc>> {
        self.0.watermark()
    }

    /// Number of live (not yet sealed) killmails.
    #[getter]
    fn live_killmails(&self) -> usize {
        self.0.live_killmails()
    }

    /// Number of open (not yet sealed) battles.
    #[getter]
    fn open_battle_count(&self) -> usize {
        self.0.open_battle_count()
    }

    /// The configuration in force, as its file form (durations as text).
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.0.config())
    }

    /// The whole state, as JSON bytes; `Clusterer.restore(data)` rebuilds it.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let inner = &self.0;
        let bytes = py
            .detach(|| serde_json::to_vec(&inner.snapshot()))
            .map_err(|e| config_error("snapshot", e.to_string()))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Rebuild a clusterer from `snapshot()`'s bytes (or text).
    #[staticmethod]
    fn restore(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes = crate::convert::record_json(data)?;
        let clusterer = py.detach(|| {
            let snapshot: ClustererSnapshot =
                serde_json::from_slice(&bytes).map_err(|e| core::Error::Config {
                    field: "snapshot".to_owned(),
                    reason: format!("not a clusterer snapshot: {e}"),
                })?;
            core::Clusterer::restore(snapshot)
        });
        clusterer.into_py_result().map(Self)
    }

    /// Pickle as the snapshot, read back by `Clusterer.restore`.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let snapshot = slf.borrow().snapshot(slf.py())?;
        Ok((slf.get_type().getattr("restore")?, (snapshot,)))
    }

    fn __repr__(&self) -> String {
        format!(
            "<Clusterer {} live killmails, {} open battles>",
            self.0.live_killmails(),
            self.0.open_battle_count()
        )
    }
}

/// A Python `UserWarning`: a late or future-dated kill is never silent.
fn warn(py: Python<'_>, message: &str) -> PyResult<()> {
    let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
    PyErr::warn(py, &category, &std::ffi::CString::new(message)?, 2)
}

/// Everything one `Clusterer.push` did (core's `Pushed`).
#[pyclass(module = "battlescope", name = "Pushed", frozen)]
#[derive(Debug)]
pub struct PyPushed(Pushed);

#[pymethods]
impl PyPushed {
    /// `"added"`, `"duplicate"` (the same killmail is already held),
    /// `"replaced"` (a better copy replaced the held one), `"reclustered"`
    /// (late, re-clustered with the kept history), `"late_beyond_horizon"`
    /// (late and not clustered: `keep_sealed=False`; re-cluster that span
    /// from the full data) or `"future_dated"` (dated too far after the
    /// trusted time: refused).
    #[getter]
    fn outcome(&self) -> &'static str {
        self.0.outcome.as_str()
    }

    /// For `"late_beyond_horizon"`: the sealed battles of that span.
    #[getter]
    fn late_battles(&self) -> Vec<String> {
        let battles = self.0.outcome.late_battles();
        battles.iter().map(ToString::to_string).collect()
    }

    /// For `"future_dated"`: the trusted time the kill was refused against.
    #[getter]
    fn trusted_time(&self) -> Option<DateTime<Utc>> {
        self.0.outcome.trusted_time()
    }

    /// Battle events (the clusterer's changes), in the order to apply
    /// them, as dicts.
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0.events)
    }

    /// Battles sealed and evicted by this push: final from now on.
    #[getter]
    fn sealed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        wrap_battles(py, self.0.sealed.clone())
    }

    fn __repr__(&self) -> String {
        format!(
            "<Pushed {}, {} events, {} sealed>",
            self.outcome(),
            self.0.events.len(),
            self.0.sealed.len()
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cluster, m)?)?;
    m.add_function(wrap_pyfunction!(parse_duration, m)?)?;
    m.add_class::<PyClusterer>()?;
    m.add_class::<PyPushed>()?;
    Ok(())
}
