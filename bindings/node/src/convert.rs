//! Values between JavaScript and the engine, through JSON text.
//!
//! Everything the engine reads or writes has a serde form; the binding
//! moves it as JSON text and lets V8's `JSON.parse` / `JSON.stringify`
//! build or read the JavaScript objects. That keeps the shapes exactly
//! those of core's serde (hence of the schemas), keeps every id a plain
//! `number` (napi's own serde bridge turns integers above 2^32 into
//! `BigInt`s), and is faster than building objects property by property.
//!
//! Large arrays are parsed in chunks of at most [`CHUNK_BYTES`] of text,
//! far below V8's limit on the length of one string.

use battlescope_core as core;
use napi::bindgen_prelude::{
    Array, Buffer, FromNapiValue, Function, JsObjectValue, Object, Unknown,
};
use napi::{Env, JsValue, ValueType};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{config_error, IntoJs, JsErr};

/// Largest JSON text parsed in one `JSON.parse` call when building arrays.
const CHUNK_BYTES: usize = 32 << 20;

/// The arguments an async task was given, on its worker thread: the error
/// they were rejects the promise (with the very JavaScript error, as it is
/// handed back on the JavaScript thread).
pub(crate) fn take_input<T>(input: &mut Option<napi::Result<T>>) -> napi::Result<T> {
    input
        .take()
        .unwrap_or_else(|| Err(napi::Error::from_reason("the task ran twice")))
}

/// An id or count as a JavaScript number (every EVE id fits in 2^53).
#[allow(clippy::cast_precision_loss)]
pub(crate) fn id_number(n: u64) -> f64 {
    n as f64
}

/// `JSON.parse(text)`.
pub(crate) fn parse_json<'env>(env: &'env Env, text: &str) -> napi::Result<Unknown<'env>> {
    let json: Object<'_> = env.get_global()?.get_named_property("JSON")?;
    let parse: Function<'_, &str, Unknown<'_>> = json.get_named_property("parse")?;
    parse.call(text)
}

/// A serde value as a JavaScript value (through its JSON text).
pub(crate) fn to_js<'env, T: Serialize + ?Sized>(
    env: &'env Env,
    value: &T,
) -> napi::Result<Unknown<'env>> {
    parse_json(env, &to_json(value)?)
}

/// The compact JSON text of a serde value.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> napi::Result<String> {
    serde_json::to_string(value).map_err(|e| napi::Error::from_reason(e.to_string()))
}

/// The JSON texts of a list, as JSON arrays of at most [`CHUNK_BYTES`] each;
/// built where it is convenient (off the JavaScript thread for the async
/// functions), turned into one JavaScript array by [`JsonChunks::into_js`].
#[derive(Debug, Default)]
pub struct JsonChunks {
    chunks: Vec<String>,
}

impl JsonChunks {
    pub(crate) fn of<'a, T: Serialize + 'a>(
        items: impl IntoIterator<Item = &'a T>,
    ) -> napi::Result<Self> {
        let mut chunks = Vec::new();
        let mut current = String::from("[");
        for item in items {
            if current.len() > 1 {
                if current.len() >= CHUNK_BYTES {
                    current.push(']');
                    chunks.push(std::mem::replace(&mut current, String::from("[")));
                } else {
                    current.push(',');
                }
            }
            current.push_str(&to_json(item)?);
        }
        current.push(']');
        chunks.push(current);
        Ok(Self { chunks })
    }

    /// One JavaScript array of every item.
    pub(crate) fn into_js(self, env: &Env) -> napi::Result<Array<'_>> {
        if self.chunks.len() == 1 {
            let value = parse_json(env, &self.chunks[0])?;
            return Array::from_unknown(value);
        }
        let mut out = env.create_array(0)?;
        for chunk in self.chunks {
            let part = Array::from_unknown(parse_json(env, &chunk)?)?;
            for i in 0..part.len() {
                let item: Unknown<'_> = part.get(i)?.ok_or_else(|| {
                    napi::Error::from_reason("a parsed array lost an element".to_owned())
                })?;
                out.insert(item)?;
            }
        }
        Ok(out)
    }
}

/// The JSON text of a JavaScript value: a string as it is, a `Buffer` as
/// its bytes, anything else through `JSON.stringify`.
pub(crate) fn json_bytes(env: &Env, value: Unknown<'_>, field: &str) -> napi::Result<Vec<u8>> {
    match value.get_type()? {
        ValueType::String => Ok(String::from_unknown(value)?.into_bytes()),
        ValueType::Object if value.is_buffer()? => Ok(Buffer::from_unknown(value)?.to_vec()),
        ValueType::Object => {
            let json: Object<'_> = env.get_global()?.get_named_property("JSON")?;
            let stringify: Function<'_, Unknown<'_>, Unknown<'_>> =
                json.get_named_property("stringify")?;
            let text = stringify.call(value)?;
            if text.get_type()? == ValueType::String {
                Ok(String::from_unknown(text)?.into_bytes())
            } else {
                Err(config_error(field, "cannot be written as JSON").js(env))
            }
        }
        other => Err(config_error(
            field,
            format!("must be an object, a JSON string or a Buffer, not {other}"),
        )
        .js(env)),
    }
}

/// A serde value from a JavaScript object (or its JSON text); a value that
/// does not fit is a `ConfigError` naming `field` and, below it, the path
/// serde reports.
pub(crate) fn from_js<T: DeserializeOwned>(
    env: &Env,
    value: Unknown<'_>,
    field: &str,
) -> napi::Result<T> {
    let bytes = json_bytes(env, value, field)?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            field.to_owned()
        } else {
            format!("{field}.{path}")
        };
        // The position is in JSON text the caller never wrote: leave it out.
        let inner = e.inner();
        let message = inner.to_string();
        let position = format!(" at line {} column {}", inner.line(), inner.column());
        let message = message.strip_suffix(&position).unwrap_or(&message);
        config_error(&field, message).js(env)
    })
}

/// One killmail from any record core reads (ESI, R2Z2, RedisQ), given as
/// an object, JSON text or a `Buffer`. A reference (zKillboard API row) or
/// RedisQ's empty package is a `ParseError`: neither is a killmail yet.
/// `index` names the record's place in an array, for errors.
pub(crate) fn killmail_from_js(
    env: &Env,
    value: Unknown<'_>,
    index: Option<u32>,
) -> napi::Result<core::Killmail> {
    let bytes = json_bytes(env, value, "killmail")?;
    core::input::parse_killmail(&bytes, index.map(u64::from)).js(env)
}
