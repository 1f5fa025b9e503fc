//! Which copy of a killmail to keep when the same id arrives twice.
//!
//! Feeds repeat killmails, and the copies can differ (one with zKillboard
//! metadata and one without, an early copy missing attackers, a corrupted
//! relay). Every result must be a function of the *set* of records, never of
//! their order, so the kept copy is chosen by a fixed rule on content alone:
//! the most complete copy wins — zKillboard metadata present, then more
//! attackers, then items present — and among equally complete copies the
//! one with the greatest [`Killmail::content_digest`]. Identical copies are
//! interchangeable.

use std::cmp::Ordering;

use uuid::Uuid;

use super::Killmail;

/// Namespace of [`Killmail::content_digest`] (fixed: changing it changes
/// which of two conflicting copies is kept).
const DIGEST_NAMESPACE: Uuid = Uuid::from_u128(0x2b7e_1516_28ae_4d2a_a6ab_f715_8809_cf4f);

impl Killmail {
    /// A digest of the whole content (SHA-1 based UUID v5 of its JSON):
    /// equal for identical copies, stable across runs and machines.
    #[must_use]
    pub fn content_digest(&self) -> u128 {
        let json = serde_json::to_vec(self).expect("killmails always serialise");
        Uuid::new_v5(&DIGEST_NAMESPACE, &json).as_u128()
    }

    /// Order two copies of one killmail by the rule of the module docs:
    /// `Greater` when `self` is the one to keep.
    #[must_use]
    pub fn compare_copies(&self, other: &Self) -> Ordering {
        let completeness =
            |k: &Self| (k.zkb.is_some(), k.attackers.len(), k.victim.items.is_some());
        completeness(self).cmp(&completeness(other)).then_with(|| {
            if self == other {
                Ordering::Equal
            } else {
                self.content_digest().cmp(&other.content_digest())
            }
        })
    }

    /// True when `self` should replace `other` as the kept copy.
    #[must_use]
    pub fn is_preferred_over(&self, other: &Self) -> bool {
        self.compare_copies(other) == Ordering::Greater
    }
}

#[cfg(test)]
mod tests {
    use crate::killmail::{Attacker, Killmail};

    fn km() -> Killmail {
        serde_json::from_str(
            r#"{"killmail_id":5,"killmail_time":"2024-01-01T00:00:00Z","solar_system_id":30000142,
            "victim":{"character_id":1,"corporation_id":98000001,"damage_taken":10,"ship_type_id":587},
            "attackers":[{"character_id":2,"corporation_id":98000002,"damage_done":10,"final_blow":true,"security_status":0.0}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn the_more_complete_copy_wins_in_either_order() {
        let a = km();
        let mut b = km();
        let mut extra: Attacker = b.attackers[0].clone();
        extra.character_id = Some(3);
        extra.final_blow = false;
        b.attackers.push(extra);
        assert!(b.is_preferred_over(&a));
        assert!(!a.is_preferred_over(&b));
    }

    #[test]
    fn equally_complete_copies_are_ordered_by_content() {
        let a = km();
        let mut b = km();
        b.victim.damage_taken = 11;
        assert_ne!(a.content_digest(), b.content_digest());
        assert_ne!(a.is_preferred_over(&b), b.is_preferred_over(&a));
        assert!(!a.is_preferred_over(&a.clone()));
    }
}
