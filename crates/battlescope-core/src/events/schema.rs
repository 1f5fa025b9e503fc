//! The JSON Schemas of the events and of the documents they carry — the
//! files checked in under `schemas/` (written by
//! `cargo run -p xtask -- schemas`, drift-checked in CI).
//!
//! One file per event type (the envelope with its data) and per document,
//! each self-contained (JSON Schema 2020-12, every type it uses under
//! `$defs`), with an `$id` under [`SCHEMA_BASE_URL`], whose path carries the
//! version. `event.schema.json` accepts any event (one of the five).
//!
//! Events and the documents they carry describe what producers *write*
//! (serde's serialisation: a field that is always written is required, even
//! when it may be `null`). The input documents — the cluster configuration
//! and rulesets — describe what core *accepts* (defaults, durations as text
//! or seconds, participant lists as a plain list or with a side).

use schemars::generate::SchemaSettings;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::Value;

use super::{
    BattleCreatedData, BattleDeletedData, BattleSealedData, BattleUpdatedData, Envelope, Event,
    EventType, KillmailEnrichedData, KillmailIngestedData, VERSION,
};
use crate::api;
use crate::battle::{Battle, KillSummary};
use crate::cluster::ClusterConfig;
use crate::killmail::Killmail;
use crate::ruleset::Ruleset;
use crate::universe::ShipClass;

/// Base of every schema's `$id`; the last segment is the version.
pub const SCHEMA_BASE_URL: &str = "https://battlescope.github.io/schemas/v1/";

/// The command that writes the files (named in each file's `$comment`).
pub const GENERATE_COMMAND: &str = "cargo run -p xtask -- schemas";

/// One schema file.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaFile {
    /// File stem: the event type (`battle.created`) or the document name
    /// (`battle`, `cluster-config`).
    pub name: &'static str,
    /// What the file describes.
    pub kind: SchemaKind,
    /// The schema, `$id` and `$comment` included.
    pub schema: Value,
}

/// What a schema file describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaKind {
    /// One event type's envelope.
    Event(EventType),
    /// Any event (`event.schema.json`).
    AnyEvent,
    /// A document.
    Document,
    /// A body of the HTTP API (`api-*`, from [`crate::api`]).
    ApiBody,
}

impl SchemaFile {
    /// `{name}.schema.json`
    #[must_use]
    pub fn file_name(&self) -> String {
        format!("{}.schema.json", self.name)
    }

    /// The schema's `$id`.
    #[must_use]
    pub fn id(&self) -> String {
        format!("{SCHEMA_BASE_URL}{}", self.file_name())
    }
}

#[derive(Clone, Copy)]
enum Contract {
    /// What core writes (events and the documents they carry).
    Serialize,
    /// What core reads (input documents).
    Deserialize,
}

/// Every schema file, in a stable order: the event union, the events in
/// pipeline order, the documents, then the HTTP API's bodies (`api-*`).
#[must_use]
pub fn schema_files() -> Vec<SchemaFile> {
    use Contract::{Deserialize, Serialize};
    let event = |t: EventType| (t.as_str(), SchemaKind::Event(t));
    let document = |name| (name, SchemaKind::Document);
    let body = |name| (name, SchemaKind::ApiBody);
    vec![
        file::<Event>(("event", SchemaKind::AnyEvent), Serialize),
        file::<Envelope<KillmailIngestedData>>(event(EventType::KillmailIngested), Serialize),
        file::<Envelope<KillmailEnrichedData>>(event(EventType::KillmailEnriched), Serialize),
        file::<Envelope<BattleCreatedData>>(event(EventType::BattleCreated), Serialize),
        file::<Envelope<BattleUpdatedData>>(event(EventType::BattleUpdated), Serialize),
        file::<Envelope<BattleDeletedData>>(event(EventType::BattleDeleted), Serialize),
        file::<Envelope<BattleSealedData>>(event(EventType::BattleSealed), Serialize),
        file::<Battle>(document("battle"), Serialize),
        file::<KillSummary>(document("kill-summary"), Serialize),
        file::<Killmail>(document("killmail"), Serialize),
        file::<ClusterConfig>(document("cluster-config"), Deserialize),
        file::<Ruleset>(document("ruleset"), Deserialize),
        file::<api::BattlePage>(body("api-battle-page"), Serialize),
        file::<api::BattleRedirect>(body("api-battle-redirect"), Serialize),
        file::<api::Timeline>(body("api-timeline"), Serialize),
        file::<api::Participants>(body("api-participants"), Serialize),
        file::<api::KillmailView>(body("api-killmail"), Serialize),
        file::<api::KillmailPage>(body("api-killmail-page"), Serialize),
        file::<api::SearchResults>(body("api-search-results"), Serialize),
        file::<api::BattleSearch>(body("api-battle-search"), Deserialize),
        file::<api::EntityPage>(body("api-entity-page"), Serialize),
        file::<api::ErrorBody>(body("api-error"), Serialize),
        file::<api::Subscription>(body("api-subscription"), Deserialize),
        file::<api::ClientMessage>(body("api-ws-client-message"), Deserialize),
        file::<api::ServerMessage>(body("api-ws-server-message"), Serialize),
    ]
}

fn file<T: JsonSchema>((name, kind): (&'static str, SchemaKind), contract: Contract) -> SchemaFile {
    let settings = SchemaSettings::draft2020_12();
    let settings = match contract {
        Contract::Serialize => settings.for_serialize(),
        Contract::Deserialize => settings.for_deserialize(),
    };
    let mut schema = settings.into_generator().into_root_schema_for::<T>();
    let mut file = SchemaFile {
        name,
        kind,
        schema: Value::Null,
    };
    schema.insert("$id".to_owned(), Value::String(file.id()));
    schema.insert(
        "$comment".to_owned(),
        Value::String(format!(
            "Generated from battlescope-core by `{GENERATE_COMMAND}`; do not edit. Version {VERSION}."
        )),
    );
    file.schema = schema.to_value();
    tidy_descriptions(&mut file.schema);
    file
}

/// Schemas of many types sharing one set of definitions under a JSON
/// pointer of the caller's (OpenAPI 3.1's `/components/schemas`), made by
/// the same derive, settings and description tidying as the files of
/// `schemas/`: the HTTP API's OpenAPI document reads its bodies from here,
/// so the document and the schema files cannot describe a body two ways.
///
/// Output types (what the API writes) and input types (what it reads) are
/// generated as the files are, for serialisation and for deserialisation.
#[derive(Debug)]
pub struct SchemaSet {
    output: SchemaGenerator,
    input: SchemaGenerator,
}

impl SchemaSet {
    /// An empty set whose references point under `definitions_path`
    /// (a JSON pointer such as `/components/schemas`).
    #[must_use]
    pub fn new(definitions_path: &'static str) -> Self {
        let settings =
            SchemaSettings::draft2020_12().with(|s| s.definitions_path = definitions_path.into());
        Self {
            output: settings.clone().for_serialize().into_generator(),
            input: settings.for_deserialize().into_generator(),
        }
    }

    /// The schema (usually a `$ref`) of a type the API writes.
    pub fn output<T: JsonSchema>(&mut self) -> Value {
        let mut schema = self.output.subschema_for::<T>().to_value();
        tidy_descriptions(&mut schema);
        schema
    }

    /// The schema (usually a `$ref`) of a type the API reads.
    pub fn input<T: JsonSchema>(&mut self) -> Value {
        let mut schema = self.input.subschema_for::<T>().to_value();
        tidy_descriptions(&mut schema);
        schema
    }

    /// Every definition referenced so far, by name.
    ///
    /// # Errors
    /// A name both an input and an output type use with different schemas
    /// (they would need two names; none of the API's types do).
    pub fn into_definitions(mut self) -> Result<serde_json::Map<String, Value>, String> {
        let mut all = self.output.take_definitions(true);
        for (name, schema) in self.input.take_definitions(true) {
            match all.get(&name) {
                Some(existing) if *existing != schema => {
                    return Err(format!(
                        "`{name}` reads and writes differently; its schemas need two names"
                    ))
                }
                Some(_) => {}
                None => {
                    all.insert(name, schema);
                }
            }
        }
        for schema in all.values_mut() {
            tidy_descriptions(schema);
        }
        Ok(all)
    }
}

/// Schema of a duration field of [`ClusterConfig`]: text such as `"30m"` or
/// `"1h 30m"`, or a number of seconds (written back as text).
#[must_use]
pub fn duration_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "A duration: text such as \"30m\", \"1h 30m\" or \"90s\", or a number of seconds (≥ 0). Written as text.",
        "type": ["string", "number"],
        "exclusiveMinimum": 0,
    })
}

/// Schema of a count per ship class (`BTreeMap<ShipClass, u32>`): an object
/// whose keys are ship class names.
#[must_use]
pub fn ship_class_counts(generator: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "propertyNames": generator.subschema_for::<ShipClass>(),
        "additionalProperties": generator.subschema_for::<u32>(),
    })
}

/// Make the Rust doc comments read well as schema descriptions: rustdoc
/// links lose their brackets and path (`` [`crate::x::Name`] `` → `` `Name` ``),
/// `None` reads `null`, and wrapped lines join (blank lines stay).
fn tidy_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(text) if key == "description" => *text = tidy(text),
                    _ => tidy_descriptions(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tidy_descriptions),
        _ => {}
    }
}

fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        let Some(len) = rest[start..].find("`]") else {
            break;
        };
        out.push_str(&rest[..start]);
        let path = &rest[start + 2..start + len];
        out.push('`');
        out.push_str(path.rsplit("::").next().unwrap_or(path));
        out.push('`');
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    let out = out.replace("`None`", "`null`");
    out.split("\n\n")
        .map(|paragraph| paragraph.split('\n').collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_lose_rust_syntax() {
        assert_eq!(
            tidy("Deterministic id (see [`crate::cluster::battle_id`]).\n`None` when\nunknown.\n\nNext."),
            "Deterministic id (see `battle_id`). `null` when unknown.\n\nNext."
        );
    }
}
