//! Names of security classes in rulesets, with the spellings people use.
//!
//! Guarantees: every canonical [`SecurityClass`] name parses to its class;
//! the accepted aliases are exactly those listed in [`ALIASES`]; matching
//! ignores ASCII case and treats `-`, `_` and spaces alike (so `High-Sec`,
//! `HIGH_SEC` and `highsec` all read as `high_sec`); an unknown name is an
//! error that lists the valid names.

use std::fmt;

use schemars::{json_schema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::Error;
use crate::universe::SecurityClass;

/// Extra spellings, after normalising (lower case, no `-`, `_` or space).
const ALIASES: [(&str, SecurityClass); 7] = [
    ("hisec", SecurityClass::HighSec),
    ("hs", SecurityClass::HighSec),
    ("ls", SecurityClass::LowSec),
    ("ns", SecurityClass::NullSec),
    ("wh", SecurityClass::Wormhole),
    ("jspace", SecurityClass::Wormhole),
    ("wspace", SecurityClass::Wormhole),
];

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Parse a security class name as rulesets accept it: the canonical names
/// (`high_sec`, `low_sec`, `null_sec`, `wormhole`, `pochven`, `abyssal`),
/// in any ASCII case, with `-`, `_`, spaces or nothing between words
/// (`highsec`, `High-Sec`), and the aliases `hisec`, `hs`, `ls`, `ns`,
/// `wh`, `jspace` and `wspace`.
///
/// # Errors
/// [`Error::Config`] on `security_classes`, naming the rejected value and
/// listing the valid names.
pub fn parse_security_class(name: &str) -> Result<SecurityClass, Error> {
    let key = normalise(name);
    SecurityClass::ALL
        .into_iter()
        .find(|class| normalise(class.as_str()) == key)
        .or_else(|| {
            ALIASES
                .iter()
                .find(|(alias, _)| *alias == key)
                .map(|&(_, class)| class)
        })
        .ok_or_else(|| {
            let names: Vec<&str> = SecurityClass::ALL.iter().map(|c| c.as_str()).collect();
            Error::config(
                "security_classes",
                format!(
                    "unknown security class {name:?}, expected one of: {} (or highsec, lowsec, nullsec, wh, ...)",
                    names.join(", ")
                ),
            )
        })
}

/// One security class name, read with [`parse_security_class`].
struct ClassName(SecurityClass);

impl<'de> Deserialize<'de> for ClassName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = ClassName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a security class name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ClassName, E> {
                parse_security_class(v)
                    .map(ClassName)
                    .map_err(|e| E::custom(e.reason()))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// `deserialize_with` of `security_classes`: element by element, so a bad
/// name's error path carries its index.
pub(super) fn security_classes<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<SecurityClass>, D::Error> {
    struct ListVisitor;
    impl<'de> Visitor<'de> for ListVisitor {
        type Value = Vec<SecurityClass>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of security class names")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(ClassName(class)) = seq.next_element()? {
                out.push(class);
            }
            Ok(out)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
    }
    deserializer.deserialize_any(ListVisitor)
}

/// JSON Schema of `security_classes`: the canonical names (aliases are
/// accepted on reading but not advertised).
pub(super) fn security_classes_schema(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = SecurityClass::ALL.iter().map(|c| c.as_str()).collect();
    json_schema!({
        "type": "array",
        "items": { "type": "string", "enum": names }
    })
}

#[cfg(test)]
mod tests {
    use super::parse_security_class;
    use crate::universe::SecurityClass;

    #[test]
    fn canonical_names_and_spellings_parse() {
        for class in SecurityClass::ALL {
            assert_eq!(parse_security_class(class.as_str()).unwrap(), class);
        }
        for (name, class) in [
            ("highsec", SecurityClass::HighSec),
            ("High-Sec", SecurityClass::HighSec),
            ("HISEC", SecurityClass::HighSec),
            ("low sec", SecurityClass::LowSec),
            ("nullsec", SecurityClass::NullSec),
            ("NS", SecurityClass::NullSec),
            ("j-space", SecurityClass::Wormhole),
            ("WH", SecurityClass::Wormhole),
            ("Pochven", SecurityClass::Pochven),
        ] {
            assert_eq!(parse_security_class(name).unwrap(), class, "{name}");
        }
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = parse_security_class("lawless").unwrap_err();
        assert_eq!(
            (err.kind(), err.field()),
            ("config", Some("security_classes"))
        );
        let err = err.reason();
        assert!(err.starts_with("unknown security class \"lawless\", expected one of: high_sec, low_sec, null_sec, wormhole, pochven, abyssal"), "{err}");
        assert!(parse_security_class("").is_err());
    }
}
