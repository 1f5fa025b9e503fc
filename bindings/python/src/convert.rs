//! Conversions between Python objects and core types, shared by the other
//! modules.
//!
//! - Out: any serde value → Python objects (`pythonize`), so a document's
//!   dict is exactly its JSON form (the keys and values `serde_json` would
//!   write, `None` for `null`).
//! - In: a killmail is whatever core parses. A `Killmail` is taken as is;
//!   `str` / `bytes` are JSON text handed to core's `parse_record`; any
//!   other object (a dict, a pandas row) is first written as JSON text by
//!   Python's `json` module (`battlescope/_convert.py`, which also knows
//!   `datetime` and numpy scalars) and then parsed by core like text.
//! - Durations: text and whole seconds go through core's `parse_duration`.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use battlescope_core as core;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyModule, PyString};
use serde::Serialize;

use crate::error::{config_error, IntoPyResult};
use crate::input::PyKillmailSet;
use crate::killmail::PyKillmail;

/// A serde value as Python objects (dicts, lists, str, int, float, None).
pub(crate) fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(pythonize::pythonize(py, value)?)
}

/// A serde value as JSON text.
pub(crate) fn to_json_string<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyString>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(PyString::new(py, &text))
}

static CONVERT_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// `battlescope._convert`, the Python half of input conversion.
pub(crate) fn convert_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    CONVERT_MODULE
        .get_or_try_init(py, || py.import("battlescope._convert").map(Bound::unbind))
        .map(|m| m.bind(py))
}

/// The JSON text of one record: text as given, a `Killmail` as core writes
/// it, anything else through Python's `json` module.
pub(crate) fn record_json<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Cow::Borrowed(s.to_str()?.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(b.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Cow::Owned(b.to_vec()));
    }
    if let Ok(km) = obj.cast::<PyKillmail>() {
        let bytes = serde_json::to_vec(&km.get().0)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        return Ok(Cow::Owned(bytes));
    }
    let text = convert_module(obj.py())?
        .getattr("to_json")?
        .call1((obj,))?;
    let text = text.cast::<PyString>()?;
    Ok(Cow::Owned(text.to_str()?.as_bytes().to_vec()))
}

/// One killmail from a `Killmail`, JSON text or a dict-like object.
/// `index` is the object's place in a collection, for error locations.
///
/// # Errors
/// `ParseError` (and subclasses) for records core does not accept as a
/// killmail, `TypeError` for objects that cannot be written as JSON.
pub(crate) fn killmail_from_py(
    obj: &Bound<'_, PyAny>,
    index: Option<usize>,
) -> PyResult<core::Killmail> {
    if let Ok(km) = obj.cast::<PyKillmail>() {
        return Ok(km.get().0.clone());
    }
    let bytes = record_json(obj)?;
    core::input::parse_killmail(&bytes, index.map(|i| i as u64)).into_py_result()
}

/// Killmails from a `KillmailSet` (shared, no copy), a pandas `DataFrame`, or
/// any iterable of killmails / JSON text / dicts. Strict: the first record
/// core rejects raises, naming its index.
pub(crate) fn killmails_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Arc<Vec<core::Killmail>>> {
    if let Ok(set) = obj.cast::<PyKillmailSet>() {
        return Ok(Arc::clone(&set.get().killmails));
    }
    reject_paths(obj)?;
    let records = convert_module(obj.py())?
        .getattr("records")?
        .call1((obj,))?;
    let mut out = Vec::new();
    for (i, item) in records.try_iter()?.enumerate() {
        out.push(killmail_from_py(&item?, Some(i))?);
    }
    Ok(Arc::new(out))
}

/// A path where killmails are expected is a mistake worth naming.
fn reject_paths(obj: &Bound<'_, PyAny>) -> PyResult<()> {
    let is_path = obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")?;
    if is_path {
        return Err(PyTypeError::new_err(
            "expected killmails (a KillmailSet, a DataFrame, or an iterable of Killmail \
             objects, dicts or JSON strings), got a path or a string; read files with \
             read_killmails(path)",
        ));
    }
    Ok(())
}

/// A duration parameter: text (`"30m"`, `"1h 30m"`), whole seconds (`int`),
/// seconds (`float`) or anything with `total_seconds()` (`timedelta`).
pub(crate) fn duration(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<Duration> {
    if let Ok(s) = obj.cast::<PyString>() {
        return core::cluster::parse_duration(field, s.to_str()?).into_py_result();
    }
    if obj.is_instance_of::<PyBool>() {
        return Err(duration_type_error(field, obj));
    }
    if obj.is_instance_of::<PyInt>() {
        let text = obj.str()?.to_string();
        return core::cluster::parse_duration(field, &text).into_py_result();
    }
    let seconds = if obj.is_instance_of::<PyFloat>() {
        obj.extract::<f64>()?
    } else if obj.hasattr("total_seconds")? {
        obj.call_method0("total_seconds")?.extract::<f64>()?
    } else {
        return Err(duration_type_error(field, obj));
    };
    if seconds.is_finite() && seconds >= 0.0 {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(config_error(
            field,
            format!("{seconds} seconds is not a duration (must be finite and ≥ 0)"),
        ))
    }
}

fn duration_type_error(field: &str, obj: &Bound<'_, PyAny>) -> PyErr {
    let type_name = obj
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string());
    PyTypeError::new_err(format!(
        "{field}: expected a duration such as \"30m\", a number of seconds or a timedelta, \
         got {type_name}"
    ))
}
