//! The OpenAPI 3.1 document (`GET /api/openapi.json`) and its browsable
//! page (`GET /api/docs`, Redoc bundled in the binary: no CDN).
//!
//! The router is built from the same [`Route`] list the document is, so a
//! route cannot be served undocumented. The body schemas come from core's
//! [`SchemaSet`]: the same derive, settings and names as the files under
//! `schemas/`, so there is one description of each body (core's types
//! derive `schemars::JsonSchema` only; a second derive for an OpenAPI
//! crate could drift from it).

use std::sync::OnceLock;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::Method;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, MethodRouter};
use axum::Json;
use battlescope_core::api::ErrorBody;
use battlescope_core::events::schema::SchemaSet;
use serde_json::{json, Map, Value};

/// A schema, made with the set the document collects definitions in.
pub type SchemaFn = fn(&mut SchemaSet) -> Value;

/// Where a parameter is.
#[derive(Debug, Clone, Copy)]
pub enum In {
    Path,
    Query,
    Header,
}

/// One parameter of an operation.
#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: &'static str,
    pub location: In,
    pub description: &'static str,
    pub required: bool,
    pub schema: SchemaFn,
    /// An array written as one comma-separated value (`kinds=battle,system`:
    /// OpenAPI's `style: form, explode: false`).
    pub comma_separated: bool,
}

/// What an answer carries.
#[derive(Debug, Clone, Copy)]
pub enum Content {
    None,
    Json(SchemaFn),
    /// Not JSON: a media type and its schema.
    Other(&'static str, SchemaFn),
}

/// One documented answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub description: &'static str,
    pub content: Content,
}

/// One operation: a method on a path template.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: Method,
    /// The route template, as axum and OpenAPI both write it (`/api/battles/{id}`).
    pub path: &'static str,
    pub id: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    pub parameters: Vec<Parameter>,
    pub body: Option<SchemaFn>,
    pub answers: Vec<Answer>,
}

/// A served and documented route.
#[derive(Debug)]
pub struct Route<S> {
    pub op: Operation,
    pub handler: MethodRouter<S>,
}

impl Operation {
    /// `GET path`.
    #[must_use]
    pub fn get(path: &'static str, id: &'static str, tag: &'static str) -> Self {
        Self {
            method: Method::GET,
            path,
            id,
            tag,
            summary: "",
            description: "",
            parameters: Vec::new(),
            body: None,
            answers: Vec::new(),
        }
    }

    /// `POST path`.
    #[must_use]
    pub fn post(path: &'static str, id: &'static str, tag: &'static str) -> Self {
        Self {
            method: Method::POST,
            ..Self::get(path, id, tag)
        }
    }

    #[must_use]
    pub fn summary(mut self, summary: &'static str, description: &'static str) -> Self {
        self.summary = summary;
        self.description = description;
        self
    }

    #[must_use]
    pub fn path_param(
        mut self,
        name: &'static str,
        description: &'static str,
        schema: SchemaFn,
    ) -> Self {
        self.parameters.push(Parameter {
            name,
            location: In::Path,
            description,
            required: true,
            schema,
            comma_separated: false,
        });
        self
    }

    #[must_use]
    pub fn query(
        mut self,
        name: &'static str,
        description: &'static str,
        schema: SchemaFn,
    ) -> Self {
        self.parameters.push(Parameter {
            name,
            location: In::Query,
            description,
            required: false,
            schema,
            comma_separated: false,
        });
        self
    }

    /// An optional query parameter whose array `schema` is written as one
    /// comma-separated value.
    #[must_use]
    pub fn query_list(
        self,
        name: &'static str,
        description: &'static str,
        schema: SchemaFn,
    ) -> Self {
        self.query(name, description, schema)
            .last_parameter(|p| p.comma_separated = true)
    }

    /// An optional request header.
    #[must_use]
    pub fn header(self, name: &'static str, description: &'static str, schema: SchemaFn) -> Self {
        self.query(name, description, schema)
            .last_parameter(|p| p.location = In::Header)
    }

    /// A required query parameter.
    #[must_use]
    pub fn query_required(
        self,
        name: &'static str,
        description: &'static str,
        schema: SchemaFn,
    ) -> Self {
        self.query(name, description, schema)
            .last_parameter(|p| p.required = true)
    }

    /// `change` the parameter added last.
    fn last_parameter(mut self, change: impl FnOnce(&mut Parameter)) -> Self {
        if let Some(p) = self.parameters.last_mut() {
            change(p);
        }
        self
    }

    /// A JSON request body.
    #[must_use]
    pub fn body(mut self, schema: SchemaFn) -> Self {
        self.body = Some(schema);
        self
    }

    #[must_use]
    pub fn answer(mut self, status: u16, description: &'static str, content: Content) -> Self {
        self.answers.push(Answer {
            status,
            description,
            content,
        });
        self
    }

    /// `200` with a JSON body.
    #[must_use]
    pub fn ok(self, description: &'static str, schema: SchemaFn) -> Self {
        self.answer(200, description, Content::Json(schema))
    }

    /// Error answers (each an [`ErrorBody`]), by status.
    #[must_use]
    pub fn errors(mut self, statuses: &[u16]) -> Self {
        for &status in statuses {
            let description = match status {
                400 => "A parameter or the body is invalid (`error.parameter` names it)",
                404 => "Not found",
                413 => "The request body is larger than 64 KiB",
                429 => "Too many requests from this client (see `Retry-After`)",
                503 => "A backend is unavailable, or no answer within 10 s",
                _ => "Error",
            };
            self = self.answer(status, description, Content::Json(error_schema));
        }
        self
    }

    /// The errors any API route may answer besides its own.
    #[must_use]
    pub fn api_errors(self, own: &[u16]) -> Self {
        let mut all: Vec<u16> = own.to_vec();
        for s in [429, 503] {
            if !all.contains(&s) {
                all.push(s);
            }
        }
        all.sort_unstable();
        self.errors(&all)
    }

    /// A handler for this operation.
    pub fn serve<S>(self, handler: MethodRouter<S>) -> Route<S> {
        Route { op: self, handler }
    }
}

fn error_schema(s: &mut SchemaSet) -> Value {
    s.output::<ErrorBody>()
}

/// The document of `routes`.
///
/// # Panics
/// A type both read and written with two schemas (a bug the tests catch).
#[must_use]
pub fn document(ops: &[Operation]) -> Value {
    let mut set = SchemaSet::new("/components/schemas");
    let mut paths = Map::new();
    let mut tags: Vec<&str> = Vec::new();
    for op in ops {
        if !tags.contains(&op.tag) {
            tags.push(op.tag);
        }
        let mut operation = json!({
            "operationId": op.id,
            "tags": [op.tag],
            "summary": op.summary,
            "description": op.description,
        });
        if !op.parameters.is_empty() {
            operation["parameters"] = op
                .parameters
                .iter()
                .map(|p| {
                    let mut parameter = json!({
                        "name": p.name,
                        "in": match p.location { In::Path => "path", In::Query => "query", In::Header => "header" },
                        "description": p.description,
                        "required": p.required,
                        "schema": (p.schema)(&mut set),
                    });
                    if p.comma_separated {
                        parameter["style"] = json!("form");
                        parameter["explode"] = json!(false);
                    }
                    parameter
                })
                .collect();
        }
        if let Some(body) = op.body {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": body(&mut set)}},
            });
        }
        let mut answers = Map::new();
        for a in &op.answers {
            let mut answer = json!({ "description": a.description });
            match a.content {
                Content::None => {}
                Content::Json(schema) => {
                    answer["content"] = json!({"application/json": {"schema": schema(&mut set)}});
                }
                Content::Other(media, schema) => {
                    answer["content"] = json!({ media: {"schema": schema(&mut set)} });
                }
            }
            if a.status == 429 {
                answer["headers"] = json!({"Retry-After": {
                    "description": "Seconds to wait before asking again",
                    "schema": {"type": "integer", "minimum": 1},
                }});
            }
            if a.status == 308 {
                answer["headers"] = json!({"Location": {
                    "description": "The same route for the battle that absorbed this one",
                    "schema": {"type": "string"},
                }});
            }
            answers.insert(a.status.to_string(), answer);
        }
        operation["responses"] = Value::Object(answers);
        let item = paths
            .entry(op.path)
            .or_insert_with(|| Value::Object(Map::new()));
        item[op.method.as_str().to_ascii_lowercase()] = operation;
    }
    let schemas = set
        .into_definitions()
        .unwrap_or_else(|e| panic!("the API's schemas: {e}"));
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "BattleScope API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Battles clustered from EVE Online killmails. Every error is \
                `{\"error\": {\"code\", \"parameter\", \"message\"}}`; every answer carries \
                `x-request-id` (the request's, or a new one). Lists are newest first with \
                cursor pagination (`limit` ≤ 500).",
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"},
        },
        "tags": tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

/// The document of the API's routes, made once.
fn api_document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let ops: Vec<Operation> = super::routes::<super::Shared>()
            .into_iter()
            .map(|r| r.op)
            .collect();
        document(&ops)
    })
}

/// The routes of this module.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Vec<Route<S>> {
    let any_object: SchemaFn = |_| json!({"type": "object"});
    let text: SchemaFn = |_| json!({"type": "string"});
    vec![
        Operation::get("/api/openapi.json", "openapi", "docs")
            .summary(
                "This document",
                "The OpenAPI 3.1 description of every route.",
            )
            .ok("The document", any_object)
            .serve(get(openapi_json)),
        Operation::get("/api/docs", "docs", "docs")
            .summary(
                "Browsable documentation",
                "An HTML page rendering this document (Redoc, served by the API itself).",
            )
            .answer(200, "The page", Content::Other("text/html", text))
            .serve(get(docs)),
        Operation::get(REDOC_PATH, "docsScript", "docs")
            .summary(
                "The documentation page's script",
                "Redoc's standalone bundle.",
            )
            .answer(200, "The script", Content::Other("text/javascript", text))
            .serve(get(redoc)),
    ]
}

const REDOC_PATH: &str = "/api/docs/redoc.standalone.js";

/// Redoc's standalone bundle (MIT; `platform/assets/redoc/README.md` says
/// which version and how to update it).
const REDOC: &str = include_str!("../../assets/redoc/redoc.standalone.js");

async fn openapi_json() -> Json<&'static Value> {
    Json(api_document())
}

/// Relative links, so the page works behind a proxy's path prefix.
async fn docs() -> Html<&'static str> {
    Html(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>BattleScope API</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="openapi.json"></redoc>
<script src="docs/redoc.standalone.js"></script>
</body>
</html>
"#,
    )
}

async fn redoc() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        REDOC,
    )
}
