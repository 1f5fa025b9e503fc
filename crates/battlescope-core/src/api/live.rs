//! The live streams (`GET /api/killmails/stream`, `GET /api/battles/stream`
//! over SSE, `GET /api/ws` over WebSocket): what a client subscribes to,
//! the messages a WebSocket carries, and which events a subscription
//! admits. Pure: the API's fan-out works out an event's [`EventFacts`] once
//! and asks every connection's [`Subscription::admits`].
//!
//! Every event carries its `seq`, its place in the event store: a client
//! that resumes after the last `seq` it saw (SSE `Last-Event-ID`, or
//! `after` in a WebSocket subscription) misses nothing and sees nothing
//! twice.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ErrorDetail;
use crate::events::Event;
use crate::universe;

/// Most ids a subscription may list in one field (a bound on the work
/// each event costs per connection).
pub const MAX_SUBSCRIPTION_IDS: usize = 1000;

/// Which events a stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LiveFeed {
    /// `killmail.enriched`: every killmail stored.
    Killmails,
    /// `battle.created`, `battle.updated`, `battle.deleted`, `battle.sealed`.
    Battles,
}

/// What a connection wants to receive. Every field is optional; an event
/// is admitted when it passes each field given:
/// - `feeds`: its feed is listed (all feeds when empty);
/// - `systems` / `regions`: it happens in one of the systems or one of the
///   regions (either list matching is enough);
/// - `alliances` / `corporations` / `characters`: one of them took part (as
///   victim or attacker, or on a side of the battle);
/// - `minIsk`: its value (a killmail's, or a battle's ISK destroyed) is at
///   least this; an unknown value does not pass.
///
/// A `battle.deleted` event names only its system: it passes on place
/// alone, so a client never keeps a battle that is gone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Subscription {
    /// The feeds (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feeds: Vec<LiveFeed>,
    /// Solar system ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<u32>,
    /// Region ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<u32>,
    /// Alliance ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alliances: Vec<u64>,
    /// Corporation ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corporations: Vec<u64>,
    /// Character ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub characters: Vec<u64>,
    /// Least ISK value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_isk: Option<f64>,
}

/// What a subscription is matched against: worked out once per event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFacts {
    /// The feed it belongs to.
    pub feed: LiveFeed,
    /// Where it happened.
    pub system_id: u32,
    /// `None` when the system is not in the universe tables.
    pub region_id: Option<u32>,
    /// Who took part; `None` when the event does not say (a deletion).
    pub people: Option<People>,
    /// `None` when unknown (or the event does not say).
    pub isk: Option<f64>,
}

/// The entities of an event, each list sorted and without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct People {
    /// Alliance ids.
    pub alliances: Vec<u64>,
    /// Corporation ids.
    pub corporations: Vec<u64>,
    /// Character ids.
    pub characters: Vec<u64>,
}

impl People {
    fn add(&mut self, alliance: Option<u64>, corporation: Option<u64>, character: Option<u64>) {
        self.alliances.extend(alliance);
        self.corporations.extend(corporation);
        self.characters.extend(character);
    }

    fn tidy(mut self) -> Self {
        for ids in [
            &mut self.alliances,
            &mut self.corporations,
            &mut self.characters,
        ] {
            ids.sort_unstable();
            ids.dedup();
        }
        self
    }
}

impl EventFacts {
    /// The facts of an event a stream carries; `None` for the others
    /// (`killmail.ingested` never reaches the streams).
    #[must_use]
    pub fn of(event: &Event) -> Option<Self> {
        let battle = match event {
            Event::KillmailIngested(_) => return None,
            Event::KillmailEnriched(e) => {
                let km = &e.data.killmail;
                let mut people = People::default();
                people.add(
                    km.victim.alliance_id,
                    km.victim.corporation_id,
                    km.victim.character_id,
                );
                for a in &km.attackers {
                    people.add(a.alliance_id, a.corporation_id, a.character_id);
                }
                return Some(Self {
                    feed: LiveFeed::Killmails,
                    system_id: km.solar_system_id,
                    region_id: universe::system(km.solar_system_id).map(|s| s.region_id),
                    people: Some(people.tidy()),
                    isk: e.data.summary.total_value,
                });
            }
            Event::BattleDeleted(e) => {
                return Some(Self {
                    feed: LiveFeed::Battles,
                    system_id: e.data.system_id,
                    region_id: universe::system(e.data.system_id).map(|s| s.region_id),
                    people: None,
                    isk: None,
                });
            }
            Event::BattleCreated(e) => &e.data.battle,
            Event::BattleUpdated(e) => &e.data.battle,
            Event::BattleSealed(e) => &e.data.battle,
        };
        let mut people = People::default();
        for side in &battle.sides {
            people.alliances.extend(&side.alliances);
            people.corporations.extend(&side.corporations);
            people.characters.extend(&side.pilots);
        }
        Some(Self {
            feed: LiveFeed::Battles,
            system_id: battle.system_id,
            region_id: battle
                .region_id
                .or_else(|| universe::system(battle.system_id).map(|s| s.region_id)),
            people: Some(people.tidy()),
            // A battle whose kills all lack a value has no known value.
            isk: (battle.stats.kills_without_value < battle.stats.kill_count)
                .then_some(battle.stats.isk_destroyed),
        })
    }
}

impl Subscription {
    /// Does this subscription let the event through?
    #[must_use]
    pub fn admits(&self, facts: &EventFacts) -> bool {
        if !self.feeds.is_empty() && !self.feeds.contains(&facts.feed) {
            return false;
        }
        let placed = (self.systems.is_empty() && self.regions.is_empty())
            || self.systems.contains(&facts.system_id)
            || facts.region_id.is_some_and(|r| self.regions.contains(&r));
        if !placed {
            return false;
        }
        let Some(people) = &facts.people else {
            // A deletion: place is all it says.
            return true;
        };
        let wants_people = !(self.alliances.is_empty()
            && self.corporations.is_empty()
            && self.characters.is_empty());
        let involved =
            |wanted: &[u64], seen: &[u64]| wanted.iter().any(|id| seen.binary_search(id).is_ok());
        if wants_people
            && !(involved(&self.alliances, &people.alliances)
                || involved(&self.corporations, &people.corporations)
                || involved(&self.characters, &people.characters))
        {
            return false;
        }
        self.min_isk
            .is_none_or(|min| facts.isk.is_some_and(|isk| isk >= min))
    }

    /// Refuse what cannot be meant: too many ids, a negative or infinite
    /// `minIsk`. The error names the field (its JSON name).
    ///
    /// # Errors
    /// `(field, message)`.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let lists = [
            ("systems", self.systems.len()),
            ("regions", self.regions.len()),
            ("alliances", self.alliances.len()),
            ("corporations", self.corporations.len()),
            ("characters", self.characters.len()),
        ];
        for (field, len) in lists {
            if len > MAX_SUBSCRIPTION_IDS {
                return Err((field, format!("{len} ids; at most {MAX_SUBSCRIPTION_IDS}")));
            }
        }
        if let Some(min) = self.min_isk {
            if !(min.is_finite() && min >= 0.0) {
                return Err(("minIsk", "must be a number ≥ 0".to_owned()));
            }
        }
        Ok(())
    }
}

/// What a WebSocket client sends (JSON text frames).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Replace the connection's subscription. A new connection receives
    /// only heartbeats until it subscribes.
    Subscribe {
        /// What to receive.
        #[serde(default)]
        subscription: Subscription,
        /// Resume after this `seq` (the last one received): the events
        /// stored since are sent first. Absent: only events from now on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<i64>,
    },
}

/// What the server sends on a WebSocket (JSON text frames).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to a subscribe: the subscription in force and the `seq`
    /// the events that follow come after.
    Subscribed {
        /// The subscription in force.
        subscription: Subscription,
        /// The events that follow come after this one.
        seq: i64,
    },
    /// An event the subscription admits; `seq` is its place in the event
    /// store.
    Event {
        /// Its place in the event store.
        seq: i64,
        /// The event, as the bus carried it.
        event: Box<Event>,
    },
    /// Sent when nothing else was for a heartbeat interval: the connection
    /// is alive; `seq` is the newest event the server has seen.
    Heartbeat {
        /// The newest event the server has seen.
        seq: i64,
        /// The server's clock.
        time: DateTime<Utc>,
    },
    /// A message the server could not use (the connection stays open).
    Error {
        /// What was wrong (`parameter` names the field).
        error: ErrorDetail,
    },
    /// The last message before the server closes the connection, and why
    /// (a client too slow to keep up, the server shutting down). Resume
    /// with `after` set to the last `seq` received.
    Closing {
        /// Why.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(feed: LiveFeed, system_id: u32, region_id: Option<u32>) -> EventFacts {
        EventFacts {
            feed,
            system_id,
            region_id,
            people: Some(People {
                alliances: vec![99, 500],
                corporations: vec![7],
                characters: vec![1, 2, 3],
            }),
            isk: Some(1.0e9),
        }
    }

    #[test]
    fn an_empty_subscription_admits_everything() {
        let s = Subscription::default();
        assert!(s.admits(&facts(LiveFeed::Killmails, 30_000_142, Some(10_000_002))));
        assert!(s.admits(&facts(LiveFeed::Battles, 1, None)));
    }

    #[test]
    fn each_given_field_must_pass() {
        let f = facts(LiveFeed::Battles, 30_000_142, Some(10_000_002));
        let yes = |s: Subscription| assert!(s.admits(&f), "{s:?}");
        let no = |s: Subscription| assert!(!s.admits(&f), "{s:?}");
        yes(Subscription {
            feeds: vec![LiveFeed::Battles],
            ..Default::default()
        });
        no(Subscription {
            feeds: vec![LiveFeed::Killmails],
            ..Default::default()
        });
        yes(Subscription {
            systems: vec![30_000_142],
            ..Default::default()
        });
        no(Subscription {
            systems: vec![30_000_144],
            ..Default::default()
        });
        // Either place list is enough.
        yes(Subscription {
            systems: vec![1],
            regions: vec![10_000_002],
            ..Default::default()
        });
        no(Subscription {
            regions: vec![10_000_043],
            ..Default::default()
        });
        yes(Subscription {
            alliances: vec![500],
            ..Default::default()
        });
        yes(Subscription {
            alliances: vec![4],
            characters: vec![3],
            ..Default::default()
        });
        no(Subscription {
            corporations: vec![8],
            ..Default::default()
        });
        yes(Subscription {
            min_isk: Some(1.0e9),
            ..Default::default()
        });
        no(Subscription {
            min_isk: Some(1.1e9),
            ..Default::default()
        });
        // Place and people both given: both must pass.
        no(Subscription {
            systems: vec![30_000_142],
            alliances: vec![4],
            ..Default::default()
        });
    }

    #[test]
    fn an_unknown_value_fails_a_minimum() {
        let mut f = facts(LiveFeed::Killmails, 30_000_142, None);
        f.isk = None;
        assert!(!Subscription {
            min_isk: Some(0.0),
            ..Default::default()
        }
        .admits(&f));
        assert!(Subscription::default().admits(&f));
    }

    #[test]
    fn a_deletion_passes_on_place_alone() {
        let mut f = facts(LiveFeed::Battles, 30_000_142, Some(10_000_002));
        f.people = None;
        f.isk = None;
        let s = Subscription {
            alliances: vec![12_345],
            min_isk: Some(1.0e12),
            ..Default::default()
        };
        assert!(s.admits(&f));
        let elsewhere = Subscription {
            systems: vec![30_000_144],
            ..s
        };
        assert!(!elsewhere.admits(&f));
    }

    #[test]
    fn validation_names_the_field() {
        let s = Subscription {
            min_isk: Some(-1.0),
            ..Default::default()
        };
        assert_eq!(s.validate().unwrap_err().0, "minIsk");
        let s = Subscription {
            systems: vec![1; MAX_SUBSCRIPTION_IDS + 1],
            ..Default::default()
        };
        assert_eq!(s.validate().unwrap_err().0, "systems");
        assert!(Subscription::default().validate().is_ok());
    }

    #[test]
    fn messages_read_as_documented() {
        let m: ClientMessage = serde_json::from_str(
            r#"{"type":"subscribe","subscription":{"feeds":["battles"],"regions":[10000002],"minIsk":5e8},"after":42}"#,
        )
        .unwrap();
        assert_eq!(
            m,
            ClientMessage::Subscribe {
                subscription: Subscription {
                    feeds: vec![LiveFeed::Battles],
                    regions: vec![10_000_002],
                    min_isk: Some(5.0e8),
                    ..Default::default()
                },
                after: Some(42),
            }
        );
        let typo = serde_json::from_str::<ClientMessage>(
            r#"{"type":"subscribe","subscription":{"sytems":[1]}}"#,
        )
        .unwrap_err();
        assert!(typo.to_string().contains("sytems"), "{typo}");
        let closing = serde_json::to_value(ServerMessage::Closing {
            reason: "slow".into(),
        })
        .unwrap();
        assert_eq!(
            closing,
            serde_json::json!({"type": "closing", "reason": "slow"})
        );
    }
}
