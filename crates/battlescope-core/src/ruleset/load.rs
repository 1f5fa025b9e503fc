//! Reading rulesets from JSON, YAML and TOML.
//!
//! Guarantees: the three formats go through the same serde types, so the
//! same document reads to the same [`Ruleset`] in each; every error is
//! [`Error::Config`] whose `field` is the path of the offending value (`.`
//! for the document itself) and whose reason carries the line and column
//! when the format gives them; a ruleset that reads without error has also
//! passed [`Ruleset::validate`].

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::document::Ruleset;
use crate::error::Error;

/// The formats a ruleset can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RulesetFormat {
    /// JSON (`.json`).
    Json,
    /// YAML (`.yaml`, `.yml`).
    Yaml,
    /// TOML (`.toml`).
    Toml,
}

impl RulesetFormat {
    /// The format of a file, by its extension (case-insensitive).
    #[must_use]
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        ext.parse().ok()
    }

    /// The lower-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Yaml => "yaml",
            Self::Toml => "toml",
        }
    }
}

impl fmt::Display for RulesetFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RulesetFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "yaml" | "yml" => Ok(Self::Yaml),
            "toml" => Ok(Self::Toml),
            _ => Err(Error::Config {
                field: "format".to_owned(),
                reason: format!("unknown ruleset format {s:?}, expected json, yaml or toml"),
            }),
        }
    }
}

impl Ruleset {
    /// Read and validate a ruleset written in JSON.
    ///
    /// # Errors
    /// [`Error::Config`] naming the offending field.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        Self::parse(text, RulesetFormat::Json)
    }

    /// Read and validate a ruleset written in YAML.
    ///
    /// # Errors
    /// [`Error::Config`] naming the offending field.
    pub fn from_yaml(text: &str) -> Result<Self, Error> {
        Self::parse(text, RulesetFormat::Yaml)
    }

    /// Read and validate a ruleset written in TOML.
    ///
    /// # Errors
    /// [`Error::Config`] naming the offending field.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        Self::parse(text, RulesetFormat::Toml)
    }

    /// Read and validate a ruleset in the given format.
    ///
    /// # Errors
    /// [`Error::Config`] naming the offending field.
    pub fn parse(text: &str, format: RulesetFormat) -> Result<Self, Error> {
        let ruleset = match format {
            RulesetFormat::Json => {
                let mut de = serde_json::Deserializer::from_str(text);
                let ruleset: Self = serde_path_to_error::deserialize(&mut de)
                    .map_err(|e| config_error(&e, ToString::to_string))?;
                de.end().map_err(|e| Error::Config {
                    field: ".".to_owned(),
                    reason: e.to_string(),
                })?;
                ruleset
            }
            RulesetFormat::Yaml => {
                let de = serde_norway::Deserializer::from_str(text);
                serde_path_to_error::deserialize(de)
                    .map_err(|e| config_error(&e, ToString::to_string))?
            }
            RulesetFormat::Toml => {
                let de = toml::Deserializer::parse(text).map_err(|e| Error::Config {
                    field: ".".to_owned(),
                    reason: toml_message(&e, text),
                })?;
                serde_path_to_error::deserialize(de)
                    .map_err(|e| config_error(&e, |e| toml_message(e, text)))?
            }
        };
        ruleset.validate()?;
        Ok(ruleset)
    }

    /// Read and validate a ruleset file; the format comes from the
    /// extension (`.json`, `.yaml`, `.yml`, `.toml`).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::Format`] for an
    /// unknown extension, [`Error::Config`] naming the offending field.
    pub fn from_path(path: &Path) -> Result<Self, Error> {
        let source_name = path.display().to_string();
        let format = RulesetFormat::from_path(path).ok_or_else(|| Error::Format {
            source_name: source_name.clone(),
            reason: "a ruleset file ends in .json, .yaml, .yml or .toml".to_owned(),
        })?;
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            source_name,
            context: "cannot read ruleset".to_owned(),
            source,
        })?;
        Self::parse(&text, format)
    }

    /// The JSON Schema of the ruleset document.
    #[must_use]
    pub fn json_schema() -> serde_json::Value {
        schemars::schema_for!(Ruleset).to_value()
    }
}

/// A serde error with its path as [`Error::Config`]. The path ends with
/// the offending key itself, unknown fields included (`include.alliance`).
fn config_error<E>(error: &serde_path_to_error::Error<E>, message: impl Fn(&E) -> String) -> Error {
    // `?` stands for a key that could not be read: name its parent.
    let path = error.path().to_string();
    let field = match path.strip_suffix("?").map(|p| p.trim_end_matches('.')) {
        Some("") => ".".to_owned(),
        Some(parent) => parent.to_owned(),
        None => path,
    };
    let reason = message(error.inner());
    // YAML's messages start with the path (or the parent's) already.
    let reason = match reason.split_once(": ") {
        Some((head, rest)) if !head.is_empty() && field.starts_with(head) => rest.to_owned(),
        _ => reason,
    };
    Error::Config { field, reason }
}

/// TOML's message with the line and column of its span (its `Display`
/// prints a multi-line snippet, too much for one error line).
fn toml_message(error: &toml::de::Error, text: &str) -> String {
    let message = error.message().trim_end();
    match error.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("{message} at line {line} column {column}")
        }
        None => message.to_owned(),
    }
}
