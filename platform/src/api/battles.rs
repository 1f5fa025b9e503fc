//! `GET /api/battles` (filters, cursor pagination, newest first) and
//! `GET /api/battles/{id}` (a merged-away battle redirects to its survivor).

use axum::extract::{Path, RawQuery, State};
use axum::http::header::LOCATION;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use battlescope_core::api::{BattlePage, BattleRedirect, BattleSearch};
use battlescope_core::Battle;

use super::params::{self, number, security, time};
use super::{ApiError, AppState, DEFAULT_PAGE};
use crate::ports::store::{BattleLookup, BattleQuery};

/// The parameters `GET /api/battles` takes: the fields of the battle
/// search body but its text query `q` (the first).
const PARAMETERS: &[&str] = BattleSearch::FIELDS.split_at(1).1;

/// Parse the query string, refusing unknown and repeated parameters.
pub fn parse_query(raw: Option<&str>) -> Result<BattleQuery, ApiError> {
    let mut q = BattleQuery {
        limit: DEFAULT_PAGE,
        ..BattleQuery::default()
    };
    for (name, value) in params::pairs(raw, PARAMETERS)? {
        let v = value.as_str();
        match name.as_str() {
            "system" => q.system_id = Some(number(&name, v)?),
            "region" => q.region_id = Some(number(&name, v)?),
            "security" => q.security_class = Some(security(v)?),
            "alliance" => q.alliance_id = Some(number(&name, v)?),
            "corporation" => q.corporation_id = Some(number(&name, v)?),
            "character" => q.character_id = Some(number(&name, v)?),
            "since" => q.since = Some(time(&name, v)?),
            "until" => q.until = Some(time(&name, v)?),
            "minKills" => q.min_kills = Some(number(&name, v)?),
            "minIsk" => q.min_isk = Some(min_isk(&name, number(&name, v)?)?),
            "limit" => q.limit = params::limit(&name, v)?,
            "cursor" => q.after = Some(params::cursor(v)?),
            _ => unreachable!("every known parameter is handled"),
        }
    }
    check_range(&q)?;
    Ok(q)
}

/// A finite, non-negative ISK bound.
pub(super) fn min_isk(name: &str, value: f64) -> Result<f64, ApiError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ApiError::bad_parameter(name, "must be a number ≥ 0"))
    }
}

/// `since` after `until` selects nothing: a mistake, said so.
pub(super) fn check_range(q: &BattleQuery) -> Result<(), ApiError> {
    if let (Some(since), Some(until)) = (q.since, q.until) {
        if since > until {
            return Err(ApiError::bad_parameter("since", "is after `until`"));
        }
    }
    Ok(())
}

/// One page of the list, as both the list and the battle search answer it.
pub(super) async fn page(state: &AppState, query: &BattleQuery) -> Result<BattlePage, ApiError> {
    let page = state.store.battles(query).await?;
    Ok(BattlePage {
        battles: page.battles,
        next_cursor: page
            .next
            .map(|(start, id)| params::encode_cursor(start, id)),
    })
}

pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<BattlePage>, ApiError> {
    let query = parse_query(raw.as_deref())?;
    Ok(Json(page(&state, &query).await?))
}

/// A battle by id, or the redirect to its survivor (to `/api/battles/{survivor}{suffix}`).
pub(super) async fn resolve(
    state: &AppState,
    id: &str,
    suffix: &str,
) -> Result<Result<Battle, Response>, ApiError> {
    let bid = params::battle_id(id)?;
    match state.store.battle(bid).await? {
        Some(BattleLookup::Found(battle)) => Ok(Ok(*battle)),
        Some(BattleLookup::MergedInto(survivor)) => Ok(Err((
            StatusCode::PERMANENT_REDIRECT,
            [(LOCATION, format!("/api/battles/{survivor}{suffix}"))],
            Json(BattleRedirect {
                merged_into: survivor,
            }),
        )
            .into_response())),
        None => Err(ApiError::not_found(format!("no battle {bid}"))),
    }
}

pub async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(match resolve(&state, &id, "").await? {
        Ok(battle) => Json(battle).into_response(),
        Err(redirect) => redirect,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use battlescope_core::universe::SecurityClass;

    #[test]
    fn every_parameter_parses() {
        let q = parse_query(Some(
            "system=30000142&region=10000002&security=high_sec&alliance=1&corporation=2&character=3\
             &since=2024-01-01T00:00:00Z&until=1704153600&minKills=5&minIsk=1e9&limit=10\
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
        assert_eq!(q.min_isk, Some(1e9));
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
            ("minIsk=-5", "minIsk"),
            ("minIsk=NaN", "minIsk"),
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
