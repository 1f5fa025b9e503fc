//! What the HTTP adapters share: the client, the retry schedule, reading
//! `Retry-After`, and one GET that waits out rate limits and retries
//! transient failures (used by the zKillboard pollers).

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use bytes::Bytes;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{StatusCode, Url};

/// Jittered exponential backoff between attempts of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryConfig {
    /// Delay before the first retry.
    pub min_delay: Duration,
    /// Longest delay between two attempts.
    pub max_delay: Duration,
    /// Retries after the first attempt (0 = try once).
    pub max_retries: u32,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retries: 4,
        }
    }
}

impl RetryConfig {
    /// The schedule as a `backon` builder: doubling delays with full
    /// jitter, so many clients retrying at once do not retry in step.
    #[must_use]
    pub fn builder(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries as usize)
            .with_jitter()
    }
}

/// A client with a per-request timeout, a connect timeout and a
/// User-Agent (zKillboard refuses requests without one).
///
/// # Errors
/// When the TLS / resolver setup of reqwest fails.
pub fn client(
    user_agent: &str,
    timeout: Duration,
    connect_timeout: Duration,
) -> reqwest::Result<reqwest::Client> {
    install_tls_provider();
    reqwest::Client::builder()
        .user_agent(user_agent)
        .timeout(timeout)
        .connect_timeout(connect_timeout)
        .build()
}

/// The wait a `Retry-After` header asks for: delay-seconds or an HTTP date.
#[must_use]
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Make `ring` the process's rustls provider (TLS for `https://`,
/// certificates from the system's store), once (reqwest is built
/// without a provider of its own; see the workspace `Cargo.toml`). Every
/// client of this crate calls it; code that builds a `reqwest::Client`
/// itself (tests, tools) calls it first.
pub fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means another provider is installed already: keep that one.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Check that `url` is one the clients can call: http, or https.
///
/// # Errors
/// A sentence saying why not.
pub fn check_scheme(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        _ => Err(format!("`{url}` is not an http(s) URL")),
    }
}

/// A base URL with a trailing slash, so joining a relative path keeps its
/// last segment (`…/ephemeral` + `5.json` → `…/ephemeral/5.json`).
///
/// # Errors
/// A sentence saying why `raw` is not a URL this build can call.
pub fn base_url(raw: &str) -> Result<Url, String> {
    let mut url = Url::parse(raw).map_err(|e| format!("`{raw}`: {e}"))?;
    check_scheme(&url)?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Largest body the adapters read by default: 8 MiB. A killmail listing
/// every item is a few hundred KB; anything far larger is not one, and
/// reading it whole would only cost memory.
pub const DEFAULT_MAX_BODY: u64 = 8 * 1024 * 1024;

/// A body read with a size cap.
#[derive(Debug)]
pub(crate) enum Body {
    Whole(Bytes),
    /// Over the cap: `size` is the declared or counted length; the bytes
    /// were not kept.
    TooLarge {
        size: u64,
    },
}

/// Read `resp`'s body, keeping at most `limit` bytes. Past the limit the
/// rest is counted, not kept, so memory stays bounded (the request timeout
/// bounds the time).
pub(crate) async fn read_capped(mut resp: reqwest::Response, limit: u64) -> reqwest::Result<Body> {
    if let Some(size) = resp.content_length().filter(|len| *len > limit) {
        return Ok(Body::TooLarge { size });
    }
    let mut kept = Vec::new();
    let mut size = 0u64;
    while let Some(chunk) = resp.chunk().await? {
        size += chunk.len() as u64;
        if size <= limit {
            kept.extend_from_slice(&chunk);
        } else if !kept.is_empty() {
            kept = Vec::new();
        }
    }
    Ok(if size > limit {
        Body::TooLarge { size }
    } else {
        Body::Whole(Bytes::from(kept))
    })
}

/// The outcome of a GET that got an answer worth acting on.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// `200` with its body.
    Body(Bytes),
    /// `404`: not there (yet).
    NotFound,
    /// `200` with a body over the cap, not kept.
    TooLarge { size: u64, limit: u64 },
}

/// A GET that failed for good.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Transient failures (network, timeout, 5xx) outlasted the retries.
    #[error("{url}: gave up after {attempts} attempts: {last}")]
    GaveUp {
        url: String,
        attempts: u32,
        last: String,
    },
    /// A status that retrying cannot fix (4xx other than 404 / 429).
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
}

/// Counters of one fetcher, for metrics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchStats {
    pub requests: u64,
    pub not_found: u64,
    pub rate_limited: u64,
    pub retries: u64,
}

/// GET with the rules zKillboard asks of its clients: on 429 (or 420) wait
/// what `Retry-After` says (capped), on network errors, timeouts and 5xx
/// retry with jittered backoff, on 404 report "not there".
#[derive(Debug)]
pub(crate) struct Fetcher {
    pub client: reqwest::Client,
    pub retry: RetryConfig,
    /// Wait after a 429 without `Retry-After`.
    pub rate_limit_wait: Duration,
    /// Longest `Retry-After` honoured, so a bad header cannot stall a source for days.
    pub max_retry_after: Duration,
    /// Largest body kept.
    pub max_body: u64,
    pub stats: FetchStats,
}

impl Fetcher {
    /// Cancel-safe: nothing is recorded but counters until the body is in.
    pub async fn get(&mut self, url: &Url) -> Result<Fetched, FetchError> {
        let mut schedule = self.retry.builder().build();
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            self.stats.requests += 1;
            let failure = match self.client.get(url.clone()).send().await {
                Ok(resp) => match resp.status() {
                    StatusCode::OK => match read_capped(resp, self.max_body).await {
                        Ok(Body::Whole(body)) => return Ok(Fetched::Body(body)),
                        Ok(Body::TooLarge { size }) => {
                            return Ok(Fetched::TooLarge {
                                size,
                                limit: self.max_body,
                            })
                        }
                        Err(e) => format!("reading the body: {}", describe(&e)),
                    },
                    StatusCode::NOT_FOUND => {
                        self.stats.not_found += 1;
                        return Ok(Fetched::NotFound);
                    }
                    status if is_rate_limit(status) => {
                        self.stats.rate_limited += 1;
                        let wait = retry_after(resp.headers())
                            .unwrap_or(self.rate_limit_wait)
                            .min(self.max_retry_after);
                        tokio::time::sleep(wait).await;
                        // A rate limit is the server pacing us, not a
                        // failure: it does not use up a retry.
                        attempts -= 1;
                        continue;
                    }
                    status if status.is_server_error() => format!("HTTP {status}"),
                    status => {
                        return Err(FetchError::Status {
                            url: url.to_string(),
                            status: status.as_u16(),
                        })
                    }
                },
                Err(e) => describe(&e),
            };
            match schedule.next() {
                Some(delay) => {
                    self.stats.retries += 1;
                    tokio::time::sleep(delay).await;
                }
                None => {
                    return Err(FetchError::GaveUp {
                        url: url.to_string(),
                        attempts,
                        last: failure,
                    })
                }
            }
        }
    }
}

/// 429, and ESI's 420 "error limited".
pub(crate) fn is_rate_limit(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.as_u16() == 420
}

/// A transport error in a few words (reqwest's own text omits the cause).
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    match std::error::Error::source(e) {
        Some(cause) => format!("{kind}: {cause}"),
        None => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn base_urls_keep_their_last_segment() {
        let url = base_url("http://127.0.0.1:1/ephemeral").unwrap();
        assert_eq!(
            url.join("5.json").unwrap().as_str(),
            "http://127.0.0.1:1/ephemeral/5.json"
        );
        assert!(base_url("ftp://x/").is_err());
        assert_eq!(
            base_url("https://esi.example/latest").unwrap().as_str(),
            "https://esi.example/latest/"
        );
        assert!(base_url("not a url").is_err());
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn the_schedule_is_bounded_and_capped() {
        let config = RetryConfig {
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            max_retries: 5,
        };
        let delays: Vec<_> = config.builder().build().collect();
        assert_eq!(delays.len(), 5);
        // Jitter adds up to one more delay on top of each step.
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(600)));
    }
}
