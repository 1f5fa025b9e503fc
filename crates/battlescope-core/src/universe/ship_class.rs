//! Hull classes of ship types, for fleet composition.
//!
//! Guarantees: every group of the Ship category (6) in the SDE is mapped
//! explicitly in [`SHIP_GROUPS`] (a test checks the table against the
//! embedded data, names included); the other killmail categories map as a
//! whole (structures, deployables, fighters, NPC entities); anything else is
//! [`ShipClass::Other`]. A few types are classed apart from their group in
//! [`TYPE_OVERRIDES`] (the Venture is a mining ship in the Frigate group).

use std::fmt;
use std::str::FromStr;

use super::ships::{ship_type, ShipType};

const CATEGORY_SHIP: u32 = 6;
const CATEGORY_ENTITY: u32 = 11;
const CATEGORY_DEPLOYABLE: u32 = 22;
const CATEGORY_STARBASE: u32 = 23;
const CATEGORY_SOVEREIGNTY: u32 = 40;
const CATEGORY_ORBITAL: u32 = 46;
const CATEGORY_STRUCTURE: u32 = 65;
const CATEGORY_FIGHTER: u32 = 87;

/// Every group of category Ship: (group id, SDE group name, class), sorted by
/// group id.
const SHIP_GROUPS: [(u32, &str, ShipClass); 47] = [
    (25, "Frigate", ShipClass::Frigate),
    (26, "Cruiser", ShipClass::Cruiser),
    (27, "Battleship", ShipClass::Battleship),
    (28, "Hauler", ShipClass::Industrial),
    (29, "Capsule", ShipClass::Capsule),
    (30, "Titan", ShipClass::Titan),
    (31, "Shuttle", ShipClass::Shuttle),
    (237, "Corvette", ShipClass::Corvette),
    (324, "Assault Frigate", ShipClass::Frigate),
    (358, "Heavy Assault Cruiser", ShipClass::Cruiser),
    (380, "Deep Space Transport", ShipClass::Industrial),
    (381, "Elite Battleship", ShipClass::Battleship),
    (419, "Combat Battlecruiser", ShipClass::Battlecruiser),
    (420, "Destroyer", ShipClass::Destroyer),
    (463, "Mining Barge", ShipClass::Mining),
    (485, "Dreadnought", ShipClass::Capital),
    (513, "Freighter", ShipClass::Industrial),
    (540, "Command Ship", ShipClass::Battlecruiser),
    (541, "Interdictor", ShipClass::Destroyer),
    (543, "Exhumer", ShipClass::Mining),
    (547, "Carrier", ShipClass::Capital),
    (659, "Supercarrier", ShipClass::Supercapital),
    (830, "Covert Ops", ShipClass::Frigate),
    (831, "Interceptor", ShipClass::Frigate),
    (832, "Logistics", ShipClass::Cruiser),
    (833, "Force Recon Ship", ShipClass::Cruiser),
    (834, "Stealth Bomber", ShipClass::Frigate),
    (883, "Capital Industrial Ship", ShipClass::Capital),
    (893, "Electronic Attack Ship", ShipClass::Frigate),
    (894, "Heavy Interdiction Cruiser", ShipClass::Cruiser),
    (898, "Black Ops", ShipClass::Battleship),
    (900, "Marauder", ShipClass::Battleship),
    (902, "Jump Freighter", ShipClass::Industrial),
    (906, "Combat Recon Ship", ShipClass::Cruiser),
    (941, "Industrial Command Ship", ShipClass::Industrial),
    (963, "Strategic Cruiser", ShipClass::Cruiser),
    (1022, "Prototype Exploration Ship", ShipClass::Frigate),
    (1201, "Attack Battlecruiser", ShipClass::Battlecruiser),
    (1202, "Blockade Runner", ShipClass::Industrial),
    // Prospect and Endurance: ORE's mining frigates.
    (1283, "Expedition Frigate", ShipClass::Mining),
    (1305, "Tactical Destroyer", ShipClass::Destroyer),
    (1527, "Logistics Frigate", ShipClass::Frigate),
    (1534, "Command Destroyer", ShipClass::Destroyer),
    (1538, "Force Auxiliary", ShipClass::Capital),
    (1972, "Flag Cruiser", ShipClass::Cruiser),
    // The tutorial's Citizen Venture (overridden below) and kin.
    (2001, "Citizen Ships", ShipClass::Frigate),
    (4594, "Lancer Dreadnought", ShipClass::Capital),
];

/// Types classed apart from their group: (type id, SDE type name, class).
const TYPE_OVERRIDES: [(u32, &str, ShipClass); 2] = [
    (32880, "Venture", ShipClass::Mining),
    (48648, "Citizen Venture", ShipClass::Mining),
];

/// The hull class of a ship type.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ShipClass {
    /// Frigates: T1, navy and pirate, assault frigates, interceptors, covert
    /// ops, stealth bombers, electronic attack ships, logistics frigates.
    Frigate,
    /// Destroyers, interdictors, command and tactical destroyers.
    Destroyer,
    /// Cruisers, heavy assault and heavy interdiction cruisers, recons,
    /// logistics cruisers, strategic and flag cruisers.
    Cruiser,
    /// Combat, attack and command battlecruisers.
    Battlecruiser,
    /// Battleships, marauders, black ops.
    Battleship,
    /// Carriers, dreadnoughts (lancers included), force auxiliaries and
    /// capital industrial ships (Rorqual).
    Capital,
    /// Supercarriers.
    Supercapital,
    /// Titans.
    Titan,
    /// Haulers, blockade runners, deep space transports, freighters, jump
    /// freighters and industrial command ships (Orca, Porpoise).
    Industrial,
    /// Mining frigates (Venture, Prospect, Endurance), barges and exhumers.
    Mining,
    /// Capsules (pods).
    Capsule,
    /// Shuttles.
    Shuttle,
    /// Corvettes (rookie ships).
    Corvette,
    /// Upwell structures, starbase (POS) parts, sovereignty structures and
    /// orbitals (customs offices, skyhooks).
    Structure,
    /// Deployables (mobile depots, tractor units, warp disruptors, ...).
    Deployable,
    /// Fighters and structure fighters.
    Fighter,
    /// NPC entities.
    Npc,
    /// Anything else.
    Other,
}

impl ShipClass {
    /// Every class, in declaration order.
    pub const ALL: [Self; 18] = [
        Self::Frigate,
        Self::Destroyer,
        Self::Cruiser,
        Self::Battlecruiser,
        Self::Battleship,
        Self::Capital,
        Self::Supercapital,
        Self::Titan,
        Self::Industrial,
        Self::Mining,
        Self::Capsule,
        Self::Shuttle,
        Self::Corvette,
        Self::Structure,
        Self::Deployable,
        Self::Fighter,
        Self::Npc,
        Self::Other,
    ];

    /// The `snake_case` name, as used by serde, [`fmt::Display`] and
    /// [`FromStr`].
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Frigate => "frigate",
            Self::Destroyer => "destroyer",
            Self::Cruiser => "cruiser",
            Self::Battlecruiser => "battlecruiser",
            Self::Battleship => "battleship",
            Self::Capital => "capital",
            Self::Supercapital => "supercapital",
            Self::Titan => "titan",
            Self::Industrial => "industrial",
            Self::Mining => "mining",
            Self::Capsule => "capsule",
            Self::Shuttle => "shuttle",
            Self::Corvette => "corvette",
            Self::Structure => "structure",
            Self::Deployable => "deployable",
            Self::Fighter => "fighter",
            Self::Npc => "npc",
            Self::Other => "other",
        }
    }

    /// The class of the type with this id; `None` when the id is not a
    /// ship-like type of the embedded table.
    #[must_use]
    pub fn of_type(type_id: u32) -> Option<Self> {
        ship_type(type_id).map(ShipType::class)
    }

    /// The class of a group of a category, ignoring per-type overrides.
    /// Unmapped ship groups and other categories are [`ShipClass::Other`].
    #[must_use]
    pub fn of_group(group_id: u32, category_id: u32) -> Self {
        match category_id {
            CATEGORY_SHIP => SHIP_GROUPS
                .binary_search_by_key(&group_id, |&(id, _, _)| id)
                .ok()
                .and_then(|index| SHIP_GROUPS.get(index))
                .map_or(Self::Other, |&(_, _, class)| class),
            CATEGORY_ENTITY => Self::Npc,
            CATEGORY_STARBASE | CATEGORY_SOVEREIGNTY | CATEGORY_ORBITAL | CATEGORY_STRUCTURE => {
                Self::Structure
            }
            CATEGORY_DEPLOYABLE => Self::Deployable,
            CATEGORY_FIGHTER => Self::Fighter,
            _ => Self::Other,
        }
    }

    pub(super) fn of_ship_type(ship: &ShipType) -> Self {
        TYPE_OVERRIDES
            .iter()
            .find(|&&(id, _, _)| id == ship.id)
            .map_or_else(
                || Self::of_group(ship.group_id, ship.category_id),
                |&(_, _, class)| class,
            )
    }
}

impl fmt::Display for ShipClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ShipClass {
    type Err = ParseShipClassError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|class| class.as_str() == s)
            .ok_or_else(|| ParseShipClassError {
                value: s.to_owned(),
            })
    }
}

/// A string that names no [`ShipClass`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseShipClassError {
    /// The rejected input.
    pub value: String,
}

impl fmt::Display for ParseShipClassError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown ship class {:?}, expected one of: ", self.value)?;
        for (index, class) in ShipClass::ALL.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            f.write_str(class.as_str())?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseShipClassError {}

#[cfg(test)]
mod tests {
    use super::{ShipClass, CATEGORY_SHIP, SHIP_GROUPS, TYPE_OVERRIDES};
    use crate::universe::ships::{ship_type, ship_types};

    #[test]
    fn group_table_is_sorted_and_unique() {
        assert!(SHIP_GROUPS.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }

    #[test]
    fn every_ship_group_in_the_data_is_mapped_with_its_sde_name() {
        for ship in ship_types()
            .iter()
            .filter(|ship| ship.category_id == CATEGORY_SHIP)
        {
            let entry = SHIP_GROUPS.iter().find(|&&(id, _, _)| id == ship.group_id);
            let Some(&(_, name, _)) = entry else {
                panic!(
                    "ship group {} ({}) is not mapped",
                    ship.group_id, ship.group_name
                );
            };
            assert_eq!(name, ship.group_name, "name of group {}", ship.group_id);
        }
    }

    #[test]
    fn overrides_name_real_ship_types() {
        for (id, name, _) in TYPE_OVERRIDES {
            let ship = ship_type(id).unwrap_or_else(|| panic!("type {id} missing"));
            assert_eq!(ship.name, name);
            assert_eq!(ship.category_id, CATEGORY_SHIP);
        }
    }

    #[test]
    fn categories_map_as_a_whole() {
        assert_eq!(ShipClass::of_group(1657, 65), ShipClass::Structure);
        assert_eq!(ShipClass::of_group(365, 23), ShipClass::Structure);
        assert_eq!(ShipClass::of_group(1012, 40), ShipClass::Structure);
        assert_eq!(ShipClass::of_group(1025, 46), ShipClass::Structure);
        assert_eq!(ShipClass::of_group(1246, 22), ShipClass::Deployable);
        assert_eq!(ShipClass::of_group(1652, 87), ShipClass::Fighter);
        assert_eq!(ShipClass::of_group(25, 11), ShipClass::Npc);
        assert_eq!(ShipClass::of_group(99_999, 6), ShipClass::Other);
        assert_eq!(ShipClass::of_group(53, 7), ShipClass::Other);
        assert_eq!(ShipClass::of_group(25, 6), ShipClass::Frigate);
    }

    #[test]
    fn names_round_trip() {
        for class in ShipClass::ALL {
            assert_eq!(class.as_str().parse::<ShipClass>(), Ok(class));
            assert_eq!(class.to_string(), class.as_str());
        }
        let err = "frig".parse::<ShipClass>().unwrap_err();
        assert!(err
            .to_string()
            .starts_with("unknown ship class \"frig\", expected one of: frigate, destroyer,"));
    }
}
