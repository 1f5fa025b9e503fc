//! Faults the stub injects on demand, so tests (and people trying the
//! platform) can see how clients behave when zKillboard or ESI misbehave.
//!
//! A rule names the routes it hits, the fault and how many requests it
//! spoils; each request takes the first rule that matches and still has
//! requests left. Rules are set at run time, in process through
//! [`Faults`] or over HTTP (`POST /_stub/faults`).

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A family of routes the stub serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Target {
    /// `GET /ephemeral/sequence.json` and `GET /ephemeral/<N>.json`.
    R2z2,
    /// `GET /listen.php`.
    Redisq,
    /// `GET /killmails/{id}/{hash}/` and `POST /universe/names/`.
    Esi,
    /// Every route above.
    Any,
}

impl Target {
    fn covers(self, route: Target) -> bool {
        self == Target::Any || self == route
    }
}

/// What goes wrong with an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fault {
    /// `429 Too Many Requests` with `Retry-After: <secs>`.
    RateLimit { retry_after_secs: u64 },
    /// A server error (`status` 500–599; others are clamped to 500).
    ServerError { status: u16 },
    /// The normal answer, after a delay.
    Slow { delay_ms: u64 },
    /// `200 OK` with a body that is not JSON.
    Garbage,
    /// `200 OK` with the normal JSON, one field given a value of the wrong
    /// type (`killmail_time`, else `sequence`, else `id`): the client's
    /// error must name it.
    WrongField,
}

impl Fault {
    /// The delay of a [`Fault::Slow`].
    #[must_use]
    pub fn delay(&self) -> Option<Duration> {
        match self {
            Fault::Slow { delay_ms } => Some(Duration::from_millis(*delay_ms)),
            _ => None,
        }
    }
}

/// One rule: `fault` on the next `times` requests to `target`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    pub target: Target,
    pub fault: Fault,
    pub times: u32,
}

/// The rules in force; shared by every request handler.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
}

impl Faults {
    /// Spoil the next `times` requests to `target` with `fault`.
    pub fn inject(&self, target: Target, fault: Fault, times: u32) {
        self.add(FaultRule {
            target,
            fault,
            times,
        });
    }

    /// Add a rule after the ones already set.
    pub fn add(&self, rule: FaultRule) {
        if rule.times > 0 {
            self.lock().push(rule);
        }
    }

    /// Remove every rule: answers are normal again.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The rules still in force, with the requests they have left.
    #[must_use]
    pub fn rules(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }

    /// The fault for one request to `route`, using up one of its rule's
    /// requests.
    pub(super) fn take(&self, route: Target) -> Option<Fault> {
        let mut rules = self.lock();
        let at = rules.iter().position(|r| r.target.covers(route))?;
        let rule = &mut rules[at];
        let fault = rule.fault.clone();
        rule.times -= 1;
        if rule.times == 0 {
            rules.remove(at);
        }
        Some(fault)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        // A handler that panicked mid-update cannot leave a rule half
        // written (each update is one push / decrement), so the data behind
        // a poisoned lock is still sound.
        self.rules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_used_up_in_order_and_by_route() {
        let faults = Faults::default();
        faults.inject(Target::Esi, Fault::ServerError { status: 503 }, 2);
        faults.inject(Target::Any, Fault::Garbage, 1);
        assert_eq!(faults.take(Target::R2z2), Some(Fault::Garbage));
        assert_eq!(faults.take(Target::R2z2), None);
        assert_eq!(
            faults.take(Target::Esi),
            Some(Fault::ServerError { status: 503 })
        );
        assert_eq!(
            faults.take(Target::Esi),
            Some(Fault::ServerError { status: 503 })
        );
        assert_eq!(faults.take(Target::Esi), None);
        assert!(faults.rules().is_empty());
    }

    #[test]
    fn rules_read_from_json() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"target": "esi", "fault": {"kind": "rate_limit", "retry_after_secs": 2}, "times": 3}"#,
        )
        .unwrap();
        assert_eq!(
            rule,
            FaultRule {
                target: Target::Esi,
                fault: Fault::RateLimit {
                    retry_after_secs: 2
                },
                times: 3
            }
        );
    }
}
