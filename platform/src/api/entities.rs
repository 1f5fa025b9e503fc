//! `GET /api/alliances/{id}`, `/api/corporations/{id}`, `/api/characters/{id}`:
//! the entity's name, recent battles and core's intel over them
//! ([`battlescope_core::api::entity_page`]). 404 when no stored killmail
//! names the id.

use axum::extract::{Path, State};
use axum::Json;
use battlescope_core::api::{EntityPage, Names};
use battlescope_core::intel::Entity;
use battlescope_core::Killmail;

use super::{params, ApiError, AppState};
use crate::ports::store::BattleQuery;

/// Battles a page covers: the intel reads all their killmails, so the
/// page stays cheap however long the entity's history.
pub const RECENT_BATTLES: u32 = 20;

async fn page(state: &AppState, entity: Entity) -> Result<Json<EntityPage>, ApiError> {
    if !state.store.entity_seen(entity).await? {
        return Err(ApiError::not_found(format!("no killmail names {entity}")));
    }
    let mut query = BattleQuery {
        limit: RECENT_BATTLES,
        ..BattleQuery::default()
    };
    match entity {
        Entity::Alliance(id) => query.alliance_id = Some(id),
        Entity::Corporation(id) => query.corporation_id = Some(id),
        Entity::Character(id) => query.character_id = Some(id),
    }
    let battles = state.store.battles(&query).await?.battles;
    let mut stored = Vec::new();
    for b in &battles {
        stored.extend(state.store.battle_killmails(b.id).await?);
    }
    let names = Names::of(stored.iter().map(|k| k.names.as_slice()));
    let kills: Vec<Killmail> = stored.into_iter().map(|k| k.killmail).collect();
    Ok(Json(battlescope_core::api::entity_page(
        entity, battles, &kills, &names,
    )))
}

pub async fn alliance(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<EntityPage>, ApiError> {
    page(
        &state,
        Entity::Alliance(params::path_id(&id, "an alliance")?),
    )
    .await
}

pub async fn corporation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<EntityPage>, ApiError> {
    page(
        &state,
        Entity::Corporation(params::path_id(&id, "a corporation")?),
    )
    .await
}

pub async fn character(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<EntityPage>, ApiError> {
    page(
        &state,
        Entity::Character(params::path_id(&id, "a character")?),
    )
    .await
}
