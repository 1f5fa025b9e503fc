//! `GET /api/killmails/{id}`: the killmail, its summary, names and battle.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::{ApiError, AppState};

pub async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let kid: u64 = id.parse().ok().filter(|v| *v > 0).ok_or_else(|| {
        ApiError::bad_parameter(
            "id",
            format!("`{id}` is not a killmail id (a positive integer)"),
        )
    })?;
    let stored = state
        .store
        .killmail(kid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no killmail {kid}")))?;
    Ok(Json(json!({
        "killmail": stored.killmail,
        "summary": stored.summary,
        "names": stored.names,
        "battleId": stored.battle_id,
    })))
}
