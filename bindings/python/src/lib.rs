//! # battlescope-python
//!
//! The extension module `battlescope._battlescope`: Python classes and
//! functions over `battlescope-core`. Each module mirrors the core module of
//! the same name and holds conversion only — Python objects in, core types,
//! core call, Python objects out. Every behaviour (parsing, validation,
//! deduplication, clustering, statistics) is core's; errors are mapped in
//! one place, `src/error.rs`.
//!
//! The public face is the pure-Python package `battlescope`
//! (`python/battlescope/`), which re-exports these names and adds the
//! optional pandas and progress-bar glue.

use pyo3::prelude::*;
use pyo3::types::PyTuple;

mod battle;
mod cluster;
mod convert;
mod error;
mod frame;
mod input;
mod intel;
mod killmail;
mod ruleset;

/// The extension module.
#[pymodule]
fn _battlescope(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // The names of core's classes, the categories of the frames' class columns.
    let py = m.py();
    m.add(
        "SHIP_CLASSES",
        PyTuple::new(
            py,
            battlescope_core::universe::ShipClass::ALL
                .map(battlescope_core::universe::ShipClass::as_str),
        )?,
    )?;
    m.add(
        "SECURITY_CLASSES",
        PyTuple::new(
            py,
            battlescope_core::universe::SecurityClass::ALL
                .map(battlescope_core::universe::SecurityClass::as_str),
        )?,
    )?;
    killmail::register(m)?;
    input::register(m)?;
    battle::register(m)?;
    cluster::register(m)?;
    ruleset::register(m)?;
    intel::register(m)?;
    Ok(())
}
