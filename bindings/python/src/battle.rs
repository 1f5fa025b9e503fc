//! The battle document (core `battle`): `Battle`, `BattleStats`, `Side`,
//! read-only views of core's documents, and `battles_to_pandas`.
//!
//! Attributes use Python's `snake_case` names; `to_dict()` gives the
//! document's JSON form exactly as core serialises it (camelCase keys, the
//! shape of the Battle JSON Schema).

use battlescope_core as core;
use chrono::{DateTime, Utc};
use core::error::RecordLoc;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::convert::{record_json, to_json_string, to_py};
use crate::error::IntoPyResult;

/// A battle: the killmails of one fight, with statistics and sides.
///
/// Made by `cluster()` and the `Clusterer`. Immutable; equal when the whole
/// documents are equal.
#[pyclass(module = "battlescope", name = "Battle", frozen, eq)]
#[derive(Debug, Clone, PartialEq)]
pub struct PyBattle(pub(crate) core::Battle);

#[pymethods]
impl PyBattle {
    /// Deterministic id (UUID v5 of the system and the first killmail), as text.
    #[getter]
    fn id(&self) -> String {
        self.0.id.to_string()
    }

    /// Solar system id.
    #[getter]
    fn system_id(&self) -> u32 {
        self.0.system_id
    }

    /// Solar system name, when the embedded universe data knows the system.
    #[getter]
    fn system_name(&self) -> Option<&str> {
        self.0.system_name.as_deref()
    }

    /// Region id, when known.
    #[getter]
    fn region_id(&self) -> Option<u32> {
        self.0.region_id
    }

    /// Region name, when known.
    #[getter]
    fn region_name(&self) -> Option<&str> {
        self.0.region_name.as_deref()
    }

    /// `high_sec`, `low_sec`, `null_sec`, `wormhole`, `pochven` or
    /// `abyssal`; `None` for systems the universe data does not know.
    #[getter]
    fn security_class(&self) -> Option<&'static str> {
        self.0
            .security_class
            .map(core::universe::SecurityClass::as_str)
    }

    /// Time of the first kill (timezone-aware, UTC).
    #[getter]
    fn start_time(&self) -> DateTime<Utc> {
        self.0.start_time
    }

    /// Time of the last kill (timezone-aware, UTC).
    #[getter]
    fn end_time(&self) -> DateTime<Utc> {
        self.0.end_time
    }

    /// Seconds from the first kill to the last.
    #[getter]
    fn duration_seconds(&self) -> i64 {
        self.0.duration_seconds
    }

    /// Member killmail ids, sorted by time then id.
    #[getter]
    fn killmail_ids(&self) -> Vec<u64> {
        self.0.killmail_ids.clone()
    }

    /// Number of kills (`stats.kill_count`).
    fn __len__(&self) -> usize {
        self.0.killmail_ids.len()
    }

    /// Figures of the battle.
    #[getter]
    fn stats(&self) -> PyBattleStats {
        PyBattleStats(self.0.stats.clone())
    }

    /// Sides, largest first.
    #[getter]
    fn sides(&self) -> Vec<PySide> {
        self.0.sides.iter().cloned().map(PySide).collect()
    }

    /// zKillboard's related-kills page for the hour of the first kill.
    #[getter]
    fn zkillboard_url(&self) -> &str {
        &self.0.zkillboard_url
    }

    /// The document as its JSON object (camelCase keys, as the Battle JSON
    /// Schema describes it).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0)
    }

    /// The document as JSON text.
    fn to_json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        to_json_string(py, &self.0)
    }

    /// A battle from its JSON document (`to_json()` / `to_dict()` text).
    #[staticmethod]
    fn from_json(text: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes = record_json(text)?;
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|e| core::Error::Json {
                record: RecordLoc::default(),
                path: ".".to_owned(),
                message: format!("not a battle document: {e}"),
            })
            .into_py_result()
    }

    /// A battle from its document as a dict (`to_dict()`).
    #[staticmethod]
    fn from_dict(document: &Bound<'_, PyAny>) -> PyResult<Self> {
        Self::from_json(document)
    }

    /// Pickle as the JSON document.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyString>,))> {
        let text = to_json_string(slf.py(), &slf.get().0)?;
        Ok((slf.get_type().getattr("from_json")?, (text,)))
    }

    fn __repr__(&self) -> String {
        let b = &self.0;
        format!(
            "<Battle {} in {} {}–{} UTC, {} kills, {} sides>",
            b.id,
            b.system_name
                .clone()
                .unwrap_or_else(|| b.system_id.to_string()),
            b.start_time.format("%Y-%m-%d %H:%M"),
            b.end_time.format("%H:%M"),
            b.stats.kill_count,
            b.sides.len()
        )
    }
}

/// Figures of one battle.
#[pyclass(module = "battlescope", name = "BattleStats", frozen, eq)]
#[derive(Debug, Clone, PartialEq)]
pub struct PyBattleStats(core::BattleStats);

#[pymethods]
impl PyBattleStats {
    /// Number of kills.
    #[getter]
    fn kill_count(&self) -> u32 {
        self.0.kill_count
    }

    /// Sum of zKillboard's `totalValue` over the kills that have one.
    #[getter]
    fn isk_destroyed(&self) -> f64 {
        self.0.isk_destroyed
    }

    /// Kills without a known value (not counted as zero).
    #[getter]
    fn kills_without_value(&self) -> u32 {
        self.0.kills_without_value
    }

    /// Distinct characters, victims and attackers.
    #[getter]
    fn unique_pilots(&self) -> u32 {
        self.0.unique_pilots
    }

    /// Kills whose attackers are all NPCs.
    #[getter]
    fn npc_kills(&self) -> u32 {
        self.0.npc_kills
    }

    /// Victim ships by class name.
    #[getter]
    fn ships_lost<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0.ships_lost)
    }

    /// Distinct (pilot, hull) pairs by class name.
    #[getter]
    fn ships_fielded<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0.ships_fielded)
    }

    /// Kills in each minute, from the first kill's minute to the last one's.
    #[getter]
    fn kills_per_minute(&self) -> Vec<u32> {
        self.0.kills_per_minute.clone()
    }

    /// The statistics as their JSON object (camelCase keys).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0)
    }

    fn __repr__(&self) -> String {
        format!(
            "<BattleStats {} kills, {:.0} ISK, {} pilots>",
            self.0.kill_count, self.0.isk_destroyed, self.0.unique_pilots
        )
    }
}

/// One side of a battle: the groups that fought together.
#[pyclass(module = "battlescope", name = "Side", frozen, eq)]
#[derive(Debug, Clone, PartialEq)]
pub struct PySide(core::Side);

#[pymethods]
impl PySide {
    /// 0-based; sides are ordered by pilots (most first).
    #[getter]
    fn index(&self) -> u32 {
        self.0.index
    }

    /// Alliance ids on this side.
    #[getter]
    fn alliances(&self) -> Vec<u64> {
        self.0.alliances.clone()
    }

    /// Corporation ids on this side (with or without alliance).
    #[getter]
    fn corporations(&self) -> Vec<u64> {
        self.0.corporations.clone()
    }

    /// Character ids on this side.
    #[getter]
    fn pilots(&self) -> Vec<u64> {
        self.0.pilots.clone()
    }

    /// Distinct (pilot, hull) pairs by class name.
    #[getter]
    fn ships<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0.ships)
    }

    /// Kills credited to this side.
    #[getter]
    fn kills(&self) -> u32 {
        self.0.kills
    }

    /// Losses of this side.
    #[getter]
    fn losses(&self) -> u32 {
        self.0.losses
    }

    /// ISK this side destroyed.
    #[getter]
    fn isk_killed(&self) -> f64 {
        self.0.isk_killed
    }

    /// ISK this side lost.
    #[getter]
    fn isk_lost(&self) -> f64 {
        self.0.isk_lost
    }

    /// Losses without a known value.
    #[getter]
    fn losses_without_value(&self) -> u32 {
        self.0.losses_without_value
    }

    /// `isk_killed / (isk_killed + isk_lost)`; `None` when both are zero.
    #[getter]
    fn efficiency(&self) -> Option<f64> {
        self.0.efficiency
    }

    /// The side as its JSON object (camelCase keys).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0)
    }

    fn __repr__(&self) -> String {
        format!(
            "<Side {}: {} alliances, {} pilots, {} kills, {} losses>",
            self.0.index,
            self.0.alliances.len(),
            self.0.pilots.len(),
            self.0.kills,
            self.0.losses
        )
    }
}

/// The battles of an iterable of `Battle`s (held, not copied).
fn held_battles<'py>(battles: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyBattle>>> {
    let mut held = Vec::new();
    for item in battles.try_iter()? {
        held.push(item?.cast_into::<PyBattle>()?);
    }
    Ok(held)
}

/// A pandas `DataFrame` with one row per battle: id, place, times, the
/// statistics' figures, the number of sides and the killmail ids.
#[pyfunction]
fn battles_to_pandas<'py>(
    py: Python<'py>,
    battles: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let held = held_battles(battles)?;
    let docs: Vec<&core::Battle> = held.iter().map(|b| &b.get().0).collect();
    crate::frame::battles_frame(py, &docs)
}

/// A pandas `DataFrame` with one row per side of each battle.
#[pyfunction]
fn sides_to_pandas<'py>(
    py: Python<'py>,
    battles: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let held = held_battles(battles)?;
    let docs: Vec<&core::Battle> = held.iter().map(|b| &b.get().0).collect();
    crate::frame::sides_frame(py, &docs)
}

/// A pandas `DataFrame` with one row per kill of each battle, with the
/// victim's side; `killmails` are those the battles were clustered from.
#[pyfunction]
fn kills_to_pandas<'py>(
    py: Python<'py>,
    battles: &Bound<'py, PyAny>,
    killmails: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let held = held_battles(battles)?;
    let docs: Vec<&core::Battle> = held.iter().map(|b| &b.get().0).collect();
    let killmails = crate::convert::killmails_from_py(killmails)?;
    crate::frame::kills_frame(py, &docs, &killmails)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBattle>()?;
    m.add_class::<PyBattleStats>()?;
    m.add_class::<PySide>()?;
    m.add_function(wrap_pyfunction!(battles_to_pandas, m)?)?;
    m.add_function(wrap_pyfunction!(sides_to_pandas, m)?)?;
    m.add_function(wrap_pyfunction!(kills_to_pandas, m)?)?;
    Ok(())
}
