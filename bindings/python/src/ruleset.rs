//! Rulesets (core `ruleset`): `Ruleset` (a compiled core ruleset),
//! `Decision`, and `filter`.
//!
//! A ruleset from a dict is written as JSON text and read by core's JSON
//! reader, so a dict, a `.json`, a `.yaml` and a `.toml` file of the same
//! document give the same decisions, with the same errors (`ConfigError`
//! whose `field` is the path of the offending value).

use std::path::PathBuf;

use battlescope_core as core;
use core::ruleset::{CompiledRuleset, Decision, Ruleset, RulesetFormat};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::convert::{convert_module, killmail_from_py, killmails_from_py, to_py};
use crate::error::IntoPyResult;
use crate::input::PyKillmailSet;

/// Which killmails enter: thresholds, flags and include / exclude lists
/// (see the ruleset documentation). `Ruleset()` is the empty ruleset,
/// which accepts everything.
#[pyclass(module = "battlescope", name = "Ruleset", frozen)]
#[derive(Debug, Clone, Default)]
pub struct PyRuleset(CompiledRuleset);

fn compile(ruleset: Result<Ruleset, core::Error>) -> PyResult<PyRuleset> {
    ruleset
        .and_then(|r| r.compile())
        .into_py_result()
        .map(PyRuleset)
}

#[pymethods]
impl PyRuleset {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// A ruleset from its document as a dict (the JSON form).
    #[staticmethod]
    fn from_dict(document: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = convert_module(document.py())?
            .getattr("to_json")?
            .call1((document,))?;
        let text = text.cast::<PyString>()?.to_str()?.to_owned();
        compile(Ruleset::from_json(&text))
    }

    /// A ruleset from a file; the format comes from the extension
    /// (`.json`, `.yaml`, `.yml`, `.toml`).
    #[staticmethod]
    #[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned arguments
    fn from_file(path: PathBuf) -> PyResult<Self> {
        compile(Ruleset::from_path(&path))
    }

    /// A ruleset from text in `format` (`"json"`, `"yaml"` or `"toml"`).
    #[staticmethod]
    #[pyo3(signature = (text, format = "json"))]
    fn from_text(text: &str, format: &str) -> PyResult<Self> {
        let format: RulesetFormat = format.parse().into_py_result()?;
        compile(Ruleset::parse(text, format))
    }

    /// The JSON Schema of the ruleset document, as a dict.
    #[staticmethod]
    fn json_schema<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &Ruleset::json_schema())
    }

    /// Decide one killmail (a `Killmail`, dict or JSON text).
    fn evaluate(&self, killmail: &Bound<'_, PyAny>) -> PyResult<PyDecision> {
        let km = killmail_from_py(killmail, None)?;
        Ok(PyDecision(self.0.evaluate(&km)))
    }

    /// True when the killmail passes every rule.
    fn accepts(&self, killmail: &Bound<'_, PyAny>) -> PyResult<bool> {
        let km = killmail_from_py(killmail, None)?;
        Ok(self.0.accepts(&km))
    }

    /// The ruleset document as a dict (the JSON form).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.0.ruleset())
    }

    /// The ruleset's `name`, if it has one.
    #[getter]
    fn name(&self) -> Option<&str> {
        self.0.ruleset().name.as_deref()
    }

    /// Pickle as the document, read back by `Ruleset.from_dict`.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyAny>,))> {
        let document = to_py(slf.py(), slf.get().0.ruleset())?;
        Ok((slf.get_type().getattr("from_dict")?, (document,)))
    }

    fn __repr__(&self) -> String {
        match &self.0.ruleset().name {
            Some(name) => format!("<Ruleset {name:?}>"),
            None if self.0.ruleset().is_empty() => {
                "<Ruleset (empty: accepts everything)>".to_owned()
            }
            None => "<Ruleset>".to_owned(),
        }
    }
}

/// What a ruleset says about one killmail. True when accepted; a rejection
/// names the rule that fired, the value that fired it and why.
#[pyclass(module = "battlescope", name = "Decision", frozen, eq)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyDecision(Decision);

#[pymethods]
impl PyDecision {
    /// True when every rule passed.
    #[getter]
    fn accepted(&self) -> bool {
        self.0.is_accept()
    }

    /// The rule that rejected the killmail (`"min_isk"`,
    /// `"exclude.alliances"`, …), or `None` when accepted.
    #[getter]
    fn rule(&self) -> Option<&'static str> {
        self.0.rejection().map(|r| r.rule)
    }

    /// The value that fired the rule, or `None` when accepted.
    #[getter]
    fn value(&self) -> Option<&str> {
        self.0.rejection().map(|r| r.value.as_str())
    }

    /// A sentence saying why, or `None` when accepted.
    #[getter]
    fn reason(&self) -> Option<&str> {
        self.0.rejection().map(|r| r.reason.as_str())
    }

    fn __bool__(&self) -> bool {
        self.0.is_accept()
    }

    /// The decision as its JSON object (`{"decision": "accept"}` or
    /// `{"decision": "reject", "rule": …, "value": …, "reason": …}`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0)
    }

    fn __repr__(&self) -> String {
        format!("<Decision {}>", self.0)
    }
}

/// The killmails a ruleset accepts, in input order, as a `KillmailSet`
/// whose `rejected` counts the others by rule.
///
/// `killmails`: as `cluster()` takes them.
#[pyfunction]
fn filter(
    py: Python<'_>,
    killmails: &Bound<'_, PyAny>,
    ruleset: &Bound<'_, PyRuleset>,
) -> PyResult<PyKillmailSet> {
    let killmails = killmails_from_py(killmails)?;
    let compiled = &ruleset.get().0;
    let (kept, stats) = py.detach(|| compiled.filter(&killmails));
    Ok(PyKillmailSet::from_filter(kept, &stats))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRuleset>()?;
    m.add_class::<PyDecision>()?;
    m.add_function(wrap_pyfunction!(filter, m)?)?;
    Ok(())
}
