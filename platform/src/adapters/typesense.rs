//! The search port on Typesense, over its HTTP API: three collections
//! (`battles`, `entities`, `killmails`, behind a prefix) created at start
//! when missing, documents upserted in JSON Lines imports, typo-tolerant
//! queries through one `multi_search` per search.
//!
//! Documents are the embedded index's ([`SearchDoc`]: the same name, text
//! and rank for the same battle, entity or killmail), so both indexes find
//! the same things for the same words. Typesense makes a write visible as
//! soon as it is acknowledged, so [`SearchIndex::commit`] has nothing to do.
//!
//! A URL `typesense://HOST:PORT` (or `typesense+https://…` for TLS), with
//! the API key from `TYPESENSE_API_KEY`; `?prefix=NAME_` changes the
//! collection prefix (default `battlescope_`), so several deployments or
//! tests can share a server.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::search::{
    battle_doc, doc_kind, entity_kind, hit_kind, killmail_doc, DocKind, SearchDoc,
};
use crate::ports::search::{
    BattleDocument, EntityDocument, KillmailDocument, SearchError, SearchHit, SearchIndex,
    SearchQuery,
};

/// Where the index lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypesenseConfig {
    /// `http://HOST:PORT` (no trailing slash).
    pub base_url: String,
    pub api_key: String,
    /// Put before each collection's name.
    pub prefix: String,
    /// Per request.
    pub timeout: Duration,
}

impl TypesenseConfig {
    /// The settings of a `typesense://HOST:PORT[?prefix=NAME_]` URL.
    ///
    /// # Errors
    /// Another scheme, no host, an unknown query parameter, or no key.
    pub fn from_url(url: &str, api_key: Option<String>) -> Result<Self, SearchError> {
        let invalid = |reason: &str| SearchError::InvalidQuery(format!("--search {url}: {reason}"));
        let (scheme, rest) = url.split_once("://").ok_or_else(|| invalid("not a URL"))?;
        let http = match scheme {
            "typesense" => "http",
            "typesense+https" => "https",
            _ => return Err(invalid("the scheme is typesense:// or typesense+https://")),
        };
        let (host, query) = rest.split_once('?').unwrap_or((rest, ""));
        let host = host.trim_end_matches('/');
        if host.is_empty() {
            return Err(invalid("no HOST:PORT"));
        }
        let mut prefix = "battlescope_".to_owned();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("prefix", value)) => value.clone_into(&mut prefix),
                _ => {
                    return Err(invalid(&format!(
                        "unknown parameter `{pair}` (known: prefix)"
                    )))
                }
            }
        }
        let api_key = api_key
            .filter(|k| !k.is_empty())
            .ok_or_else(|| invalid("TYPESENSE_API_KEY is not set"))?;
        Ok(Self {
            base_url: format!("{http}://{host}"),
            api_key,
            prefix,
            timeout: Duration::from_secs(10),
        })
    }
}

/// The three collections, by what they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Collection {
    Battles,
    Entities,
    Killmails,
}

impl Collection {
    const ALL: [Self; 3] = [Self::Battles, Self::Entities, Self::Killmails];

    fn suffix(self) -> &'static str {
        match self {
            Self::Battles => "battles",
            Self::Entities => "entities",
            Self::Killmails => "killmails",
        }
    }

    fn of(kind: DocKind) -> Self {
        match kind {
            DocKind::Battle => Self::Battles,
            DocKind::Killmail => Self::Killmails,
            _ => Self::Entities,
        }
    }
}

/// A document as Typesense stores it; `id` is unique within a collection
/// (an entity's carries its kind: a character and a corporation may share
/// a number).
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    id: String,
    kind: String,
    ref_id: String,
    name: String,
    text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    time: Option<i64>,
    rank: i64,
}

impl Stored {
    fn of(doc: &SearchDoc) -> Self {
        let id = match Collection::of(doc.kind) {
            Collection::Entities => format!("{}-{}", doc.kind.as_str(), doc.id),
            _ => doc.id.clone(),
        };
        Self {
            id,
            kind: doc.kind.as_str().to_owned(),
            ref_id: doc.id.clone(),
            name: doc.name.clone(),
            text: doc.text.clone(),
            time: doc.time.map(|t| t.timestamp()),
            rank: i64::try_from(doc.rank).unwrap_or(i64::MAX),
        }
    }
}

/// The Typesense search index.
#[derive(Debug, Clone)]
pub struct TypesenseIndex {
    http: reqwest::Client,
    config: TypesenseConfig,
}

fn backend(what: &str, e: impl std::fmt::Display) -> SearchError {
    SearchError::Backend(format!("typesense {what}: {e}"))
}

impl TypesenseIndex {
    /// Connect and create the collections that are missing.
    ///
    /// # Errors
    /// Typesense unreachable, the key refused, a collection not created.
    pub async fn open(config: TypesenseConfig) -> Result<Self, SearchError> {
        super::http::install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| backend("client", e))?;
        let index = Self { http, config };
        for c in Collection::ALL {
            index.ensure(c).await?;
        }
        Ok(index)
    }

    /// Delete the three collections (re-index from scratch, tests); a
    /// missing one is no error.
    ///
    /// # Errors
    /// Typesense unreachable or refusing.
    pub async fn drop_collections(&self) -> Result<(), SearchError> {
        for c in Collection::ALL {
            let name = self.name(c);
            let what = format!("drop collection {name}");
            let (status, body) = self
                .send(
                    &what,
                    self.request(Method::DELETE, &format!("/collections/{name}")),
                )
                .await?;
            if !status.is_success() && status != StatusCode::NOT_FOUND {
                return Err(backend(&what, format!("HTTP {status}: {body}")));
            }
        }
        Ok(())
    }

    fn name(&self, c: Collection) -> String {
        format!("{}{}", self.config.prefix, c.suffix())
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.config.base_url))
            .header("X-TYPESENSE-API-KEY", &self.config.api_key)
    }

    /// Send; the body of a 2xx answer, else an error naming `what` and
    /// Typesense's message.
    async fn send(
        &self,
        what: &str,
        request: RequestBuilder,
    ) -> Result<(StatusCode, String), SearchError> {
        let response = request.send().await.map_err(|e| backend(what, e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| backend(what, e))?;
        Ok((status, body))
    }

    async fn ensure(&self, c: Collection) -> Result<(), SearchError> {
        let name = self.name(c);
        let what = format!("collection {name}");
        let (status, body) = self
            .send(
                &what,
                self.request(Method::GET, &format!("/collections/{name}")),
            )
            .await?;
        if status.is_success() {
            return Ok(());
        }
        if status != StatusCode::NOT_FOUND {
            return Err(backend(&what, format!("HTTP {status}: {body}")));
        }
        let schema = json!({
            "name": name,
            "fields": [
                {"name": "kind", "type": "string", "facet": true},
                {"name": "ref_id", "type": "string"},
                {"name": "name", "type": "string"},
                {"name": "text", "type": "string"},
                {"name": "time", "type": "int64", "optional": true},
                {"name": "rank", "type": "int64"}
            ],
            "default_sorting_field": "rank"
        });
        let (status, body) = self
            .send(
                &what,
                self.request(Method::POST, "/collections").json(&schema),
            )
            .await?;
        // 409: another process created it in between.
        if status.is_success() || status == StatusCode::CONFLICT {
            Ok(())
        } else {
            Err(backend(&what, format!("HTTP {status}: {body}")))
        }
    }

    /// Upsert documents, one import per collection; every line of the
    /// answer must report success.
    async fn upsert(&self, docs: &[SearchDoc]) -> Result<(), SearchError> {
        for c in Collection::ALL {
            let mut lines = String::new();
            for doc in docs.iter().filter(|d| Collection::of(d.kind) == c) {
                let line =
                    serde_json::to_string(&Stored::of(doc)).map_err(|e| backend("encode", e))?;
                lines.push_str(&line);
                lines.push('\n');
            }
            if lines.is_empty() {
                continue;
            }
            let name = self.name(c);
            let what = format!("import into {name}");
            let (status, body) = self
                .send(
                    &what,
                    self.request(
                        Method::POST,
                        &format!("/collections/{name}/documents/import?action=upsert"),
                    )
                    .header("Content-Type", "text/plain")
                    .body(lines),
                )
                .await?;
            if !status.is_success() {
                return Err(backend(&what, format!("HTTP {status}: {body}")));
            }
            for (i, line) in body.lines().enumerate() {
                let answer: Value = serde_json::from_str(line).map_err(|e| backend(&what, e))?;
                if answer["success"] != json!(true) {
                    return Err(backend(&what, format!("document {i}: {line}")));
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl SearchIndex for TypesenseIndex {
    async fn index_battles(&self, docs: &[BattleDocument]) -> Result<(), SearchError> {
        self.upsert(&docs.iter().map(battle_doc).collect::<Vec<_>>())
            .await
    }

    /// One request per battle: merges are rare, and deleting by a filter
    /// on `id` needs a newer Typesense than the one tested here.
    async fn delete_battles(&self, ids: &[Uuid]) -> Result<(), SearchError> {
        let name = self.name(Collection::Battles);
        for id in ids {
            let what = format!("delete battle {id} from {name}");
            let (status, body) = self
                .send(
                    &what,
                    self.request(
                        Method::DELETE,
                        &format!("/collections/{name}/documents/{id}"),
                    ),
                )
                .await?;
            if !status.is_success() && status != StatusCode::NOT_FOUND {
                return Err(backend(&what, format!("HTTP {status}: {body}")));
            }
        }
        Ok(())
    }

    async fn index_entities(&self, docs: &[EntityDocument]) -> Result<(), SearchError> {
        let docs: Vec<SearchDoc> = docs
            .iter()
            .map(|e| SearchDoc::entity(entity_kind(e.kind), e.id, e.name.clone()))
            .collect();
        self.upsert(&docs).await
    }

    async fn index_killmails(&self, docs: &[KillmailDocument]) -> Result<(), SearchError> {
        self.upsert(&docs.iter().map(killmail_doc).collect::<Vec<_>>())
            .await
    }

    async fn commit(&self) -> Result<(), SearchError> {
        Ok(())
    }

    async fn ping(&self) -> Result<(), SearchError> {
        let request = self
            .request(Method::GET, "/health")
            .timeout(Duration::from_secs(2));
        match self.send("health", request).await? {
            (status, _) if status.is_success() => Ok(()),
            (status, body) => Err(backend("health", format!("{status}: {body}"))),
        }
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>, SearchError> {
        let text = query.text.trim();
        if text.is_empty() || query.limit == 0 {
            return Ok(Vec::new());
        }
        let kinds: Vec<DocKind> = query.kinds.iter().copied().map(doc_kind).collect();
        let wanted =
            |c: Collection| kinds.is_empty() || kinds.iter().any(|k| Collection::of(*k) == c);
        let collections: Vec<Collection> =
            Collection::ALL.into_iter().filter(|c| wanted(*c)).collect();
        let limit = query.limit.min(250);
        let searches: Vec<Value> = collections
            .iter()
            .map(|&c| {
                let mut search = json!({
                    "collection": self.name(c),
                    "q": text,
                    "query_by": "name,text",
                    "query_by_weights": "2,1",
                    "sort_by": "_text_match:desc,rank:desc",
                    "per_page": limit,
                });
                let entity_kinds: Vec<&str> = kinds
                    .iter()
                    .filter(|k| Collection::of(**k) == Collection::Entities)
                    .map(|k| k.as_str())
                    .collect();
                if c == Collection::Entities && !entity_kinds.is_empty() {
                    search["filter_by"] = json!(format!("kind:[{}]", entity_kinds.join(",")));
                }
                search
            })
            .collect();
        let what = "search";
        let (status, body) = self
            .send(
                what,
                self.request(Method::POST, "/multi_search")
                    .json(&json!({ "searches": searches })),
            )
            .await?;
        if status == StatusCode::BAD_REQUEST {
            return Err(SearchError::InvalidQuery(body));
        }
        if !status.is_success() {
            return Err(backend(what, format!("HTTP {status}: {body}")));
        }
        let answer: MultiSearch = serde_json::from_str(&body).map_err(|e| backend(what, e))?;
        let mut hits: Vec<(u64, i64, SearchHit)> = Vec::new();
        for result in answer.results {
            if let Some(error) = result.error {
                return Err(backend(what, error));
            }
            for hit in result.hits {
                let Some(kind) = DocKind::ALL
                    .into_iter()
                    .find(|k| k.as_str() == hit.document.kind)
                else {
                    return Err(backend(
                        what,
                        format!("a document of unknown kind `{}`", hit.document.kind),
                    ));
                };
                #[allow(clippy::cast_precision_loss)]
                let score = hit.text_match as f32;
                hits.push((
                    hit.text_match,
                    hit.document.rank,
                    SearchHit {
                        kind: hit_kind(kind),
                        id: hit.document.ref_id,
                        title: hit.document.name,
                        score,
                    },
                ));
            }
        }
        // Best match first across the collections, then the higher rank.
        hits.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        hits.truncate(usize::try_from(query.limit).unwrap_or(usize::MAX));
        Ok(hits.into_iter().map(|(_, _, hit)| hit).collect())
    }
}

#[derive(Deserialize)]
struct MultiSearch {
    results: Vec<SearchResult>,
}

#[derive(Deserialize)]
struct SearchResult {
    #[serde(default)]
    hits: Vec<Hit>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Hit {
    document: Stored,
    #[serde(default)]
    text_match: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_server_the_prefix_and_need_a_key() {
        let c =
            TypesenseConfig::from_url("typesense://127.0.0.1:8108?prefix=t1_", Some("k".into()))
                .unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:8108");
        assert_eq!(c.prefix, "t1_");
        let c =
            TypesenseConfig::from_url("typesense+https://search.example:443/", Some("k".into()))
                .unwrap();
        assert_eq!(c.base_url, "https://search.example:443");
        assert_eq!(c.prefix, "battlescope_");
        let e = TypesenseConfig::from_url("typesense://h:1", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("TYPESENSE_API_KEY"), "{e}");
        let e = TypesenseConfig::from_url("typesense://h:1?colour=red", Some("k".into()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown parameter `colour=red`"), "{e}");
    }

    #[test]
    fn an_entity_id_carries_its_kind_so_numbers_may_repeat_across_kinds() {
        let a = Stored::of(&SearchDoc::entity(DocKind::Character, 7, "x"));
        let b = Stored::of(&SearchDoc::entity(DocKind::Corporation, 7, "x"));
        assert_ne!(a.id, b.id);
        assert_eq!(a.ref_id, "7");
    }
}
