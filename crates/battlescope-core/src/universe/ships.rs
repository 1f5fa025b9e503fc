//! Ship types: `data/ship_types.tsv`, every type a killmail ship can be.
//!
//! The table holds all types (published or not) of the SDE categories Ship
//! (6), Entity (11, NPC ships), Deployable (22), Starbase (23), Sovereignty
//! Structures (40), Orbitals (46), Structure (65) and Fighter (87). Columns:
//! type id, name, group id, group name, category id. Rows are sorted by id.

use std::sync::OnceLock;

use super::ship_class::ShipClass;
use super::table;

pub(super) const DATA: &str = include_str!("data/ship_types.tsv");

/// One ship-like type of the static data export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ShipType {
    /// Type id (`587` is the Rifter).
    pub id: u32,
    /// English name (`Rifter`).
    pub name: &'static str,
    /// Inventory group (`25`, Frigate).
    pub group_id: u32,
    /// English name of the group (`Frigate`).
    pub group_name: &'static str,
    /// Inventory category of the group (`6`, Ship).
    pub category_id: u32,
}

impl ShipType {
    /// The hull class of this type (see [`ShipClass`]).
    #[must_use]
    pub fn class(&self) -> ShipClass {
        ShipClass::of_ship_type(self)
    }
}

/// Every ship-like type, sorted by id.
#[must_use]
pub fn ship_types() -> &'static [ShipType] {
    static SHIP_TYPES: OnceLock<Vec<ShipType>> = OnceLock::new();
    SHIP_TYPES.get_or_init(|| parse(DATA))
}

/// The ship-like type with this id, or `None` for ids that are not in the
/// table (unknown ids and types of other categories, such as modules).
#[must_use]
pub fn ship_type(id: u32) -> Option<&'static ShipType> {
    table::find(ship_types(), id, |ship| ship.id)
}

fn parse(text: &'static str) -> Vec<ShipType> {
    let rows = table::rows(text)
        .filter_map(|fields| {
            let [id, name, group_id, group_name, category_id] = fields?;
            Some(ShipType {
                id: id.parse().ok()?,
                name,
                group_id: group_id.parse().ok()?,
                group_name,
                category_id: category_id.parse().ok()?,
            })
        })
        .collect();
    table::sorted_by_id(rows, |ship| ship.id)
}

#[cfg(test)]
mod tests {
    use super::{parse, ship_types, DATA};

    #[test]
    fn every_data_row_parses() {
        let data_lines = DATA.lines().filter(|line| !line.starts_with('#')).count();
        assert_eq!(ship_types().len(), data_lines);
    }

    #[test]
    fn table_is_sorted_by_unique_id() {
        assert!(ship_types().windows(2).all(|pair| pair[0].id < pair[1].id));
    }

    #[test]
    fn malformed_rows_are_dropped() {
        let parsed = parse("# c\n1\tA\t25\tFrigate\t6\n2\tB\tx\tFrigate\t6\n3\tC\t25\tFrigate\n");
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].name, "A");
    }
}
