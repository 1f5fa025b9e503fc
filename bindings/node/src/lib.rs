//! # battlescope-node
//!
//! The Node package `@battlescope/core`: `battlescope-core` for JavaScript
//! and TypeScript, through napi. Like the Python binding, it holds
//! conversion and error mapping only — every behaviour is core's — and
//! mirrors core's modules one to one:
//!
//! | module | core | JavaScript |
//! |---|---|---|
//! | [`input`] | `input` | `readKillmails`, `readKillmailsAsync`, `parseKillmails`, `parseKillmail`, `KillmailSet` |
//! | [`cluster`](mod@cluster) | `cluster` | `cluster`, `clusterAsync`, `parseDuration`, `Clusterer` |
//! | [`ruleset`] | `ruleset` | `Ruleset` |
//! | [`intel`] | `intel` | `analyze`, `analyzeAsync` |
//! | [`events`] | `events` | the envelopes `Clusterer.push` returns, `parseEvent` |
//! | [`error`] | `error` | the `Error`s thrown, with `code`, `record`, `field`, `killmailId` |
//! | [`convert`] | — | JSON text between the two sides |
//!
//! Battles, killmails and events cross as core's serde JSON, so their
//! TypeScript types are the ones generated from `schemas/` (see the
//! package README).

pub mod cluster;
pub mod convert;
pub mod error;
pub mod events;
pub mod input;
pub mod intel;
pub mod ruleset;

use napi_derive::napi;

/// The version of the engine (and of this package).
#[napi]
#[must_use]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
