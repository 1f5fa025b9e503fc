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

impl ApiError {
    /// 429: the client asked faster than its rate; `Retry-After` is set by
    /// the rate limit layer.
    #[must_use]
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "rate_limited",
            parameter: None,
            message: format!("too many requests from this client; retry in {retry_after_secs} s"),
        }
    }

    /// 503: the server is shutting down (a stream asked for meanwhile).
    #[must_use]
    pub fn shutting_down() -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "shutting_down",
            parameter: None,
            message: "the server is shutting down".to_owned(),
        }
    }

    /// 503: no answer within the request timeout.
    #[must_use]
    pub fn timed_out(after: std::time::Duration) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "timeout",
            parameter: None,
            message: format!("no answer within {after:?}"),
        }
    }

    /// The JSON form of an error answer some layer or extractor wrote in
    /// plain text (or with no body): 405, 413, a body that cannot be read.
    #[must_use]
    pub fn from_status(status: StatusCode, text: &str) -> Self {
        let (code, parameter, default) = match status {
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                None,
                "this route does not answer that method",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "body_too_large",
                Some("body"),
                "the request body is too large",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                Some("body"),
                "unsupported media type",
            ),
            StatusCode::NOT_FOUND => ("not_found", None, "not found"),
            StatusCode::TOO_MANY_REQUESTS => ("rate_limited", None, "too many requests"),
            s if s.is_client_error() => ("bad_request", None, "bad request"),
            _ => ("unavailable", None, "the server could not answer"),
        };
        let text = text.trim();
        Self {
            status,
            code,
            parameter: parameter.map(str::to_owned),
            message: if text.is_empty() { default } else { text }.to_owned(),
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
