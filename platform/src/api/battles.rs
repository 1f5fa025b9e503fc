//! `GET /api/battles` (filters, cursor pagination, newest first) and
//! `GET /api/battles/{id}` (a merged-away battle redirects to its survivor).

use axum::extract::{Path, RawQuery, State};
use axum::http::header::LOCATION;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use battlescope_core::universe::SecurityClass;
use chrono::DateTime;
use serde_json::json;
use uuid::Uuid;

use super::{ApiError, AppState, DEFAULT_PAGE, MAX_PAGE};
use crate::ports::store::{BattleLookup, BattleQuery};

/// The parameters `GET /api/battles` takes.
const PARAMETERS: [&str; 11] = [
    "system",
    "region",
    "security",
    "alliance",
    "corporation",
    "character",
    "since",
    "until",
    "minKills",
    "limit",
    "cursor",
];

fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, ApiError> {
    value.parse().map_err(|_| {
        ApiError::bad_parameter(name, format!("`{value}` is not a valid id or number"))
    })
}

/// RFC 3339 or seconds since the epoch.
fn time(name: &str, value: &str) -> Result<i64, ApiError> {
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

fn security(value: &str) -> Result<SecurityClass, ApiError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).map_err(|_| {
        ApiError::bad_parameter(
            "security",
            format!("`{value}` is not a security class (high_sec, low_sec, null_sec, wormhole, pochven, abyssal)"),
        )
    })
}

fn cursor(value: &str) -> Result<(i64, Uuid), ApiError> {
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

fn encode_cursor(start: i64, id: Uuid) -> String {
    format!("{start}_{id}")
}

/// Parse the query string, refusing unknown and repeated parameters.
pub fn parse_query(raw: Option<&str>) -> Result<BattleQuery, ApiError> {
    let mut q = BattleQuery {
        limit: DEFAULT_PAGE,
        ..BattleQuery::default()
    };
    let pairs: Vec<(String, String)> = match raw {
        Some(raw) => serde_urlencoded_pairs(raw)?,
        None => Vec::new(),
    };
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in &pairs {
        let Some(known) = PARAMETERS.iter().find(|p| **p == name) else {
            return Err(ApiError::bad_parameter(
                name,
                format!("unknown parameter (known: {})", PARAMETERS.join(", ")),
            ));
        };
        if seen.contains(known) {
            return Err(ApiError::bad_parameter(name, "given more than once"));
        }
        seen.push(known);
        let v = value.as_str();
        match *known {
            "system" => q.system_id = Some(number(name, v)?),
            "region" => q.region_id = Some(number(name, v)?),
            "security" => q.security_class = Some(security(v)?),
            "alliance" => q.alliance_id = Some(number(name, v)?),
            "corporation" => q.corporation_id = Some(number(name, v)?),
            "character" => q.character_id = Some(number(name, v)?),
            "since" => q.since = Some(time(name, v)?),
            "until" => q.until = Some(time(name, v)?),
            "minKills" => q.min_kills = Some(number(name, v)?),
            "limit" => {
                let limit: u32 = number(name, v)?;
                if limit == 0 || limit > MAX_PAGE {
                    return Err(ApiError::bad_parameter(
                        name,
                        format!("must be between 1 and {MAX_PAGE}"),
                    ));
                }
                q.limit = limit;
            }
            "cursor" => q.after = Some(cursor(v)?),
            _ => unreachable!("every known parameter is handled"),
        }
    }
    if let (Some(since), Some(until)) = (q.since, q.until) {
        if since > until {
            return Err(ApiError::bad_parameter("since", "is after `until`"));
        }
    }
    Ok(q)
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

pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let query = parse_query(raw.as_deref())?;
    let page = state.store.battles(&query).await?;
    Ok(Json(json!({
        "battles": page.battles,
        "nextCursor": page.next.map(|(start, id)| encode_cursor(start, id)),
    })))
}

pub async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let bid = Uuid::parse_str(&id).map_err(|_| {
        ApiError::bad_parameter("id", format!("`{id}` is not a battle id (a UUID)"))
    })?;
    match state.store.battle(bid).await? {
        Some(BattleLookup::Found(battle)) => Ok(Json(*battle).into_response()),
        Some(BattleLookup::MergedInto(survivor)) => Ok((
            StatusCode::PERMANENT_REDIRECT,
            [(LOCATION, format!("/api/battles/{survivor}"))],
            Json(json!({ "mergedInto": survivor })),
        )
            .into_response()),
        None => Err(ApiError::not_found(format!("no battle {bid}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_parses() {
        let q = parse_query(Some(
            "system=30000142&region=10000002&security=high_sec&alliance=1&corporation=2&character=3\
             &since=2024-01-01T00:00:00Z&until=1704153600&minKills=5&limit=10\
             &cursor=1704067200_6a8f4c62-0d0e-5b8e-9a8e-7b0c8e2f0a11",
        ))
        .unwrap();
        assert_eq!(q.system_id, Some(30_000_142));
        assert_eq!(q.region_id, Some(10_000_002));
        assert_eq!(q.security_class, Some(SecurityClass::HighSec));
        assert_eq!(
            (q.alliance_id, q.corporation_id, q.character_id),
            (Some(1), Some(2), Some(3))
        );
        assert_eq!(
            (q.since, q.until),
            (Some(1_704_067_200), Some(1_704_153_600))
        );
        assert_eq!((q.min_kills, q.limit), (Some(5), 10));
        assert_eq!(q.after.map(|a| a.0), Some(1_704_067_200));
    }

    #[test]
    fn a_bad_parameter_is_named() {
        for (query, parameter) in [
            ("since=yesterday", "since"),
            ("system=jita", "system"),
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("security=lowsec", "security"),
            ("cursor=abc", "cursor"),
            ("colour=red", "colour"),
            ("system=1&system=2", "system"),
            (
                "since=2024-02-01T00:00:00Z&until=2024-01-01T00:00:00Z",
                "since",
            ),
            ("region=%zz", "region"),
        ] {
            let err = parse_query(Some(query)).unwrap_err();
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(
                err.parameter.as_deref(),
                Some(parameter),
                "{query}: {}",
                err.message
            );
        }
    }
}
