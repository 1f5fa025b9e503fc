//! Rulesets: which killmails enter the platform (DESIGN.md "Rulesets").
//!
//! A [`Ruleset`] is plain data, read from JSON, YAML or TOML (the same
//! document in any of the three gives the same decisions) and described by a
//! JSON Schema ([`Ruleset::json_schema`]). [`Ruleset::compile`] validates it
//! and builds the hash sets once; [`CompiledRuleset::evaluate`] then decides
//! each killmail without allocating unless it rejects, and a rejection names
//! the rule that fired, the value that fired it and why.
//!
//! ```
//! use battlescope_core::ruleset::Ruleset;
//!
//! let rules = Ruleset::from_yaml(
//!     "min_pilots: 5\n\
//!      drop_npc: true\n\
//!      include:\n  security_classes: [null_sec, wormhole]\n\
//!      exclude:\n  ship_classes: { side: victim, values: [capsule, shuttle] }\n",
//! )?
//! .compile()?;
//! # Ok::<(), battlescope_core::Error>(())
//! ```
//!
//! # Semantics
//!
//! **An empty ruleset accepts everything.** Every field is optional; an
//! absent or empty field places no constraint.
//!
//! **Thresholds.**
//! - `min_pilots` / `max_pilots` count *distinct characters* on the
//!   killmail: the victim's character (none for a structure) and every
//!   attacker with a character (NPCs have none). Both bounds are inclusive.
//! - `min_isk` / `max_isk` compare zKillboard's `totalValue` (inclusive).
//!   A killmail without a value cannot be checked against a bound, so
//!   `unknown_value` decides: `reject` (the default: a bound that cannot be
//!   checked is not met; the rule reported is `unknown_value`) or `accept`.
//!   Without `min_isk` and `max_isk`, `unknown_value` has no effect.
//!
//! **Flags.**
//! - `drop_npc`: drop kills [`Killmail::is_npc_kill`] calls NPC kills
//!   (zKillboard's `npc` flag, or else no attacker is a character).
//! - `drop_solo`: drop solo kills: zKillboard's `solo` flag is true, *or*
//!   exactly one distinct attacker is a character (NPCs beside that pilot
//!   do not count).
//! - `drop_awox`: drop kills of a pilot by their own side: zKillboard's
//!   `awox` flag is true, *or* the victim is a character and a player
//!   attacker shares the victim's alliance, or the victim's corporation
//!   unless it is an NPC corporation (ids 1000000–1999999: starter
//!   corporations are not a side).
//! - `require_npc`, `require_solo`, `require_awox`: the opposite — keep
//!   *only* the kills the matching `drop_*` flag would drop (e.g. "solo
//!   kills only"). A flag both dropped and required is refused at load.
//!
//! **Lists.** `include` and `exclude` hold the same lists:
//! - participant lists: `alliances`, `corporations`, `characters`,
//!   `ship_groups` (inventory group ids, e.g. 831 Interceptor),
//!   `ship_classes` (the [`ShipClass`] names: `frigate`, …, `capsule`, …)
//!   and `ship_types` (type ids, e.g. 670 the capsule). A participant is the
//!   victim or one attacker (NPC attackers included: their corporation and
//!   ship type are matched like anyone's). Which participants a list looks
//!   at is its *side*: `victim`, `attackers` or `any` (both). The ruleset's
//!   `side` (default `any`) applies to every participant list; one list can
//!   choose its own by taking the form `{ side: victim, values: [...] }`
//!   instead of a plain list. A ship type the embedded universe table does
//!   not know has no group and counts as class `other`.
//! - location lists: `systems`, `constellations`, `regions` (ids) and
//!   `security_classes` (the [`SecurityClass`] names `high_sec`, `low_sec`,
//!   `null_sec`, `wormhole`, `pochven`, `abyssal`; see
//!   [`parse_security_class`] for accepted spellings). They look at the
//!   killmail's solar system; constellation and region come from the
//!   embedded universe table, so a system it does not know matches no
//!   constellation, region or (unless classed by its id range) security
//!   class.
//!
//! A killmail *matches* a list when any participant on the list's side, or
//! its location, is on it. Then:
//! - an **include** list narrows: a killmail must match it;
//! - different include lists combine with **AND**: a killmail must match
//!   every non-empty include list (to widen instead, put the values in one
//!   list);
//! - **excludes always win**: a killmail that matches any non-empty exclude
//!   list is rejected, whatever the include lists say.
//!
//! **Evaluation order.** Every rule must pass; the *first* failing rule is
//! the one reported, in the order of [`RULE_NAMES`]: flags, pilots, ISK,
//! exclude lists, include lists.
//!
//! # Loading
//!
//! Unknown fields are errors, and so are: an unknown security or ship class
//! name, `min_*` greater than `max_*`, a negative or non-finite ISK bound, a
//! system, constellation, region, ship group or ship type id the embedded
//! universe table does not know. Every error is [`crate::Error::Config`]
//! whose `field` is the path of the offending value, such as
//! `include.security_classes[1]` or `exclude.ship_classes.values[0]`.
//! Alliance, corporation and character ids cannot be checked offline and
//! are taken as given.
//!
//! [`Killmail::is_npc_kill`]: crate::Killmail::is_npc_kill
//! [`ShipClass`]: crate::universe::ShipClass
//! [`SecurityClass`]: crate::universe::SecurityClass

mod compiled;
mod decision;
mod document;
mod load;
mod names;
mod validate;

pub use compiled::CompiledRuleset;
pub use decision::{Decision, FilterStats, Rejection, RULE_NAMES};
pub use document::{ListItem, Lists, MatchOn, ParticipantList, Ruleset, UnknownValue};
pub use load::RulesetFormat;
pub use names::parse_security_class;
