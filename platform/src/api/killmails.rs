//! `GET /api/killmails/{id}` (the killmail, its summary, names and battle)
//! and `GET /api/killmails/recent` (newest first, cursor pagination).

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use battlescope_core::api::{KillmailPage, KillmailView};

use super::{params, ApiError, AppState, DEFAULT_PAGE};
use crate::ports::store::StoredKillmail;

fn view(stored: StoredKillmail) -> KillmailView {
    KillmailView {
        killmail: stored.killmail,
        summary: stored.summary,
        names: stored.names,
        battle_id: stored.battle_id,
    }
}

pub async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<KillmailView>, ApiError> {
    let kid = params::path_id(&id, "a killmail")?;
    let stored = state
        .store
        .killmail(kid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no killmail {kid}")))?;
    Ok(Json(view(stored)))
}

/// `limit` (1 to 500, default 50) and `cursor` (a `nextCursor`).
pub async fn recent(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<KillmailPage>, ApiError> {
    let mut limit = DEFAULT_PAGE;
    let mut after = None;
    for (name, value) in params::pairs(raw.as_deref(), &["limit", "cursor"])? {
        match name.as_str() {
            "limit" => limit = params::limit(&name, &value)?,
            _ => after = Some(params::killmail_cursor(&value)?),
        }
    }
    let page = state.store.recent_killmails(after, limit).await?;
    Ok(Json(KillmailPage {
        killmails: page.killmails.into_iter().map(view).collect(),
        next_cursor: page
            .next
            .map(|(time, id)| params::encode_killmail_cursor(time, id)),
    }))
}
