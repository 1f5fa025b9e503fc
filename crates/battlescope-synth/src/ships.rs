//! Real ship type ids with rough hit points and values, fleet doctrines, and
//! NPC attackers.
//!
//! Type ids, names and groups come from CCP's static data; hit points and
//! values are round figures of the right order, good enough for damage and
//! ISK statistics to look plausible.

use battlescope_core::killmail::{EntityId, TypeId};

/// The capsule: what a pilot flies after their ship dies.
pub const CAPSULE: TypeId = 670;

/// Warrior II, Hobgoblin II, Hammerhead II: light and medium drones,
/// reported as the weapon of drone boats.
const WARRIOR_II: TypeId = 2488;
const HOBGOBLIN_II: TypeId = 2456;
const HAMMERHEAD_II: TypeId = 2185;

/// One hull.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hull {
    pub id: TypeId,
    /// Effective hit points, roughly.
    pub ehp: u32,
    /// Fitted value in millions of ISK, roughly.
    pub value_m: f64,
    /// Weapon reported for attackers in this hull; `None` reports the hull
    /// itself (as ESI does when the weapon is the ship or unknown).
    pub weapon: Option<TypeId>,
}

const fn h(id: TypeId, ehp: u32, value_m: f64) -> Hull {
    Hull {
        id,
        ehp,
        value_m,
        weapon: None,
    }
}

const fn d(id: TypeId, ehp: u32, value_m: f64, drone: TypeId) -> Hull {
    Hull {
        id,
        ehp,
        value_m,
        weapon: Some(drone),
    }
}

/// Every hull the generator uses.
pub(crate) const HULLS: &[Hull] = &[
    // capsule
    h(CAPSULE, 600, 0.02),
    // frigates
    h(587, 4_000, 6.0),                   // Rifter
    h(585, 3_000, 5.0),                   // Slasher
    h(603, 5_000, 6.0),                   // Merlin
    d(593, 4_500, 7.0, WARRIOR_II),       // Tristan
    h(608, 3_500, 5.0),                   // Atron
    h(602, 4_000, 5.0),                   // Kestrel
    h(605, 2_500, 4.0),                   // Heron
    h(32_880, 3_000, 3.0),                // Venture
    h(33_816, 5_000, 80.0),               // Garmur
    d(17_930, 12_000, 120.0, WARRIOR_II), // Worm
    d(33_468, 9_000, 90.0, WARRIOR_II),   // Astero
    h(47_269, 6_000, 60.0),               // Damavik
    h(11_198, 4_000, 40.0),               // Stiletto
    h(11_176, 4_000, 40.0),               // Crow
    h(11_202, 4_000, 40.0),               // Ares
    h(11_186, 4_500, 40.0),               // Malediction
    h(11_192, 3_000, 40.0),               // Buzzard
    h(11_182, 3_000, 40.0),               // Cheetah
    h(12_032, 3_500, 45.0),               // Manticore
    h(12_034, 3_500, 45.0),               // Hound
    // destroyers
    h(16_240, 5_000, 12.0),             // Catalyst
    h(16_242, 5_500, 12.0),             // Thrasher
    h(16_236, 5_500, 12.0),             // Coercer
    h(16_238, 5_500, 12.0),             // Cormorant
    d(32_872, 6_000, 15.0, WARRIOR_II), // Algos
    h(22_456, 8_000, 70.0),             // Sabre
    h(34_562, 10_000, 80.0),            // Svipul
    h(34_828, 11_000, 80.0),            // Jackdaw
    h(35_683, 9_000, 80.0),             // Hecate
    h(34_317, 10_000, 80.0),            // Confessor
    h(49_710, 9_000, 70.0),             // Kikimora
    // cruisers
    h(621, 20_000, 25.0),                    // Caracal
    d(626, 22_000, 25.0, HOBGOBLIN_II),      // Vexor
    h(627, 22_000, 25.0),                    // Thorax
    h(629, 22_000, 25.0),                    // Rupture
    h(624, 25_000, 25.0),                    // Maller
    h(623, 25_000, 22.0),                    // Moa
    h(2006, 18_000, 22.0),                   // Omen
    h(47_270, 30_000, 150.0),                // Vedmak
    d(17_715, 40_000, 350.0, HAMMERHEAD_II), // Gila
    d(33_470, 35_000, 300.0, HAMMERHEAD_II), // Stratios
    h(33_818, 25_000, 220.0),                // Orthrus
    h(12_015, 45_000, 250.0),                // Muninn
    h(12_011, 60_000, 250.0),                // Eagle
    h(11_993, 40_000, 250.0),                // Cerberus
    d(12_005, 35_000, 280.0, HAMMERHEAD_II), // Ishtar
    h(11_999, 30_000, 250.0),                // Vagabond
    h(12_003, 50_000, 250.0),                // Zealot
    h(52_252, 40_000, 300.0),                // Ikitursa
    h(11_978, 45_000, 250.0),                // Scimitar
    h(11_987, 55_000, 250.0),                // Guardian
    h(11_985, 50_000, 250.0),                // Basilisk
    h(11_989, 50_000, 250.0),                // Oneiros
    h(11_961, 35_000, 280.0),                // Huginn
    h(11_971, 40_000, 280.0),                // Lachesis
    h(11_957, 25_000, 250.0),                // Falcon
    h(11_963, 25_000, 250.0),                // Rapier
    h(11_969, 25_000, 250.0),                // Arazu
    h(11_965, 30_000, 250.0),                // Pilgrim
    h(20_125, 35_000, 250.0),                // Curse
    h(29_990, 90_000, 700.0),                // Loki
    h(29_986, 100_000, 700.0),               // Legion
    h(29_984, 80_000, 800.0),                // Tengu
    h(29_988, 100_000, 700.0),               // Proteus
    // battlecruisers
    h(24_698, 70_000, 70.0),  // Drake
    h(16_227, 65_000, 80.0),  // Ferox
    h(24_702, 60_000, 70.0),  // Hurricane
    h(24_696, 65_000, 70.0),  // Harbinger
    h(16_229, 65_000, 70.0),  // Brutix
    h(3756, 50_000, 60.0),    // Gnosis
    h(49_711, 80_000, 250.0), // Drekavac
    // battleships
    h(638, 110_000, 250.0),                // Raven
    d(641, 120_000, 250.0, HAMMERHEAD_II), // Megathron
    h(639, 110_000, 250.0),                // Tempest
    h(642, 120_000, 250.0),                // Apocalypse
    h(24_688, 140_000, 280.0),             // Rokh
    h(17_732, 130_000, 450.0),             // Tempest Fleet Issue
    h(17_738, 130_000, 900.0),             // Machariel
    h(17_736, 120_000, 900.0),             // Nightmare
    h(47_271, 150_000, 600.0),             // Leshak
    h(47_466, 100_000, 150.0),             // Praxis
    h(33_472, 150_000, 900.0),             // Nestor
    // industrials
    h(657, 15_000, 30.0),        // Iteron Mark V
    h(648, 12_000, 15.0),        // Badger
    h(652, 15_000, 20.0),        // Mammoth
    h(649, 15_000, 20.0),        // Tayra
    h(655, 15_000, 20.0),        // Epithal
    h(1944, 15_000, 20.0),       // Bestower
    h(17_478, 25_000, 60.0),     // Retriever
    h(17_480, 60_000, 50.0),     // Procurer
    h(28_606, 300_000, 1_200.0), // Orca
    // capitals
    h(19_722, 4_000_000, 3_500.0),   // Naglfar
    h(19_720, 4_500_000, 3_500.0),   // Revelation
    h(19_724, 4_500_000, 3_500.0),   // Moros
    h(19_726, 4_500_000, 3_500.0),   // Phoenix
    h(52_907, 5_000_000, 4_500.0),   // Zirnitra
    h(23_757, 3_500_000, 2_500.0),   // Archon
    h(23_911, 3_000_000, 2_500.0),   // Thanatos
    h(23_915, 3_500_000, 2_500.0),   // Chimera
    h(24_483, 3_000_000, 2_500.0),   // Nidhoggur
    h(23_913, 25_000_000, 25_000.0), // Nyx
    h(22_852, 25_000_000, 25_000.0), // Hel
    h(11_567, 60_000_000, 90_000.0), // Avatar
    h(671, 60_000_000, 90_000.0),    // Erebus
    h(23_773, 55_000_000, 90_000.0), // Ragnarok
    h(3764, 60_000_000, 90_000.0),   // Leviathan
    // structures and deployables
    h(35_832, 12_000_000, 1_500.0), // Astrahus
    h(35_833, 60_000_000, 6_000.0), // Fortizar
    h(35_825, 12_000_000, 1_500.0), // Raitaru
    h(33_475, 30_000, 5.0),         // Mobile Tractor Unit
    h(33_474, 20_000, 4.0),         // Mobile Depot
];

/// Weighted hull lists by type id: (hull, weight).
type Pool = &'static [(TypeId, u32)];

/// Fleet doctrines: the mainline hull dominates, with logistics, tackle and
/// support around it.
pub(crate) const FLEET_DOCTRINES: &[Pool] = &[
    // Ferox fleet
    &[
        (16_227, 70),
        (11_985, 12),
        (22_456, 6),
        (11_198, 6),
        (11_961, 3),
        (11_957, 3),
    ],
    // Muninn fleet
    &[
        (12_015, 70),
        (11_978, 14),
        (22_456, 6),
        (11_961, 5),
        (11_202, 5),
    ],
    // Eagle fleet
    &[
        (12_011, 70),
        (11_985, 14),
        (22_456, 6),
        (11_176, 5),
        (11_957, 5),
    ],
    // Machariel fleet
    &[
        (17_738, 60),
        (11_987, 15),
        (11_961, 8),
        (22_456, 7),
        (17_736, 10),
    ],
    // Cerberus / Tengu
    &[
        (11_993, 45),
        (29_984, 25),
        (11_985, 15),
        (22_456, 8),
        (11_176, 7),
    ],
    // Newbro Drakes and Caracals
    &[
        (24_698, 40),
        (621, 30),
        (623, 10),
        (11_985, 8),
        (16_238, 6),
        (602, 6),
    ],
    // Tempest Fleet Issue
    &[
        (17_732, 65),
        (11_978, 15),
        (11_963, 8),
        (22_456, 6),
        (11_186, 6),
    ],
    // Zealot / Legion
    &[
        (12_003, 45),
        (29_986, 25),
        (11_987, 15),
        (22_456, 8),
        (11_186, 7),
    ],
    // Hurricane / Harbinger brawl
    &[
        (24_702, 40),
        (24_696, 30),
        (11_978, 15),
        (16_242, 8),
        (585, 7),
    ],
    // Bomber wing
    &[(12_032, 35), (12_034, 35), (11_192, 15), (11_182, 15)],
];

/// Capitals that join a fleet fight when a side escalates.
pub(crate) const CAPITALS: Pool = &[
    (19_722, 20),
    (19_720, 20),
    (19_724, 20),
    (19_726, 15),
    (52_907, 10),
    (23_757, 15),
    (23_911, 15),
    (23_915, 10),
    (24_483, 10),
    (23_913, 3),
    (22_852, 3),
    (11_567, 1),
    (671, 1),
    (23_773, 1),
    (3764, 1),
];

/// Structures that die in fleet fights.
pub(crate) const STRUCTURES: Pool = &[(35_832, 70), (35_825, 20), (35_833, 10)];

/// Deployables that die to solo pilots.
pub(crate) const DEPLOYABLES: Pool = &[(33_475, 70), (33_474, 30)];

/// Small-gang and solo hulls.
pub(crate) const GANG_HULLS: Pool = &[
    (587, 8),
    (585, 4),
    (603, 5),
    (593, 6),
    (608, 5),
    (602, 4),
    (33_816, 4),
    (17_930, 4),
    (33_468, 3),
    (47_269, 4),
    (16_240, 3),
    (16_242, 5),
    (32_872, 4),
    (34_562, 5),
    (34_828, 4),
    (35_683, 4),
    (34_317, 3),
    (49_710, 3),
    (621, 4),
    (626, 4),
    (627, 5),
    (629, 5),
    (624, 3),
    (47_270, 4),
    (17_715, 3),
    (33_470, 4),
    (33_818, 4),
    (11_999, 4),
    (12_005, 3),
    (52_252, 3),
    (11_961, 3),
    (11_971, 2),
    (20_125, 2),
    (11_969, 2),
    (29_990, 4),
    (29_988, 3),
    (24_702, 3),
    (16_229, 3),
    (3756, 3),
    (49_711, 2),
    (22_456, 3),
    (11_198, 2),
];

/// Hulls that NPCs kill: ratters, miners, explorers, haulers.
pub(crate) const PVE_HULLS: Pool = &[
    (32_880, 15),
    (17_478, 12),
    (17_480, 8),
    (626, 10),
    (17_715, 6),
    (12_005, 8),
    (33_470, 5),
    (605, 6),
    (11_192, 4),
    (24_698, 6),
    (638, 5),
    (47_466, 4),
    (33_472, 2),
    (28_606, 1),
];

/// Hulls that gankers fly.
pub(crate) const GANKER_HULLS: Pool = &[(16_240, 70), (16_242, 20), (16_236, 10)];

/// Hulls that get ganked: haulers, barges, the odd battleship.
pub(crate) const GANKED_HULLS: Pool = &[
    (657, 20),
    (648, 10),
    (652, 10),
    (649, 10),
    (655, 8),
    (1944, 8),
    (17_478, 15),
    (17_480, 6),
    (28_606, 3),
    (17_738, 3),
    (47_466, 3),
];

/// An NPC attacker kind: its ship type, NPC corporation and faction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Npc {
    pub ship: TypeId,
    pub corporation: EntityId,
    pub faction: EntityId,
}

const fn npc(ship: TypeId, corporation: EntityId, faction: EntityId) -> Npc {
    Npc {
        ship,
        corporation,
        faction,
    }
}

/// Pirate factions' rats, grouped by faction (one faction per NPC kill).
pub(crate) const RATS: &[&[Npc]] = &[
    // Guristas (corporation Guristas, faction Guristas Pirates)
    &[
        npc(2382, 1_000_127, 500_010),
        npc(2383, 1_000_127, 500_010),
        npc(2384, 1_000_127, 500_010),
    ],
    // Serpentis
    &[
        npc(2370, 1_000_135, 500_020),
        npc(2379, 1_000_135, 500_020),
        npc(2381, 1_000_135, 500_020),
    ],
    // Angel Cartel (Archangels)
    &[npc(2372, 1_000_124, 500_011)],
    // Sansha's Nation (True Power)
    &[
        npc(10_274, 1_000_162, 500_019),
        npc(11_034, 1_000_162, 500_019),
    ],
    // Blood Raiders
    &[
        npc(10_281, 1_000_134, 500_012),
        npc(10_282, 1_000_134, 500_012),
        npc(11_043, 1_000_134, 500_012),
    ],
];

/// CONCORD's response ships.
pub(crate) const CONCORD: &[Npc] = &[
    npc(3863, 1_000_125, 500_006),
    npc(3885, 1_000_125, 500_006),
    npc(11_125, 1_000_125, 500_006),
];

/// Index of a hull in [`HULLS`].
pub(crate) type HullIx = u16;

/// A [`Pool`] resolved to indices into [`HULLS`], with cumulative weights.
#[derive(Debug, Clone)]
pub(crate) struct HullPool {
    hulls: Vec<HullIx>,
    cumulative: Vec<u32>,
}

impl HullPool {
    pub(crate) fn new(pool: Pool) -> Self {
        let mut hulls = Vec::with_capacity(pool.len());
        let mut cumulative = Vec::with_capacity(pool.len());
        let mut total = 0;
        for &(id, w) in pool {
            hulls.push(hull_index(id));
            total += w;
            cumulative.push(total);
        }
        Self { hulls, cumulative }
    }

    /// Pick a hull for a uniform `r` in `0..total()`.
    pub(crate) fn pick(&self, r: u32) -> HullIx {
        let i = self.cumulative.partition_point(|&c| c <= r);
        self.hulls[i.min(self.hulls.len() - 1)]
    }

    pub(crate) fn total(&self) -> u32 {
        self.cumulative.last().copied().unwrap_or(1)
    }
}

/// Index of the hull with type `id`; panics on an id missing from
/// [`HULLS`] (a bug in the tables above, caught by the unit tests).
pub(crate) fn hull_index(id: TypeId) -> HullIx {
    let i = HULLS
        .iter()
        .position(|h| h.id == id)
        .unwrap_or_else(|| panic!("hull {id} missing from HULLS"));
    HullIx::try_from(i).unwrap_or(HullIx::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pool_resolves() {
        let pools: Vec<Pool> = FLEET_DOCTRINES
            .iter()
            .copied()
            .chain([
                CAPITALS,
                STRUCTURES,
                DEPLOYABLES,
                GANG_HULLS,
                PVE_HULLS,
                GANKER_HULLS,
                GANKED_HULLS,
            ])
            .collect();
        for pool in pools {
            let p = HullPool::new(pool);
            assert!(p.total() > 0);
            assert_eq!(HULLS[usize::from(p.pick(0))].id, pool[0].0);
            assert_eq!(
                HULLS[usize::from(p.pick(p.total() - 1))].id,
                pool[pool.len() - 1].0
            );
        }
    }

    #[test]
    fn every_type_id_is_a_real_ship_or_npc() {
        use battlescope_core::universe::ship_type;
        let npcs = RATS.iter().flat_map(|r| r.iter()).chain(CONCORD);
        for id in HULLS.iter().map(|h| h.id).chain(npcs.map(|n| n.ship)) {
            assert!(
                ship_type(id).is_some(),
                "type {id} is not in the static data"
            );
        }
        assert_eq!(ship_type(CAPSULE).map(|s| s.name), Some("Capsule"));
        assert_eq!(ship_type(587).map(|s| s.name), Some("Rifter"));
    }

    #[test]
    fn hull_ids_are_unique() {
        let mut ids: Vec<TypeId> = HULLS.iter().map(|h| h.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), HULLS.len());
    }
}
