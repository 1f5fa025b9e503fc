//! zKillboard's RedisQ: `listen.php?queueID=Q&ttw=S` long-polls up to `S`
//! seconds and answers `{"package": {…}}` or `{"package": null}` (nothing
//! new). The queue lives on the server, keyed by its id: reconnecting with
//! the same id resumes it, so the cursor is the queue id.

use std::time::Duration;

use battlescope_core::error::RecordPosition;
use battlescope_core::input::{parse_record, Record, Shape};
use battlescope_core::killmail::Limits;
use battlescope_core::RecordLoc;
use bytes::Bytes;
use reqwest::Url;

use super::http::{self, FetchStats, Fetched, Fetcher, RetryConfig};
use super::source::{SourceError, SourcedRecord};

/// Where RedisQ is and which queue to read.
#[derive(Debug, Clone)]
pub struct RedisqConfig {
    /// `listen.php`'s URL, e.g. `https://zkillredisq.stream/listen.php`.
    pub url: String,
    /// The queue's id: one per consumer, kept across restarts.
    pub queue_id: String,
    /// How long the server may hold a request open (1–10 s on the real one).
    pub ttw: Duration,
    /// Timeout on top of `ttw` for one request.
    pub timeout: Duration,
    /// Who is polling.
    pub user_agent: String,
    /// Retries of network errors, timeouts and 5xx.
    pub retry: RetryConfig,
    /// Wait after a `null` package before asking again; the long poll
    /// already waited, so zero unless `ttw` is zero.
    pub empty_wait: Duration,
    /// Largest package read; a larger one is handed out as an error item.
    pub max_body: u64,
}

impl Default for RedisqConfig {
    fn default() -> Self {
        Self {
            url: "https://zkillredisq.stream/listen.php".to_owned(),
            queue_id: "battlescope".to_owned(),
            ttw: Duration::from_secs(10),
            timeout: Duration::from_secs(10),
            user_agent: concat!("battlescope/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryConfig::default(),
            empty_wait: Duration::ZERO,
            max_body: http::DEFAULT_MAX_BODY,
        }
    }
}

/// A reader of one RedisQ queue.
#[derive(Debug)]
pub struct RedisqSource {
    url: Url,
    queue_id: String,
    empty_wait: Duration,
    fetcher: Fetcher,
    /// Packages received, for positions (`… package 3`).
    received: u64,
    limits: Limits,
}

impl RedisqSource {
    /// A reader of `config.queue_id`.
    ///
    /// # Errors
    /// [`SourceError::Config`] for a bad URL or an empty queue id.
    pub fn new(config: &RedisqConfig) -> Result<Self, SourceError> {
        let invalid = |field: &str, reason: String| SourceError::Config {
            field: field.to_owned(),
            reason,
        };
        if config.queue_id.trim().is_empty() {
            return Err(invalid("queue_id", "must not be empty".to_owned()));
        }
        let mut url = Url::parse(&config.url)
            .map_err(|e| invalid("url", format!("`{}`: {e}", config.url)))?;
        http::check_scheme(&url).map_err(|reason| invalid("url", reason))?;
        url.query_pairs_mut()
            .append_pair("queueID", &config.queue_id)
            .append_pair("ttw", &config.ttw.as_secs().to_string());
        let client = http::client(
            &config.user_agent,
            config.ttw + config.timeout,
            config.timeout,
        )
        .map_err(|e| invalid("http client", e.to_string()))?;
        Ok(Self {
            url,
            queue_id: config.queue_id.clone(),
            empty_wait: config.empty_wait,
            fetcher: Fetcher {
                client,
                retry: config.retry,
                rate_limit_wait: Duration::from_secs(10),
                max_retry_after: Duration::from_secs(300),
                max_body: config.max_body,
                stats: FetchStats::default(),
            },
            received: 0,
            limits: Limits::default(),
        })
    }

    /// The cursor: the queue id (the server keeps the position). Always
    /// known; an `Option` to read like [`super::r2z2::R2z2Source::cursor`].
    #[must_use]
    pub fn cursor(&self) -> Option<String> {
        Some(self.queue_id.clone())
    }

    /// Requests, rate limits and retries so far.
    #[must_use]
    pub fn stats(&self) -> FetchStats {
        self.fetcher.stats
    }

    /// The next package, waiting as long as it takes.
    ///
    /// # Errors
    /// As [`RedisqSource::poll`].
    pub async fn next(&mut self) -> Result<SourcedRecord, SourceError> {
        loop {
            if let Some(record) = self.poll().await? {
                return Ok(record);
            }
            if !self.empty_wait.is_zero() {
                tokio::time::sleep(self.empty_wait).await;
            }
        }
    }

    /// One long poll: `None` for `{"package": null}`.
    ///
    /// # Errors
    /// [`SourceError::Fetch`] when RedisQ keeps failing, refuses the
    /// request or answers 404.
    pub async fn poll(&mut self) -> Result<Option<SourcedRecord>, SourceError> {
        let fetched = self.fetcher.get(&self.url).await?;
        let position = format!(
            "redisq queue {} package {}",
            self.queue_id,
            self.received + 1
        );
        let loc = RecordLoc::new(Some(&position), RecordPosition::Whole);
        let (bytes, parsed) = match fetched {
            Fetched::Body(bytes) => {
                let parsed = parse_record(&bytes, Shape::RedisQ, &self.limits, &loc);
                (bytes, parsed)
            }
            Fetched::NotFound => {
                return Err(http::FetchError::Status {
                    url: self.url.to_string(),
                    status: 404,
                }
                .into())
            }
            // The server has moved the queue past it: hand it out as an
            // error item so it is not lost silently.
            Fetched::TooLarge { size, limit } => (
                Bytes::new(),
                Err(battlescope_core::Error::TooLarge {
                    record: loc,
                    size,
                    limit,
                }),
            ),
        };
        if matches!(parsed, Ok(Record::Empty)) {
            return Ok(None);
        }
        self.received += 1;
        Ok(Some(SourcedRecord {
            position,
            cursor: self.queue_id.clone(),
            bytes,
            parsed,
        }))
    }
}

/// The `source` port over the RedisQ poller: one long poll per call (its
/// queue id is its cursor, kept by RedisQ itself), `Idle` on a null
/// package.
#[async_trait::async_trait]
impl crate::ports::source::KillmailSource for RedisqSource {
    fn name(&self) -> &str {
        "redisq"
    }

    async fn resume(
        &mut self,
        cursor: &crate::ports::source::SourceCursor,
    ) -> Result<(), crate::ports::source::SourceError> {
        // RedisQ remembers the position of a queue id; a stored cursor for
        // another queue means the flags changed: resume this queue.
        let _ = cursor;
        Ok(())
    }

    async fn poll(
        &mut self,
        _max: usize,
    ) -> Result<crate::ports::source::SourcePoll, crate::ports::source::SourceError> {
        match RedisqSource::poll(self).await {
            Ok(Some(record)) => Ok(crate::ports::source::SourcePoll::Records(vec![
                super::source::to_port(record),
            ])),
            Ok(None) => Ok(crate::ports::source::SourcePoll::Idle(
                self.empty_wait.max(std::time::Duration::from_millis(100)),
            )),
            Err(e) => Err(super::source::unavailable("redisq", &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_and_wait_go_in_the_query() {
        let source = RedisqSource::new(&RedisqConfig {
            url: "http://127.0.0.1:1/listen.php".to_owned(),
            queue_id: "a b&c".to_owned(),
            ttw: Duration::from_secs(3),
            ..RedisqConfig::default()
        })
        .unwrap();
        assert_eq!(
            source.url.as_str(),
            "http://127.0.0.1:1/listen.php?queueID=a+b%26c&ttw=3"
        );
        assert!(RedisqSource::new(&RedisqConfig {
            queue_id: " ".to_owned(),
            ..RedisqConfig::default()
        })
        .is_err());
    }
}
