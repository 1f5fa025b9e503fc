//! Checks a ruleset must pass before it decides anything.
//!
//! Guarantees: bounds are ordered (`min_*` ≤ `max_*`), ISK bounds are finite
//! and not negative, and every system, constellation, region, ship group and
//! ship type id is in the embedded universe tables; the error names the
//! first offending field by its path in the document.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use super::document::{Lists, Ruleset};
use crate::error::Error;
use crate::universe;

impl Ruleset {
    /// Check the ruleset; reading from a file already does.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first offending field.
    pub fn validate(&self) -> Result<(), Error> {
        if let (Some(min), Some(max)) = (self.min_pilots, self.max_pilots) {
            if min > max {
                return Err(invalid(
                    "min_pilots",
                    format!("({min}) is greater than max_pilots ({max})"),
                ));
            }
        }
        for (field, value) in [("min_isk", self.min_isk), ("max_isk", self.max_isk)] {
            if let Some(isk) = value {
                if !isk.is_finite() || isk < 0.0 {
                    return Err(invalid(
                        field,
                        format!("must be a finite, non-negative ISK value, got {isk}"),
                    ));
                }
            }
        }
        if let (Some(min), Some(max)) = (self.min_isk, self.max_isk) {
            if min > max {
                return Err(invalid(
                    "min_isk",
                    format!("({min}) is greater than max_isk ({max})"),
                ));
            }
        }
        for (drop, require, name) in [
            (self.drop_npc, self.require_npc, "npc"),
            (self.drop_solo, self.require_solo, "solo"),
            (self.drop_awox, self.require_awox, "awox"),
        ] {
            if drop && require {
                return Err(invalid(
                    &format!("require_{name}"),
                    format!("contradicts drop_{name}: no killmail could pass"),
                ));
            }
        }
        check_lists("include", &self.include)?;
        check_lists("exclude", &self.exclude)
    }
}

fn invalid(field: &str, reason: String) -> Error {
    Error::Config {
        field: field.to_owned(),
        reason,
    }
}

fn check_lists(prefix: &str, lists: &Lists) -> Result<(), Error> {
    let tables = tables();
    let check = |name: &str, values: &[u32], known: &dyn Fn(u32) -> bool, what: &str| match values
        .iter()
        .position(|&v| !known(v))
    {
        Some(i) => Err(invalid(
            &format!("{prefix}.{name}[{i}]"),
            format!("unknown {what} {}", values[i]),
        )),
        None => Ok(()),
    };
    check(
        "systems",
        &lists.systems,
        &|id| universe::system(id).is_some(),
        "solar system",
    )?;
    check(
        "constellations",
        &lists.constellations,
        &|id| tables.constellations.contains(&id),
        "constellation",
    )?;
    check(
        "regions",
        &lists.regions,
        &|id| tables.regions.contains(&id),
        "region",
    )?;
    // A list with a side of its own has its values under `values`.
    let values_path = |name: &str, own_side: bool| {
        if own_side {
            format!("{name}.values")
        } else {
            name.to_owned()
        }
    };
    check(
        &values_path("ship_groups", lists.ship_groups.side.is_some()),
        &lists.ship_groups.values,
        &|id| tables.ship_groups.contains(&id),
        "ship group",
    )?;
    check(
        &values_path("ship_types", lists.ship_types.side.is_some()),
        &lists.ship_types.values,
        &|id| universe::ship_type(id).is_some(),
        "ship type",
    )
}

/// Ids the embedded tables know beyond their own keys.
struct Tables {
    constellations: BTreeSet<u32>,
    regions: BTreeSet<u32>,
    ship_groups: BTreeSet<u32>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| Tables {
        constellations: universe::systems()
            .iter()
            .map(|s| s.constellation_id)
            .collect(),
        regions: universe::systems().iter().map(|s| s.region_id).collect(),
        ship_groups: universe::ship_types().iter().map(|s| s.group_id).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::document::{MatchOn, ParticipantList};
    use super::*;

    fn field_of(r: &Ruleset) -> String {
        match r.validate() {
            Err(Error::Config { field, .. }) => field,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn bounds_must_be_ordered_and_sane() {
        let r = Ruleset {
            min_pilots: Some(5),
            max_pilots: Some(4),
            ..Ruleset::default()
        };
        assert_eq!(field_of(&r), "min_pilots");
        let r = Ruleset {
            min_isk: Some(2.0),
            max_isk: Some(1.0),
            ..Ruleset::default()
        };
        assert_eq!(field_of(&r), "min_isk");
        let r = Ruleset {
            max_isk: Some(f64::NAN),
            ..Ruleset::default()
        };
        assert_eq!(field_of(&r), "max_isk");
        let r = Ruleset {
            min_isk: Some(-1.0),
            ..Ruleset::default()
        };
        assert_eq!(field_of(&r), "min_isk");
        assert!(Ruleset::default().validate().is_ok());
    }

    #[test]
    fn ids_must_be_known_to_the_universe() {
        let mut r = Ruleset::default();
        r.include.systems = vec![30_000_142, 1];
        assert_eq!(field_of(&r), "include.systems[1]");
        let mut r = Ruleset::default();
        r.exclude.regions = vec![10_000_002, 10_000_070, 42];
        assert_eq!(field_of(&r), "exclude.regions[2]");
        let mut r = Ruleset::default();
        r.exclude.constellations = vec![20_000_020, 7];
        assert_eq!(field_of(&r), "exclude.constellations[1]");
        let mut r = Ruleset::default();
        r.include.ship_groups = ParticipantList::on(MatchOn::Victim, vec![831, 99_999]);
        assert_eq!(field_of(&r), "include.ship_groups.values[1]");
        let mut r = Ruleset::default();
        r.include.ship_types = ParticipantList::new(vec![3]);
        assert_eq!(field_of(&r), "include.ship_types[0]");
    }
}
