//! `GET /api/search?q=` (battles, alliances, corporations, characters,
//! systems and killmails, typo-tolerant, through the search port) and
//! `POST /api/search/battles` (the battle list's filters as a JSON body,
//! with an optional text query).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::Json;
use battlescope_core::api::{
    BattlePage, BattleSearch, SearchHit, SearchHitKind, SearchResults, MAX_QUERY_CHARS,
};
use serde_json::Value;
use uuid::Uuid;

use super::{battles, params, ApiError, AppState, DEFAULT_PAGE};
use crate::ports::search::{EntityKind, HitKind, SearchIndex, SearchQuery};
use crate::ports::store::BattleQuery;

/// Most hits `GET /api/search` answers with.
pub const MAX_HITS: u32 = 100;
/// Hits when no `limit` is given.
pub const DEFAULT_HITS: u32 = 10;
/// Battles a text query of the battle search can match, best first, before
/// the filters apply (Typesense pages at 250).
pub const TEXT_MATCHES: u32 = 250;

fn index(state: &AppState) -> Result<&Arc<dyn SearchIndex>, ApiError> {
    state
        .search
        .as_ref()
        .ok_or_else(ApiError::search_unavailable)
}

fn kind(kind: HitKind) -> SearchHitKind {
    match kind {
        HitKind::Battle => SearchHitKind::Battle,
        HitKind::Entity(EntityKind::Alliance) => SearchHitKind::Alliance,
        HitKind::Entity(EntityKind::Corporation) => SearchHitKind::Corporation,
        HitKind::Entity(EntityKind::Character) => SearchHitKind::Character,
        HitKind::Entity(EntityKind::System) => SearchHitKind::System,
        HitKind::Killmail => SearchHitKind::Killmail,
    }
}

fn port_kind(kind: SearchHitKind) -> HitKind {
    match kind {
        SearchHitKind::Alliance => HitKind::Entity(EntityKind::Alliance),
        SearchHitKind::Corporation => HitKind::Entity(EntityKind::Corporation),
        SearchHitKind::Character => HitKind::Entity(EntityKind::Character),
        SearchHitKind::System => HitKind::Entity(EntityKind::System),
        SearchHitKind::Killmail => HitKind::Killmail,
        // `SearchHitKind` is non-exhaustive for clients; every kind is listed.
        _ => HitKind::Battle,
    }
}

/// Some non-blank text of at most [`MAX_QUERY_CHARS`] characters (counted
/// before trimming, as the schema's `maxLength` counts), trimmed.
fn text(name: &str, value: &str) -> Result<String, ApiError> {
    if value.chars().count() > MAX_QUERY_CHARS as usize {
        return Err(ApiError::bad_parameter(
            name,
            format!("is longer than {MAX_QUERY_CHARS} characters"),
        ));
    }
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::bad_parameter(name, "is empty or blank"));
    }
    Ok(value.to_owned())
}

/// `q` (required), `kinds` (comma-separated: battle, alliance, corporation,
/// character, system, killmail; all when absent), `limit` (1 to 100,
/// default 10).
pub async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<SearchResults>, ApiError> {
    let mut query = SearchQuery {
        text: String::new(),
        kinds: Vec::new(),
        limit: DEFAULT_HITS,
    };
    let mut given = false;
    for (name, value) in params::pairs(raw.as_deref(), &["q", "kinds", "limit"])? {
        match name.as_str() {
            "q" => {
                query.text = text(&name, &value)?;
                given = true;
            }
            "kinds" => {
                for word in value.split(',') {
                    let k = SearchHitKind::ALL
                        .into_iter()
                        .find(|k| k.as_str() == word)
                        .ok_or_else(|| {
                            let known: Vec<&str> =
                                SearchHitKind::ALL.iter().map(|k| k.as_str()).collect();
                            ApiError::bad_parameter(
                                &name,
                                format!("`{word}` is not a kind (known: {})", known.join(", ")),
                            )
                        })?;
                    query.kinds.push(port_kind(k));
                }
            }
            _ => {
                let limit: u32 = params::number(&name, &value)?;
                if limit == 0 || limit > MAX_HITS {
                    return Err(ApiError::bad_parameter(
                        &name,
                        format!("must be between 1 and {MAX_HITS}"),
                    ));
                }
                query.limit = limit;
            }
        }
    }
    if !given {
        return Err(ApiError::bad_parameter("q", "is required"));
    }
    let hits = index(&state)?.search(&query).await?;
    Ok(Json(SearchResults {
        query: query.text,
        hits: hits
            .into_iter()
            .map(|h| SearchHit {
                kind: kind(h.kind),
                id: h.id,
                title: h.title,
                score: h.score,
            })
            .collect(),
    }))
}

/// The body as a [`BattleSearch`]: a JSON object whose fields are known,
/// each of its type; the error names the field.
pub fn parse_body(body: &[u8]) -> Result<BattleSearch, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_parameter("body", format!("not JSON: {e}")))?;
    let Value::Object(mut fields) = value else {
        return Err(ApiError::bad_parameter("body", "must be a JSON object"));
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !BattleSearch::FIELDS.contains(&k.as_str()))
    {
        return Err(ApiError::bad_parameter(
            unknown,
            format!("unknown field (known: {})", BattleSearch::FIELDS.join(", ")),
        ));
    }
    fields.values_mut().for_each(integral);
    serde_path_to_error::deserialize(Value::Object(fields)).map_err(|e| {
        let field = e.path().to_string();
        let field = field
            .split('.')
            .next()
            .filter(|f| !f.is_empty())
            .unwrap_or("body")
            .to_owned();
        ApiError::bad_parameter(&field, e.inner().to_string())
    })
}

/// `2.0` as `2`: JSON Schema counts a number without a fractional part as
/// an integer (the body's schema allows `{"limit": 2.0}`), serde's integer
/// types do not. Other numbers are left for serde to refuse or take.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn integral(value: &mut Value) {
    let Some(f) = value
        .as_f64()
        .filter(|f| value.is_f64() && f.fract() == 0.0)
    else {
        return;
    };
    // Whole and within the type's range, so each cast is exact.
    if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
        *value = Value::from(f as u64);
    } else if (-9_223_372_036_854_775_808.0..0.0).contains(&f) {
        *value = Value::from(f as i64);
    }
}

/// The store query of a search (`ids` left for the text query).
fn battle_query(s: &BattleSearch) -> Result<BattleQuery, ApiError> {
    let limit = match s.limit {
        Some(l) => params::limit("limit", &l.to_string())?,
        None => DEFAULT_PAGE,
    };
    let q = BattleQuery {
        system_id: s.system,
        region_id: s.region,
        security_class: s.security,
        alliance_id: s.alliance,
        corporation_id: s.corporation,
        character_id: s.character,
        since: s.since.map(|t| t.timestamp()),
        until: s.until.map(|t| t.timestamp()),
        min_kills: s.min_kills,
        min_isk: s
            .min_isk
            .map(|v| battles::min_isk("minIsk", v))
            .transpose()?,
        ids: None,
        after: s.cursor.as_deref().map(params::cursor).transpose()?,
        limit,
    };
    battles::check_range(&q)?;
    Ok(q)
}

/// Battles matching the filters (and, when `q` is given, the text query),
/// newest first, paginated like the list.
pub async fn battles(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<BattlePage>, ApiError> {
    let search = parse_body(&body)?;
    let mut query = battle_query(&search)?;
    if let Some(q) = &search.q {
        let text = text("q", q)?;
        let hits = index(&state)?
            .search(&SearchQuery {
                text,
                kinds: vec![HitKind::Battle],
                limit: TEXT_MATCHES,
            })
            .await?;
        query.ids = Some(
            hits.iter()
                .filter_map(|h| Uuid::parse_str(&h.id).ok())
                .collect(),
        );
    }
    Ok(Json(battles::page(&state, &query).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn a_bad_body_is_refused_naming_the_field() {
        for (body, field) in [
            (r#"{"minKills": "many"}"#, "minKills"),
            (r#"{"colour": "red"}"#, "colour"),
            (r#"{"security": "lowsec"}"#, "security"),
            (r#"{"since": "yesterday"}"#, "since"),
            (r#"{"system": -1}"#, "system"),
            ("[1, 2]", "body"),
            ("{", "body"),
        ] {
            let err = parse_body(body.as_bytes()).unwrap_err();
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(
                err.parameter.as_deref(),
                Some(field),
                "{body}: {}",
                err.message
            );
        }
        for (body, field) in [
            (r#"{"limit": 501}"#, "limit"),
            (r#"{"limit": 0}"#, "limit"),
            (r#"{"cursor": "abc"}"#, "cursor"),
            (r#"{"minIsk": -1}"#, "minIsk"),
            (
                r#"{"since": "2024-02-01T00:00:00Z", "until": "2024-01-01T00:00:00Z"}"#,
                "since",
            ),
        ] {
            let err = battle_query(&parse_body(body.as_bytes()).unwrap()).unwrap_err();
            assert_eq!(
                err.parameter.as_deref(),
                Some(field),
                "{body}: {}",
                err.message
            );
        }
    }

    #[test]
    fn whole_numbers_written_with_a_fraction_are_integers() {
        let s = parse_body(br#"{"limit": 7.0, "system": 30000142.0, "minIsk": 2.0}"#).unwrap();
        assert_eq!(
            (s.limit, s.system, s.min_isk),
            (Some(7), Some(30_000_142), Some(2.0))
        );
        for body in [
            r#"{"limit": 7.5}"#,
            r#"{"limit": -1.0}"#,
            r#"{"alliance": 2e19}"#,
        ] {
            assert!(parse_body(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn every_field_reaches_the_query() {
        let s = parse_body(
            br#"{"q": "jita", "system": 30000142, "region": 10000002, "security": "high_sec",
                "alliance": 1, "corporation": 2, "character": 3,
                "since": "2024-01-01T00:00:00Z", "until": "2024-01-02T00:00:00Z",
                "minKills": 5, "minIsk": 1e9, "limit": 7}"#,
        )
        .unwrap();
        let q = battle_query(&s).unwrap();
        assert_eq!(
            (q.system_id, q.region_id),
            (Some(30_000_142), Some(10_000_002))
        );
        assert_eq!(
            (q.alliance_id, q.corporation_id, q.character_id),
            (Some(1), Some(2), Some(3))
        );
        assert_eq!(
            (q.since, q.until),
            (Some(1_704_067_200), Some(1_704_153_600))
        );
        assert_eq!((q.min_kills, q.min_isk, q.limit), (Some(5), Some(1e9), 7));
        assert_eq!(s.q.as_deref(), Some("jita"));
    }
}
