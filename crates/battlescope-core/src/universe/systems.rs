//! Solar systems: `data/systems.tsv`, every solar system of the SDE.
//!
//! Columns: id, name, constellation id, region id, region name, security
//! status (the SDE's raw float, printed as the shortest decimal that reads
//! back to the same `f64`). Rows are sorted by id.

use std::sync::OnceLock;

use super::security::SecurityClass;
use super::table;

pub(super) const DATA: &str = include_str!("data/systems.tsv");

/// One solar system of the static data export.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SolarSystem {
    /// Solar system id (`30000142` is Jita).
    pub id: u32,
    /// Name as the game shows it (`Jita`, `1DQ1-A`, `J100001`, `Thera`).
    pub name: &'static str,
    /// Constellation the system belongs to.
    pub constellation_id: u32,
    /// Region the system belongs to.
    pub region_id: u32,
    /// Name of that region (`The Forge`).
    pub region_name: &'static str,
    /// True security status, unrounded, from -1.0 to 1.0.
    pub security: f64,
}

impl SolarSystem {
    /// The class of space this system is in (see [`SecurityClass`] for the
    /// rules).
    #[must_use]
    pub fn security_class(&self) -> SecurityClass {
        SecurityClass::classify(self.id, self.region_id, self.security)
    }

    /// The security status as the game displays it, rounded to one decimal
    /// (see [`super::rounded_security`]).
    #[must_use]
    pub fn rounded_security(&self) -> f64 {
        super::security::rounded_security(self.security)
    }
}

/// Every solar system, sorted by id.
#[must_use]
pub fn systems() -> &'static [SolarSystem] {
    static SYSTEMS: OnceLock<Vec<SolarSystem>> = OnceLock::new();
    SYSTEMS.get_or_init(|| parse(DATA))
}

/// The solar system with this id, or `None` when the SDE has no such system.
#[must_use]
pub fn system(id: u32) -> Option<&'static SolarSystem> {
    table::find(systems(), id, |system| system.id)
}

fn parse(text: &'static str) -> Vec<SolarSystem> {
    let rows = table::rows(text)
        .filter_map(|fields| {
            let [id, name, constellation_id, region_id, region_name, security] = fields?;
            Some(SolarSystem {
                id: id.parse().ok()?,
                name,
                constellation_id: constellation_id.parse().ok()?,
                region_id: region_id.parse().ok()?,
                region_name,
                security: security.parse().ok().filter(|sec: &f64| sec.is_finite())?,
            })
        })
        .collect();
    table::sorted_by_id(rows, |system| system.id)
}

#[cfg(test)]
mod tests {
    use super::{parse, systems, DATA};

    #[test]
    fn every_data_row_parses() {
        let data_lines = DATA.lines().filter(|line| !line.starts_with('#')).count();
        assert_eq!(systems().len(), data_lines);
    }

    #[test]
    fn table_is_sorted_by_unique_id() {
        assert!(systems().windows(2).all(|pair| pair[0].id < pair[1].id));
    }

    #[test]
    fn malformed_rows_are_dropped() {
        let parsed = parse("# c\n2\tB\t20\t10\tR\t0.5\n1\tA\t20\t10\tR\tx\n3\tC\t20\t10\tR\n");
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].name, "B");
    }
}
