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

/// What the class declarations cannot say in Rust, set once when the module
/// loads: a `KillmailSet` is iterable (`for (const km of set)`, the same
/// iterator as `values()`), and the classes refuse to be called without
/// `new` as JavaScript classes do (napi's constructors would otherwise run
/// with `this` = `globalThis`).
#[napi(module_exports)]
pub fn init(exports: napi::bindgen_prelude::Object<'_>, env: napi::Env) -> napi::Result<()> {
    use napi::bindgen_prelude::{Function, Object, Unknown};
    let install: Function<'_, Object<'_>, Unknown<'_>> = env
        .run_script(
            r"(function (exports) {
                Object.defineProperty(exports.KillmailSet.prototype, Symbol.iterator, {
                    value: exports.KillmailSet.prototype.values,
                    writable: true,
                    configurable: true,
                });
                for (const name of ['Clusterer', 'KillmailSet', 'Ruleset']) {
                    const cls = exports[name];
                    exports[name] = new Proxy(cls, {
                        apply() {
                            throw new TypeError(`Class constructor ${name} cannot be invoked without 'new'`);
                        },
                    });
                }
            })",
        )?;
    install.call(exports)?;
    Ok(())
}

/// True when `value` is an error this package threw or rejected with (an
/// `Error` whose `code` is one of `BattleScopeErrorCode`): narrows it to
/// `BattleScopeError` in TypeScript.
#[napi(
    ts_args_type = "value: unknown",
    ts_return_type = "value is BattleScopeError"
)]
pub fn is_battle_scope_error(value: napi::bindgen_prelude::Unknown<'_>) -> napi::Result<bool> {
    use napi::bindgen_prelude::{FromNapiValue, JsObjectValue, Object, Unknown};
    use napi::JsValue;
    if value.get_type()? != napi::ValueType::Object || !value.is_error()? {
        return Ok(false);
    }
    let object = Object::from_unknown(value)?;
    let code: Unknown<'_> = object.get_named_property("code")?;
    if code.get_type()? != napi::ValueType::String {
        return Ok(false);
    }
    let code = String::from_unknown(code)?;
    Ok(error::CODES.contains(&code.as_str()))
}
