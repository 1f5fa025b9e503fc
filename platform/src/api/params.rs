//! Query-string parameters: parsed strictly, each error a 400 naming the
//! parameter, so a typo never silently widens an answer.

use battlescope_core::universe::SecurityClass;
use chrono::DateTime;
use uuid::Uuid;

use super::{ApiError, MAX_PAGE};

/// The `(name, value)` pairs of `raw`, refusing parameters not in `known`
/// and parameters given twice.
pub(super) fn pairs(raw: Option<&str>, known: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let pairs = match raw {
        Some(raw) => serde_urlencoded_pairs(raw)?,
        None => Vec::new(),
    };
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in &pairs {
        if !known.contains(&name.as_str()) {
            return Err(ApiError::bad_parameter(
                name,
                format!("unknown parameter (known: {})", known.join(", ")),
            ));
        }
        if seen.contains(&name.as_str()) {
            return Err(ApiError::bad_parameter(name, "given more than once"));
        }
        seen.push(name);
    }
    Ok(pairs)
}

/// A page size: 1 to [`MAX_PAGE`].
pub(super) fn limit(name: &str, value: &str) -> Result<u32, ApiError> {
    let limit: u32 = number(name, value)?;
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::bad_parameter(
            name,
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    Ok(limit)
}

/// A positive id in a path (`/api/alliances/{id}`).
pub(super) fn path_id(value: &str, what: &str) -> Result<u64, ApiError> {
    value.parse().ok().filter(|v| *v > 0).ok_or_else(|| {
        ApiError::bad_parameter(
            "id",
            format!("`{value}` is not {what} id (a positive integer)"),
        )
    })
}

/// A battle id in a path.
pub(super) fn battle_id(value: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(value).map_err(|_| {
        ApiError::bad_parameter("id", format!("`{value}` is not a battle id (a UUID)"))
    })
}

pub(super) fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, ApiError> {
    value.parse().map_err(|_| {
        ApiError::bad_parameter(name, format!("`{value}` is not a valid id or number"))
    })
}

/// RFC 3339 or seconds since the epoch.
pub(super) fn time(name: &str, value: &str) -> Result<i64, ApiError> {
    if let Ok(secs) = value.parse::<i64>() {
        return Ok(secs);
    }
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.timestamp())
        .map_err(|e| {
            ApiError::bad_parameter(
                name,
                format!("`{value}` is neither an RFC 3339 time nor seconds since the epoch: {e}"),
            )
        })
}

pub(super) fn security(value: &str) -> Result<SecurityClass, ApiError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).map_err(|_| {
        ApiError::bad_parameter(
            "security",
            format!("`{value}` is not a security class (high_sec, low_sec, null_sec, wormhole, pochven, abyssal)"),
        )
    })
}

pub(super) fn cursor(value: &str) -> Result<(i64, Uuid), ApiError> {
    let bad = || {
        ApiError::bad_parameter(
            "cursor",
            format!("`{value}` is not a cursor this API gave out"),
        )
    };
    let (start, id) = value.split_once('_').ok_or_else(bad)?;
    Ok((
        start.parse().map_err(|_| bad())?,
        Uuid::parse_str(id).map_err(|_| bad())?,
    ))
}

pub(super) fn encode_cursor(start: i64, id: Uuid) -> String {
    format!("{start}_{id}")
}

/// The shape of a killmail page's cursor, for the OpenAPI document.
pub(super) const KILLMAIL_CURSOR: &str = "^-?[0-9]{1,18}_[0-9]{1,19}$";

/// A killmail page's cursor: `{time}_{killmail id}`.
pub(super) fn killmail_cursor(value: &str) -> Result<(i64, u64), ApiError> {
    let bad = || {
        ApiError::bad_parameter(
            "cursor",
            format!("`{value}` is not a cursor this API gave out"),
        )
    };
    let (time, id) = value.split_once('_').ok_or_else(bad)?;
    Ok((
        time.parse().map_err(|_| bad())?,
        id.parse().map_err(|_| bad())?,
    ))
}

pub(super) fn encode_killmail_cursor(time: i64, id: u64) -> String {
    format!("{time}_{id}")
}

/// `a=1&b=2` with percent-decoding; a malformed escape is an error.
fn serde_urlencoded_pairs(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let k =
            decode(k).ok_or_else(|| ApiError::bad_parameter(k, "malformed percent-encoding"))?;
        let v =
            decode(v).ok_or_else(|| ApiError::bad_parameter(&k, "malformed percent-encoding"))?;
        out.push((k, v));
    }
    Ok(out)
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}
