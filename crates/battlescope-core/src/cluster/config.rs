//! Clustering parameters, with the defaults of the design and validation.
//!
//! Durations read as human strings (`"30m"`, `"1h 30m"`, `"90s"`) or as a
//! number of seconds, and are written back as human strings.
//!
//! `max_gap` larger than `correlation_window` is allowed: links then come
//! only from kills within the window, but a linked group is no longer split
//! by silences shorter than `max_gap`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// What counts as a shared participant between two killmails.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CorrelateBy {
    /// The same pilot (character id) on both killmails.
    #[default]
    Character,
    /// The same player corporation (NPC corporations never link).
    Corporation,
    /// The same alliance.
    Alliance,
}

impl FromStr for CorrelateBy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "character" | "pilot" => Ok(Self::Character),
            "corporation" | "corp" => Ok(Self::Corporation),
            "alliance" => Ok(Self::Alliance),
            _ => Err(Error::Config {
                field: "correlate_by".to_owned(),
                reason: crate::error::shorten_values(&format!(
                    "`{s}` is not one of: character, corporation, alliance"
                )),
            }),
        }
    }
}

impl fmt::Display for CorrelateBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Character => "character",
            Self::Corporation => "corporation",
            Self::Alliance => "alliance",
        })
    }
}

/// Parameters of clustering (DESIGN.md "Clustering").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ClusterConfig {
    /// Two kills further apart than this are never linked directly.
    #[serde(with = "human_duration")]
    #[schemars(schema_with = "crate::events::schema::duration_schema")]
    pub correlation_window: Duration,
    /// A silence longer than this splits a linked group into battles.
    #[serde(with = "human_duration")]
    #[schemars(schema_with = "crate::events::schema::duration_schema")]
    pub max_gap: Duration,
    /// Participants two kills must share to be linked; 0 links on place and
    /// time alone.
    pub min_shared: u32,
    /// What a shared participant is.
    pub correlate_by: CorrelateBy,
    /// Fewest kills a battle has.
    #[schemars(range(min = 1))]
    pub min_kills: u32,
    /// How far behind the newest kill a kill may arrive and still be
    /// clustered in memory; older state is sealed and evicted.
    #[serde(with = "human_duration")]
    #[schemars(schema_with = "crate::events::schema::duration_schema")]
    pub allowed_lateness: Duration,
    /// How far ahead of the time the caller trusts (see
    /// `Clusterer::set_trusted_time`) a kill may be dated; later ones are
    /// refused, so one bad clock cannot move the watermark.
    #[serde(with = "human_duration")]
    #[schemars(schema_with = "crate::events::schema::duration_schema")]
    pub max_future_skew: Duration,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            correlation_window: Duration::from_secs(30 * 60),
            max_gap: Duration::from_secs(15 * 60),
            min_shared: 1,
            correlate_by: CorrelateBy::Character,
            min_kills: 2,
            allowed_lateness: Duration::from_secs(6 * 3600),
            max_future_skew: Duration::from_secs(3600),
        }
    }
}

impl ClusterConfig {
    /// Check every field; the error names the field.
    ///
    /// # Errors
    /// [`Error::Config`] for a zero duration or `min_kills` of 0.
    pub fn validate(&self) -> Result<(), Error> {
        for (field, d) in [
            ("correlation_window", self.correlation_window),
            ("max_gap", self.max_gap),
            ("allowed_lateness", self.allowed_lateness),
            ("max_future_skew", self.max_future_skew),
        ] {
            if d.is_zero() {
                return Err(Error::Config {
                    field: field.to_owned(),
                    reason: "must be longer than zero".to_owned(),
                });
            }
            if d.as_secs() > 10 * 365 * 86_400 {
                return Err(Error::Config {
                    field: field.to_owned(),
                    reason: format!("{} is longer than ten years", humantime::format_duration(d)),
                });
            }
        }
        if self.min_kills == 0 {
            return Err(Error::Config {
                field: "min_kills".to_owned(),
                reason: "must be at least 1".to_owned(),
            });
        }
        Ok(())
    }

    /// Window in whole seconds (killmail times have one-second resolution).
    #[must_use]
    pub(crate) fn window_secs(&self) -> i64 {
        secs(self.correlation_window)
    }

    #[must_use]
    pub(crate) fn gap_secs(&self) -> i64 {
        secs(self.max_gap)
    }

    #[must_use]
    pub(crate) fn lateness_secs(&self) -> i64 {
        secs(self.allowed_lateness)
    }

    #[must_use]
    pub(crate) fn skew_secs(&self) -> i64 {
        secs(self.max_future_skew)
    }

    /// How far a kill reaches: links within the window, runs within the gap.
    #[must_use]
    pub(crate) fn reach_secs(&self) -> i64 {
        self.window_secs().max(self.gap_secs())
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// Parse a duration as users write it: `"30m"`, `"1h30m"`, `"90"` (seconds).
///
/// # Errors
/// [`Error::Config`] naming `field` when the text is not a duration.
pub fn parse_duration(field: &str, text: &str) -> Result<Duration, Error> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Ok(Duration::from_secs(n));
    }
    if t.starts_with('-') {
        return Err(Error::Config {
            field: field.to_owned(),
            reason: format!("`{text}` is negative; durations must be positive"),
        });
    }
    humantime::parse_duration(t).map_err(|e| Error::Config {
        field: field.to_owned(),
        reason: crate::error::shorten_values(&format!(
            "`{text}` is not a duration like \"30m\" or \"1h 30m\": {e}"
        )),
    })
}

/// Serde for durations: human strings out, strings or seconds in.
mod human_duration {
    use super::{Deserialize, Deserializer, Duration, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Seconds(f64),
        Text(String),
    }

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&humantime::format_duration(*d))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Seconds(n) if n.is_finite() && n >= 0.0 => Ok(Duration::from_secs_f64(n)),
            Repr::Seconds(n) => Err(serde::de::Error::custom(format!(
                "{n} seconds is not a valid duration (must be ≥ 0)"
            ))),
            Repr::Text(t) => {
                super::parse_duration("duration", &t).map_err(serde::de::Error::custom)
            }
        }
    }
}

with_setters!(ClusterConfig {
    /// Sets [`ClusterConfig::correlation_window`].
    with_correlation_window => correlation_window: Duration,
    /// Sets [`ClusterConfig::max_gap`].
    with_max_gap => max_gap: Duration,
    /// Sets [`ClusterConfig::min_shared`].
    with_min_shared => min_shared: u32,
    /// Sets [`ClusterConfig::correlate_by`].
    with_correlate_by => correlate_by: CorrelateBy,
    /// Sets [`ClusterConfig::min_kills`].
    with_min_kills => min_kills: u32,
    /// Sets [`ClusterConfig::allowed_lateness`].
    with_allowed_lateness => allowed_lateness: Duration,
    /// Sets [`ClusterConfig::max_future_skew`].
    with_max_future_skew => max_future_skew: Duration,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_design_values() {
        let c = ClusterConfig::default();
        assert_eq!(c.correlation_window, Duration::from_secs(1800));
        assert_eq!(c.max_gap, Duration::from_secs(900));
        assert_eq!((c.min_shared, c.min_kills), (1, 2));
        assert_eq!(c.allowed_lateness, Duration::from_secs(6 * 3600));
        c.validate().unwrap();
    }

    #[test]
    fn durations_read_as_text_or_seconds_and_write_as_text() {
        let c: ClusterConfig = serde_json::from_str(
            r#"{"correlation_window":"1h","max_gap":600,"correlate_by":"alliance"}"#,
        )
        .unwrap();
        assert_eq!(c.correlation_window, Duration::from_secs(3600));
        assert_eq!(c.max_gap, Duration::from_secs(600));
        assert_eq!(c.correlate_by, CorrelateBy::Alliance);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["correlation_window"], "1h");
        assert_eq!(json["max_gap"], "10m");
        let back: ClusterConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn bad_values_are_named() {
        let err = serde_json::from_str::<ClusterConfig>(r#"{"max_gap":-5}"#).unwrap_err();
        assert!(err.to_string().contains("must be ≥ 0"), "{err}");
        let err = serde_json::from_str::<ClusterConfig>(r#"{"max_gap":"soon"}"#).unwrap_err();
        assert!(err.to_string().contains("`soon`"), "{err}");
        let err = serde_json::from_str::<ClusterConfig>(r#"{"window":"1h"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `window`"), "{err}");
        let c = ClusterConfig {
            max_gap: Duration::ZERO,
            ..ClusterConfig::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("`max_gap`"));
        let c = ClusterConfig {
            min_kills: 0,
            ..ClusterConfig::default()
        };
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("`min_kills`"));
        assert!(parse_duration("max_gap", "-5m")
            .unwrap_err()
            .to_string()
            .contains("negative"));
        assert_eq!(
            parse_duration("x", "1h 30m").unwrap(),
            Duration::from_secs(5400)
        );
    }
}
