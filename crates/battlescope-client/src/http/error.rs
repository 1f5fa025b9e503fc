//! The client's one error type, and the reading of error answers: every
//! error the API writes is `{"error": {"code", "parameter", "message"}}`
//! ([`ErrorBody`]); a 429 also says when to come back (`Retry-After`).

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::{ErrorBody, ErrorDetail};

/// Why a call of [`super::Client`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered an error, with its JSON body: a bad parameter
    /// (400, naming it), an unknown id (404), a rate limit (429, with
    /// `retry_after`), a backend away (503), …
    #[error("{status}: {}{}", body.error.code, describe(&body.error))]
    Api {
        status: StatusCode,
        body: ErrorBody,
        /// `Retry-After`, when the server sent one (429).
        retry_after: Option<Duration>,
        /// The request's `x-request-id`, to find it in the server's logs.
        request_id: Option<String>,
    },
    /// The server answered something this client does not read as the
    /// endpoint's answer: an error that is not the API's JSON (a proxy's
    /// page, say), or a body that does not fit the documented type.
    #[error("unexpected answer ({status}) from {url}{}: {message}", at(path))]
    UnexpectedAnswer {
        status: StatusCode,
        url: String,
        /// Where in the JSON the body stopped fitting (`battles[3].stats`),
        /// when it was JSON.
        path: Option<String>,
        message: String,
    },
    /// The battle asked for was merged into another that was merged in
    /// turn, more times than the client follows.
    #[error("battle {requested} redirects more than {hops} times (last to {last})")]
    TooManyMerges {
        requested: Uuid,
        last: Uuid,
        hops: u32,
    },
    /// A page's `nextCursor` was the cursor it was asked with: following
    /// it would never end.
    #[error("the server gave cursor `{cursor}` again: the pages would never end")]
    CursorRepeated { cursor: String },
    /// No answer: the connection, TLS, or the timeout.
    #[error("request to {url} failed: {source}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The base URL cannot be called.
    #[error("`{url}` is not a base URL this client can call: {reason}")]
    BaseUrl { url: String, reason: String },
    /// The underlying HTTP client could not be built.
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

fn describe(detail: &ErrorDetail) -> String {
    match &detail.parameter {
        Some(p) => format!(" `{p}`: {}", detail.message),
        None => format!(": {}", detail.message),
    }
}

fn at(path: &Option<String>) -> String {
    path.as_ref()
        .map(|p| format!(" at `{p}`"))
        .unwrap_or_default()
}

impl ClientError {
    /// The HTTP status the server answered, if it answered.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } | Self::UnexpectedAnswer { status, .. } => Some(*status),
            Self::Transport { source, .. } => source.status(),
            _ => None,
        }
    }

    /// The server's error (`code`, `parameter`, `message`), if it sent one.
    #[must_use]
    pub fn detail(&self) -> Option<&ErrorDetail> {
        match self {
            Self::Api { body, .. } => Some(&body.error),
            _ => None,
        }
    }

    /// The error's machine-readable code (`bad_parameter`, `not_found`, …).
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        self.detail().map(|d| d.code.as_str())
    }

    /// The query parameter, path segment or body field the server named.
    #[must_use]
    pub fn parameter(&self) -> Option<&str> {
        self.detail().and_then(|d| d.parameter.as_deref())
    }

    /// How long the server asked to wait (a 429's `Retry-After`).
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A 429: asked faster than the server's rate limit allows.
    #[must_use]
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// A 404: no such battle, killmail or entity.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// The error of a non-success answer: the API's JSON error, else an
    /// unexpected answer quoting the start of the body.
    pub(super) fn from_answer(
        status: StatusCode,
        headers: &HeaderMap,
        url: &str,
        body: &[u8],
    ) -> Self {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(body) => Self::Api {
                status,
                body,
                retry_after: retry_after(headers),
                request_id: headers
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            },
            Err(_) => Self::UnexpectedAnswer {
                status,
                url: url.to_owned(),
                path: None,
                message: format!("not an API error: {}", snippet(body)),
            },
        }
    }
}

/// At most 200 characters of a body, for a message.
pub(super) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// The wait a `Retry-After` header asks for: delay-seconds or an HTTP date.
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO), "in the past");
        let later = (chrono::Utc::now() + chrono::Duration::seconds(120)).to_rfc2822();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn an_api_error_is_read_with_its_parameter_and_request_id() {
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", HeaderValue::from_static("abc"));
        let e = ClientError::from_answer(
            StatusCode::BAD_REQUEST,
            &headers,
            "http://h/api/battles",
            br#"{"error":{"code":"bad_parameter","parameter":"limit","message":"must be between 1 and 500"}}"#,
        );
        assert_eq!(e.status(), Some(StatusCode::BAD_REQUEST));
        assert_eq!(e.code(), Some("bad_parameter"));
        assert_eq!(e.parameter(), Some("limit"));
        assert!(matches!(&e, ClientError::Api { request_id: Some(id), .. } if id == "abc"));
        assert_eq!(
            e.to_string(),
            "400 Bad Request: bad_parameter `limit`: must be between 1 and 500"
        );
    }

    #[test]
    fn a_foreign_error_page_is_an_unexpected_answer() {
        let page = format!("<html>{}</html>", "x".repeat(500));
        let e = ClientError::from_answer(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            "http://h/api/battles",
            page.as_bytes(),
        );
        let ClientError::UnexpectedAnswer {
            status, message, ..
        } = &e
        else {
            panic!("{e:?}");
        };
        assert_eq!(*status, StatusCode::BAD_GATEWAY);
        assert!(
            message.starts_with("not an API error: <html>xxx"),
            "{message}"
        );
        assert!(message.chars().count() < 240, "quoted, not copied whole");
        assert_eq!(e.detail(), None);
    }
}
