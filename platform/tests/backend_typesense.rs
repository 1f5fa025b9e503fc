//! Typesense smoke test over its HTTP API: create a collection, import
//! documents, find one with a misspelt query, check the API key is enforced,
//! delete the collection. Needs `deploy/local/services up`.

mod common;

use std::time::Duration;

use common::{require_env, unique_name, within};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn typesense_indexes_and_finds_with_a_typo() {
    battlescope_platform::adapters::http::install_tls_provider();
    within(LIMIT, "Typesense smoke test", run()).await;
}

struct Typesense {
    http: Client,
    base: String,
    key: String,
}

impl Typesense {
    fn req(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("X-TYPESENSE-API-KEY", &self.key)
    }

    async fn send(&self, what: &str, request: RequestBuilder) -> (StatusCode, String) {
        let response = request.send().await.unwrap_or_else(|e| {
            panic!(
                "{what}: Typesense at TYPESENSE_URL={} does not answer \
                 (is `deploy/local/services up` running?): {e}",
                self.base
            )
        });
        let status = response.status();
        let body = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("{what}: reading the response: {e}"));
        (status, body)
    }

    async fn json(&self, what: &str, request: RequestBuilder) -> Value {
        let (status, body) = self.send(what, request).await;
        assert!(status.is_success(), "{what}: HTTP {status}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {body}"))
    }
}

const SYSTEMS: &[(i64, &str, &str, f64)] = &[
    (30_000_142, "Jita", "The Forge", 0.95),
    (30_002_187, "Amarr", "Domain", 1.0),
    (30_002_659, "Dodixie", "Sinq Laison", 0.87),
    (30_002_510, "Rens", "Heimatar", 0.9),
    (30_002_053, "Hek", "Metropolis", 0.5),
    (30_000_144, "Perimeter", "The Forge", 0.95),
    (30_002_537, "Amamake", "Heimatar", 0.4),
    (30_004_759, "1DQ1-A", "Delve", -0.38),
];

async fn run() {
    let ts = Typesense {
        http: Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .expect("HTTP client"),
        base: require_env("TYPESENSE_URL")
            .trim_end_matches('/')
            .to_owned(),
        key: require_env("TYPESENSE_API_KEY"),
    };

    let health = ts
        .json("GET /health", ts.req(reqwest::Method::GET, "/health"))
        .await;
    assert_eq!(
        health["ok"],
        json!(true),
        "Typesense is not healthy: {health}"
    );

    let collection = unique_name("smoke_systems");
    let schema = json!({
        "name": collection,
        "fields": [
            {"name": "name", "type": "string"},
            {"name": "region", "type": "string", "facet": true},
            {"name": "security", "type": "float"},
            {"name": "system_id", "type": "int64"}
        ],
        "default_sorting_field": "security"
    });
    let created = ts
        .json(
            "create collection",
            ts.req(reqwest::Method::POST, "/collections").json(&schema),
        )
        .await;
    assert_eq!(
        created["name"],
        json!(collection),
        "unexpected answer: {created}"
    );

    let outcome = exercise(&ts, &collection).await;

    let (status, body) = ts
        .send(
            "delete collection",
            ts.req(
                reqwest::Method::DELETE,
                &format!("/collections/{collection}"),
            ),
        )
        .await;
    assert!(
        status.is_success(),
        "delete collection: HTTP {status}: {body}"
    );
    if let Err(message) = outcome {
        panic!("{message}");
    }
}

async fn exercise(ts: &Typesense, collection: &str) -> Result<(), String> {
    // Import as JSON Lines; every line of the answer must report success.
    let jsonl: String = SYSTEMS
        .iter()
        .map(|(id, name, region, security)| {
            json!({"id": id.to_string(), "system_id": id, "name": name,
                   "region": region, "security": security})
            .to_string()
                + "\n"
        })
        .collect();
    let (status, body) = ts
        .send(
            "import",
            ts.req(
                reqwest::Method::POST,
                &format!("/collections/{collection}/documents/import?action=create"),
            )
            .header("Content-Type", "text/plain")
            .body(jsonl),
        )
        .await;
    if !status.is_success() {
        return Err(format!("import: HTTP {status}: {body}"));
    }
    let lines: Vec<Value> = body
        .lines()
        .map(|line| serde_json::from_str(line).map_err(|e| format!("import answer {line}: {e}")))
        .collect::<Result<_, _>>()?;
    if lines.len() != SYSTEMS.len() || lines.iter().any(|l| l["success"] != json!(true)) {
        return Err(format!("import did not index every document: {body}"));
    }

    // A typo ("Jiat") still finds Jita, and only Jita comes first.
    let found = search(ts, collection, "Jiat").await?;
    let first = &found["hits"][0]["document"];
    if first["name"] != json!("Jita") || first["system_id"] != json!(30_000_142) {
        return Err(format!(
            "search for 'Jiat' did not find Jita first: {found}"
        ));
    }

    // Prefix search, and a facet count over the region field.
    let found = search(ts, collection, "Ama&facet_by=region").await?;
    let mut names: Vec<&str> = found["hits"]
        .as_array()
        .ok_or_else(|| format!("no hits array: {found}"))?
        .iter()
        .filter_map(|h| h["document"]["name"].as_str())
        .collect();
    names.sort_unstable();
    if names != ["Amamake", "Amarr"] {
        return Err(format!(
            "prefix 'Ama' should find Amamake and Amarr, found {names:?}"
        ));
    }

    // A query that matches nothing finds nothing.
    let found = search(ts, collection, "Zzyzx").await?;
    if found["found"] != json!(0) {
        return Err(format!("'Zzyzx' should find nothing: {found}"));
    }

    // The API key is enforced.
    let (status, _) = ts
        .send(
            "search with a wrong key",
            ts.http
                .get(format!(
                    "{}/collections/{collection}/documents/search?q=Jita&query_by=name",
                    ts.base
                ))
                .header("X-TYPESENSE-API-KEY", "not-the-key"),
        )
        .await;
    if status != StatusCode::UNAUTHORIZED {
        return Err(format!(
            "a wrong API key should be refused with 401, got {status}"
        ));
    }
    Ok(())
}

/// `q` goes into the URL as is: callers pass plain ASCII (plus extra `&k=v`).
async fn search(ts: &Typesense, collection: &str, q: &str) -> Result<Value, String> {
    let path = format!("/collections/{collection}/documents/search?q={q}&query_by=name");
    let (status, body) = ts.send("search", ts.req(reqwest::Method::GET, &path)).await;
    if !status.is_success() {
        return Err(format!("search {q}: HTTP {status}: {body}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("search {q}: not JSON ({e}): {body}"))
}

#[path = "common/search_contract.rs"]
mod search_contract;

/// The search port's contract (shared with the embedded index) on
/// Typesense: each test in collections of its own, dropped afterwards.
mod contract {
    use std::future::Future;
    use std::pin::Pin;

    use super::common::{require_env, unique_name, within};
    use super::search_contract as c;
    use super::LIMIT;
    use battlescope_platform::adapters::typesense::{TypesenseConfig, TypesenseIndex};
    use battlescope_platform::ports::search::SearchIndex;

    type Check = for<'a> fn(&'a dyn SearchIndex) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

    async fn on_typesense(name: &str, check: Check) {
        battlescope_platform::adapters::http::install_tls_provider();
        let base = require_env("TYPESENSE_URL");
        let host = base.trim_end_matches('/').trim_start_matches("http://");
        let url = format!("typesense://{host}?prefix={}_", unique_name("contract"));
        let config = TypesenseConfig::from_url(&url, Some(require_env("TYPESENSE_API_KEY")))
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let index = within(LIMIT, name, TypesenseIndex::open(config))
            .await
            .unwrap_or_else(|e| panic!("cannot open the Typesense index at {url}: {e}"));
        // Run, then drop the collections whatever the outcome.
        let outcome = tokio::spawn({
            let index = index.clone();
            async move { within(LIMIT, "contract check", check(&index)).await }
        })
        .await;
        index
            .drop_collections()
            .await
            .expect("drop the test collections");
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic.into_panic());
        }
    }

    #[tokio::test]
    async fn finds_a_misspelt_alliance() {
        on_typesense("misspelt alliance", |i| {
            Box::pin(c::finds_a_misspelt_alliance(i))
        })
        .await;
    }

    #[tokio::test]
    async fn kinds_limit_the_hits() {
        on_typesense("kinds", |i| Box::pin(c::kinds_limit_the_hits(i))).await;
    }

    #[tokio::test]
    async fn battles_are_found_by_place_bigger_first() {
        on_typesense("battles", |i| {
            Box::pin(c::battles_are_found_by_place_bigger_first(i))
        })
        .await;
    }

    #[tokio::test]
    async fn a_rewrite_replaces_and_a_delete_removes() {
        on_typesense("rewrite and delete", |i| {
            Box::pin(c::a_rewrite_replaces_and_a_delete_removes(i))
        })
        .await;
    }

    #[tokio::test]
    async fn an_empty_query_finds_nothing() {
        on_typesense("empty query", |i| {
            Box::pin(c::an_empty_query_finds_nothing(i))
        })
        .await;
    }

    #[tokio::test]
    async fn a_wrong_key_is_refused_at_open() {
        let base = require_env("TYPESENSE_URL");
        let host = base.trim_end_matches('/').trim_start_matches("http://");
        let config =
            TypesenseConfig::from_url(&format!("typesense://{host}"), Some("wrong-key".into()))
                .unwrap();
        let e = within(LIMIT, "wrong key", TypesenseIndex::open(config))
            .await
            .expect_err("a wrong key must be refused");
        assert!(e.to_string().contains("401"), "{e}");
    }
}
