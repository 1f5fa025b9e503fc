//! The bodies the HTTP API answers with, and the computations its
//! endpoints need beyond what the store keeps: a battle's timeline and
//! participants, an entity's page (from [`crate::intel`]). Pure: the
//! platform reads the store and calls these, so the behaviour lives once,
//! here, and every body has a JSON Schema (`schemas/api-*.schema.json`,
//! from [`crate::events::schema::schema_files`]).
//!
//! Field names are camelCase; times are RFC 3339 UTC; ids are integers,
//! battle ids UUIDs.

mod entities;
pub mod live;
mod names;
mod pages;
mod participants;
mod search;
mod timeline;

pub use entities::{entity_page, EntityPage};
pub use live::{ClientMessage, EventFacts, LiveFeed, ServerMessage, Subscription};
pub use names::Names;
pub use pages::{BattlePage, BattleRedirect, ErrorBody, ErrorDetail, KillmailPage, KillmailView};
pub use participants::{participants, Participant, Participants};
pub use search::{
    BattleSearch, SearchHit, SearchHitKind, SearchResults, BATTLE_CURSOR, MAX_QUERY_CHARS,
    NOT_BLANK,
};
pub use timeline::{timeline, SideMinute, Timeline, TimelineMinute};
