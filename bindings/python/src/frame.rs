//! Tables for pandas: core documents laid out as columns (one Python list
//! per column, built in one pass each), handed to
//! `battlescope/_pandas.py`, which makes the `DataFrame` and gives each
//! column its dtype (times → `datetime64[ns, UTC]`, optional ids →
//! nullable `Int64`, class names → `category`).
//!
//! Every value is a field of a core document (`Battle`, `KillSummary`) or a
//! lookup in core's universe tables; nothing is computed here.

use battlescope_core as core;
use core::battle::KillSummary;
use core::universe::{self, SecurityClass};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::to_py;

/// How `_pandas.frame` should type a column.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Leave as pandas infers it (int64, float64, object).
    Plain,
    /// Seconds since the epoch → `datetime64[ns, UTC]`.
    Time,
    /// Integers with `None` → nullable `Int64`.
    OptionalInt,
    /// Names from a small set → `category`.
    Category,
    /// Text (with `None` for missing).
    Text,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Time => "time",
            Self::OptionalInt => "optional_int",
            Self::Category => "category",
            Self::Text => "text",
        }
    }
}

struct Columns<'py> {
    py: Python<'py>,
    columns: Bound<'py, PyDict>,
    kinds: Bound<'py, PyDict>,
}

impl<'py> Columns<'py> {
    fn new(py: Python<'py>) -> Self {
        Self {
            py,
            columns: PyDict::new(py),
            kinds: PyDict::new(py),
        }
    }

    fn add<T, I>(&self, name: &str, kind: Kind, values: I) -> PyResult<()>
    where
        T: IntoPyObject<'py>,
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        self.columns.set_item(name, PyList::new(self.py, values)?)?;
        self.kinds.set_item(name, kind.name())
    }

    fn add_objects<I>(&self, name: &str, values: I) -> PyResult<()>
    where
        I: IntoIterator<Item = PyResult<Bound<'py, PyAny>>>,
    {
        let list = PyList::empty(self.py);
        for v in values {
            list.append(v?)?;
        }
        self.columns.set_item(name, list)?;
        self.kinds.set_item(name, Kind::Plain.name())
    }

    fn into_frame(self) -> PyResult<Bound<'py, PyAny>> {
        self.py
            .import("battlescope._pandas")?
            .getattr("frame")?
            .call1((self.columns, self.kinds))
    }
}

fn security_name(class: Option<SecurityClass>) -> Option<&'static str> {
    class.map(SecurityClass::as_str)
}

/// One row per battle (the scalar fields of the document, its statistics'
/// scalars, the number of sides and the member killmail ids).
pub(crate) fn battles_frame<'py>(
    py: Python<'py>,
    battles: &[&core::Battle],
) -> PyResult<Bound<'py, PyAny>> {
    let c = Columns::new(py);
    let col = |f: fn(&core::Battle) -> String| battles.iter().map(move |b| f(b));
    c.add("id", Kind::Text, col(|b| b.id.to_string()))?;
    c.add(
        "system_id",
        Kind::Plain,
        battles.iter().map(|b| b.system_id),
    )?;
    c.add(
        "system_name",
        Kind::Text,
        battles.iter().map(|b| b.system_name.as_deref()),
    )?;
    c.add(
        "region_id",
        Kind::OptionalInt,
        battles.iter().map(|b| b.region_id),
    )?;
    c.add(
        "region_name",
        Kind::Text,
        battles.iter().map(|b| b.region_name.as_deref()),
    )?;
    c.add(
        "security_class",
        Kind::Category,
        battles.iter().map(|b| security_name(b.security_class)),
    )?;
    c.add(
        "start_time",
        Kind::Time,
        battles.iter().map(|b| b.start_time.timestamp()),
    )?;
    c.add(
        "end_time",
        Kind::Time,
        battles.iter().map(|b| b.end_time.timestamp()),
    )?;
    c.add(
        "duration_seconds",
        Kind::Plain,
        battles.iter().map(|b| b.duration_seconds),
    )?;
    c.add(
        "kill_count",
        Kind::Plain,
        battles.iter().map(|b| b.stats.kill_count),
    )?;
    c.add(
        "isk_destroyed",
        Kind::Plain,
        battles.iter().map(|b| b.stats.isk_destroyed),
    )?;
    c.add(
        "kills_without_value",
        Kind::Plain,
        battles.iter().map(|b| b.stats.kills_without_value),
    )?;
    c.add(
        "unique_pilots",
        Kind::Plain,
        battles.iter().map(|b| b.stats.unique_pilots),
    )?;
    c.add(
        "npc_kills",
        Kind::Plain,
        battles.iter().map(|b| b.stats.npc_kills),
    )?;
    c.add(
        "side_count",
        Kind::Plain,
        battles.iter().map(|b| b.sides.len()),
    )?;
    c.add(
        "zkillboard_url",
        Kind::Text,
        battles.iter().map(|b| b.zkillboard_url.as_str()),
    )?;
    c.add_objects(
        "killmail_ids",
        battles
            .iter()
            .map(|b| Ok(PyList::new(py, &b.killmail_ids)?.into_any())),
    )?;
    c.into_frame()
}

/// One row per killmail: core's `KillSummary` of it, its place (from the
/// universe tables) and, with `nested`, its ESI objects.
pub(crate) fn killmails_frame<'py>(
    py: Python<'py>,
    killmails: &[core::Killmail],
    nested: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let summaries: Vec<KillSummary> = killmails.iter().map(KillSummary::of).collect();
    let systems: Vec<Option<&universe::SolarSystem>> = killmails
        .iter()
        .map(|k| universe::system(k.solar_system_id))
        .collect();
    let c = Columns::new(py);
    c.add(
        "killmail_id",
        Kind::Plain,
        summaries.iter().map(|s| s.killmail_id),
    )?;
    c.add(
        "killmail_time",
        Kind::Time,
        summaries.iter().map(|s| s.time.timestamp()),
    )?;
    c.add(
        "solar_system_id",
        Kind::Plain,
        killmails.iter().map(|k| k.solar_system_id),
    )?;
    c.add(
        "system_name",
        Kind::Text,
        systems.iter().map(|s| s.map(|s| s.name)),
    )?;
    c.add(
        "region_name",
        Kind::Text,
        systems.iter().map(|s| s.map(|s| s.region_name)),
    )?;
    c.add(
        "security_class",
        Kind::Category,
        killmails
            .iter()
            .map(|k| security_name(SecurityClass::of_system(k.solar_system_id))),
    )?;
    c.add(
        "victim_character_id",
        Kind::OptionalInt,
        summaries.iter().map(|s| s.victim_character_id),
    )?;
    c.add(
        "victim_corporation_id",
        Kind::OptionalInt,
        summaries.iter().map(|s| s.victim_corporation_id),
    )?;
    c.add(
        "victim_alliance_id",
        Kind::OptionalInt,
        summaries.iter().map(|s| s.victim_alliance_id),
    )?;
    c.add(
        "ship_type_id",
        Kind::Plain,
        summaries.iter().map(|s| s.ship_type_id),
    )?;
    c.add(
        "ship_class",
        Kind::Category,
        summaries.iter().map(|s| s.ship_class.as_str()),
    )?;
    c.add(
        "attacker_count",
        Kind::Plain,
        summaries.iter().map(|s| s.attacker_count),
    )?;
    c.add(
        "final_blow_character_id",
        Kind::OptionalInt,
        summaries.iter().map(|s| s.final_blow_character_id),
    )?;
    c.add(
        "total_value",
        Kind::Plain,
        summaries.iter().map(|s| s.total_value),
    )?;
    c.add("npc", Kind::Plain, summaries.iter().map(|s| s.npc))?;
    if nested {
        c.add(
            "moon_id",
            Kind::OptionalInt,
            killmails.iter().map(|k| k.moon_id),
        )?;
        c.add(
            "war_id",
            Kind::OptionalInt,
            killmails.iter().map(|k| k.war_id),
        )?;
        c.add_objects("victim", killmails.iter().map(|k| to_py(py, &k.victim)))?;
        c.add_objects(
            "attackers",
            killmails.iter().map(|k| to_py(py, &k.attackers)),
        )?;
        c.add_objects("zkb", killmails.iter().map(|k| to_py(py, &k.zkb)))?;
    }
    c.into_frame()
}
