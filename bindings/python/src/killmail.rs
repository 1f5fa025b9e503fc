//! `Killmail`: a core [`core::Killmail`] held in Rust, read from Python.
//!
//! Scalars are properties; the ESI objects (`victim`, `attackers`, `zkb`)
//! come out as the dicts of their JSON form, with ESI's and zKillboard's
//! own key names, exactly as `to_dict()` gives them.

use battlescope_core as core;
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::convert::{to_json_string, to_py};

/// One killmail (ESI's shape, with zKillboard's `zkb` metadata when the
/// source had it).
///
/// Made by `parse_killmail`, by iterating a `KillmailSet`, or by indexing
/// one. Immutable; equal when every field is equal.
#[pyclass(module = "battlescope", name = "Killmail", frozen, eq)]
#[derive(Debug, Clone, PartialEq)]
pub struct PyKillmail(pub(crate) core::Killmail);

#[pymethods]
impl PyKillmail {
    /// The killmail id.
    #[getter]
    fn killmail_id(&self) -> u64 {
        self.0.killmail_id
    }

    /// When the kill happened (timezone-aware, UTC).
    #[getter]
    fn killmail_time(&self) -> DateTime<Utc> {
        self.0.killmail_time
    }

    /// The solar system id.
    #[getter]
    fn solar_system_id(&self) -> u32 {
        self.0.solar_system_id
    }

    /// The moon id, when the kill was at a moon.
    #[getter]
    fn moon_id(&self) -> Option<u64> {
        self.0.moon_id
    }

    /// The war id, when the kill was part of a war.
    #[getter]
    fn war_id(&self) -> Option<u64> {
        self.0.war_id
    }

    /// The victim, as ESI's JSON object.
    #[getter]
    fn victim<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0.victim)
    }

    /// The attackers, as ESI's JSON objects.
    #[getter]
    fn attackers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0.attackers)
    }

    /// zKillboard's metadata (`totalValue`, `npc`, `hash`, …), when known.
    #[getter]
    fn zkb<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0.zkb)
    }

    /// zKillboard's total value in ISK, when known.
    #[getter]
    fn total_value(&self) -> Option<f64> {
        self.0.total_value()
    }

    /// True when no attacker is a player character (or zKillboard says NPC).
    #[getter]
    fn is_npc_kill(&self) -> bool {
        self.0.is_npc_kill()
    }

    /// The killmail as its JSON object (ESI keys, plus `zkb`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0)
    }

    /// The killmail as JSON text, as core serialises it.
    fn to_json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        to_json_string(py, &self.0)
    }

    /// Pickle as the JSON text, read back by `parse_killmail`.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyString>,))> {
        let py = slf.py();
        let parse = py
            .import("battlescope._battlescope")?
            .getattr("parse_killmail")?;
        Ok((parse, (to_json_string(py, &slf.get().0)?,)))
    }

    fn __repr__(&self) -> String {
        format!(
            "<Killmail {} at {} in system {}, {} attackers>",
            self.0.killmail_id,
            self.0.killmail_time.format("%Y-%m-%d %H:%M:%S UTC"),
            self.0.solar_system_id,
            self.0.attackers.len()
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyKillmail>()
}
