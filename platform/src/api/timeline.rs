//! `GET /api/battles/{id}/timeline`: kills and ISK per minute, in all and
//! per side (computed by core's [`battlescope_core::api::timeline`]).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use battlescope_core::Killmail;

use super::battles::resolve;
use super::{ApiError, AppState};

pub async fn timeline(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let battle = match resolve(&state, &id, "/timeline").await? {
        Ok(battle) => battle,
        Err(redirect) => return Ok(redirect),
    };
    let kills: Vec<Killmail> = state
        .store
        .battle_killmails(battle.id)
        .await?
        .into_iter()
        .map(|k| k.killmail)
        .collect();
    Ok(Json(battlescope_core::api::timeline(&battle, &kills)).into_response())
}
