//! Battle intel (core `intel`): core's `analyze` on an alliance,
//! corporation or character, returning the report's JSON form as a dict.

use battlescope_core as core;
use core::intel::{analyze, DoctrineConfig, DoctrineScope, Entity, IntelConfig};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::battle::PyBattle;
use crate::convert::{killmails_from_py, to_py};
use crate::error::{config_error, IntoPyResult};

/// The report on one entity (exactly one of `alliance`, `corporation`,
/// `character`) from `battles` and their `killmails`, as the JSON object
/// `battlescope intel` prints: summary, opponents, allies, ships, doctrines,
/// activity and pilots.
#[pyfunction]
#[pyo3(signature = (
    killmails,
    battles,
    *,
    alliance = None,
    corporation = None,
    character = None,
    doctrine_scope = None,
    doctrine_similarity = None,
    doctrine_min_fleet = None,
    doctrine_min_battles = None,
))]
#[allow(clippy::too_many_arguments)] // keyword arguments of one Python call
fn analyze_intel<'py>(
    py: Python<'py>,
    killmails: &Bound<'py, PyAny>,
    battles: &Bound<'py, PyAny>,
    alliance: Option<u64>,
    corporation: Option<u64>,
    character: Option<u64>,
    doctrine_scope: Option<&str>,
    doctrine_similarity: Option<f64>,
    doctrine_min_fleet: Option<u32>,
    doctrine_min_battles: Option<u32>,
) -> PyResult<Bound<'py, PyAny>> {
    let entity = match (alliance, corporation, character) {
        (Some(id), None, None) => Entity::Alliance(id),
        (None, Some(id), None) => Entity::Corporation(id),
        (None, None, Some(id)) => Entity::Character(id),
        _ => {
            return Err(PyTypeError::new_err(
                "give exactly one of alliance=, corporation= or character=",
            ))
        }
    };
    // Absent knobs keep core's defaults.
    let mut doctrine = DoctrineConfig::default();
    if let Some(name) = doctrine_scope {
        // The scope's names are core's serde names (`side`, `entity`).
        doctrine.scope = pythonize::depythonize::<DoctrineScope>(PyString::new(py, name).as_any())
            .map_err(|_| {
                config_error(
                    "doctrine_scope",
                    format!("`{name}` is not one of: side, entity"),
                )
            })?;
    }
    if let Some(x) = doctrine_similarity {
        doctrine.similarity = x;
    }
    if let Some(n) = doctrine_min_fleet {
        doctrine.min_fleet = n;
    }
    if let Some(n) = doctrine_min_battles {
        doctrine.min_battles = n;
    }
    if let Err(e) = doctrine.validate() {
        return Err(match e {
            core::Error::Config { field, reason } => {
                config_error(&format!("doctrine_{field}"), reason)
            }
            other => Err::<(), _>(other).into_py_result().unwrap_err(),
        });
    }
    let config = IntelConfig::default().with_doctrine(doctrine);
    let killmails = killmails_from_py(killmails)?;
    let mut docs = Vec::new();
    for item in battles.try_iter()? {
        docs.push(item?.cast_into::<PyBattle>()?.get().0.clone());
    }
    let report = py.detach(|| analyze(entity, &docs, &killmails, &config));
    to_py(py, &report)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(analyze_intel, m)?)
}
