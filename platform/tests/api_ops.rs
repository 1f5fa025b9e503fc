//! Operability of the HTTP API (#19 point 4), through the router with
//! `oneshot` (and once over TCP): the OpenAPI document and its page, the
//! answers against the documented schemas, the limits (413, 429 with
//! `Retry-After`), request ids in answers and logs, CORS only for the
//! configured origins, HTTP metrics by route template.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use battlescope_core::battle::KillSummary;
use battlescope_core::cluster::{cluster, ClusterConfig};
use battlescope_core::{Battle, Killmail};
use battlescope_platform::adapters::sqlite::SqliteStore;
use battlescope_platform::api::{
    make_service, router, router_with, ApiOptions, AppState, HttpArgs, RateLimit,
};
use battlescope_platform::ports::store::{BattleChange, Store, WriteBatch};
use battlescope_platform::services::PipelineStats;
use battlescope_synth::{generate, ScenarioConfig};
use clap::Parser;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use uuid::Uuid;

struct World {
    state: AppState,
    kills: Vec<Killmail>,
    battles: Vec<Battle>,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let kills = generate(
        &ScenarioConfig {
            kills: 200,
            ..ScenarioConfig::small()
        },
        7,
    );
    let battles = cluster(&kills, &ClusterConfig::default()).unwrap();
    let store = SqliteStore::open(&dir.path().join("store.db"))
        .await
        .unwrap();
    store
        .write(&WriteBatch {
            killmails: kills
                .iter()
                .map(|k| (k.clone(), KillSummary::of(k), vec![]))
                .collect(),
            battles: battles
                .iter()
                .map(|b| BattleChange::Upsert {
                    battle: Box::new(b.clone()),
                    added: b.killmail_ids.clone(),
                    removed: vec![],
                })
                .collect(),
            ..WriteBatch::default()
        })
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    World {
        state: AppState {
            store,
            search: None,
            ready: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            stats: Arc::new(PipelineStats::default()),
        },
        kills,
        battles,
        _dir: dir,
    }
}

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

async fn json_call(app: &axum::Router, req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let (status, headers, body) = call(app, req).await;
    let value = serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "{status}: not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    });
    (status, headers, value)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn from_peer(mut req: Request<Body>, peer: &str) -> Request<Body> {
    let addr: SocketAddr = peer.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

/// Every route the brief of #19 names, and the ones serving the docs.
const ROUTES: [(&str, &str); 20] = [
    ("get", "/api/battles"),
    ("get", "/api/battles/{id}"),
    ("get", "/api/battles/{id}/timeline"),
    ("get", "/api/battles/{id}/participants"),
    ("get", "/api/killmails/recent"),
    ("get", "/api/killmails/{id}"),
    ("get", "/api/killmails/stream"),
    ("get", "/api/battles/stream"),
    ("get", "/api/ws"),
    ("get", "/api/search"),
    ("post", "/api/search/battles"),
    ("get", "/api/alliances/{id}"),
    ("get", "/api/corporations/{id}"),
    ("get", "/api/characters/{id}"),
    ("get", "/health/live"),
    ("get", "/health/ready"),
    ("get", "/metrics"),
    ("get", "/api/openapi.json"),
    ("get", "/api/docs"),
    ("get", "/api/docs/redoc.standalone.js"),
];

async fn document(app: &axum::Router) -> Value {
    let (status, headers, doc) = json_call(app, get("/api/openapi.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    doc
}

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_documents_every_route() {
    let w = world().await;
    let app = router(w.state.clone());
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());

    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented, expected);

    // Each operation is complete: an id, a summary, answers, its path's
    // parameters; every reference resolves.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (method, path) in &expected {
        let op = &doc["paths"][path][method];
        assert!(op["operationId"].is_string(), "{method} {path}");
        assert!(
            !op["summary"].as_str().unwrap_or_default().is_empty(),
            "{method} {path} has no summary"
        );
        // The WebSocket answers 101 (Switching Protocols); every other 200.
        let success = if path == "/api/ws" { "101" } else { "200" };
        assert!(op["responses"][success].is_object(), "{method} {path}");
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            params,
            if path.contains("{id}") {
                vec!["id"]
            } else {
                vec![]
            }
        );
        if path.starts_with("/api/")
            && !path.starts_with("/api/docs")
            && path != "/api/openapi.json"
        {
            for status in ["429", "503"] {
                assert_eq!(
                    op["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }
    assert!(
        doc["paths"]["/api/search/battles"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"]
            .is_string()
    );
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 20);
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r} is not a component"));
        assert!(schemas.contains_key(name), "{r} does not resolve");
    }

    // The router serves each documented route (no fallback 404, no 405).
    let id = w.battles[0].id;
    let kill = w.kills[0].killmail_id;
    for (method, path) in &expected {
        let uri = path
            .replace("/battles/{id}", &format!("/battles/{id}"))
            .replace("{id}", &kill.to_string());
        let req = Request::builder()
            .method(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap())
            .uri(&uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(if method == "post" { "{}" } else { "" }))
            .unwrap();
        if uri.ends_with("/stream") {
            // A stream never ends: its head is enough.
            let response = app.clone().oneshot(req).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{uri}");
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "text/event-stream"
            );
            continue;
        }
        let (status, _, body) = call(&app, req).await;
        let text = String::from_utf8_lossy(&body);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert!(!text.contains("no route"), "{method} {uri}: {text}");
    }
}

/// The schemas of the document are those of `schemas/` (the same types
/// through the same generator): each `api-*` file's root is the component
/// of its name, its `$defs` the components it refers to.
#[tokio::test]
async fn the_document_describes_bodies_as_the_schema_files_do() {
    let w = world().await;
    let doc = document(&router(w.state)).await;
    let components = &doc["components"]["schemas"];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("api-") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("#/$defs/", "#/components/schemas/");
        let mut file: Value = serde_json::from_str(&text).unwrap();
        let title = file["title"].as_str().unwrap().to_owned();
        let defs = file
            .as_object_mut()
            .unwrap()
            .remove("$defs")
            .unwrap_or(json!({}));
        // The title is the component's name.
        for key in ["$id", "$comment", "$schema", "title"] {
            file.as_object_mut().unwrap().remove(key);
        }
        assert_eq!(components[&title], file, "{name}");
        for (def, schema) in defs.as_object().unwrap() {
            assert_eq!(&components[def], schema, "{name}: {def}");
        }
        compared += 1;
    }
    assert_eq!(compared, 13);
}

/// A validator for the schema the document gives an answer.
fn validator(doc: &Value, path: &str, method: &str, status: u16) -> jsonschema::Validator {
    let schema = &doc["paths"][path][method]["responses"][status.to_string()]["content"]
        ["application/json"]["schema"];
    assert!(schema.is_object(), "{method} {path} {status} is documented");
    let mut root = json!({ "components": doc["components"].clone() });
    for (k, v) in schema.as_object().unwrap() {
        root[k] = v.clone();
    }
    jsonschema::draft202012::new(&root).unwrap()
}

#[tokio::test]
async fn answers_validate_against_the_documented_schemas() {
    let w = world().await;
    let app = router(w.state.clone());
    let doc = document(&app).await;
    let battle = &w.battles[0];
    let kill = w.kills[0].killmail_id;
    let alliance = w
        .kills
        .iter()
        .find_map(|k| k.victim.alliance_id)
        .expect("an alliance");
    let cases: Vec<(&str, String, u16)> = vec![
        ("/api/battles", "/api/battles?limit=3".to_owned(), 200),
        ("/api/battles", "/api/battles?colour=red".to_owned(), 400),
        (
            "/api/battles/{id}",
            format!("/api/battles/{}", battle.id),
            200,
        ),
        (
            "/api/battles/{id}",
            format!("/api/battles/{}", Uuid::from_u128(1)),
            404,
        ),
        (
            "/api/battles/{id}/timeline",
            format!("/api/battles/{}/timeline", battle.id),
            200,
        ),
        (
            "/api/battles/{id}/participants",
            format!("/api/battles/{}/participants", battle.id),
            200,
        ),
        (
            "/api/killmails/recent",
            "/api/killmails/recent?limit=5".to_owned(),
            200,
        ),
        ("/api/killmails/{id}", format!("/api/killmails/{kill}"), 200),
        (
            "/api/alliances/{id}",
            format!("/api/alliances/{alliance}"),
            200,
        ),
        ("/api/search", "/api/search?q=jita".to_owned(), 503),
        ("/health/ready", "/health/ready".to_owned(), 200),
    ];
    for (template, uri, expected) in cases {
        let (status, _, body) = json_call(&app, get(&uri)).await;
        assert_eq!(status.as_u16(), expected, "{uri}: {body}");
        let v = validator(&doc, template, "get", expected);
        let errors: Vec<String> = v.iter_errors(&body).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{uri}: {errors:?}");
    }
    let (status, _, body) = json_call(
        &app,
        Request::post("/api/search/battles")
            .body(Body::from(r#"{"minKills": 2, "limit": 4}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(validator(&doc, "/api/search/battles", "post", 200).is_valid(&body));
    // A body the documented request schema refuses is refused.
    let request = &doc["paths"]["/api/search/battles"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"];
    let mut root = json!({ "components": doc["components"].clone() });
    root["$ref"] = request["$ref"].clone();
    let input = jsonschema::draft202012::new(&root).unwrap();
    assert!(input.is_valid(&json!({"minKills": 2, "security": "high_sec"})));
    assert!(!input.is_valid(&json!({"minKills": "many"})));
}

/// A validator for the schema of one parameter of an operation.
fn parameter_validator(doc: &Value, path: &str, name: &str) -> jsonschema::Validator {
    let parameter = doc["paths"][path]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{path} documents `{name}`"));
    let mut root = json!({ "components": doc["components"].clone() });
    for (k, v) in parameter["schema"].as_object().unwrap() {
        root[k] = v.clone();
    }
    // Formats assert, as they do for the fuzzer (`date-time`).
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap()
}

/// A parameter's value as the query string or path writes it (an array
/// comma-separated, as `explode: false` says), percent-encoded.
fn written(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join(","),
        // 2^64 as digits (JSON numbers past u64 are floats here).
        Value::Number(n)
            if n.is_f64() && n.as_f64().is_some_and(|f| f.fract() == 0.0 && f > 1e19) =>
        {
            format!("{:.0}", n.as_f64().unwrap())
        }
        other => other.to_string(),
    };
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The document states every bound the API checks on a parameter (the
/// fuzz run of scripts/test-fuzz holds it to that): a value its schema
/// allows is never refused, one it refuses is a 400 naming the parameter.
/// Each case is at a bound; the ones marked were found by the fuzzer.
#[tokio::test]
async fn parameter_schemas_agree_with_what_the_api_accepts() {
    let w = world().await;
    let app = router(w.state.clone());
    let doc = document(&app).await;
    let (_, _, page) = json_call(&app, get("/api/battles?limit=1")).await;
    let battle_cursor = page["nextCursor"].clone();
    let (_, _, page) = json_call(&app, get("/api/killmails/recent?limit=1")).await;
    let killmail_cursor = page["nextCursor"].clone();
    assert!(battle_cursor.is_string() && killmail_cursor.is_string());
    let long = "a".repeat(200);
    let cases: Vec<(&str, &str, Value, bool)> = vec![
        // Found: ids past u64::MAX were documented as valid.
        ("/api/alliances/{id}", "id", json!(u64::MAX), true),
        (
            "/api/alliances/{id}",
            "id",
            json!(18_446_744_073_709_551_616.0),
            false,
        ),
        ("/api/killmails/{id}", "id", json!(0), false),
        ("/api/battles", "alliance", json!(u64::MAX), true),
        // System and region ids are 32-bit.
        ("/api/battles", "system", json!(u32::MAX), true),
        (
            "/api/battles",
            "system",
            json!(u64::from(u32::MAX) + 1),
            false,
        ),
        (
            "/api/battles",
            "region",
            json!(u64::from(u32::MAX) + 1),
            false,
        ),
        (
            "/api/battles",
            "minKills",
            json!(u64::from(u32::MAX) + 1),
            false,
        ),
        ("/api/battles", "since", json!(i64::MIN), true),
        ("/api/battles", "since", json!(u64::MAX), false),
        ("/api/battles", "since", json!("2024-01-01T00:00:00Z"), true),
        ("/api/battles", "since", json!("yesterday"), false),
        ("/api/battles", "minIsk", json!(f64::MAX), true),
        ("/api/battles", "minIsk", json!(-1), false),
        ("/api/battles", "limit", json!(0), false),
        // Found: any text was documented as a cursor.
        ("/api/battles", "cursor", battle_cursor, true),
        ("/api/battles", "cursor", json!(""), false),
        ("/api/battles", "cursor", json!("1_2"), false),
        ("/api/killmails/recent", "cursor", killmail_cursor, true),
        ("/api/killmails/recent", "cursor", json!(""), false),
        // Found: blank text was documented as a query.
        ("/api/search", "q", json!("jita"), true),
        ("/api/search", "q", json!(""), false),
        ("/api/search", "q", json!(" \t\u{3000}"), false),
        ("/api/search", "q", json!(" jita "), true),
        ("/api/search", "q", json!(long), true),
        ("/api/search", "q", json!(format!(" {long}")), false),
        ("/api/search", "kinds", json!(["battle", "system"]), true),
        ("/api/search", "kinds", json!([]), false),
        ("/api/search", "kinds", json!(["planet"]), false),
    ];
    for (path, name, value, valid) in cases {
        assert_eq!(
            parameter_validator(&doc, path, name).is_valid(&value),
            valid,
            "{path} documents {name}={value} as {}",
            if valid { "invalid" } else { "valid" }
        );
        let uri = if path.contains("{id}") {
            path.replace("{id}", &written(&value))
        } else if path == "/api/search" && name != "q" {
            format!("{path}?q=jita&{name}={}", written(&value))
        } else {
            format!("{path}?{name}={}", written(&value))
        };
        let (status, _, body) = json_call(&app, get(&uri)).await;
        if valid {
            assert_ne!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        } else {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
            assert_eq!(body["error"]["parameter"], name, "{uri}: {body}");
        }
    }

    // The body of the battle search, likewise.
    let request = &doc["paths"]["/api/search/battles"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"];
    let mut root = json!({ "components": doc["components"].clone() });
    root["$ref"] = request["$ref"].clone();
    let input = jsonschema::draft202012::new(&root).unwrap();
    for (body, parameter) in [
        // Found: JSON Schema counts 2.0 as an integer; serde did not.
        (
            json!({"limit": 2.0, "minKills": 1.0, "system": 30_000_142.0}),
            None,
        ),
        (json!({"limit": 500, "alliance": u64::MAX}), None),
        (json!({"limit": 0}), Some("limit")),
        (json!({"limit": 501}), Some("limit")),
        (json!({"limit": 2.5}), Some("limit")),
        (json!({"system": u64::from(u32::MAX) + 1}), Some("system")),
        (json!({"minIsk": -1}), Some("minIsk")),
        (json!({"q": ""}), Some("q")),
        (json!({"q": " \n "}), Some("q")),
        (json!({"cursor": ""}), Some("cursor")),
        (json!({"colour": "red"}), Some("colour")),
    ] {
        assert_eq!(input.is_valid(&body), parameter.is_none(), "{body}");
        let (status, _, answer) = json_call(
            &app,
            Request::post("/api/search/battles")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
        match parameter {
            None => assert_eq!(status, StatusCode::OK, "{body}: {answer}"),
            Some(p) => {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
                assert_eq!(answer["error"]["parameter"], p, "{body}: {answer}");
            }
        }
    }
}

/// A text query must have a character that is not white space, as Rust
/// means it (the API trims with `str::trim`): the documented pattern says
/// the same for every character of the Basic Multilingual Plane.
#[tokio::test]
async fn the_not_blank_pattern_is_rusts_white_space() {
    let w = world().await;
    let doc = document(&router(w.state)).await;
    let q = parameter_validator(&doc, "/api/search", "q");
    for c in (0..=0xFFFF_u32).filter_map(char::from_u32) {
        assert_eq!(
            q.is_valid(&json!(c.to_string())),
            !c.is_whitespace(),
            "U+{:04X}",
            u32::from(c)
        );
    }
}

#[tokio::test]
async fn the_docs_page_works_offline() {
    let w = world().await;
    let app = router(w.state);
    let (status, headers, page) = call(&app, get("/api/docs")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains(r#"spec-url="openapi.json""#));
    assert!(page.contains(r#"src="docs/redoc.standalone.js""#));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no CDN"
    );
    let (status, headers, script) = call(&app, get("/api/docs/redoc.standalone.js")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("javascript"));
    assert!(script.len() > 500_000, "the bundle is served whole");
}

#[tokio::test]
async fn a_body_over_64_kib_is_413_json() {
    let w = world().await;
    let app = router(w.state);
    let big = format!(r#"{{"q": "{}"}}"#, "x".repeat(70 * 1024));
    for with_length in [true, false] {
        let mut req = Request::post("/api/search/battles");
        if with_length {
            req = req.header(header::CONTENT_LENGTH, big.len());
        }
        let (status, headers, body) =
            json_call(&app, req.body(Body::from(big.clone())).unwrap()).await;
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{with_length}: {body}"
        );
        assert_eq!(body["error"]["code"], "body_too_large");
        assert_eq!(body["error"]["parameter"], "body");
        assert!(headers.contains_key("x-request-id"));
    }
    // Just under the limit is read (and refused for what it says).
    let small = format!(r#"{{"colour": "{}"}}"#, "x".repeat(60 * 1024));
    let (status, _, body) = json_call(
        &app,
        Request::post("/api/search/battles")
            .body(Body::from(small))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["parameter"], "colour");
}

#[tokio::test]
async fn other_errors_are_json_too() {
    let w = world().await;
    let app = router(w.state);
    let (status, headers, body) = json_call(
        &app,
        Request::delete("/api/battles").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"]["code"], "method_not_allowed");
    assert!(headers.contains_key(header::ALLOW));
    let (status, _, body) = json_call(&app, get("/nowhere")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_client_past_its_burst_gets_429_with_retry_after() {
    let w = world().await;
    let options = ApiOptions {
        rate_limit: RateLimit {
            per_second: 1,
            burst: 3,
        },
        ..ApiOptions::default()
    };
    let app = router_with(w.state.clone(), &options);
    let a = "10.0.0.1:5000";
    for i in 0..3 {
        let (status, _, _) = call(&app, from_peer(get("/api/battles?limit=1"), a)).await;
        assert_eq!(status, StatusCode::OK, "request {i} is within the burst");
    }
    let (status, headers, body) = json_call(&app, from_peer(get("/api/battles?limit=1"), a)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(body["error"]["code"], "rate_limited");
    // Another client is not limited, nor are the probes and metrics.
    let (status, _, _) = call(
        &app,
        from_peer(get("/api/battles?limit=1"), "10.0.0.2:5000"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for uri in ["/health/live", "/metrics"] {
        let (status, _, _) = call(&app, from_peer(get(uri), a)).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
    // After a second, one more request goes through.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _, _) = call(&app, from_peer(get("/api/battles?limit=1"), a)).await;
    assert_eq!(status, StatusCode::OK);

    // `0` turns the limit off.
    let off = router_with(
        w.state,
        &ApiOptions {
            rate_limit: RateLimit {
                per_second: 0,
                burst: 1,
            },
            ..ApiOptions::default()
        },
    );
    for _ in 0..20 {
        let (status, _, _) = call(&off, from_peer(get("/api/openapi.json"), a)).await;
        assert_eq!(status, StatusCode::OK);
    }
}

/// Over a real socket, as `serve` runs it: the peer address reaches the
/// limiter.
#[tokio::test]
async fn the_rate_limit_keys_by_the_peer_of_a_real_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let w = world().await;
    let app = router_with(
        w.state,
        &ApiOptions {
            rate_limit: RateLimit {
                per_second: 1,
                burst: 2,
            },
            ..ApiOptions::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, make_service(app)).await });
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        conn.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer).into_owned();
        statuses.push(answer.split(' ').nth(1).unwrap().to_owned());
    }
    server.abort();
    assert_eq!(statuses, ["200", "200", "429"]);
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let w = world().await;
    let app = router(w.state);
    let (_, headers, _) = call(
        &app,
        Request::get("/api/battles?limit=1")
            .header("x-request-id", "client-chosen-17")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(headers["x-request-id"], "client-chosen-17");
    let mut generated = BTreeSet::new();
    for uri in [
        "/api/battles?limit=1",
        "/api/battles?colour=red",
        "/nowhere",
        "/health/live",
    ] {
        let (_, headers, _) = call(&app, get(uri)).await;
        let id = headers["x-request-id"].to_str().unwrap().to_owned();
        Uuid::parse_str(&id).unwrap_or_else(|_| panic!("{uri}: `{id}` is a UUID"));
        generated.insert(id);
    }
    assert_eq!(generated.len(), 4, "each request its own id");
}

/// Logs written to a buffer.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_request_span_logs_the_request_id() {
    let w = world().await;
    let app = router(w.state);
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    call(
        &app,
        Request::get(format!("/api/battles/{}", Uuid::from_u128(9)))
            .header("x-request-id", "trace-me-42")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("finished processing request"))
        .unwrap_or_else(|| panic!("no request log in {text}"));
    assert!(line.contains("request_id=trace-me-42"), "{line}");
    assert!(line.contains(r#"route="/api/battles/{id}""#), "{line}");
}

#[tokio::test]
async fn cors_headers_only_for_configured_origins() {
    let w = world().await;
    let with_origin = |origin: &str| {
        Request::get("/api/battles?limit=1")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap()
    };
    // No origins configured: no CORS headers at all.
    let plain = router(w.state.clone());
    let (_, headers, _) = call(&plain, with_origin("https://a.example")).await;
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));

    let args = Args::parse_from([
        "test",
        "--cors-origin",
        "https://a.example",
        "--cors-origin",
        "http://localhost:5173,https://c.example",
    ]);
    let options = args.http.options().unwrap();
    assert_eq!(options.cors_origins.len(), 3);
    assert_eq!(options.rate_limit, RateLimit::default());
    let app = router_with(w.state, &options);
    for origin in ["https://a.example", "http://localhost:5173"] {
        let (status, headers, _) = call(&app, with_origin(origin)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], origin);
    }
    let (_, headers, _) = call(&app, with_origin("https://evil.example")).await;
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    // The preflight of a battle search.
    let (status, headers, _) = call(
        &app,
        Request::options("/api/search/battles")
            .header(header::ORIGIN, "https://a.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://a.example"
    );
    assert!(headers[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .unwrap()
        .contains("POST"));

    for bad in ["https://a.example/", "a.example", "ftp://a.example"] {
        let args = Args::parse_from(["test", "--cors-origin", bad]);
        assert!(args.http.options().is_err(), "{bad}");
    }
    let args = Args::parse_from(["test", "--rate-limit", "0"]);
    assert_eq!(args.http.options().unwrap().rate_limit.per_second, 0);
}

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    http: HttpArgs,
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let w = world().await;
    let app = router(w.state);
    let id = Uuid::from_u128(77);
    for _ in 0..2 {
        call(&app, get(&format!("/api/battles/{id}"))).await;
    }
    call(&app, get("/api/battles?limit=1")).await;
    call(&app, get("/no/such/route/12345")).await;
    let (status, _, body) = call(&app, get("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(body).unwrap();
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in\n{text}"))
            .to_owned()
    };
    assert!(line(
        r#"battlescope_http_requests_total{method="GET",route="/api/battles/{id}",status="404"}"#
    )
    .ends_with(" 2"));
    assert!(line(
        r#"battlescope_http_requests_total{method="GET",route="/api/battles",status="200"}"#
    )
    .ends_with(" 1"));
    assert!(line(
        r#"battlescope_http_requests_total{method="GET",route="unmatched",status="404"}"#
    )
    .ends_with(" 1"));
    assert!(!text.contains("12345"), "raw paths are no labels");
    assert!(!text.contains(&id.to_string()), "raw paths are no labels");
    line(
        r#"battlescope_http_request_duration_seconds_count{method="GET",route="/api/battles/{id}",status="404"} 2"#,
    );
    assert!(text.lines().any(|l| l
        .starts_with("battlescope_http_request_duration_seconds_bucket{")
        && l.contains(r#"route="/api/battles/{id}""#)
        && l.contains(r#"le="0.001""#)));
    // The pipeline's counters are still there.
    line("battlescope_records_total");
}
