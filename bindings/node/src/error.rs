//! Core errors → JavaScript `Error`s: the one place the binding maps errors.
//!
//! Every error the package throws (or rejects a promise with) is a plain
//! `Error` whose `code` says which kind it is, and whose other properties
//! carry what a user needs to find the bad input:
//!
//! | core variant | `code` |
//! |---|---|
//! | `Json`, `Shape`, `TooLarge` | `ParseError` |
//! | `Invalid` | `InvalidField` |
//! | `Format` | `FormatError` |
//! | `Config` | `ConfigError` |
//! | `Io` | `IoError` |
//! | `Event` | `EventError` |
//! | a variant core adds later | `BattleScopeError` |
//!
//! | property | value |
//! |---|---|
//! | `name` | the `code` |
//! | `message` | core's message (`killmail 7 at a.jsonl line 4: field \`killmail_id\` must be > 0`) |
//! | `reason` | core's stable key for counting skipped records (`invalid_json`, `invalid:<field>`, `not_a_killmail`, …) |
//! | `field` | the offending field (`victim.ship_type_id`, `max_gap`, `include.security_classes[1]`), or `null` |
//! | `record` | where the record is, as text (`a.jsonl line 4`), or `null` when the error is not about one record |
//! | `source` | the file (or other source) name, or `null` |
//! | `line` / `index` / `entry` | 1-based line of JSON Lines / 0-based element of an array / archive member, when known |
//! | `killmailId` | the killmail's id when it could be read, or `null` |

use battlescope_core::error::{RecordLoc, RecordPosition};
use battlescope_core::Error as CoreError;
use napi::bindgen_prelude::{JsObjectValue, Object, Unknown};
use napi::{Env, JsValue, Status};

use crate::convert::id_number;

/// Core results as napi results with the JavaScript error built.
pub(crate) trait IntoJs<T> {
    fn js(self, env: &Env) -> napi::Result<T>;
}

impl<T> IntoJs<T> for Result<T, CoreError> {
    fn js(self, env: &Env) -> napi::Result<T> {
        self.map_err(|e| e.js(env))
    }
}

/// A core error as the `napi::Error` that throws (or rejects with) its
/// JavaScript error.
pub(crate) trait JsErr {
    fn js(&self, env: &Env) -> napi::Error;
}

impl JsErr for CoreError {
    fn js(&self, env: &Env) -> napi::Error {
        match to_js_error(env, self) {
            Ok(object) => napi::Error::from(object.to_unknown()),
            Err(e) => e,
        }
    }
}

/// Every `code` an error of the package has (`BattleScopeErrorCode`).
pub(crate) const CODES: [&str; 7] = [
    "ParseError",
    "InvalidField",
    "FormatError",
    "ConfigError",
    "IoError",
    "EventError",
    "BattleScopeError",
];

/// The `code` of a core error.
fn code(err: &CoreError) -> &'static str {
    match err {
        CoreError::Json { .. } | CoreError::Shape { .. } | CoreError::TooLarge { .. } => {
            "ParseError"
        }
        CoreError::Invalid { .. } => "InvalidField",
        CoreError::Format { .. } => "FormatError",
        CoreError::Config { .. } => "ConfigError",
        CoreError::Io { .. } => "IoError",
        CoreError::Event { .. } => "EventError",
        // `Error` is non-exhaustive: a variant core adds later still maps.
        _ => "BattleScopeError",
    }
}

/// An `Error` object with `code` and `name` set.
fn error_object<'env>(env: &'env Env, code: &str, message: &str) -> napi::Result<Object<'env>> {
    let mut object = env.create_error(napi::Error::new(Status::GenericFailure, message))?;
    object.set_named_property("code", code)?;
    object.set_named_property("name", code)?;
    Ok(object)
}

/// The JavaScript error (not thrown) for a core error, with every property
/// of the table in the module documentation.
pub(crate) fn to_js_error<'env>(env: &'env Env, err: &CoreError) -> napi::Result<Object<'env>> {
    let mut object = error_object(env, code(err), &err.to_string())?;
    object.set_named_property("reason", err.reason_key())?;
    object.set_named_property("kind", err.kind())?;
    object.set_named_property("field", err.field())?;
    let record = err.record();
    object.set_named_property("record", record.map(RecordLoc::to_string))?;
    let source = match err {
        CoreError::Io { source_name, .. } | CoreError::Format { source_name, .. } => {
            Some(source_name.as_str())
        }
        _ => record.and_then(|r| r.source.as_deref()),
    };
    object.set_named_property("source", source)?;
    object.set_named_property(
        "killmailId",
        record.and_then(|r| r.killmail_id).map(id_number),
    )?;
    match record.map(|r| &r.position) {
        Some(RecordPosition::Line(n)) => object.set_named_property("line", id_number(*n))?,
        Some(RecordPosition::Element(n)) => object.set_named_property("index", id_number(*n))?,
        Some(RecordPosition::Entry(name)) => object.set_named_property("entry", name.as_str())?,
        _ => {}
    }
    Ok(object)
}

/// A `Config` error naming `field`, for input the binding cannot even hand
/// to core (a value of the wrong type, a snapshot that is not JSON).
pub(crate) fn config_error(field: &str, reason: impl Into<String>) -> CoreError {
    CoreError::Config {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// An `Unknown` for an error object, for lists of errors.
pub(crate) fn error_value<'env>(env: &'env Env, err: &CoreError) -> napi::Result<Unknown<'env>> {
    Ok(to_js_error(env, err)?.to_unknown())
}
