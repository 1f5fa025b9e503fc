//! Tables for pandas: core documents laid out as columns (one Python list
//! per column, built in one pass each), handed to
//! `battlescope/_pandas.py`, which makes the `DataFrame` and gives each
//! column the dtype its `Kind` names (times → `datetime64[ns, UTC]`,
//! optional ids → nullable `Int64`, values that may be unknown → `float64`
//! with `NaN`, class names → `category` of every class): a frame's schema
//! does not depend on its rows, and an empty frame has it too.
//!
//! Every value is a field of a core document (`Battle`, `KillSummary`) or a
//! lookup in core's universe tables; nothing is computed here.

use battlescope_core as core;
use core::battle::KillSummary;
use core::universe::{self, SecurityClass, ShipClass};
use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::to_py;

/// The dtype of a column, fixed whatever the values (none at all, all
/// missing): every frame has one schema, empty or not.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Integers, never missing → `int64`.
    Int,
    /// Numbers, `None` for unknown → `float64` with `NaN`.
    Float,
    /// → `bool`.
    Bool,
    /// Integers with `None` → nullable `Int64`.
    OptionalInt,
    /// Seconds since the epoch → `datetime64[ns, UTC]`.
    Time,
    /// Names from a fixed set (every value of the set is a category, seen
    /// or not) → `category`.
    Category(&'static [&'static str]),
    /// Text (with `None` for missing) → pandas's text dtype.
    Text,
    /// Lists or dicts → `object`.
    Object,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Int => "int",
            Self::Float => "float",
            Self::Bool => "bool",
            Self::OptionalInt => "optional_int",
            Self::Time => "time",
            Self::Category(_) => "category",
            Self::Text => "text",
            Self::Object => "object",
        }
    }
}

/// The names of every security class, as `Battle.security_class` gives them.
const SECURITY_CLASSES: [&str; SecurityClass::ALL.len()] = {
    let mut out = [""; SecurityClass::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = SecurityClass::ALL[i].as_str();
        i += 1;
    }
    out
};

/// The names of every ship class.
const SHIP_CLASSES: [&str; ShipClass::ALL.len()] = {
    let mut out = [""; ShipClass::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = ShipClass::ALL[i].as_str();
        i += 1;
    }
    out
};

struct Columns<'py> {
    py: Python<'py>,
    columns: Bound<'py, PyDict>,
    kinds: Bound<'py, PyDict>,
    categories: Bound<'py, PyDict>,
}

impl<'py> Columns<'py> {
    fn new(py: Python<'py>) -> Self {
        Self {
            py,
            columns: PyDict::new(py),
            kinds: PyDict::new(py),
            categories: PyDict::new(py),
        }
    }

    fn add<T, I>(&self, name: &str, kind: Kind, values: I) -> PyResult<()>
    where
        T: IntoPyObject<'py>,
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        self.columns.set_item(name, PyList::new(self.py, values)?)?;
        self.set_kind(name, kind)
    }

    fn set_kind(&self, name: &str, kind: Kind) -> PyResult<()> {
        if let Kind::Category(names) = kind {
            self.categories
                .set_item(name, PyList::new(self.py, names)?)?;
        }
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
        self.set_kind(name, Kind::Object)
    }

    fn into_frame(self) -> PyResult<Bound<'py, PyAny>> {
        self.py
            .import("battlescope._pandas")?
            .getattr("frame")?
            .call1((self.columns, self.kinds, self.categories))
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
    let b = || battles.iter();
    c.add("id", Kind::Text, b().map(|b| b.id.to_string()))?;
    c.add("system_id", Kind::Int, b().map(|b| b.system_id))?;
    c.add(
        "system_name",
        Kind::Text,
        b().map(|b| b.system_name.as_deref()),
    )?;
    c.add("region_id", Kind::OptionalInt, b().map(|b| b.region_id))?;
    c.add(
        "region_name",
        Kind::Text,
        b().map(|b| b.region_name.as_deref()),
    )?;
    c.add(
        "security_class",
        Kind::Category(&SECURITY_CLASSES),
        b().map(|b| security_name(b.security_class)),
    )?;
    c.add(
        "start_time",
        Kind::Time,
        b().map(|b| b.start_time.timestamp()),
    )?;
    c.add("end_time", Kind::Time, b().map(|b| b.end_time.timestamp()))?;
    c.add(
        "duration_seconds",
        Kind::Int,
        b().map(|b| b.duration_seconds),
    )?;
    c.add("kill_count", Kind::Int, b().map(|b| b.stats.kill_count))?;
    c.add(
        "isk_destroyed",
        Kind::Float,
        b().map(|b| b.stats.isk_destroyed),
    )?;
    c.add(
        "kills_without_value",
        Kind::Int,
        b().map(|b| b.stats.kills_without_value),
    )?;
    c.add(
        "unique_pilots",
        Kind::Int,
        b().map(|b| b.stats.unique_pilots),
    )?;
    c.add("npc_kills", Kind::Int, b().map(|b| b.stats.npc_kills))?;
    c.add("side_count", Kind::Int, b().map(|b| b.sides.len()))?;
    c.add(
        "zkillboard_url",
        Kind::Text,
        b().map(|b| b.zkillboard_url.as_str()),
    )?;
    c.add_objects(
        "killmail_ids",
        b().map(|b| Ok(PyList::new(py, &b.killmail_ids)?.into_any())),
    )?;
    c.into_frame()
}

/// One row per side of each battle: the side document's figures, the
/// counts of its members and the members themselves.
pub(crate) fn sides_frame<'py>(
    py: Python<'py>,
    battles: &[&core::Battle],
) -> PyResult<Bound<'py, PyAny>> {
    let rows: Vec<(&core::Battle, &core::battle::Side)> = battles
        .iter()
        .flat_map(|b| b.sides.iter().map(move |s| (*b, s)))
        .collect();
    let r = || rows.iter();
    let c = Columns::new(py);
    c.add("battle_id", Kind::Text, r().map(|(b, _)| b.id.to_string()))?;
    c.add("side", Kind::Int, r().map(|(_, s)| s.index))?;
    c.add("pilot_count", Kind::Int, r().map(|(_, s)| s.pilots.len()))?;
    c.add(
        "corporation_count",
        Kind::Int,
        r().map(|(_, s)| s.corporations.len()),
    )?;
    c.add(
        "alliance_count",
        Kind::Int,
        r().map(|(_, s)| s.alliances.len()),
    )?;
    c.add("kills", Kind::Int, r().map(|(_, s)| s.kills))?;
    c.add("losses", Kind::Int, r().map(|(_, s)| s.losses))?;
    c.add("isk_killed", Kind::Float, r().map(|(_, s)| s.isk_killed))?;
    c.add("isk_lost", Kind::Float, r().map(|(_, s)| s.isk_lost))?;
    c.add(
        "losses_without_value",
        Kind::Int,
        r().map(|(_, s)| s.losses_without_value),
    )?;
    c.add("efficiency", Kind::Float, r().map(|(_, s)| s.efficiency))?;
    c.add_objects(
        "alliances",
        r().map(|(_, s)| Ok(PyList::new(py, &s.alliances)?.into_any())),
    )?;
    c.add_objects(
        "corporations",
        r().map(|(_, s)| Ok(PyList::new(py, &s.corporations)?.into_any())),
    )?;
    c.add_objects(
        "pilots",
        r().map(|(_, s)| Ok(PyList::new(py, &s.pilots)?.into_any())),
    )?;
    c.add_objects("ships", r().map(|(_, s)| to_py(py, &s.ships)))?;
    c.into_frame()
}

/// The columns of core's `KillSummary` of each killmail (the same in
/// `KillmailSet.to_pandas()` and `kills_to_pandas()`).
fn add_summaries(c: &Columns<'_>, killmails: &[&core::Killmail]) -> PyResult<()> {
    let summaries: Vec<KillSummary> = killmails.iter().map(|k| KillSummary::of(k)).collect();
    let systems: Vec<Option<&universe::SolarSystem>> = killmails
        .iter()
        .map(|k| universe::system(k.solar_system_id))
        .collect();
    let s = || summaries.iter();
    c.add("killmail_id", Kind::Int, s().map(|s| s.killmail_id))?;
    c.add("killmail_time", Kind::Time, s().map(|s| s.time.timestamp()))?;
    c.add(
        "solar_system_id",
        Kind::Int,
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
        Kind::Category(&SECURITY_CLASSES),
        killmails
            .iter()
            .map(|k| security_name(SecurityClass::of_system(k.solar_system_id))),
    )?;
    c.add(
        "victim_character_id",
        Kind::OptionalInt,
        s().map(|s| s.victim_character_id),
    )?;
    c.add(
        "victim_corporation_id",
        Kind::OptionalInt,
        s().map(|s| s.victim_corporation_id),
    )?;
    c.add(
        "victim_alliance_id",
        Kind::OptionalInt,
        s().map(|s| s.victim_alliance_id),
    )?;
    c.add("ship_type_id", Kind::Int, s().map(|s| s.ship_type_id))?;
    c.add(
        "ship_class",
        Kind::Category(&SHIP_CLASSES),
        s().map(|s| s.ship_class.as_str()),
    )?;
    c.add("attacker_count", Kind::Int, s().map(|s| s.attacker_count))?;
    c.add(
        "final_blow_character_id",
        Kind::OptionalInt,
        s().map(|s| s.final_blow_character_id),
    )?;
    c.add("total_value", Kind::Float, s().map(|s| s.total_value))?;
    c.add("npc", Kind::Bool, s().map(|s| s.npc))
}

/// One row per killmail: core's `KillSummary` of it, its place (from the
/// universe tables) and, with `nested`, its ESI objects.
pub(crate) fn killmails_frame<'py>(
    py: Python<'py>,
    killmails: &[core::Killmail],
    nested: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let c = Columns::new(py);
    let refs: Vec<&core::Killmail> = killmails.iter().collect();
    add_summaries(&c, &refs)?;
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

/// One row per kill of each battle, in the battle's order: the battle's id,
/// the kill's summary columns and the side the victim was on (core's
/// `Battle::victim_side`; `None` for a victim on no side, e.g. an NPC's).
/// Every killmail a battle names must be in `killmails`.
pub(crate) fn kills_frame<'py>(
    py: Python<'py>,
    battles: &[&core::Battle],
    killmails: &[core::Killmail],
) -> PyResult<Bound<'py, PyAny>> {
    let by_id: HashMap<u64, &core::Killmail> =
        killmails.iter().map(|k| (k.killmail_id, k)).collect();
    let mut rows: Vec<(&core::Battle, &core::Killmail)> = Vec::new();
    for b in battles {
        for id in &b.killmail_ids {
            let km = by_id.get(id).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "killmail {id} of battle {} is not among the killmails given; \
                     pass the killmails the battles were clustered from",
                    b.id
                ))
            })?;
            rows.push((b, km));
        }
    }
    let c = Columns::new(py);
    c.add(
        "battle_id",
        Kind::Text,
        rows.iter().map(|(b, _)| b.id.to_string()),
    )?;
    let kms: Vec<&core::Killmail> = rows.iter().map(|(_, k)| *k).collect();
    add_summaries(&c, &kms)?;
    c.add(
        "victim_side",
        Kind::OptionalInt,
        rows.iter().map(|(b, k)| b.victim_side(k)),
    )?;
    c.into_frame()
}
