//! Who a killmail's participants are, for linking.

use super::CorrelateBy;
use crate::killmail::{is_npc_corporation, EntityId, Killmail};

/// Participant ids of `km` under `by`, sorted and without repeats, into `out`.
pub(crate) fn participants(km: &Killmail, by: CorrelateBy, out: &mut Vec<EntityId>) {
    participants_unsorted(km, by, out);
    out.sort_unstable();
    out.dedup();
}

/// Participant ids of `km` under `by` into `out`, in killmail order, maybe
/// repeated: enough where a repeat changes nothing (linking on one shared
/// participant), and cheaper.
pub(crate) fn participants_unsorted(km: &Killmail, by: CorrelateBy, out: &mut Vec<EntityId>) {
    out.clear();
    match by {
        CorrelateBy::Character => out.extend(km.characters()),
        // NPC corporations never link: every NPC kill would join every other.
        CorrelateBy::Corporation => {
            let victim = km.victim.corporation_id;
            out.extend(
                victim
                    .into_iter()
                    .chain(km.attackers.iter().filter_map(|a| a.corporation_id))
                    .filter(|&c| !is_npc_corporation(c)),
            );
        }
        CorrelateBy::Alliance => out.extend(
            km.victim
                .alliance_id
                .into_iter()
                .chain(km.attackers.iter().filter_map(|a| a.alliance_id)),
        ),
    }
}
