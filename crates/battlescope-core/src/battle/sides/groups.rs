//! The unit sides are made of: a *group* that always fights together.

use crate::killmail::{is_npc_corporation, Attacker, EntityId, Victim};

/// A side-forming group: an alliance, a player corporation without
/// alliance, or a pilot of an NPC corporation on their own (starter
/// corporations hold thousands of unrelated players).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum GroupKey {
    Alliance(EntityId),
    Corporation(EntityId),
    Character(EntityId),
}

/// The group of a participant. A pilotless participant in a player
/// corporation (a structure) stands for that corporation; one in an NPC
/// corporation, or with only a faction, is an NPC and has no group.
pub(super) fn group_of(
    character: Option<EntityId>,
    corporation: Option<EntityId>,
    alliance: Option<EntityId>,
) -> Option<GroupKey> {
    if let Some(a) = alliance {
        return Some(GroupKey::Alliance(a));
    }
    match (corporation, character) {
        (Some(c), _) if !is_npc_corporation(c) => Some(GroupKey::Corporation(c)),
        (_, Some(p)) => Some(GroupKey::Character(p)),
        _ => None,
    }
}

pub(super) fn victim_group(v: &Victim) -> Option<GroupKey> {
    group_of(v.character_id, v.corporation_id, v.alliance_id)
}

pub(super) fn attacker_group(a: &Attacker) -> Option<GroupKey> {
    group_of(a.character_id, a.corporation_id, a.alliance_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npc_corporation_pilots_stand_for_themselves() {
        // A pilot of the Amarr starter corporation Imperial Academy.
        assert_eq!(
            group_of(Some(2_112_000_001), Some(1_000_166), None),
            Some(GroupKey::Character(2_112_000_001))
        );
        assert_eq!(
            group_of(Some(2_112_000_001), Some(98_000_001), None),
            Some(GroupKey::Corporation(98_000_001))
        );
        assert_eq!(
            group_of(Some(2_112_000_001), Some(98_000_001), Some(99_000_001)),
            Some(GroupKey::Alliance(99_000_001))
        );
    }

    #[test]
    fn structures_stand_for_their_corporation_and_npcs_for_nobody() {
        assert_eq!(
            group_of(None, Some(98_000_001), None),
            Some(GroupKey::Corporation(98_000_001))
        );
        assert_eq!(
            group_of(None, Some(98_000_001), Some(99_000_001)),
            Some(GroupKey::Alliance(99_000_001))
        );
        // CONCORD (corporation 1000125) and a faction-only rat.
        assert_eq!(group_of(None, Some(1_000_125), None), None);
        assert_eq!(group_of(None, None, None), None);
    }
}
