//! What a ruleset says about one killmail, and tallies over many.
//!
//! Guarantees: a [`Rejection`]'s `rule` is one of [`RULE_NAMES`], a stable
//! name that never changes meaning; [`FilterStats`] counts every decision
//! it is shown exactly once.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// Every rule name a rejection can carry, in evaluation order: the first
/// failing rule of this list is the one reported.
pub const RULE_NAMES: [&str; 31] = [
    "drop_npc",
    "drop_solo",
    "drop_awox",
    "require_npc",
    "require_solo",
    "require_awox",
    "min_pilots",
    "max_pilots",
    "unknown_value",
    "min_isk",
    "max_isk",
    "exclude.alliances",
    "exclude.corporations",
    "exclude.characters",
    "exclude.systems",
    "exclude.constellations",
    "exclude.regions",
    "exclude.security_classes",
    "exclude.ship_groups",
    "exclude.ship_classes",
    "exclude.ship_types",
    "include.alliances",
    "include.corporations",
    "include.characters",
    "include.systems",
    "include.constellations",
    "include.regions",
    "include.security_classes",
    "include.ship_groups",
    "include.ship_classes",
    "include.ship_types",
];

/// The verdict on one killmail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "camelCase")]
pub enum Decision {
    /// Every rule passed.
    Accept,
    /// A rule failed.
    Reject(Rejection),
}

impl Decision {
    /// True for [`Decision::Accept`].
    #[must_use]
    pub fn is_accept(&self) -> bool {
        matches!(self, Self::Accept)
    }

    /// The rejection, if any.
    #[must_use]
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Self::Accept => None,
            Self::Reject(r) => Some(r),
        }
    }
}

/// Why a killmail was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    /// The rule that fired: one of [`RULE_NAMES`], such as
    /// `exclude.alliances` or `min_isk`.
    pub rule: &'static str,
    /// The value that fired it: the excluded id or name that matched, the
    /// pilot count or ISK value that missed a bound, or — for an include
    /// list no participant matched — what the killmail had instead.
    pub value: String,
    /// A sentence for people: `attacker alliance 99005338 is excluded`.
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.rule, self.value, self.reason)
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Accept => f.write_str("accept"),
            Self::Reject(r) => write!(f, "reject by {r}"),
        }
    }
}

/// Counts of decisions: accepted, and rejected by rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FilterStats {
    /// Killmails accepted.
    pub accepted: u64,
    /// Killmails rejected, by rule name.
    pub rejected: BTreeMap<&'static str, u64>,
}

impl FilterStats {
    /// Count one decision.
    pub fn record(&mut self, decision: &Decision) {
        match decision {
            Decision::Accept => self.accepted += 1,
            Decision::Reject(r) => *self.rejected.entry(r.rule).or_default() += 1,
        }
    }

    /// The read report of a set made by filtering: every decided killmail
    /// was a record, the accepted ones are its killmails.
    #[must_use]
    pub fn read_report(&self) -> crate::input::ReadReport {
        crate::input::ReadReport {
            records: self.total(),
            killmails: self.accepted,
            ..crate::input::ReadReport::default()
        }
    }

    /// Killmails rejected, all rules together.
    #[must_use]
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// Killmails decided.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.accepted + self.rejected_total()
    }

    /// Rejections by rule, in evaluation order ([`RULE_NAMES`]).
    #[must_use]
    pub fn by_rule(&self) -> Vec<(&'static str, u64)> {
        RULE_NAMES
            .iter()
            .filter_map(|rule| self.rejected.get(rule).map(|&n| (*rule, n)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_read_naturally() {
        let r = Rejection {
            rule: "exclude.alliances",
            value: "99005338".into(),
            reason: "attacker alliance 99005338 is excluded".into(),
        };
        assert_eq!(
            Decision::Reject(r.clone()).to_string(),
            "reject by exclude.alliances (99005338): attacker alliance 99005338 is excluded"
        );
        assert_eq!(Decision::Accept.to_string(), "accept");
        let json = serde_json::to_value(Decision::Reject(r)).unwrap();
        assert_eq!(json["decision"], "reject");
        assert_eq!(json["rule"], "exclude.alliances");
    }

    #[test]
    fn stats_count_by_rule_in_evaluation_order() {
        let mut stats = FilterStats::default();
        let reject = |rule| {
            Decision::Reject(Rejection {
                rule,
                value: String::new(),
                reason: String::new(),
            })
        };
        for d in [
            Decision::Accept,
            reject("include.regions"),
            reject("drop_npc"),
            reject("include.regions"),
        ] {
            stats.record(&d);
        }
        assert_eq!(stats.total(), 4);
        assert_eq!(
            stats.by_rule(),
            vec![("drop_npc", 1), ("include.regions", 2)]
        );
    }
}
