//! The flag rules: NPC, solo and awox kills, pilot and ISK bounds. Each
//! returns the rejection it causes, `None` when the killmail passes.

use super::super::decision::Rejection;
use super::super::document::UnknownValue;
use crate::killmail::{is_npc_corporation, EntityId, Killmail};

pub(super) fn reject(rule: &'static str, value: String, reason: String) -> Option<Rejection> {
    Some(Rejection {
        rule,
        value,
        reason,
    })
}

pub(super) fn npc(km: &Killmail) -> Option<Rejection> {
    if !km.is_npc_kill() {
        return None;
    }
    let reason = match km.zkb.as_ref().and_then(|z| z.npc) {
        Some(true) => "zKillboard flags it as an NPC kill",
        _ => "no attacker is a character",
    };
    reject("drop_npc", "npc".to_owned(), reason.to_owned())
}

pub(super) fn distinct_attacking_pilots(km: &Killmail) -> usize {
    let mut ids: Vec<u64> = km.attackers.iter().filter_map(|a| a.character_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

pub(super) fn solo(km: &Killmail) -> Option<Rejection> {
    let mut characters = km.attackers.iter().filter_map(|a| a.character_id);
    let first = characters.next();
    let one_pilot = first.is_some() && characters.all(|c| Some(c) == first);
    let flagged = km.zkb.as_ref().and_then(|z| z.solo) == Some(true);
    if !one_pilot && !flagged {
        return None;
    }
    match first.filter(|_| one_pilot) {
        Some(c) => reject(
            "drop_solo",
            c.to_string(),
            format!("solo kill: character {c} is the only attacking pilot"),
        ),
        None => reject(
            "drop_solo",
            "zkb.solo".to_owned(),
            "zKillboard flags it as a solo kill".to_owned(),
        ),
    }
}

pub(super) fn awox(km: &Killmail) -> Option<Rejection> {
    let v = &km.victim;
    if v.character_id.is_some() {
        for a in km.attackers.iter().filter(|a| a.character_id.is_some()) {
            let who = a.character_id.unwrap_or_default();
            if let (Some(va), Some(aa)) = (v.alliance_id, a.alliance_id) {
                if va == aa {
                    return reject(
                        "drop_awox",
                        format!("alliance {va}"),
                        format!("attacker character {who} is in the victim's alliance {va}"),
                    );
                }
            }
            if let (Some(vc), Some(ac)) = (v.corporation_id, a.corporation_id) {
                if vc == ac && !is_npc_corporation(vc) {
                    return reject(
                        "drop_awox",
                        format!("corporation {vc}"),
                        format!("attacker character {who} is in the victim's corporation {vc}"),
                    );
                }
            }
        }
    }
    if km.zkb.as_ref().and_then(|z| z.awox) == Some(true) {
        return reject(
            "drop_awox",
            "zkb.awox".to_owned(),
            "zKillboard flags it as an awox kill".to_owned(),
        );
    }
    None
}

pub(super) fn pilots(km: &Killmail, min: Option<u32>, max: Option<u32>) -> Option<Rejection> {
    let mut ids: Vec<EntityId> = km.characters().collect();
    ids.sort_unstable();
    ids.dedup();
    let n = ids.len();
    if let Some(min) = min {
        if n < min as usize {
            return reject(
                "min_pilots",
                n.to_string(),
                format!("{n} pilots, fewer than {min}"),
            );
        }
    }
    if let Some(max) = max {
        if n > max as usize {
            return reject(
                "max_pilots",
                n.to_string(),
                format!("{n} pilots, more than {max}"),
            );
        }
    }
    None
}

pub(super) fn isk(
    km: &Killmail,
    min: Option<f64>,
    max: Option<f64>,
    unknown: UnknownValue,
) -> Option<Rejection> {
    let Some(value) = km.total_value() else {
        return match unknown {
            UnknownValue::Accept => None,
            UnknownValue::Reject => reject(
                "unknown_value",
                "unknown".to_owned(),
                "no zKillboard totalValue to check the ISK bounds against".to_owned(),
            ),
        };
    };
    if let Some(min) = min {
        if value < min {
            return reject(
                "min_isk",
                value.to_string(),
                format!("worth {value} ISK, less than {min}"),
            );
        }
    }
    if let Some(max) = max {
        if value > max {
            return reject(
                "max_isk",
                value.to_string(),
                format!("worth {value} ISK, more than {max}"),
            );
        }
    }
    None
}
