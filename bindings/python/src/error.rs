//! Core errors → Python exceptions: the one place the binding maps errors.
//!
//! The exception classes are declared in `battlescope/errors.py` (so they
//! can inherit from both `BattleScopeError` and a builtin such as
//! `ValueError`); this module picks the class for each core
//! [`Error`] variant and fills in the structured details a user needs to
//! find the bad input: the record's location, the field, the killmail id
//! and the stable reason key core counts skipped records by.
//!
//! | core variant | Python class | bases |
//! |---|---|---|
//! | `Json`, `Shape`, `TooLarge` | `ParseError` | `BattleScopeError`, `ValueError` |
//! | `Invalid` | `InvalidKillmailError` | `ParseError` |
//! | `Format` | `FormatError` | `BattleScopeError`, `ValueError` |
//! | `Config` | `ConfigError` | `BattleScopeError`, `ValueError` |
//! | `Io` | `ReadError` | `BattleScopeError`, `OSError` |

use battlescope_core::error::{RecordLoc, RecordPosition};
use battlescope_core::Error;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

/// Map a core result into a Python one.
pub(crate) trait IntoPyResult<T> {
    fn into_py_result(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn into_py_result(self) -> PyResult<T> {
        self.map_err(|e| Python::attach(|py| to_py_err(py, &e)))
    }
}

static ERRORS_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    ERRORS_MODULE
        .get_or_try_init(py, || py.import("battlescope.errors").map(Bound::unbind))
        .map(|m| m.bind(py))
}

/// The Python exception for a core error.
pub(crate) fn to_py_err(py: Python<'_>, err: &Error) -> PyErr {
    build(py, err).unwrap_or_else(|e| e)
}

/// The exception instance (not raised) for a core error, as
/// `KillmailSet.errors` lists them.
pub(crate) fn to_py_exception<'py>(py: Python<'py>, err: &Error) -> Bound<'py, PyAny> {
    to_py_err(py, err).into_value(py).into_bound(py).into_any()
}

fn build(py: Python<'_>, err: &Error) -> Result<PyErr, PyErr> {
    let class_name = match err {
        Error::Invalid { .. } => "InvalidKillmailError",
        Error::Json { .. } | Error::Shape { .. } | Error::TooLarge { .. } => "ParseError",
        Error::Format { .. } => "FormatError",
        Error::Config { .. } => "ConfigError",
        Error::Io { .. } => "ReadError",
        // `Error` is non-exhaustive: a variant added to core later still maps.
        _ => "BattleScopeError",
    };
    let class = errors_module(py)
        .and_then(|m| m.getattr(class_name))
        .map_err(|_| PyValueError::new_err(err.to_string()))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("reason", err.reason_key())?;
    kwargs.set_item("kind", err.kind())?;
    kwargs.set_item("field", err.field())?;
    if let Some(record) = err.record() {
        set_record(&kwargs, record)?;
    }
    match err {
        Error::Io { source_name, .. } | Error::Format { source_name, .. } => {
            kwargs.set_item("source", source_name)?;
        }
        _ => {}
    }
    let instance = class.call((err.to_string(),), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}

fn set_record(kwargs: &Bound<'_, PyDict>, record: &RecordLoc) -> PyResult<()> {
    kwargs.set_item("record", record.to_string())?;
    kwargs.set_item("source", record.source.as_deref())?;
    kwargs.set_item("killmail_id", record.killmail_id)?;
    match &record.position {
        RecordPosition::Line(n) => kwargs.set_item("line", n)?,
        RecordPosition::Element(n) => kwargs.set_item("index", n)?,
        RecordPosition::Entry(name) => kwargs.set_item("entry", name)?,
        _ => {}
    }
    Ok(())
}

/// A `Config` error naming `field`, for values the binding cannot even hand
/// to core (a snapshot that is not JSON, a duration of the wrong type).
pub(crate) fn config_error(field: &str, reason: impl Into<String>) -> PyErr {
    Python::attach(|py| {
        to_py_err(
            py,
            &Error::Config {
                field: field.to_owned(),
                reason: reason.into(),
            },
        )
    })
}
