//! The ruleset document: plain data with serde and a JSON Schema.
//!
//! Guarantees: every struct rejects unknown fields; every field has a
//! default, and the all-default [`Ruleset`] accepts everything; a
//! [`ParticipantList`] reads either as a plain list or as
//! `{ side, values }`, and writes back in the form it was read.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::killmail::{EntityId, SystemId, TypeId};
use crate::universe::{SecurityClass, ShipClass};

/// Which killmails enter: thresholds, flags, and include / exclude lists.
///
/// See the [module documentation](super) for the semantics.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Ruleset {
    /// A name for reports and logs; no effect on decisions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free text; no effect on decisions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Fewest distinct characters (victim and attackers) on a killmail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_pilots: Option<u32>,
    /// Most distinct characters (victim and attackers) on a killmail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pilots: Option<u32>,
    /// Least zKillboard `totalValue`, in ISK (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_isk: Option<f64>,
    /// Most zKillboard `totalValue`, in ISK (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_isk: Option<f64>,
    /// What `min_isk` / `max_isk` do with a killmail without a value.
    pub unknown_value: UnknownValue,
    /// Default side of every participant list.
    pub side: MatchOn,
    /// Drop NPC kills.
    pub drop_npc: bool,
    /// Drop solo kills.
    pub drop_solo: bool,
    /// Drop kills of a pilot by their own corporation or alliance.
    pub drop_awox: bool,
    /// Keep only NPC kills.
    pub require_npc: bool,
    /// Keep only solo kills.
    pub require_solo: bool,
    /// Keep only kills of a pilot by their own corporation or alliance.
    pub require_awox: bool,
    /// A killmail must match every non-empty list here.
    pub include: Lists,
    /// A killmail that matches any non-empty list here is rejected.
    pub exclude: Lists,
}

/// What an ISK bound does with a killmail whose value is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnknownValue {
    /// The bound is not met: reject (rule `unknown_value`).
    #[default]
    Reject,
    /// Let it through.
    Accept,
}

/// Which participants of a killmail a list looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
// The schema keeps its published name (`$defs/Side`, TypeScript `RulesetSide`).
#[schemars(rename = "Side")]
pub enum MatchOn {
    /// The victim only.
    Victim,
    /// The attackers only (NPCs included).
    Attackers,
    /// The victim and the attackers.
    #[default]
    Any,
}

impl MatchOn {
    /// The `snake_case` name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Victim => "victim",
            Self::Attackers => "attackers",
            Self::Any => "any",
        }
    }

    pub(super) const fn victim(self) -> bool {
        matches!(self, Self::Victim | Self::Any)
    }

    pub(super) const fn attackers(self) -> bool {
        matches!(self, Self::Attackers | Self::Any)
    }
}

/// One set of lists: a ruleset has one to include and one to exclude.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Lists {
    /// Alliance ids.
    #[serde(skip_serializing_if = "ParticipantList::is_empty")]
    pub alliances: ParticipantList<EntityId>,
    /// Corporation ids.
    #[serde(skip_serializing_if = "ParticipantList::is_empty")]
    pub corporations: ParticipantList<EntityId>,
    /// Character ids.
    #[serde(skip_serializing_if = "ParticipantList::is_empty")]
    pub characters: ParticipantList<EntityId>,
    /// Solar system ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<SystemId>,
    /// Constellation ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub constellations: Vec<u32>,
    /// Region ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<u32>,
    /// Security classes of the killmail's system.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "super::names::security_classes"
    )]
    #[schemars(schema_with = "super::names::security_classes_schema")]
    pub security_classes: Vec<SecurityClass>,
    /// Inventory group ids of ships (e.g. 831, Interceptor).
    #[serde(skip_serializing_if = "ParticipantList::is_empty")]
    pub ship_groups: ParticipantList<u32>,
    /// Hull classes of ships.
    #[serde(skip_serializing_if = "ParticipantList::is_empty")]
    pub ship_classes: ParticipantList<ShipClass>,
    /// Ship type ids (e.g. 670, the capsule).
    #[serde(skip_serializing_if = "ParticipantList::is_empty")]
    pub ship_types: ParticipantList<TypeId>,
}

impl Lists {
    /// True when no list has a value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.alliances.is_empty()
            && self.corporations.is_empty()
            && self.characters.is_empty()
            && self.systems.is_empty()
            && self.constellations.is_empty()
            && self.regions.is_empty()
            && self.security_classes.is_empty()
            && self.ship_groups.is_empty()
            && self.ship_classes.is_empty()
            && self.ship_types.is_empty()
    }
}

impl Ruleset {
    /// True when the ruleset has no constraint at all (it accepts every
    /// killmail).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.min_pilots.is_none()
            && self.max_pilots.is_none()
            && self.min_isk.is_none()
            && self.max_isk.is_none()
            && !self.drop_npc
            && !self.drop_solo
            && !self.drop_awox
            && !self.require_npc
            && !self.require_solo
            && !self.require_awox
            && self.include.is_empty()
            && self.exclude.is_empty()
    }
}

/// A list of values matched against a killmail's participants, with an
/// optional side of its own (else the ruleset's `side` applies).
///
/// Reads from a plain list (`[1, 2]`) or from `{ side: victim, values: [1, 2] }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantList<T> {
    /// The values; an empty list places no constraint.
    pub values: Vec<T>,
    /// This list's side; `None` takes the ruleset's.
    pub side: Option<MatchOn>,
}

impl<T> Default for ParticipantList<T> {
    fn default() -> Self {
        Self {
            values: Vec::new(),
            side: None,
        }
    }
}

impl<T> ParticipantList<T> {
    /// A list on the ruleset's side.
    #[must_use]
    pub fn new(values: Vec<T>) -> Self {
        Self { values, side: None }
    }

    /// A list on a side of its own.
    #[must_use]
    pub fn on(side: MatchOn, values: Vec<T>) -> Self {
        Self {
            values,
            side: Some(side),
        }
    }

    /// True when the list has no value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl<T> From<Vec<T>> for ParticipantList<T> {
    fn from(values: Vec<T>) -> Self {
        Self::new(values)
    }
}

/// Types a [`ParticipantList`] holds: ids and ship classes. Gives the JSON
/// Schema of one item (sealed: the ruleset decides what can be listed).
pub trait ListItem: sealed::Sealed {
    /// Schema of one value of the list.
    fn item_schema(generator: &mut SchemaGenerator) -> Schema;
    /// Name used in the list's schema name.
    fn item_name() -> &'static str;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for u64 {}
    impl Sealed for u32 {}
    impl Sealed for crate::universe::ShipClass {}
}

impl ListItem for u64 {
    fn item_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<u64>()
    }
    fn item_name() -> &'static str {
        "uint64"
    }
}

impl ListItem for u32 {
    fn item_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<u32>()
    }
    fn item_name() -> &'static str {
        "uint32"
    }
}

impl ListItem for ShipClass {
    fn item_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = ShipClass::ALL.iter().map(|c| c.as_str()).collect();
        json_schema!({ "type": "string", "enum": names })
    }
    fn item_name() -> &'static str {
        "ShipClass"
    }
}

impl<T: ListItem> JsonSchema for ParticipantList<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("ParticipantList_{}", T::item_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let item = T::item_schema(generator);
        let side = generator.subschema_for::<MatchOn>();
        json_schema!({
            "description": "A plain list of values (on the ruleset's side), or the values with a side of their own.",
            "anyOf": [
                { "type": "array", "items": item },
                {
                    "type": "object",
                    "properties": {
                        "side": side,
                        "values": { "type": "array", "items": item }
                    },
                    "required": ["values"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

impl<T: Serialize> Serialize for ParticipantList<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct WithSide<'a, T> {
            side: MatchOn,
            values: &'a [T],
        }
        match self.side {
            None => self.values.serialize(serializer),
            Some(side) => WithSide {
                side,
                values: &self.values,
            }
            .serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ParticipantList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

/// The `{ side, values }` form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WithSide<T> {
    #[serde(default)]
    side: Option<MatchOn>,
    values: Vec<T>,
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = ParticipantList<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of values, or { side, values }")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(value) = seq.next_element()? {
            values.push(value);
        }
        Ok(ParticipantList::new(values))
    }

    /// `alliances:` with nothing after it (YAML null) is an empty list.
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ParticipantList::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ParticipantList::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let WithSide { side, values } =
            WithSide::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(ParticipantList { values, side })
    }
}
