//! The include / exclude lists, compiled into hash sets and bit masks:
//! which value of a killmail each list is matched against, on which side
//! (victim, attackers, place), and how a hit or a miss is described.

use rustc_hash::FxHashSet;

use super::super::decision::Rejection;
use super::super::document::{Lists, MatchOn, ParticipantList};
use crate::killmail::{EntityId, Killmail, SystemId, TypeId};
use crate::universe::{self, SecurityClass, ShipClass, SolarSystem};

/// What a list is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Alliance,
    Corporation,
    Character,
    System,
    Constellation,
    Region,
    Security,
    ShipGroup,
    ShipClass,
    ShipType,
}

impl Kind {
    const fn noun(self) -> &'static str {
        match self {
            Self::Alliance => "alliance",
            Self::Corporation => "corporation",
            Self::Character => "character",
            Self::System => "solar system",
            Self::Constellation => "constellation",
            Self::Region => "region",
            Self::Security => "security class",
            Self::ShipGroup => "ship group",
            Self::ShipClass => "ship class",
            Self::ShipType => "ship type",
        }
    }

    const fn is_location(self) -> bool {
        matches!(
            self,
            Self::System | Self::Constellation | Self::Region | Self::Security
        )
    }
}

/// The set a list was compiled to.
#[derive(Debug, Clone)]
enum Set {
    Ids(FxHashSet<u64>),
    /// Bit `i` set: the `i`-th class of [`ShipClass::ALL`] or
    /// [`SecurityClass::ALL`] is listed.
    Mask(u32),
}

impl Set {
    fn has(&self, value: Value) -> bool {
        match (self, value) {
            (Self::Ids(ids), Value::Id(id)) => ids.contains(&id),
            (Self::Mask(mask), Value::Ship(class)) => mask & ship_bit(class) != 0,
            (Self::Mask(mask), Value::Security(class)) => mask & security_bit(class) != 0,
            _ => false,
        }
    }
}

fn ship_bit(class: ShipClass) -> u32 {
    ShipClass::ALL
        .iter()
        .position(|&c| c == class)
        .map_or(0, |i| 1 << i)
}

fn security_bit(class: SecurityClass) -> u32 {
    SecurityClass::ALL
        .iter()
        .position(|&c| c == class)
        .map_or(0, |i| 1 << i)
}

/// One compiled non-empty list.
#[derive(Debug, Clone)]
pub(super) struct Matcher {
    pub(super) rule: &'static str,
    pub(super) kind: Kind,
    side: MatchOn,
    set: Set,
}

/// A value of a killmail a list can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Value {
    Id(u64),
    Ship(ShipClass),
    Security(SecurityClass),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Ship(class) => f.write_str(class.as_str()),
            Self::Security(class) => f.write_str(class.as_str()),
        }
    }
}

/// Who on the killmail carried a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Victim,
    Attacker,
    Place,
}

/// A list entry found on the killmail.
#[derive(Debug, Clone, Copy)]
pub(super) struct Hit {
    role: Role,
    pub(super) value: Value,
}

impl Hit {
    pub(super) fn describe(self, kind: Kind) -> String {
        let who = match self.role {
            Role::Victim => "victim ",
            Role::Attacker => "attacker ",
            Role::Place => "",
        };
        let name = match (kind, self.value) {
            (Kind::System, Value::Id(id)) => {
                universe::system(u32::try_from(id).unwrap_or(0)).map(|s| format!(" ({})", s.name))
            }
            (Kind::Region, Value::Id(id)) => universe::systems()
                .iter()
                .find(|s| u64::from(s.region_id) == id)
                .map(|s| format!(" ({})", s.region_name)),
            (Kind::ShipType, Value::Id(id)) => universe::ship_type(u32::try_from(id).unwrap_or(0))
                .map(|s| format!(" ({})", s.name)),
            _ => None,
        };
        format!(
            "{who}{} {}{}",
            kind.noun(),
            self.value,
            name.unwrap_or_default()
        )
    }
}

/// A participant of a killmail, as the lists see it.
#[derive(Debug, Clone, Copy)]
struct Person {
    role: Role,
    alliance: Option<EntityId>,
    corporation: Option<EntityId>,
    character: Option<EntityId>,
    ship: Option<TypeId>,
}

fn people(km: &Killmail, side: MatchOn) -> impl Iterator<Item = Person> + '_ {
    let v = &km.victim;
    let victim = side.victim().then_some(Person {
        role: Role::Victim,
        alliance: v.alliance_id,
        corporation: v.corporation_id,
        character: v.character_id,
        ship: Some(v.ship_type_id),
    });
    let attackers = km
        .attackers
        .iter()
        .filter(move |_| side.attackers())
        .map(|a| Person {
            role: Role::Attacker,
            alliance: a.alliance_id,
            corporation: a.corporation_id,
            character: a.character_id,
            ship: a.ship_type_id,
        });
    victim.into_iter().chain(attackers)
}

/// Where the killmail happened, looked up once per killmail.
#[derive(Debug, Clone, Copy)]
pub(super) struct Place {
    system: SystemId,
    info: Option<&'static SolarSystem>,
    security: Option<SecurityClass>,
}

impl Place {
    fn of(km: &Killmail) -> Self {
        let system = km.solar_system_id;
        Self {
            system,
            info: universe::system(system),
            security: SecurityClass::of_system(system),
        }
    }

    fn value(&self, kind: Kind) -> Option<Value> {
        match kind {
            Kind::System => Some(Value::Id(u64::from(self.system))),
            Kind::Constellation => self.info.map(|s| Value::Id(u64::from(s.constellation_id))),
            Kind::Region => self.info.map(|s| Value::Id(u64::from(s.region_id))),
            Kind::Security => self.security.map(Value::Security),
            _ => None,
        }
    }
}

impl Person {
    fn value(&self, kind: Kind) -> Option<Value> {
        match kind {
            Kind::Alliance => self.alliance.map(Value::Id),
            Kind::Corporation => self.corporation.map(Value::Id),
            Kind::Character => self.character.map(Value::Id),
            Kind::ShipGroup => self
                .ship
                .and_then(universe::ship_type)
                .map(|s| Value::Id(u64::from(s.group_id))),
            Kind::ShipClass => self
                .ship
                .map(|t| Value::Ship(ShipClass::of_type(t).unwrap_or(ShipClass::Other))),
            Kind::ShipType => self.ship.map(|t| Value::Id(u64::from(t))),
            _ => None,
        }
    }
}

/// How many distinct values an include miss lists before "+N more".
const SHOWN_VALUES: usize = 5;

impl Matcher {
    pub(super) fn find(&self, km: &Killmail, place: &mut Option<Place>) -> Option<Hit> {
        if self.kind.is_location() {
            let place = place.get_or_insert_with(|| Place::of(km));
            let value = place.value(self.kind)?;
            return self.set.has(value).then_some(Hit {
                role: Role::Place,
                value,
            });
        }
        people(km, self.side).find_map(|p| {
            let value = p.value(self.kind)?;
            self.set.has(value).then_some(Hit {
                role: p.role,
                value,
            })
        })
    }

    /// The rejection of an include list nothing matched: what the killmail
    /// had instead.
    pub(super) fn miss(&self, km: &Killmail, place: &mut Option<Place>) -> Rejection {
        let noun = self.kind.noun();
        if self.kind.is_location() {
            let place = place.get_or_insert_with(|| Place::of(km));
            return match place.value(self.kind) {
                Some(value) => Rejection {
                    rule: self.rule,
                    value: value.to_string(),
                    reason: format!(
                        "{} is not on the include list",
                        Hit {
                            role: Role::Place,
                            value
                        }
                        .describe(self.kind)
                    ),
                },
                None => Rejection {
                    rule: self.rule,
                    value: "unknown".to_owned(),
                    reason: format!("the {noun} of solar system {} is unknown", place.system),
                },
            };
        }
        let mut seen: Vec<Value> = Vec::new();
        let mut more = 0_usize;
        for value in people(km, self.side).filter_map(|p| p.value(self.kind)) {
            if seen.contains(&value) {
                continue;
            }
            if seen.len() < SHOWN_VALUES {
                seen.push(value);
            } else {
                more += 1;
            }
        }
        let who = match self.side {
            MatchOn::Victim => "victim ",
            MatchOn::Attackers => "attacker ",
            MatchOn::Any => "",
        };
        let value = if seen.is_empty() {
            "none".to_owned()
        } else {
            let mut text = seen
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",");
            if more > 0 {
                text.push_str(&format!(",+{more} more"));
            }
            text
        };
        Rejection {
            rule: self.rule,
            reason: format!("no {who}{noun} is on the include list (saw: {value})"),
            value,
        }
    }
}

pub(super) fn matchers(prefix: &'static str, lists: &Lists, default_side: MatchOn) -> Vec<Matcher> {
    let rule = |name: &str| -> &'static str {
        let full = format!("{prefix}.{name}");
        super::super::decision::RULE_NAMES
            .iter()
            .find(|r| **r == full)
            .copied()
            .expect("every list has a rule name in RULE_NAMES")
    };
    let ids = |values: &[u64]| Set::Ids(values.iter().copied().collect());
    let ids32 = |values: &[u32]| Set::Ids(values.iter().map(|&v| u64::from(v)).collect());
    let side_of = |list_side: Option<MatchOn>| list_side.unwrap_or(default_side);
    let mut out = Vec::new();
    let mut push = |name: &str, kind: Kind, side: MatchOn, empty: bool, set: &dyn Fn() -> Set| {
        if !empty {
            out.push(Matcher {
                rule: rule(name),
                kind,
                side,
                set: set(),
            });
        }
    };
    let participant = |list: &ParticipantList<u64>| (side_of(list.side), list.is_empty());
    let (side, empty) = participant(&lists.alliances);
    push("alliances", Kind::Alliance, side, empty, &|| {
        ids(&lists.alliances.values)
    });
    let (side, empty) = participant(&lists.corporations);
    push("corporations", Kind::Corporation, side, empty, &|| {
        ids(&lists.corporations.values)
    });
    let (side, empty) = participant(&lists.characters);
    push("characters", Kind::Character, side, empty, &|| {
        ids(&lists.characters.values)
    });
    push(
        "systems",
        Kind::System,
        MatchOn::Any,
        lists.systems.is_empty(),
        &|| ids32(&lists.systems),
    );
    push(
        "constellations",
        Kind::Constellation,
        MatchOn::Any,
        lists.constellations.is_empty(),
        &|| ids32(&lists.constellations),
    );
    push(
        "regions",
        Kind::Region,
        MatchOn::Any,
        lists.regions.is_empty(),
        &|| ids32(&lists.regions),
    );
    push(
        "security_classes",
        Kind::Security,
        MatchOn::Any,
        lists.security_classes.is_empty(),
        &|| {
            Set::Mask(
                lists
                    .security_classes
                    .iter()
                    .fold(0, |m, &c| m | security_bit(c)),
            )
        },
    );
    push(
        "ship_groups",
        Kind::ShipGroup,
        side_of(lists.ship_groups.side),
        lists.ship_groups.is_empty(),
        &|| ids32(&lists.ship_groups.values),
    );
    push(
        "ship_classes",
        Kind::ShipClass,
        side_of(lists.ship_classes.side),
        lists.ship_classes.is_empty(),
        &|| {
            Set::Mask(
                lists
                    .ship_classes
                    .values
                    .iter()
                    .fold(0, |m, &c| m | ship_bit(c)),
            )
        },
    );
    push(
        "ship_types",
        Kind::ShipType,
        side_of(lists.ship_types.side),
        lists.ship_types.is_empty(),
        &|| ids32(&lists.ship_types.values),
    );
    out
}
