//! zKillboard's R2Z2 feed: `<base>/sequence.json` gives the newest sequence
//! number, `<base>/<N>.json` each item in turn; a 404 means "not published
//! yet" (wait, then ask again), a 429 means "slow down" (wait what
//! `Retry-After` says). The cursor is the next sequence number, so a
//! restarted poller resumes exactly where it stopped.

use std::time::Duration;

use battlescope_core::error::RecordPosition;
use battlescope_core::input::{parse_r2z2_sequence, parse_record, Shape};
use battlescope_core::killmail::Limits;
use battlescope_core::RecordLoc;
use bytes::Bytes;
use reqwest::Url;

use super::http::{self, FetchStats, Fetched, Fetcher, RetryConfig};
use super::source::{SourceError, SourcedRecord};

/// Where R2Z2 is and how to poll it.
#[derive(Debug, Clone)]
pub struct R2z2Config {
    /// The feed's base URL, e.g. `https://r2z2.zkillboard.com/ephemeral`.
    pub base_url: String,
    /// Wait after a 404 before asking again (zKillboard asks for ≥ 6 s).
    pub poll_interval: Duration,
    /// Least time between two requests: zKillboard allows 15 per second
    /// per IP, which a poller catching up after a restart would exceed.
    pub min_request_interval: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Required by zKillboard: who is polling, and how to reach them.
    pub user_agent: String,
    /// Retries of network errors, timeouts and 5xx.
    pub retry: RetryConfig,
    /// Longest `Retry-After` honoured.
    pub max_retry_after: Duration,
    /// Largest item read; a larger one is handed out as an error item.
    pub max_body: u64,
}

impl Default for R2z2Config {
    fn default() -> Self {
        Self {
            base_url: "https://r2z2.zkillboard.com/ephemeral".to_owned(),
            poll_interval: Duration::from_secs(6),
            // 14 per second: under the limit with a little room.
            min_request_interval: Duration::from_millis(72),
            timeout: Duration::from_secs(10),
            user_agent: concat!("battlescope/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryConfig::default(),
            max_retry_after: Duration::from_secs(300),
            max_body: http::DEFAULT_MAX_BODY,
        }
    }
}

/// A poller of the R2Z2 feed.
#[derive(Debug)]
pub struct R2z2Source {
    base: Url,
    poll_interval: Duration,
    min_request_interval: Duration,
    /// When the last request went out, for the pacing.
    last_request: Option<tokio::time::Instant>,
    fetcher: Fetcher,
    /// The next sequence to fetch; `None` until `sequence.json` was read.
    next: Option<u64>,
    limits: Limits,
}

impl R2z2Source {
    /// Start at the newest item of the feed (read from `sequence.json` on
    /// the first poll).
    ///
    /// # Errors
    /// [`SourceError::Config`] for a base URL that is not http(s).
    pub fn new(config: &R2z2Config) -> Result<Self, SourceError> {
        Self::build(config, None)
    }

    /// Start at `sequence` (the first item fetched).
    ///
    /// # Errors
    /// As [`R2z2Source::new`].
    pub fn starting_at(config: &R2z2Config, sequence: u64) -> Result<Self, SourceError> {
        Self::build(config, Some(sequence))
    }

    /// Resume after a restart from a cursor this source handed out
    /// ([`SourcedRecord::cursor`] or [`R2z2Source::cursor`]).
    ///
    /// # Errors
    /// [`SourceError::Config`] for a cursor that is not a sequence number.
    pub fn resume(config: &R2z2Config, cursor: &str) -> Result<Self, SourceError> {
        let sequence = cursor.trim().parse().map_err(|_| SourceError::Config {
            field: "cursor".to_owned(),
            reason: format!("`{cursor}` is not an R2Z2 sequence number"),
        })?;
        Self::starting_at(config, sequence)
    }

    fn build(config: &R2z2Config, next: Option<u64>) -> Result<Self, SourceError> {
        let base = http::base_url(&config.base_url).map_err(|reason| SourceError::Config {
            field: "base_url".to_owned(),
            reason,
        })?;
        let client =
            http::client(&config.user_agent, config.timeout, config.timeout).map_err(|e| {
                SourceError::Config {
                    field: "http client".to_owned(),
                    reason: e.to_string(),
                }
            })?;
        Ok(Self {
            base,
            poll_interval: config.poll_interval,
            min_request_interval: config.min_request_interval,
            last_request: None,
            fetcher: Fetcher {
                client,
                retry: config.retry,
                rate_limit_wait: config.poll_interval,
                max_retry_after: config.max_retry_after,
                max_body: config.max_body,
                stats: FetchStats::default(),
            },
            next,
            limits: Limits::default(),
        })
    }

    /// The sequence the next poll fetches, as a cursor; `None` before the
    /// feed's position is known.
    #[must_use]
    pub fn cursor(&self) -> Option<String> {
        self.next.map(|n| n.to_string())
    }

    /// Requests, 404s, rate limits and retries so far.
    #[must_use]
    pub fn stats(&self) -> FetchStats {
        self.fetcher.stats
    }

    /// The next record, waiting for it as long as it takes (404 → wait
    /// `poll_interval` → ask again). Cancel-safe: dropped mid-wait, the
    /// next call asks for the same sequence.
    ///
    /// # Errors
    /// As [`R2z2Source::poll`].
    pub async fn next(&mut self) -> Result<SourcedRecord, SourceError> {
        loop {
            if let Some(record) = self.poll().await? {
                return Ok(record);
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }

    /// Ask once for the next item: `None` when it is not published yet.
    /// Rate limits are waited out and transient failures retried inside.
    ///
    /// # Errors
    /// [`SourceError::Fetch`] when R2Z2 keeps failing or refuses the
    /// request; [`SourceError::Sequence`] for a bad `sequence.json`. The
    /// cursor does not move, so calling again retries.
    pub async fn poll(&mut self) -> Result<Option<SourcedRecord>, SourceError> {
        let sequence = match self.next {
            Some(n) => n,
            None => match self.newest().await? {
                Some(n) => n,
                None => return Ok(None),
            },
        };
        self.next = Some(sequence);
        let url = self.url(&format!("{sequence}.json"));
        self.pace().await;
        let position = format!("r2z2 sequence {sequence}");
        let loc = RecordLoc::new(Some(&position), RecordPosition::Whole);
        let (bytes, parsed) = match self.fetcher.get(&url).await? {
            Fetched::NotFound => return Ok(None),
            Fetched::Body(bytes) => {
                let parsed = parse_record(&bytes, Shape::R2z2, &self.limits, &loc);
                (bytes, parsed)
            }
            Fetched::TooLarge { size, limit } => (
                Bytes::new(),
                Err(battlescope_core::Error::TooLarge {
                    record: loc,
                    size,
                    limit,
                }),
            ),
        };
        self.next = Some(sequence + 1);
        Ok(Some(SourcedRecord {
            position,
            cursor: (sequence + 1).to_string(),
            bytes,
            parsed,
        }))
    }

    /// The newest sequence number, or `None` when `sequence.json` is not
    /// there yet.
    async fn newest(&mut self) -> Result<Option<u64>, SourceError> {
        let url = self.url("sequence.json");
        self.pace().await;
        match self.fetcher.get(&url).await? {
            Fetched::Body(bytes) => {
                parse_r2z2_sequence(&bytes)
                    .map(Some)
                    .map_err(|source| SourceError::Sequence {
                        url: url.to_string(),
                        source: Box::new(source),
                    })
            }
            Fetched::NotFound => Ok(None),
            Fetched::TooLarge { size, limit } => Err(SourceError::Sequence {
                url: url.to_string(),
                source: Box::new(battlescope_core::Error::TooLarge {
                    record: RecordLoc::new(Some("sequence.json"), RecordPosition::Whole),
                    size,
                    limit,
                }),
            }),
        }
    }

    /// Wait until `min_request_interval` has passed since the last
    /// request. (Retries inside one fetch are spaced by their backoff.)
    async fn pace(&mut self) {
        if let Some(last) = self.last_request {
            tokio::time::sleep_until(last + self.min_request_interval).await;
        }
        self.last_request = Some(tokio::time::Instant::now());
    }

    fn url(&self, file: &str) -> Url {
        // `base` ends with '/', and `file` is a plain file name.
        self.base.join(file).unwrap_or_else(|_| self.base.clone())
    }
}

/// The `source` port over the R2Z2 poller: raw items for ingest, the next
/// sequence as the cursor, `Idle` on a 404.
#[async_trait::async_trait]
impl crate::ports::source::KillmailSource for R2z2Source {
    fn name(&self) -> &str {
        "r2z2"
    }

    async fn resume(
        &mut self,
        cursor: &crate::ports::source::SourceCursor,
    ) -> Result<(), crate::ports::source::SourceError> {
        let sequence =
            cursor
                .0
                .trim()
                .parse()
                .map_err(|_| crate::ports::source::SourceError::BadCursor {
                    source_name: "r2z2".to_owned(),
                    cursor: cursor.0.clone(),
                    reason: "not an R2Z2 sequence number".to_owned(),
                })?;
        self.next = Some(sequence);
        Ok(())
    }

    async fn poll(
        &mut self,
        max: usize,
    ) -> Result<crate::ports::source::SourcePoll, crate::ports::source::SourceError> {
        let mut records = Vec::new();
        while records.len() < max.max(1) {
            match R2z2Source::poll(self).await {
                Ok(Some(record)) => records.push(super::source::to_port(record)),
                Ok(None) if records.is_empty() => {
                    return Ok(crate::ports::source::SourcePoll::Idle(self.poll_interval));
                }
                Ok(None) => break,
                // What was fetched goes out now; the failing item is asked
                // for again on the next poll (the cursor did not move).
                Err(_) if !records.is_empty() => break,
                Err(e) => return Err(super::source::unavailable("r2z2", &e)),
            }
        }
        Ok(crate::ports::source::SourcePoll::Records(records))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_sequence_numbers() {
        let config = R2z2Config {
            base_url: "http://127.0.0.1:1/ephemeral".to_owned(),
            ..R2z2Config::default()
        };
        let source = R2z2Source::resume(&config, "42").unwrap();
        assert_eq!(source.cursor().as_deref(), Some("42"));
        let err = R2z2Source::resume(&config, "x").unwrap_err();
        assert!(err
            .to_string()
            .contains("`x` is not an R2Z2 sequence number"));
    }
}
