//! What a push reports: its outcome, the events it caused, the battles it
//! sealed, and the running counts of outcomes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::battle::Battle;
use crate::cluster::event::BattleChange;

/// How a push went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PushOutcome {
    /// Clustered (events may or may not follow).
    Added,
    /// The same killmail is live or was sealed recently, and this copy is
    /// not preferred over it: nothing changed.
    Duplicate,
    /// A better copy of a live killmail replaced the kept one; the battles
    /// around it were rebuilt (events say how).
    Replaced,
    /// Older than the horizon or within reach of sealed state: not
    /// clustered here. Re-cluster its range with
    /// [`recluster`](crate::cluster::recluster) from the store (`battles` lists the
    /// sealed battles known around it; empty when none are remembered).
    LateBeyondHorizon {
        /// The sealed battles known around it.
        battles: Vec<Uuid>,
    },
    /// Late beyond the horizon, and re-clustered on the spot with the
    /// sealed history a [`Clusterer::keep_sealed`](super::Clusterer::keep_sealed) clusterer keeps.
    Reclustered,
    /// Dated more than `max_future_skew` after the trusted time: refused.
    FutureDated {
        /// The trusted time it was refused against.
        trusted_time: DateTime<Utc>,
    },
}

impl PushOutcome {
    /// The outcome's name, the same in every binding: `added`, `duplicate`,
    /// `replaced`, `late_beyond_horizon`, `reclustered`, `future_dated`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Duplicate => "duplicate",
            Self::Replaced => "replaced",
            Self::LateBeyondHorizon { .. } => "late_beyond_horizon",
            Self::Reclustered => "reclustered",
            Self::FutureDated { .. } => "future_dated",
        }
    }

    /// The sealed battles a [`PushOutcome::LateBeyondHorizon`] kill would
    /// touch; empty for every other outcome.
    #[must_use]
    pub fn late_battles(&self) -> &[Uuid] {
        match self {
            Self::LateBeyondHorizon { battles } => battles,
            _ => &[],
        }
    }

    /// The trusted time a [`PushOutcome::FutureDated`] kill was refused
    /// against; `None` for every other outcome.
    #[must_use]
    pub fn trusted_time(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::FutureDated { trusted_time } => Some(*trusted_time),
            _ => None,
        }
    }

    /// True when the killmail was not clustered and the caller must act
    /// (re-cluster its range, or check the clock that dated it).
    #[must_use]
    pub fn needs_attention(&self) -> bool {
        matches!(
            self,
            Self::LateBeyondHorizon { .. } | Self::FutureDated { .. }
        )
    }
}

/// Result of [`Clusterer::push`](super::Clusterer::push).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Pushed {
    /// What happened to the killmail.
    pub outcome: PushOutcome,
    /// Events in the order to apply them (sealing events last).
    pub events: Vec<BattleChange>,
    /// Documents of the battles sealed by this push (final from now on,
    /// short of a re-cluster).
    pub sealed: Vec<Battle>,
}

impl Pushed {
    pub(super) fn outcome(outcome: PushOutcome) -> Self {
        Self {
            outcome,
            events: Vec::new(),
            sealed: Vec::new(),
        }
    }
}

/// How many pushes ended in each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PushCounts {
    /// Killmails clustered.
    pub added: u64,
    /// Copies of a held killmail, not preferred over it.
    pub duplicates: u64,
    /// Better copies that replaced a held killmail.
    pub replaced: u64,
    /// Late kills left for the caller to re-cluster.
    pub late_beyond_horizon: u64,
    /// Late kills re-clustered with the kept history.
    pub reclustered: u64,
    /// Kills refused as dated after the trusted time.
    pub future_dated: u64,
}
