//! Input formats: the container (how records are laid out in a byte stream)
//! and the record shape (which JSON object a record is), each either chosen
//! explicitly or detected.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// How records are laid out in an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Container {
    /// Detect from the file name and the first bytes.
    #[default]
    Auto,
    /// One JSON document: a single record, or an array of records.
    Json,
    /// JSON Lines: one record per line; blank lines are ignored.
    Lines,
    /// A `.tar.bz2` archive holding one JSON record per member.
    Archive,
}

/// Which JSON object a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Shape {
    /// Detect per record from its keys.
    #[default]
    Auto,
    /// An ESI killmail (optionally with an embedded `zkb`).
    Esi,
    /// A zKillboard R2Z2 item: `killmail_id`, `hash`, `zkb`, `esi`.
    R2z2,
    /// A zKillboard RedisQ answer: `{"package": {...}}` or `{"package": null}`.
    RedisQ,
    /// A zKillboard API row: `killmail_id` + `zkb`, the killmail itself still
    /// to be fetched from ESI.
    ZkbApi,
}

/// An input format: container plus record shape.
///
/// Parsed from the names users type: `auto`, `json`, `jsonl`, `archive`,
/// `esi`, `r2z2`, `redisq`, `zkb-api`, or `container+shape` such as
/// `jsonl+r2z2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Format {
    /// How records are laid out (one document, an array, lines, an archive).
    pub container: Container,
    /// What one record is (ESI killmail, R2Z2 item, …).
    pub shape: Shape,
}

impl Format {
    /// Everything detected.
    pub const AUTO: Self = Self {
        container: Container::Auto,
        shape: Shape::Auto,
    };

    /// The container a file name implies, if any.
    #[must_use]
    pub fn container_from_name(name: &str) -> Option<Container> {
        let lower = name.to_ascii_lowercase();
        if [".tar.bz2", ".tbz2", ".tbz"]
            .iter()
            .any(|s| lower.ends_with(s))
        {
            Some(Container::Archive)
        } else if [".jsonl", ".ndjson", ".jsonlines"]
            .iter()
            .any(|s| lower.ends_with(s))
        {
            Some(Container::Lines)
        } else {
            None
        }
    }
}

const NAMES: &str =
    "auto, json, jsonl, archive, esi, r2z2, redisq, zkb-api (or container+shape, e.g. jsonl+r2z2)";

fn parse_container(s: &str) -> Option<Container> {
    Some(match s {
        "auto" => Container::Auto,
        "json" | "array" => Container::Json,
        "jsonl" | "ndjson" | "lines" => Container::Lines,
        "archive" | "tar.bz2" => Container::Archive,
        _ => return None,
    })
}

fn parse_shape(s: &str) -> Option<Shape> {
    Some(match s {
        "auto" => Shape::Auto,
        "esi" => Shape::Esi,
        "r2z2" => Shape::R2z2,
        "redisq" => Shape::RedisQ,
        "zkb-api" | "zkb" => Shape::ZkbApi,
        _ => return None,
    })
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let bad = || Error::Config {
            field: "input format".to_owned(),
            reason: format!("`{s}` is not one of: {NAMES}"),
        };
        if let Some((c, sh)) = lower.split_once('+') {
            return Ok(Self {
                container: parse_container(c).ok_or_else(bad)?,
                shape: parse_shape(sh).ok_or_else(bad)?,
            });
        }
        if let Some(container) = parse_container(&lower) {
            return Ok(Self {
                container,
                shape: Shape::Auto,
            });
        }
        parse_shape(&lower)
            .map(|shape| Self {
                container: Container::Auto,
                shape,
            })
            .ok_or_else(bad)
    }
}

impl fmt::Display for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Json => "json",
            Self::Lines => "jsonl",
            Self::Archive => "archive",
        })
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Esi => "esi",
            Self::R2z2 => "r2z2",
            Self::RedisQ => "redisq",
            Self::ZkbApi => "zkb-api",
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.container, self.shape) {
            (c, Shape::Auto) => write!(f, "{c}"),
            (Container::Auto, s) => write!(f, "{s}"),
            (c, s) => write!(f, "{c}+{s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print_back() {
        for name in [
            "auto",
            "json",
            "jsonl",
            "archive",
            "esi",
            "r2z2",
            "redisq",
            "zkb-api",
            "jsonl+r2z2",
        ] {
            let f: Format = name.parse().unwrap();
            assert_eq!(f.to_string(), name);
        }
        let err = "xml".parse::<Format>().unwrap_err().to_string();
        assert!(err.contains("`xml`") && err.contains("jsonl"), "{err}");
    }

    #[test]
    fn file_names_imply_containers() {
        assert_eq!(
            Format::container_from_name("killmails-2024-01-01.tar.bz2"),
            Some(Container::Archive)
        );
        assert_eq!(
            Format::container_from_name("x.JSONL"),
            Some(Container::Lines)
        );
        assert_eq!(Format::container_from_name("x.json"), None);
    }
}
