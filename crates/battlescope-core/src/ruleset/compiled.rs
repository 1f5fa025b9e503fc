//! The evaluator: a validated ruleset with its lists turned into hash sets
//! and bit masks once, at compile time.
//!
//! Guarantees: [`CompiledRuleset::evaluate`] is a pure function of the
//! killmail; it allocates only to describe a rejection (and, when a pilot
//! bound is set, to count distinct characters); rules are tried in the order
//! of [`RULE_NAMES`](super::RULE_NAMES) and the first failing one is
//! reported.

use rustc_hash::FxHashSet;

use super::decision::{Decision, Rejection};
use super::document::{Lists, ParticipantList, Ruleset, Side, UnknownValue};
use crate::error::Error;
use crate::killmail::{is_npc_corporation, EntityId, Killmail, SystemId, TypeId};
use crate::universe::{self, SecurityClass, ShipClass, SolarSystem};

/// A ruleset ready to decide killmails.
#[derive(Debug, Clone)]
pub struct CompiledRuleset {
    ruleset: Ruleset,
    exclude: Vec<Matcher>,
    include: Vec<Matcher>,
}

impl Ruleset {
    /// Validate the ruleset and build its evaluator.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first offending field (see
    /// [`Ruleset::validate`]).
    pub fn compile(&self) -> Result<CompiledRuleset, Error> {
        self.validate()?;
        Ok(CompiledRuleset {
            exclude: matchers("exclude", &self.exclude, self.side),
            include: matchers("include", &self.include, self.side),
            ruleset: self.clone(),
        })
    }
}

impl Default for CompiledRuleset {
    /// The empty ruleset: accepts everything.
    fn default() -> Self {
        Self {
            ruleset: Ruleset::default(),
            exclude: Vec::new(),
            include: Vec::new(),
        }
    }
}

impl CompiledRuleset {
    /// The ruleset this was compiled from.
    #[must_use]
    pub fn ruleset(&self) -> &Ruleset {
        &self.ruleset
    }

    /// True when the killmail passes every rule.
    #[must_use]
    pub fn accepts(&self, km: &Killmail) -> bool {
        self.evaluate(km).is_accept()
    }

    /// Decide one killmail (see the [module documentation](super) for the
    /// semantics).
    #[must_use]
    pub fn evaluate(&self, km: &Killmail) -> Decision {
        match self.first_failure(km) {
            None => Decision::Accept,
            Some(rejection) => Decision::Reject(rejection),
        }
    }

    fn first_failure(&self, km: &Killmail) -> Option<Rejection> {
        let r = &self.ruleset;
        if r.drop_npc {
            if let Some(rej) = npc(km) {
                return Some(rej);
            }
        }
        if r.drop_solo {
            if let Some(rej) = solo(km) {
                return Some(rej);
            }
        }
        if r.drop_awox {
            if let Some(rej) = awox(km) {
                return Some(rej);
            }
        }
        if r.require_npc && npc(km).is_none() {
            return reject(
                "require_npc",
                "npc".to_owned(),
                "not an NPC kill: a character is among the attackers".to_owned(),
            );
        }
        if r.require_solo && solo(km).is_none() {
            let pilots = distinct_attacking_pilots(km);
            return reject(
                "require_solo",
                pilots.to_string(),
                format!("not a solo kill: {pilots} attacking pilots"),
            );
        }
        if r.require_awox && awox(km).is_none() {
            return reject(
                "require_awox",
                "awox".to_owned(),
                "not an awox kill: no attacker shares the victim's corporation or alliance"
                    .to_owned(),
            );
        }
        if r.min_pilots.is_some() || r.max_pilots.is_some() {
            if let Some(rej) = pilots(km, r.min_pilots, r.max_pilots) {
                return Some(rej);
            }
        }
        if r.min_isk.is_some() || r.max_isk.is_some() {
            if let Some(rej) = isk(km, r.min_isk, r.max_isk, r.unknown_value) {
                return Some(rej);
            }
        }
        let mut place = None;
        for m in &self.exclude {
            if let Some(hit) = m.find(km, &mut place) {
                return Some(Rejection {
                    rule: m.rule,
                    value: hit.value.to_string(),
                    reason: format!("{} is excluded", hit.describe(m.kind)),
                });
            }
        }
        for m in &self.include {
            if m.find(km, &mut place).is_none() {
                return Some(m.miss(km, &mut place));
            }
        }
        None
    }
}

fn reject(rule: &'static str, value: String, reason: String) -> Option<Rejection> {
    Some(Rejection {
        rule,
        value,
        reason,
    })
}

fn npc(km: &Killmail) -> Option<Rejection> {
    if !km.is_npc_kill() {
        return None;
    }
    let reason = match km.zkb.as_ref().and_then(|z| z.npc) {
        Some(true) => "zKillboard flags it as an NPC kill",
        _ => "no attacker is a character",
    };
    reject("drop_npc", "npc".to_owned(), reason.to_owned())
}

fn distinct_attacking_pilots(km: &Killmail) -> usize {
    let mut ids: Vec<u64> = km.attackers.iter().filter_map(|a| a.character_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

fn solo(km: &Killmail) -> Option<Rejection> {
    let mut characters = km.attackers.iter().filter_map(|a| a.character_id);
    let first = characters.next();
    let one_pilot = first.is_some() && characters.all(|c| Some(c) == first);
    let flagged = km.zkb.as_ref().and_then(|z| z.solo) == Some(true);
    if !one_pilot && !flagged {
        return None;
    }
    match first.filter(|_| one_pilot) {
        Some(c) => reject(
            "drop_solo",
            c.to_string(),
            format!("solo kill: character {c} is the only attacking pilot"),
        ),
        None => reject(
            "drop_solo",
            "zkb.solo".to_owned(),
            "zKillboard flags it as a solo kill".to_owned(),
        ),
    }
}

fn awox(km: &Killmail) -> Option<Rejection> {
    let v = &km.victim;
    if v.character_id.is_some() {
        for a in km.attackers.iter().filter(|a| a.character_id.is_some()) {
            let who = a.character_id.unwrap_or_default();
            if let (Some(va), Some(aa)) = (v.alliance_id, a.alliance_id) {
                if va == aa {
                    return reject(
                        "drop_awox",
                        format!("alliance {va}"),
                        format!("attacker character {who} is in the victim's alliance {va}"),
                    );
                }
            }
            if let (Some(vc), Some(ac)) = (v.corporation_id, a.corporation_id) {
                if vc == ac && !is_npc_corporation(vc) {
                    return reject(
                        "drop_awox",
                        format!("corporation {vc}"),
                        format!("attacker character {who} is in the victim's corporation {vc}"),
                    );
                }
            }
        }
    }
    if km.zkb.as_ref().and_then(|z| z.awox) == Some(true) {
        return reject(
            "drop_awox",
            "zkb.awox".to_owned(),
            "zKillboard flags it as an awox kill".to_owned(),
        );
    }
    None
}

fn pilots(km: &Killmail, min: Option<u32>, max: Option<u32>) -> Option<Rejection> {
    let mut ids: Vec<EntityId> = km.characters().collect();
    ids.sort_unstable();
    ids.dedup();
    let n = ids.len();
    if let Some(min) = min {
        if n < min as usize {
            return reject(
                "min_pilots",
                n.to_string(),
                format!("{n} pilots, fewer than {min}"),
            );
        }
    }
    if let Some(max) = max {
        if n > max as usize {
            return reject(
                "max_pilots",
                n.to_string(),
                format!("{n} pilots, more than {max}"),
            );
        }
    }
    None
}

fn isk(
    km: &Killmail,
    min: Option<f64>,
    max: Option<f64>,
    unknown: UnknownValue,
) -> Option<Rejection> {
    let Some(value) = km.total_value() else {
        return match unknown {
            UnknownValue::Accept => None,
            UnknownValue::Reject => reject(
                "unknown_value",
                "unknown".to_owned(),
                "no zKillboard totalValue to check the ISK bounds against".to_owned(),
            ),
        };
    };
    if let Some(min) = min {
        if value < min {
            return reject(
                "min_isk",
                value.to_string(),
                format!("worth {value} ISK, less than {min}"),
            );
        }
    }
    if let Some(max) = max {
        if value > max {
            return reject(
                "max_isk",
                value.to_string(),
                format!("worth {value} ISK, more than {max}"),
            );
        }
    }
    None
}

/// What a list is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
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
struct Matcher {
    rule: &'static str,
    kind: Kind,
    side: Side,
    set: Set,
}

/// A value of a killmail a list can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
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
struct Hit {
    role: Role,
    value: Value,
}

impl Hit {
    fn describe(self, kind: Kind) -> String {
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

fn people(km: &Killmail, side: Side) -> impl Iterator<Item = Person> + '_ {
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
struct Place {
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
    fn find(&self, km: &Killmail, place: &mut Option<Place>) -> Option<Hit> {
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
    fn miss(&self, km: &Killmail, place: &mut Option<Place>) -> Rejection {
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
            Side::Victim => "victim ",
            Side::Attackers => "attacker ",
            Side::Any => "",
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

fn matchers(prefix: &'static str, lists: &Lists, default_side: Side) -> Vec<Matcher> {
    let rule = |name: &str| -> &'static str {
        let full = format!("{prefix}.{name}");
        super::decision::RULE_NAMES
            .iter()
            .find(|r| **r == full)
            .copied()
            .expect("every list has a rule name in RULE_NAMES")
    };
    let ids = |values: &[u64]| Set::Ids(values.iter().copied().collect());
    let ids32 = |values: &[u32]| Set::Ids(values.iter().map(|&v| u64::from(v)).collect());
    let side_of = |list_side: Option<Side>| list_side.unwrap_or(default_side);
    let mut out = Vec::new();
    let mut push = |name: &str, kind: Kind, side: Side, empty: bool, set: &dyn Fn() -> Set| {
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
        Side::Any,
        lists.systems.is_empty(),
        &|| ids32(&lists.systems),
    );
    push(
        "constellations",
        Kind::Constellation,
        Side::Any,
        lists.constellations.is_empty(),
        &|| ids32(&lists.constellations),
    );
    push(
        "regions",
        Kind::Region,
        Side::Any,
        lists.regions.is_empty(),
        &|| ids32(&lists.regions),
    );
    push(
        "security_classes",
        Kind::Security,
        Side::Any,
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
