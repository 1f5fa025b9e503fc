//! The evaluator: a validated ruleset with its lists turned into hash sets
//! and bit masks once, at compile time.
//!
//! Guarantees: [`CompiledRuleset::evaluate`] is a pure function of the
//! killmail; it allocates only to describe a rejection (and, when a pilot
//! bound is set, to count distinct characters); rules are tried in the order
//! of [`RULE_NAMES`](super::RULE_NAMES) and the first failing one is
//! reported.

//! The flag rules (npc, solo, awox, pilots, ISK) live in `flags`, the
//! include / exclude lists in `matcher`.

mod flags;
mod matcher;

use self::flags::{awox, distinct_attacking_pilots, isk, npc, pilots, reject, solo};
use self::matcher::{matchers, Matcher};
use super::decision::{Decision, FilterStats, Rejection};
use super::document::Ruleset;
use crate::error::Error;
use crate::killmail::Killmail;

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

    /// The killmails the ruleset accepts, in input order, and the tally of
    /// every decision — the one filter the CLI and the bindings share.
    #[must_use]
    pub fn filter(&self, killmails: &[Killmail]) -> (Vec<Killmail>, FilterStats) {
        let mut stats = FilterStats::default();
        let kept = killmails
            .iter()
            .filter(|km| {
                let decision = self.evaluate(km);
                stats.record(&decision);
                decision.is_accept()
            })
            .cloned()
            .collect();
        (kept, stats)
    }

    /// [`CompiledRuleset::filter`] in place: keep the accepted killmails.
    pub fn retain(&self, killmails: &mut Vec<Killmail>) -> FilterStats {
        let mut stats = FilterStats::default();
        killmails.retain(|km| {
            let decision = self.evaluate(km);
            stats.record(&decision);
            decision.is_accept()
        });
        stats
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
