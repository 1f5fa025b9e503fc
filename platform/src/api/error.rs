//! API errors as JSON.

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use battlescope_core::api::{ErrorBody, ErrorDetail};

use crate::ports::search::SearchError;
use crate::ports::StoreError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub parameter: Option<String>,
    pub message: String,
}

impl ApiError {
    /// 400 naming the parameter.
    pub fn bad_parameter(parameter: &str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "bad_parameter",
            parameter: Some(parameter.to_owned()),
            message: message.into(),
        }
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            parameter: None,
            message: message.into(),
        }
    }
}

impl ApiError {
    /// 503: the process runs without a search index.
    #[must_use]
    pub fn search_unavailable() -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "search_unavailable",
            parameter: None,
            message: "this API runs without a search index (--search none)".to_owned(),
        }
    }
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        tracing::error!(error = %e, "search failed while answering");
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "search_unavailable",
            parameter: None,
            message: e.to_string(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store failed while answering");
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "store_unavailable",
            parameter: None,
            message: e.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                parameter: self.parameter,
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

/// Unknown routes.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route {}", uri.path()))
}
