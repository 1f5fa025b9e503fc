//! The stub's HTTP routes and how a fault changes an answer.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::data::name_of;
use super::{Fault, FaultRule, StubState, Target};

/// Most ids ESI resolves in one `/universe/names/` call.
const MAX_NAMES: usize = 1000;
/// Longest RedisQ wait (`ttw`), as on the real service.
const MAX_TTW_SECS: u64 = 10;

pub(super) fn router(state: Arc<StubState>) -> Router {
    Router::new()
        .route("/ephemeral/sequence.json", get(r2z2_sequence))
        .route("/ephemeral/{file}", get(r2z2_item))
        .route("/listen.php", get(redisq_listen))
        .route("/killmails/{id}/{hash}/", get(esi_killmail))
        .route("/universe/names/", post(esi_names))
        .route(
            "/_stub/faults",
            get(faults_list).post(faults_add).delete(faults_clear),
        )
        .route("/_stub/hits", get(hits))
        .with_state(state)
}

/// A normal answer before any fault is applied.
struct Answer {
    status: StatusCode,
    body: Bytes,
}

impl Answer {
    fn json(body: Bytes) -> Self {
        Self {
            status: StatusCode::OK,
            body,
        }
    }

    fn status(status: StatusCode, message: &str) -> Self {
        Self {
            status,
            body: Bytes::from(serde_json::json!({ "error": message }).to_string()),
        }
    }
}

/// Count the request and take its fault. A fault that replaces the whole
/// answer comes back as `Err(response)`; a slow one has already waited;
/// `Ok(true)` asks [`Answer::finish`] to spoil a field.
async fn arrive(state: &StubState, target: Target) -> Result<bool, Response> {
    state.hit(target);
    let Some(fault) = state.faults.take(target) else {
        return Ok(false);
    };
    match fault {
        Fault::RateLimit { retry_after_secs } => {
            let mut response =
                Answer::status(StatusCode::TOO_MANY_REQUESTS, "rate limited").into_response_plain();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            Err(response)
        }
        Fault::ServerError { status } => {
            let status = StatusCode::from_u16(status)
                .ok()
                .filter(StatusCode::is_server_error)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Err(Answer::status(status, "injected server error").into_response_plain())
        }
        Fault::Garbage => Err((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "<html><body>502 Bad Gateway</body></html>",
        )
            .into_response()),
        Fault::Slow { .. } => {
            if let Some(delay) = fault.delay() {
                tokio::time::sleep(delay).await;
            }
            Ok(false)
        }
        Fault::WrongField => Ok(true),
    }
}

impl Answer {
    fn into_response_plain(self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            self.body,
        )
            .into_response()
    }

    /// The answer, with one field spoiled when the fault asks for it.
    fn finish(mut self, spoil: bool) -> Response {
        if spoil && self.status == StatusCode::OK {
            if let Ok(mut value) = serde_json::from_slice::<Value>(&self.body) {
                spoil_field(&mut value);
                self.body = Bytes::from(value.to_string());
            }
        }
        self.into_response_plain()
    }
}

/// Give one well-known field a value of the wrong type: `killmail_time`
/// anywhere, else `sequence`, else the first `id`.
fn spoil_field(value: &mut Value) -> bool {
    fn find(value: &mut Value, key: &str, wrong: &Value) -> bool {
        match value {
            Value::Object(map) => {
                if let Some(v) = map.get_mut(key) {
                    *v = wrong.clone();
                    return true;
                }
                map.values_mut().any(|v| find(v, key, wrong))
            }
            Value::Array(items) => items.iter_mut().any(|v| find(v, key, wrong)),
            _ => false,
        }
    }
    find(value, "killmail_time", &Value::from(1_234_567))
        || find(value, "sequence", &Value::from("not-a-number"))
        || find(value, "id", &Value::from("not-a-number"))
}

async fn r2z2_sequence(State(state): State<Arc<StubState>>) -> Response {
    let spoil = match arrive(&state, Target::R2z2).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let body = serde_json::json!({ "sequence": state.data.sequence() }).to_string();
    Answer::json(Bytes::from(body)).finish(spoil)
}

async fn r2z2_item(State(state): State<Arc<StubState>>, Path(file): Path<String>) -> Response {
    let spoil = match arrive(&state, Target::R2z2).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let item = file
        .strip_suffix(".json")
        .and_then(|n| n.parse::<u64>().ok())
        .and_then(|n| state.data.r2z2_item(n));
    match item {
        Some(body) => Answer::json(body).finish(spoil),
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct ListenParams {
    #[serde(rename = "queueID")]
    queue_id: Option<String>,
    ttw: Option<u64>,
}

async fn redisq_listen(
    State(state): State<Arc<StubState>>,
    Query(params): Query<ListenParams>,
) -> Response {
    let spoil = match arrive(&state, Target::Redisq).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(queue) = params.queue_id.filter(|q| !q.is_empty()) else {
        return Answer::status(StatusCode::BAD_REQUEST, "queueID is required")
            .into_response_plain();
    };
    let wait = Duration::from_secs(params.ttw.unwrap_or(MAX_TTW_SECS).min(MAX_TTW_SECS));
    let deadline = tokio::time::Instant::now() + wait;
    // Subscribe before looking, so a package published in between still
    // wakes this request.
    let mut changed = state.data.subscribe();
    let mut closing = state.closing();
    loop {
        if let Some(package) = state.data.redisq_next(&queue) {
            return Answer::json(package).finish(spoil);
        }
        if *closing.borrow_and_update() {
            break;
        }
        tokio::select! {
            woke = tokio::time::timeout_at(deadline, changed.changed()) => {
                if !matches!(woke, Ok(Ok(()))) {
                    break;
                }
            }
            // Re-checked at the top of the loop.
            _ = closing.changed() => {}
        }
    }
    Answer::json(Bytes::from_static(b"{\"package\":null}")).finish(spoil)
}

async fn esi_killmail(
    State(state): State<Arc<StubState>>,
    Path((id, hash)): Path<(String, String)>,
) -> Response {
    let spoil = match arrive(&state, Target::Esi).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<u64>() else {
        return Answer::status(StatusCode::BAD_REQUEST, "killmail_id is not an integer")
            .into_response_plain();
    };
    match state.data.esi_killmail(id, &hash) {
        Some(body) => Answer::json(body).finish(spoil),
        None => Answer::status(
            StatusCode::NOT_FOUND,
            "Invalid killmail_id and/or killmail_hash",
        )
        .into_response_plain(),
    }
}

async fn esi_names(State(state): State<Arc<StubState>>, body: Bytes) -> Response {
    let spoil = match arrive(&state, Target::Esi).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Ok(ids) = serde_json::from_slice::<Vec<u64>>(&body) else {
        return Answer::status(StatusCode::BAD_REQUEST, "body must be a JSON array of ids")
            .into_response_plain();
    };
    if ids.is_empty() || ids.len() > MAX_NAMES {
        return Answer::status(StatusCode::BAD_REQUEST, "between 1 and 1000 ids")
            .into_response_plain();
    }
    let mut ids = ids;
    ids.sort_unstable();
    ids.dedup();
    let names: Option<Vec<_>> = ids.into_iter().map(name_of).collect();
    match names {
        Some(names) => {
            let body = serde_json::to_vec(&names).unwrap_or_default();
            Answer::json(Bytes::from(body)).finish(spoil)
        }
        None => Answer::status(
            StatusCode::NOT_FOUND,
            "Ensure all IDs are valid before resolving.",
        )
        .into_response_plain(),
    }
}

async fn faults_list(State(state): State<Arc<StubState>>) -> Json<Vec<FaultRule>> {
    Json(state.faults.rules())
}

async fn faults_add(
    State(state): State<Arc<StubState>>,
    Json(rule): Json<FaultRule>,
) -> StatusCode {
    state.faults.add(rule);
    StatusCode::NO_CONTENT
}

async fn faults_clear(State(state): State<Arc<StubState>>) -> StatusCode {
    state.faults.clear();
    StatusCode::NO_CONTENT
}

async fn hits(State(state): State<Arc<StubState>>) -> Json<Value> {
    Json(serde_json::json!({
        "r2z2": state.hits(Target::R2z2),
        "redisq": state.hits(Target::Redisq),
        "esi": state.hits(Target::Esi),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spoiled_field_has_the_wrong_type() {
        let mut v = serde_json::json!({"esi": {"killmail_time": "2024-01-01T00:00:00Z"}});
        assert!(spoil_field(&mut v));
        assert_eq!(v["esi"]["killmail_time"], 1_234_567);
        let mut v = serde_json::json!({"sequence": 5});
        assert!(spoil_field(&mut v));
        assert_eq!(v["sequence"], "not-a-number");
        let mut v = serde_json::json!({"package": null});
        assert!(!spoil_field(&mut v));
    }
}
