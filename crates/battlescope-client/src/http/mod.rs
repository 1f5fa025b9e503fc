//! An async client of BattleScope's REST API (feature `http`, on by
//! default): one method per endpoint, answers as the generated types.
//!
//! ```no_run
//! use battlescope_client::{BattleFilter, Client, SecurityClass};
//! use futures_util::TryStreamExt;
//!
//! # async fn run() -> Result<(), battlescope_client::ClientError> {
//! let client = Client::new("http://127.0.0.1:8080")?;
//! // One page of the newest null-sec battles.
//! let page = client.battles(&BattleFilter::new().security(SecurityClass::NullSec)).await?;
//! for battle in &page.battles {
//!     let timeline = client.battle_timeline(battle.id).await?.value;
//!     println!("{} {:?}: {} minutes", battle.id, battle.system_name, timeline.minutes.len());
//! }
//! // Every battle of a system, page after page.
//! let all: Vec<_> = client
//!     .battle_pages(BattleFilter::new().system(30000142).limit(500))
//!     .items()
//!     .try_collect()
//!     .await?;
//! # let _ = all;
//! # Ok(()) }
//! ```
//!
//! What it does for you, and what it leaves to you:
//! - **Merged battles.** A battle merged into another answers `308` with
//!   the survivor's id. The battle methods follow it (through the base URL
//!   the client was given, not the server's `Location`, so a proxied prefix
//!   is kept) and say so: [`Resolved::merged_into`] names the battle that
//!   answered when it is not the one asked for, so a caller can replace a
//!   stored id. Redirects are never followed elsewhere.
//! - **Errors** are one [`ClientError`]; an error the API answered carries
//!   its status and [`ErrorBody`](crate::ErrorBody) (`code`, the
//!   `parameter` that was wrong, `message`) and the request id.
//! - **Rate limits.** A `429` is retried after its `Retry-After` (3 times
//!   by default, and only when the wait is at most 30 s); then it is
//!   returned with [`ClientError::retry_after`]. Every endpoint only reads,
//!   so a retry cannot do anything twice. Nothing else is retried.
//! - **Pagination.** The list methods return one page; the `*_pages`
//!   methods return [`Pages`], which follows `nextCursor` page by page
//!   ([`Pages::next_page`]) or item by item ([`Pages::items`], a `Stream`).
//! - **TLS** (`https://` base URLs) is rustls with the system's
//!   certificates. The client uses the process's default rustls
//!   `CryptoProvider` when the program installed one, and otherwise `ring`
//!   for its own connections only: it installs nothing process-wide.
//!
//! It needs a tokio runtime (reqwest's).

mod error;
mod pages;
mod params;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use error::ClientError;
pub use pages::{Page, Pages};
pub use params::{BattleFilter, SearchQuery};
/// The reqwest this client is built on, for [`ClientBuilder::http_client`].
pub use reqwest;

use crate::{
    BattlePage, BattleRedirect, BattleSearch, EntityPage, KillmailPage, KillmailView, Participants,
    SearchResults, Timeline,
};
use pages::Request;

/// The `User-Agent` unless told otherwise.
pub const DEFAULT_USER_AGENT: &str = concat!("battlescope-client/", env!("CARGO_PKG_VERSION"));
/// Longest wait for a whole answer unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for a connection unless told otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Merge redirects followed at most (the server resolves chains of merges
/// itself, so one is the rule).
pub const MAX_MERGE_HOPS: u32 = 4;

/// How `429 Too Many Requests` answers are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitRetry {
    /// Retries after the first attempt; `0` returns the first 429.
    pub max_retries: u32,
    /// A 429 asking to wait longer than this is returned, not waited out.
    pub max_wait: Duration,
}

impl Default for RateLimitRetry {
    fn default() -> Self {
        Self {
            max_retries: 3,
            max_wait: Duration::from_secs(30),
        }
    }
}

/// A client of one BattleScope API. Cheap to clone (the connections are
/// shared).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    retry: RateLimitRetry,
}

/// The settings of a [`Client`]: [`Client::builder`].
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    retry: RateLimitRetry,
    http: Option<reqwest::Client>,
}

impl ClientBuilder {
    /// Longest wait for a whole answer (30 s by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Longest wait for a connection (10 s by default).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` sent ([`DEFAULT_USER_AGENT`] by default).
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How rate-limited requests are retried ([`RateLimitRetry::default`]:
    /// 3 times, waits up to 30 s).
    #[must_use]
    pub fn retry_rate_limited(mut self, retry: RateLimitRetry) -> Self {
        self.retry = retry;
        self
    }

    /// Use this reqwest client (a proxy, your own TLS, …) instead of one
    /// built from the settings above: its own timeout and user agent
    /// apply. Build it with `redirect(Policy::none())`, so that merge
    /// redirects reach this client.
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`ClientError::BaseUrl`] when the base URL is not an `http(s)` URL
    /// without query or fragment; [`ClientError::Setup`] when the TLS
    /// setup fails.
    pub fn build(self) -> Result<Client, ClientError> {
        let base = base_url(&self.base_url)?;
        let http = match self.http {
            Some(http) => http,
            None => tls(reqwest::Client::builder())?
                .user_agent(self.user_agent)
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| ClientError::Setup(e.to_string()))?,
        };
        Ok(Client {
            http,
            base,
            retry: self.retry,
        })
    }
}

/// A base URL with a path ending in `/` (`http://host/prefix/`), so the
/// API's paths are added below it.
fn base_url(raw: &str) -> Result<Url, ClientError> {
    let bad = |reason: &str| ClientError::BaseUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let mut url = Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("not http or https"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a base URL has no query or fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// reqwest's rustls needs a `CryptoProvider`: the process's default when
/// the program installed one, else `ring` for this client alone (a
/// library must not choose the provider of the whole process).
fn tls(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, ClientError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    if rustls::crypto::CryptoProvider::get_default().is_some() {
        return Ok(builder);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(BuilderVerifierExt::with_platform_verifier)
        .map_err(|e| ClientError::Setup(format!("TLS: {e}")))?
        .with_no_client_auth();
    Ok(builder.tls_backend_preconfigured(config))
}

/// A battle's answer, and which battle gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved<T> {
    /// The answer (of the battle asked for, or of the one it was merged
    /// into).
    pub value: T,
    /// The battle asked for.
    pub requested: Uuid,
    /// The battle that answered, when the one asked for was merged into
    /// it (the server answered `308`); `None` when it answered itself.
    pub merged_into: Option<Uuid>,
}

impl<T> Resolved<T> {
    /// The answer alone.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The battle the answer is about: the survivor when merged.
    #[must_use]
    pub fn battle_id(&self) -> Uuid {
        self.merged_into.unwrap_or(self.requested)
    }
}

/// The answer of `/health/live` and `/health/ready`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Health {
    pub status: HealthStatus,
    /// Why not ready.
    #[serde(default)]
    pub reason: Option<String>,
    /// Why each unreachable backend (`store`, `bus`, `search`) failed.
    #[serde(default)]
    pub backends: BTreeMap<String, String>,
    /// Operations retrying a failing backend.
    #[serde(default)]
    pub retrying: Option<u64>,
}

/// A probe's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HealthStatus {
    Live,
    Ready,
    /// The service is not running yet.
    Starting,
    /// A backend is unreachable or an operation is retrying.
    NotReady,
    /// A status this client does not know.
    #[serde(other)]
    Unknown,
}

/// An answer, read whole.
struct Answer {
    url: Url,
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    /// The error of a non-success answer.
    fn error(&self) -> ClientError {
        ClientError::from_answer(self.status, &self.headers, self.url.as_str(), &self.body)
    }

    /// The body as `T` (it must fit whatever the status).
    fn parse<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        let mut json = serde_json::Deserializer::from_slice(&self.body);
        serde_path_to_error::deserialize(&mut json).map_err(|e| {
            let path = e.path().to_string();
            ClientError::UnexpectedAnswer {
                status: self.status,
                url: self.url.to_string(),
                path: (path != ".").then_some(path),
                message: e.into_inner().to_string(),
            }
        })
    }

    /// A success's body as `T`, else the error.
    fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        if self.status.is_success() {
            self.parse()
        } else {
            Err(self.error())
        }
    }
}

impl Client {
    /// A client of the API at `base_url` (`http://127.0.0.1:8080`, or with
    /// a path prefix when the API is proxied below one) with the default
    /// settings.
    ///
    /// # Errors
    /// As [`ClientBuilder::build`].
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        Self::builder(base_url).build()
    }

    /// The settings of a client of the API at `base_url`.
    #[must_use]
    pub fn builder(base_url: &str) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            retry: RateLimitRetry::default(),
            http: None,
        }
    }

    /// The base URL every path is added to.
    #[must_use]
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    // ---- battles -------------------------------------------------------

    /// `GET /api/battles`: one page of battles, newest first.
    ///
    /// # Errors
    /// [`ClientError::Api`] with status 400 naming the filter the server
    /// refused (`limit` beyond 500, `since` after `until`, a bad `cursor`,
    /// …); see [`ClientError`] for the rest.
    pub async fn battles(&self, filter: &BattleFilter) -> Result<BattlePage, ClientError> {
        self.fetch_page(
            &Request::Battles(filter.clone()),
            filter.page_cursor().map(str::to_owned),
        )
        .await
    }

    /// Every page of `GET /api/battles` with these filters, from the
    /// filter's cursor (the first page when it has none).
    #[must_use]
    pub fn battle_pages(&self, filter: BattleFilter) -> Pages<BattlePage> {
        let cursor = filter.page_cursor().map(str::to_owned);
        Pages::new(self.clone(), Request::Battles(filter), cursor)
    }

    /// `GET /api/battles/{id}`: the battle, following a merge.
    ///
    /// # Errors
    /// 404 when no battle has, or had, this id.
    pub async fn battle(&self, id: Uuid) -> Result<Resolved<crate::Battle>, ClientError> {
        self.battle_resource(id, None).await
    }

    /// `GET /api/battles/{id}/timeline`: kills and ISK per minute, following
    /// a merge.
    ///
    /// # Errors
    /// As [`Client::battle`].
    pub async fn battle_timeline(&self, id: Uuid) -> Result<Resolved<Timeline>, ClientError> {
        self.battle_resource(id, Some("timeline")).await
    }

    /// `GET /api/battles/{id}/participants`: pilots, ships, sides and
    /// losses, following a merge.
    ///
    /// # Errors
    /// As [`Client::battle`].
    pub async fn battle_participants(
        &self,
        id: Uuid,
    ) -> Result<Resolved<Participants>, ClientError> {
        self.battle_resource(id, Some("participants")).await
    }

    async fn battle_resource<T: DeserializeOwned>(
        &self,
        requested: Uuid,
        tail: Option<&str>,
    ) -> Result<Resolved<T>, ClientError> {
        let mut current = requested;
        for _ in 0..=MAX_MERGE_HOPS {
            let id = current.to_string();
            let mut path = vec!["api", "battles", id.as_str()];
            path.extend(tail);
            let answer = self.send(Method::GET, self.url(&path, &[]), None).await?;
            if answer.status == StatusCode::PERMANENT_REDIRECT {
                current = answer.parse::<BattleRedirect>()?.merged_into;
                continue;
            }
            return Ok(Resolved {
                value: answer.json()?,
                requested,
                merged_into: (current != requested).then_some(current),
            });
        }
        Err(ClientError::TooManyMerges {
            requested,
            last: current,
            hops: MAX_MERGE_HOPS,
        })
    }

    // ---- killmails -----------------------------------------------------

    /// `GET /api/killmails/recent`: one page of killmails, newest first;
    /// `limit` 1 to 500 (50 when `None`), `cursor` a `nextCursor`.
    ///
    /// # Errors
    /// 400 naming `limit` or `cursor` when the server refuses them.
    pub async fn recent_killmails(
        &self,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<KillmailPage, ClientError> {
        self.fetch_page(&Request::Killmails { limit }, cursor.map(str::to_owned))
            .await
    }

    /// Every page of `GET /api/killmails/recent`, `limit` killmails each.
    #[must_use]
    pub fn killmail_pages(&self, limit: Option<u32>) -> Pages<KillmailPage> {
        Pages::new(self.clone(), Request::Killmails { limit }, None)
    }

    /// `GET /api/killmails/{id}`: the killmail as received, its summary,
    /// names and battle.
    ///
    /// # Errors
    /// 404 when no killmail has this id; 400 naming `id` for 0.
    pub async fn killmail(&self, id: u64) -> Result<KillmailView, ClientError> {
        self.get_json(&["api", "killmails", &id.to_string()], &[])
            .await
    }

    // ---- search --------------------------------------------------------

    /// `GET /api/search`: battles, alliances, corporations, characters,
    /// systems and killmails by name, best first.
    ///
    /// # Errors
    /// 400 naming `q`, `kinds` or `limit`; 503 (`search_unavailable`) when
    /// the server runs without a search index.
    pub async fn search(
        &self,
        query: impl Into<SearchQuery>,
    ) -> Result<SearchResults, ClientError> {
        self.get_json(&["api", "search"], &query.into().query_pairs())
            .await
    }

    /// `POST /api/search/battles`: one page of the battles matching the
    /// filters and, when `q` is set, the text.
    ///
    /// # Errors
    /// 400 naming the field the server refused; 503 for a text query
    /// without a search index.
    pub async fn search_battles(&self, search: &BattleSearch) -> Result<BattlePage, ClientError> {
        self.fetch_page(
            &Request::SearchBattles(search.clone()),
            search.cursor.as_ref().map(|c| c.to_string()),
        )
        .await
    }

    /// Every page of `POST /api/search/battles`, from the body's cursor.
    #[must_use]
    pub fn search_battle_pages(&self, search: BattleSearch) -> Pages<BattlePage> {
        let cursor = search.cursor.as_ref().map(|c| c.to_string());
        Pages::new(self.clone(), Request::SearchBattles(search), cursor)
    }

    // ---- entities ------------------------------------------------------

    /// `GET /api/alliances/{id}`: name, recent battles and intel.
    ///
    /// # Errors
    /// 404 when no stored killmail names it; 400 naming `id` for 0.
    pub async fn alliance(&self, id: u64) -> Result<EntityPage, ClientError> {
        self.entity("alliances", id).await
    }

    /// `GET /api/corporations/{id}`.
    ///
    /// # Errors
    /// As [`Client::alliance`].
    pub async fn corporation(&self, id: u64) -> Result<EntityPage, ClientError> {
        self.entity("corporations", id).await
    }

    /// `GET /api/characters/{id}`.
    ///
    /// # Errors
    /// As [`Client::alliance`].
    pub async fn character(&self, id: u64) -> Result<EntityPage, ClientError> {
        self.entity("characters", id).await
    }

    async fn entity(&self, kind: &str, id: u64) -> Result<EntityPage, ClientError> {
        self.get_json(&["api", kind, &id.to_string()], &[]).await
    }

    // ---- operations ----------------------------------------------------

    /// `GET /health/live`.
    ///
    /// # Errors
    /// When the server does not answer 200.
    pub async fn live(&self) -> Result<Health, ClientError> {
        self.get_json(&["health", "live"], &[]).await
    }

    /// `GET /health/ready`: a `503` naming what is wrong is an answer
    /// here (`status` says whether it is ready), not an error.
    ///
    /// # Errors
    /// Any other answer.
    pub async fn ready(&self) -> Result<Health, ClientError> {
        let answer = self
            .send(Method::GET, self.url(&["health", "ready"], &[]), None)
            .await?;
        if answer.status == StatusCode::SERVICE_UNAVAILABLE {
            if let Ok(health) = answer.parse::<Health>() {
                return Ok(health);
            }
        }
        answer.json()
    }

    /// `GET /metrics`: the Prometheus text.
    ///
    /// # Errors
    /// When the server does not answer 200 with text.
    pub async fn metrics(&self) -> Result<String, ClientError> {
        let answer = self
            .send(Method::GET, self.url(&["metrics"], &[]), None)
            .await?;
        if !answer.status.is_success() {
            return Err(answer.error());
        }
        String::from_utf8(answer.body).map_err(|e| ClientError::UnexpectedAnswer {
            status: answer.status,
            url: answer.url.to_string(),
            path: None,
            message: format!("not UTF-8 text: {e}"),
        })
    }

    /// `GET /api/openapi.json`: the OpenAPI 3.1 document of the API.
    ///
    /// # Errors
    /// When the server does not answer 200 with JSON.
    pub async fn openapi(&self) -> Result<serde_json::Value, ClientError> {
        self.get_json(&["api", "openapi.json"], &[]).await
    }

    // ---- transport -----------------------------------------------------

    fn url(&self, path: &[&str], query: &[(String, String)]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("an http(s) base URL has a path")
            .pop_if_empty()
            .extend(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &[&str],
        query: &[(String, String)],
    ) -> Result<T, ClientError> {
        self.send(Method::GET, self.url(path, query), None)
            .await?
            .json()
    }

    async fn post_json<T: DeserializeOwned>(
        &self,
        path: &[&str],
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        let body = serde_json::to_vec(body).expect("request bodies serialise");
        self.send(Method::POST, self.url(path, &[]), Some(body))
            .await?
            .json()
    }

    /// One request, retried while rate limited (see [`RateLimitRetry`]),
    /// its answer read whole.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, ClientError> {
        let attempt = || async {
            let mut request = self.http.request(method.clone(), url.clone());
            if let Some(body) = &body {
                request = request
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let response = request
                .send()
                .await
                .map_err(|source| ClientError::Transport {
                    url: url.to_string(),
                    source,
                })?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response
                .bytes()
                .await
                .map_err(|source| ClientError::Transport {
                    url: url.to_string(),
                    source,
                })?;
            let answer = Answer {
                url: url.clone(),
                status,
                headers,
                body: body.to_vec(),
            };
            if status == StatusCode::TOO_MANY_REQUESTS {
                return Err(answer.error());
            }
            Ok(answer)
        };
        let max_wait = self.retry.max_wait;
        attempt
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_secs(1))
                    .with_max_delay(max_wait)
                    .with_max_times(self.retry.max_retries as usize)
                    .with_jitter(),
            )
            .when(|e| e.is_rate_limited() && e.retry_after().is_none_or(|w| w <= max_wait))
            .adjust(|e, delay| delay.map(|d| e.retry_after().unwrap_or(d)))
            .await
    }
}

#[cfg(test)]
mod tests;
