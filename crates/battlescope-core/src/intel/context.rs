//! The battles an entity took part in, with their killmails and sides
//! resolved once, for every report section to read.
//!
//! Guarantees: battles are deduplicated by id and ordered by start time,
//! then id, whatever the input order; each battle's killmails come in the
//! battle's own order; a killmail listed by two battles is given to the
//! first only, so killmail-level figures never count it twice; killmail ids
//! a battle names but the input lacks are counted, not guessed.

use rustc_hash::{FxHashMap, FxHashSet};

use super::Entity;
use crate::battle::Battle;
use crate::killmail::{is_npc_corporation, Attacker, EntityId, Killmail, TypeId, Victim};

/// One battle of the entity.
#[derive(Debug)]
pub(crate) struct BattleView<'a> {
    pub battle: &'a Battle,
    /// The battle's killmails that the input has, in the battle's order.
    pub kills: Vec<&'a Killmail>,
    /// Of `kills`, those this battle is the first to claim.
    pub own_kills: Vec<&'a Killmail>,
    /// Indices into `battle.sides` of the sides the entity is on (usually
    /// one; sides are ordered largest first, so `own_sides[0]` is the main).
    pub own_sides: Vec<usize>,
    side_of_group: FxHashMap<Entity, usize>,
}

impl BattleView<'_> {
    /// The side index of a group (an alliance, or a corporation without
    /// alliance) in this battle.
    pub fn side_of(&self, group: Entity) -> Option<usize> {
        self.side_of_group.get(&group).copied()
    }

    /// True when the group fought on (one of) the entity's side(s).
    pub fn is_friendly(&self, group: Entity) -> bool {
        self.side_of(group)
            .is_some_and(|s| self.own_sides.contains(&s))
    }
}

/// All battles of the entity.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub entity: Entity,
    pub battles: Vec<BattleView<'a>>,
    /// Killmail ids named by the entity's battles but missing from the input.
    pub missing_killmails: u32,
}

impl<'a> Context<'a> {
    pub fn new(entity: Entity, battles: &'a [Battle], killmails: &'a [Killmail]) -> Self {
        let by_id: FxHashMap<u64, &Killmail> =
            killmails.iter().map(|k| (k.killmail_id, k)).collect();
        let mut chosen: Vec<&Battle> = battles
            .iter()
            .filter(|b| b.sides.iter().any(|s| entity.is_on(s)))
            .collect();
        chosen.sort_by_key(|b| (b.start_time, b.id));
        chosen.dedup_by_key(|b| b.id);
        let mut claimed: FxHashSet<u64> = FxHashSet::default();
        let mut missing_killmails = 0_u32;
        let views = chosen
            .into_iter()
            .map(|battle| {
                let mut kills = Vec::with_capacity(battle.killmail_ids.len());
                let mut own_kills = Vec::with_capacity(battle.killmail_ids.len());
                for id in &battle.killmail_ids {
                    match by_id.get(id) {
                        Some(&km) => {
                            kills.push(km);
                            if claimed.insert(*id) {
                                own_kills.push(km);
                            }
                        }
                        None => missing_killmails += 1,
                    }
                }
                let mut side_of_group = FxHashMap::default();
                for (index, side) in battle.sides.iter().enumerate() {
                    for &a in &side.alliances {
                        side_of_group.entry(Entity::Alliance(a)).or_insert(index);
                    }
                    for &c in &side.corporations {
                        side_of_group.entry(Entity::Corporation(c)).or_insert(index);
                    }
                }
                let own_sides = battle
                    .sides
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| entity.is_on(s))
                    .map(|(i, _)| i)
                    .collect();
                BattleView {
                    battle,
                    kills,
                    own_kills,
                    own_sides,
                    side_of_group,
                }
            })
            .collect();
        Self {
            entity,
            battles: views,
            missing_killmails,
        }
    }
}

/// A participant of a killmail: the victim or one attacker.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Who {
    pub character: Option<EntityId>,
    pub corporation: Option<EntityId>,
    pub alliance: Option<EntityId>,
    pub ship: Option<TypeId>,
}

impl Who {
    pub fn victim(v: &Victim) -> Self {
        Self {
            character: v.character_id,
            corporation: v.corporation_id,
            alliance: v.alliance_id,
            ship: Some(v.ship_type_id),
        }
    }

    pub fn attacker(a: &Attacker) -> Self {
        Self {
            character: a.character_id,
            corporation: a.corporation_id,
            alliance: a.alliance_id,
            ship: a.ship_type_id,
        }
    }

    /// The side-forming group, as [`crate::battle::assign_sides`] forms it:
    /// the alliance, else the corporation — for a pilot always, for a
    /// pilotless victim (a structure) only when the corporation is not an
    /// NPC corporation. NPC attackers have no group.
    pub fn group(&self) -> Option<Entity> {
        if let Some(a) = self.alliance {
            return Some(Entity::Alliance(a));
        }
        match self.corporation {
            Some(c) if self.character.is_some() || !is_npc_corporation(c) => {
                Some(Entity::Corporation(c))
            }
            _ => None,
        }
    }
}
