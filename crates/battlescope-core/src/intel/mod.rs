//! Battle intel: what a set of battles says about one alliance, corporation
//! or character — who they fight and fight beside, what they fly and lose,
//! which fleet compositions they field again and again, and where and when
//! they are active.
//!
//! ```
//! use battlescope_core::intel::{analyze, Entity, IntelConfig};
//! use battlescope_core::{cluster, ClusterConfig};
//!
//! # let killmails: Vec<battlescope_core::Killmail> = Vec::new();
//! let battles = cluster(&killmails, &ClusterConfig::default())?;
//! let report = analyze(Entity::Alliance(99_005_338), &battles, &killmails, &IntelConfig::default());
//! println!("{}", serde_json::to_string_pretty(&report)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Semantics
//!
//! **Scope.** Only the battles whose sides include the entity count (an
//! alliance is on a side that lists it in `alliances`, a corporation in
//! `corporations`, a character in `pilots`), and only their killmails:
//! kills outside any battle (a lone solo kill when battles need two kills)
//! are not intel about battles. Battles are read in start-time order and
//! deduplicated by id, so the report does not depend on input order.
//!
//! **Kills and losses** follow zKillboard: a killmail is a *kill* of the
//! entity when any attacker matches it (alliance, corporation or character
//! id), and a *loss* when the victim matches. An awox killmail is both.
//! ISK is zKillboard's `totalValue`; killmails without one add nothing to
//! ISK sums and are counted in the `…WithoutValue` fields instead.
//!
//! **Groups.** Others are reported by *group*, the unit sides are made of:
//! a pilot's alliance, or their corporation when they have none (a
//! pilotless structure's corporation too, unless it is an NPC corporation).
//! Participants that match the entity itself never count as another group's
//! members, so a corporation's report lists its own alliance as an ally
//! only for the *other* corporations of that alliance.
//!
//! **Fought beside vs fought against** is decided per battle by
//! [`Battle::sides`]: a group on a side the entity is on is an *ally* in
//! that battle, a group on any other side an *opponent*. A group's figures
//! in a battle go to the list its role in that battle names (see
//! [`Opponent`] and [`Ally`] for what each counts).
//!
//! **Activity** and **pilot history** are described in [`Activity`] and
//! [`PilotHistory`].
//!
//! # Doctrines
//!
//! The fleet compositions a side fields again and again:
//!
//! 1. **Mix.** For each of the entity's battles, the *hull mix* of its side
//!    (its main side: the largest one it is on) counts, per hull, the
//!    pilots seen flying it in that battle — each (pilot, hull) pair once.
//!    With [`DoctrineScope::Entity`] only the entity's own pilots count.
//!    Capsules, shuttles, structures, deployables, fighters and NPC types are
//!    not part of a fleet and are left out; a mix of fewer than
//!    [`DoctrineConfig::min_fleet`] pilots says too little and is skipped.
//! 2. **Similarity.** Two mixes are compared by the cosine similarity of
//!    their hull-count vectors after a square root of each count: 1 for the
//!    same proportions whatever the fleet size, 0 for no hull in common. The
//!    square root (which turns the cosine into the Bhattacharyya coefficient
//!    of the two hull shares) evens out the sampling noise of small fleets —
//!    eight pilots flying a 60/25/15 doctrine rarely show exactly those
//!    shares — while doctrines built on different hulls stay far apart.
//! 3. **Grouping.** Mixes are taken in battle order (start time, then id).
//!    Each joins the group whose centroid (the sum of its members'
//!    normalised vectors) is most similar, if that similarity reaches
//!    [`DoctrineConfig::similarity`], and otherwise starts a group. Groups
//!    whose centroids are that similar are then merged, most similar pair
//!    first, and finally every mix is reassigned once to the most similar
//!    of the merged centroids, which undoes most of what an unlucky order
//!    did. Ties go to the earlier group, so the result is a pure function of
//!    the set of battles.
//! 4. **Report.** A group flown in at least [`DoctrineConfig::min_battles`]
//!    battles is a doctrine. Its hulls are shares of all pilots of its
//!    battles; its name joins the names of its dominant hulls (those with at
//!    least a tenth of the pilots, at most three, the first always).
//!    `iskKilled` / `iskLost` are the side's figures in those battles (a
//!    doctrine wins or loses as a fleet, allies included); a battle is *won*
//!    when the side's ISK efficiency in it is above 0.5, and a battle
//!    without ISK either way is not won.
//!
//! [`Battle::sides`]: crate::battle::Battle::sides

mod activity;
mod context;
mod doctrine;
mod relations;
mod ships;
mod summary;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use activity::{Activity, HourActivity, PilotHistory, PilotHull, PlaceActivity};
pub use doctrine::{check_similarity, Doctrine, DoctrineConfig, DoctrineHull, DoctrineScope};
pub use relations::{Ally, Opponent};
pub use ships::{ClassStats, HullStats, Ships};
pub use summary::Summary;

use crate::battle::{Battle, Side};
use crate::killmail::{EntityId, Killmail};
use context::{Context, Who};

/// Whom a report is about, and how others are named in it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "kind", content = "id", rename_all = "camelCase")]
pub enum Entity {
    /// An alliance id.
    Alliance(EntityId),
    /// A corporation id.
    Corporation(EntityId),
    /// A character id.
    Character(EntityId),
}

impl Entity {
    /// The id, whatever the kind.
    #[must_use]
    pub const fn id(self) -> EntityId {
        match self {
            Self::Alliance(id) | Self::Corporation(id) | Self::Character(id) => id,
        }
    }

    /// `alliance`, `corporation` or `character`.
    #[must_use]
    pub const fn kind(self) -> &'static str {
        match self {
            Self::Alliance(_) => "alliance",
            Self::Corporation(_) => "corporation",
            Self::Character(_) => "character",
        }
    }

    /// True when the battle side lists the entity.
    #[must_use]
    pub fn is_on(self, side: &Side) -> bool {
        match self {
            Self::Alliance(id) => side.alliances.contains(&id),
            Self::Corporation(id) => side.corporations.contains(&id),
            Self::Character(id) => side.pilots.contains(&id),
        }
    }

    fn matches(self, who: &Who) -> bool {
        match self {
            Self::Alliance(id) => who.alliance == Some(id),
            Self::Corporation(id) => who.corporation == Some(id),
            Self::Character(id) => who.character == Some(id),
        }
    }

    /// True when the killmail's victim is the entity (or one of its members).
    #[must_use]
    pub fn is_victim(self, km: &Killmail) -> bool {
        self.matches(&Who::victim(&km.victim))
    }

    /// True when an attacker of the killmail is the entity (or one of its
    /// members).
    #[must_use]
    pub fn is_attacker(self, km: &Killmail) -> bool {
        km.attackers.iter().any(|a| self.matches(&Who::attacker(a)))
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.id())
    }
}

/// Knobs of a report.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct IntelConfig {
    /// Doctrine detection.
    pub doctrine: DoctrineConfig,
}

/// Everything the battles say about one entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IntelReport {
    /// The entity the report is about.
    pub entity: Entity,
    /// Battles, kills, losses and efficiency in figures.
    pub summary: Summary,
    /// Groups fought against, most engaged first.
    pub opponents: Vec<Opponent>,
    /// Groups fought beside, most battles first.
    pub allies: Vec<Ally>,
    /// Hulls and classes flown and lost.
    pub ships: Ships,
    /// Fleet compositions fielded repeatedly, most flown first.
    pub doctrines: Vec<Doctrine>,
    /// Where and when the entity fights.
    pub activity: Activity,
    /// The entity's pilots and the hulls they flew, most battles first.
    pub pilots: Vec<PilotHistory>,
}

/// Build the report on `entity` from `battles` and their `killmails` (a
/// superset is fine: killmails are looked up by id).
#[must_use]
pub fn analyze(
    entity: Entity,
    battles: &[Battle],
    killmails: &[Killmail],
    config: &IntelConfig,
) -> IntelReport {
    let ctx = Context::new(entity, battles, killmails);
    let (opponents, allies) = relations::relations(&ctx);
    IntelReport {
        entity,
        summary: summary::summarize(&ctx),
        opponents,
        allies,
        ships: ships::ships(&ctx),
        doctrines: doctrine::doctrines(&ctx, &config.doctrine),
        activity: activity::activity(&ctx),
        pilots: activity::pilots(&ctx),
    }
}

/// `killed / (killed + lost)`, `None` when both are zero.
fn efficiency(killed: f64, lost: f64) -> Option<f64> {
    let total = killed + lost;
    (total > 0.0).then(|| killed / total)
}

/// A `usize` count as `u32`, saturating.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

with_setters!(IntelConfig {
    /// Sets [`IntelConfig::doctrine`].
    with_doctrine => doctrine: DoctrineConfig,
});
