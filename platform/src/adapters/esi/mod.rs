//! ESI over HTTP: full killmails by id and hash, and names by id
//! (`POST /universe/names/`).
//!
//! Every call has a timeout, retries timeouts / network errors / 5xx with
//! jittered exponential backoff (429 and 420 wait `Retry-After` instead),
//! and goes through one circuit breaker, so an ESI outage turns into fast
//! [`EsiError::CircuitOpen`] answers instead of a pile of timeouts.
//! Killmails by id and hash never change, and names rarely do: both are
//! cached (bounded, in memory).

mod error;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use backon::Retryable;
use battlescope_core::error::RecordPosition;
use battlescope_core::input::{parse_record, Record, Shape};
use battlescope_core::killmail::Limits;
use battlescope_core::{Killmail, RecordLoc};
use bytes::Bytes;
use quick_cache::sync::Cache;
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};

pub use error::EsiError;

use super::breaker::{BreakerConfig, BreakerState, CircuitBreaker};
use super::http::{self, RetryConfig};

/// Most ids ESI resolves in one `/universe/names/` call.
const NAMES_PER_CALL: usize = 1000;

/// Where ESI is and how patiently to talk to it.
#[derive(Debug, Clone)]
pub struct EsiConfig {
    /// ESI's base URL (`https://esi.evetech.net/latest`); tests point it at
    /// the stub.
    pub base_url: String,
    /// CCP asks for a User-Agent that says who is calling.
    pub user_agent: String,
    /// Timeout of one attempt, from sending to the last byte.
    pub timeout: Duration,
    /// Timeout of connecting.
    pub connect_timeout: Duration,
    /// Retries of one call.
    pub retry: RetryConfig,
    /// Longest `Retry-After` honoured.
    pub max_retry_after: Duration,
    /// When to stop calling a failing ESI, and for how long.
    pub breaker: BreakerConfig,
    /// Killmails kept in the cache.
    pub killmail_cache: usize,
    /// Names kept in the cache.
    pub name_cache: usize,
    /// Largest body read.
    pub max_body: u64,
}

impl Default for EsiConfig {
    fn default() -> Self {
        Self {
            base_url: "https://esi.evetech.net/latest".to_owned(),
            user_agent: concat!("battlescope/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            retry: RetryConfig::default(),
            max_retry_after: Duration::from_secs(60),
            breaker: BreakerConfig::default(),
            killmail_cache: 100_000,
            name_cache: 200_000,
            max_body: http::DEFAULT_MAX_BODY,
        }
    }
}

/// What an id names, as `/universe/names/` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NameCategory {
    Alliance,
    Character,
    Constellation,
    Corporation,
    InventoryType,
    Region,
    SolarSystem,
    Station,
    Faction,
    /// A category this client does not know yet.
    #[serde(other)]
    Other,
}

/// One resolved name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityName {
    pub id: u64,
    pub name: String,
    pub category: NameCategory,
}

/// Counters since the client was made, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EsiStats {
    /// HTTP requests sent (attempts, not calls).
    pub requests: u64,
    /// Attempts that were retried.
    pub retries: u64,
    /// Calls that ended in an error.
    pub errors: u64,
    /// Killmails and names served from the cache.
    pub cache_hits: u64,
    /// Ids ESI could not name (left out of [`EsiClient::names`]).
    pub unknown_names: u64,
    /// Times the breaker opened.
    pub breaker_opened: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    errors: AtomicU64,
    cache_hits: AtomicU64,
    unknown_names: AtomicU64,
}

/// Why one attempt failed, and whether another attempt may help.
#[derive(Debug)]
enum Attempt {
    Transient(String),
    RateLimited(Option<Duration>),
    Final(EsiError),
}

/// The ESI client; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct EsiClient {
    http: reqwest::Client,
    base: Url,
    retry: RetryConfig,
    max_retry_after: Duration,
    max_body: u64,
    breaker: CircuitBreaker,
    killmails: Cache<(u64, String), Arc<Killmail>>,
    names: Cache<u64, EntityName>,
    counters: Counters,
    limits: Limits,
}

impl EsiClient {
    /// A client for `config`.
    ///
    /// # Errors
    /// [`EsiError::Config`] for a bad base URL or a zero cache size.
    pub fn new(config: &EsiConfig) -> Result<Self, EsiError> {
        let invalid = |field: &str, reason: String| EsiError::Config {
            field: field.to_owned(),
            reason,
        };
        let base = http::base_url(&config.base_url).map_err(|r| invalid("base_url", r))?;
        if config.killmail_cache == 0 || config.name_cache == 0 {
            return Err(invalid("cache", "sizes must be at least 1".to_owned()));
        }
        let client = http::client(&config.user_agent, config.timeout, config.connect_timeout)
            .map_err(|e| invalid("http client", e.to_string()))?;
        Ok(Self {
            http: client,
            base,
            retry: config.retry,
            max_retry_after: config.max_retry_after,
            max_body: config.max_body,
            breaker: CircuitBreaker::new(config.breaker),
            killmails: Cache::new(config.killmail_cache),
            names: Cache::new(config.name_cache),
            counters: Counters::default(),
            limits: Limits::default(),
        })
    }

    /// The full killmail `id` with hash `hash` (`GET /killmails/{id}/{hash}/`),
    /// parsed and validated by core.
    ///
    /// # Errors
    /// See [`EsiError`]: [`EsiError::is_retryable`] ones mean "later",
    /// the others are poison for the message that asked.
    pub async fn killmail(&self, id: u64, hash: &str) -> Result<Killmail, EsiError> {
        let key = (id, hash.to_owned());
        if let Some(km) = self.killmails.get(&key) {
            self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Killmail::clone(&km));
        }
        let what = format!("ESI killmail {id}");
        if hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.count_error(EsiError::BadHash {
                what,
                hash: hash.to_owned(),
            }));
        }
        let url = self.url(&format!("killmails/{id}/{hash}/"));
        let km = self
            .call(
                &what,
                || self.http.get(url.clone()),
                |body| self.parse_killmail(id, &what, &body),
            )
            .await?;
        let km = Arc::new(km);
        self.killmails.insert(key, Arc::clone(&km));
        Ok(Arc::unwrap_or_clone(km))
    }

    /// The names of `ids` (`POST /universe/names/`, 1000 ids per call),
    /// from the cache where it has them; one entry per distinct id ESI
    /// knows, in the order asked.
    ///
    /// ESI answers 404 for a whole call when one id in it is unknown; the
    /// call is then split in halves until the unknown ids stand alone, and
    /// those are left out (counted in [`EsiStats::unknown_names`]), so one
    /// bad id costs a few calls, not every name.
    ///
    /// # Errors
    /// As [`EsiClient::killmail`], except that unknown ids are no error.
    pub async fn names(&self, ids: &[u64]) -> Result<Vec<EntityName>, EsiError> {
        let mut seen = HashSet::with_capacity(ids.len());
        let distinct: Vec<u64> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
        let missing: Vec<u64> = distinct
            .iter()
            .copied()
            .filter(|id| self.names.get(id).is_none())
            .collect();
        let hits = distinct.len() - missing.len();
        self.counters
            .cache_hits
            .fetch_add(hits as u64, Ordering::Relaxed);
        let mut todo: Vec<&[u64]> = missing.chunks(NAMES_PER_CALL).rev().collect();
        while let Some(part) = todo.pop() {
            match self.names_call(part).await {
                Ok(names) => {
                    for name in names {
                        self.names.insert(name.id, name);
                    }
                }
                Err(EsiError::NotFound { .. }) if part.len() > 1 => {
                    let (left, right) = part.split_at(part.len() / 2);
                    todo.push(right);
                    todo.push(left);
                }
                Err(EsiError::NotFound { .. }) => {
                    self.counters.unknown_names.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(distinct
            .iter()
            .filter_map(|id| self.names.get(id))
            .collect())
    }

    async fn names_call(&self, ids: &[u64]) -> Result<Vec<EntityName>, EsiError> {
        let what = format!("ESI names of {} ids from {}", ids.len(), ids[0]);
        let body = serde_json::to_vec(ids).unwrap_or_default();
        let url = self.url("universe/names/");
        self.call(
            &what,
            || {
                self.http
                    .post(url.clone())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            },
            |bytes| parse_names(&what, &bytes),
        )
        .await
    }

    /// The breaker's state now (for metrics and readiness).
    #[must_use]
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// Counters since the client was made.
    #[must_use]
    pub fn stats(&self) -> EsiStats {
        let c = &self.counters;
        EsiStats {
            requests: c.requests.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            errors: c.errors.load(Ordering::Relaxed),
            cache_hits: c.cache_hits.load(Ordering::Relaxed),
            unknown_names: c.unknown_names.load(Ordering::Relaxed),
            breaker_opened: self.breaker.times_opened(),
        }
    }

    fn url(&self, path: &str) -> Url {
        // `base` ends with '/', `path` is relative and made of ids and hex.
        self.base.join(path).unwrap_or_else(|_| self.base.clone())
    }

    fn count_error(&self, e: EsiError) -> EsiError {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        e
    }

    /// One call: attempts through the breaker, retried while the failure
    /// is transient. `parse` runs inside the attempt, so a body ESI garbled
    /// counts against the breaker like a 5xx (it is not retried: ESI
    /// serves the same bytes again).
    async fn call<T>(
        &self,
        what: &str,
        request: impl Fn() -> reqwest::RequestBuilder,
        parse: impl Fn(Bytes) -> Result<T, EsiError>,
    ) -> Result<T, EsiError> {
        let attempts = AtomicU32::new(0);
        let attempt = || async {
            attempts.fetch_add(1, Ordering::Relaxed);
            let permit = self.breaker.acquire().map_err(|retry_in| {
                Attempt::Final(EsiError::CircuitOpen {
                    what: what.to_owned(),
                    retry_in,
                })
            })?;
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let resp = match request().send().await {
                Ok(resp) => resp,
                Err(e) => {
                    permit.failure();
                    return Err(Attempt::Transient(http::describe(&e)));
                }
            };
            let status = resp.status();
            if http::is_rate_limit(status) {
                // Throttled, not broken: leave the breaker alone.
                drop(permit);
                return Err(Attempt::RateLimited(http::retry_after(resp.headers())));
            }
            if status.is_server_error() {
                permit.failure();
                return Err(Attempt::Transient(format!("HTTP {status}")));
            }
            let body = match http::read_capped(resp, self.max_body).await {
                Ok(http::Body::Whole(body)) => body,
                Ok(http::Body::TooLarge { size }) => {
                    permit.failure();
                    return Err(Attempt::Final(EsiError::TooLarge {
                        what: what.to_owned(),
                        size,
                        limit: self.max_body,
                    }));
                }
                Err(e) => {
                    permit.failure();
                    return Err(Attempt::Transient(format!(
                        "reading the body: {}",
                        http::describe(&e)
                    )));
                }
            };
            if !status.is_success() {
                // ESI answered, so it is up: a 4xx is about the request.
                permit.success();
                let body = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
                let what = what.to_owned();
                let status = status.as_u16();
                return Err(Attempt::Final(
                    if status == StatusCode::NOT_FOUND.as_u16() || status == 422 {
                        EsiError::NotFound { what, status, body }
                    } else {
                        EsiError::Rejected { what, status, body }
                    },
                ));
            }
            match parse(body) {
                Ok(value) => {
                    permit.success();
                    Ok(value)
                }
                Err(e) => {
                    permit.failure();
                    Err(Attempt::Final(e))
                }
            }
        };
        let max_retry_after = self.max_retry_after;
        let result = attempt
            .retry(self.retry.builder())
            .sleep(tokio::time::sleep)
            .when(|e| !matches!(e, Attempt::Final(_)))
            .adjust(|e, delay| match (e, delay) {
                // `None` means the retries are used up: keep it so.
                (Attempt::RateLimited(Some(wait)), Some(_)) => Some((*wait).min(max_retry_after)),
                (_, delay) => delay,
            })
            .notify(|_, _| {
                self.counters.retries.fetch_add(1, Ordering::Relaxed);
            })
            .await;
        result.map_err(|e| {
            self.count_error(match e {
                Attempt::Final(e) => e,
                Attempt::Transient(last) => EsiError::GaveUp {
                    what: what.to_owned(),
                    attempts: attempts.load(Ordering::Relaxed),
                    last,
                },
                Attempt::RateLimited(_) => EsiError::GaveUp {
                    what: what.to_owned(),
                    attempts: attempts.load(Ordering::Relaxed),
                    last: "rate limited".to_owned(),
                },
            })
        })
    }

    fn parse_killmail(&self, id: u64, what: &str, body: &[u8]) -> Result<Killmail, EsiError> {
        let loc = RecordLoc::new(Some(what), RecordPosition::Whole);
        let bad = |source| EsiError::BadKillmail {
            what: what.to_owned(),
            source: Box::new(source),
        };
        match parse_record(body, Shape::Esi, &self.limits, &loc).map_err(bad)? {
            Record::Killmail(km) if km.killmail_id == id => Ok(*km),
            Record::Killmail(km) => Err(EsiError::WrongKillmail {
                what: what.to_owned(),
                got: km.killmail_id,
            }),
            other => Err(bad(battlescope_core::Error::Shape {
                record: loc,
                reason: format!("expected an ESI killmail, got {other:?}"),
            })),
        }
    }
}

fn parse_names(what: &str, body: &[u8]) -> Result<Vec<EntityName>, EsiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| EsiError::BadNames {
        what: what.to_owned(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// The `esi` port over the HTTP client. The breaker being open and the
/// retries running out are `Unavailable` (enrich dead-letters the kill with
/// the error, to replay later); an unknown id or hash is `NotFound`; a body
/// core cannot read is `Invalid`, naming the field.
#[async_trait::async_trait]
impl crate::ports::esi::Esi for EsiClient {
    fn telemetry(&self) -> Option<crate::ports::esi::EsiTelemetry> {
        let s = self.stats();
        Some(crate::ports::esi::EsiTelemetry {
            requests: s.requests,
            retries: s.retries,
            errors: s.errors,
            cache_hits: s.cache_hits,
            breaker_opened: s.breaker_opened,
            breaker_state: self.breaker_state().as_gauge(),
        })
    }

    async fn killmail(
        &self,
        killmail_id: u64,
        hash: &str,
    ) -> Result<Killmail, crate::ports::esi::EsiError> {
        use crate::ports::esi::EsiError as Port;
        EsiClient::killmail(self, killmail_id, hash)
            .await
            .map_err(|e| match e {
                EsiError::NotFound { .. } | EsiError::BadHash { .. } => Port::NotFound {
                    killmail_id,
                    hash: hash.to_owned(),
                },
                EsiError::BadKillmail { .. }
                | EsiError::WrongKillmail { .. }
                | EsiError::TooLarge { .. } => Port::Invalid {
                    killmail_id,
                    reason: e.to_string(),
                },
                other => Port::Unavailable(other.to_string()),
            })
    }

    async fn names(
        &self,
        ids: &[u64],
    ) -> Result<Vec<battlescope_core::events::EntityName>, crate::ports::esi::EsiError> {
        let names = EsiClient::names(self, ids)
            .await
            .map_err(|e| crate::ports::esi::EsiError::Unavailable(e.to_string()))?;
        // Both enums carry ESI's snake_case names: a category core does not
        // know yet (`Other`) has no counterpart and is left out.
        Ok(names
            .into_iter()
            .filter_map(|n| {
                let category = serde_json::to_value(&n.category)
                    .and_then(serde_json::from_value)
                    .ok()?;
                Some(battlescope_core::events::EntityName {
                    id: n.id,
                    name: n.name,
                    category,
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_bad_ones_name_the_field() {
        let names = parse_names(
            "t",
            br#"[{"category": "solar_system", "id": 30000142, "name": "Jita"},
                 {"category": "something_new", "id": 1, "name": "x"}]"#,
        )
        .unwrap();
        assert_eq!(names[0].category, NameCategory::SolarSystem);
        assert_eq!(names[1].category, NameCategory::Other);
        let err = parse_names(
            "t",
            br#"[{"category": "alliance", "id": "x", "name": "y"}]"#,
        )
        .unwrap_err();
        assert_eq!(err.field(), Some("[0].id"));
    }

    #[test]
    fn only_an_open_breaker_is_retryable() {
        let open = EsiError::CircuitOpen {
            what: "x".into(),
            retry_in: Duration::from_secs(1),
        };
        assert!(open.is_retryable() && !open.is_poison());
        let gave_up = EsiError::GaveUp {
            what: "x".into(),
            attempts: 3,
            last: "HTTP 503".into(),
        };
        assert!(gave_up.is_poison() && !gave_up.is_retryable());
    }
}
