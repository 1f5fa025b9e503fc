//! `GET /api/battles/{id}/participants`: one row per pilot and hull, with
//! side, names where stored, and losses (computed by core's
//! [`battlescope_core::api::participants`]).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use battlescope_core::api::Names;
use battlescope_core::Killmail;

use super::battles::resolve;
use super::{ApiError, AppState};

pub async fn participants(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let battle = match resolve(&state, &id, "/participants").await? {
        Ok(battle) => battle,
        Err(redirect) => return Ok(redirect),
    };
    let stored = state.store.battle_killmails(battle.id).await?;
    let names = Names::of(stored.iter().map(|k| k.names.as_slice()));
    let kills: Vec<Killmail> = stored.into_iter().map(|k| k.killmail).collect();
    Ok(Json(battlescope_core::api::participants(&battle, &kills, &names)).into_response())
}
