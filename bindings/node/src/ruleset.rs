//! Rulesets (core `ruleset`): which killmails enter, and which rule
//! rejected the others.
//!
//! A `Ruleset` is core's compiled ruleset; documents are read by core
//! (JSON / YAML / TOML, unknown fields and unknown names are errors naming
//! the field) and decisions are core's, serialised as core writes them.

use battlescope_core as core;
use core::ruleset::{CompiledRuleset, RulesetFormat};
use napi::bindgen_prelude::Unknown;
use napi::Env;
use napi_derive::napi;

use crate::convert::{json_bytes, killmail_from_js, to_js};
use crate::error::IntoJs;
use crate::input::{killmails_arg, KillmailSet};

/// A validated ruleset, ready to decide killmails.
#[napi]
#[derive(Debug)]
pub struct Ruleset {
    compiled: CompiledRuleset,
}

impl Ruleset {
    fn compile(
        env: &Env,
        document: Result<core::ruleset::Ruleset, core::Error>,
    ) -> napi::Result<Self> {
        let compiled = document.and_then(|d| d.compile()).js(env)?;
        Ok(Self { compiled })
    }
}

#[napi]
impl Ruleset {
    /// A ruleset from its document (the schema's `RulesetDocument`, as an
    /// object or JSON text). Throws a `ConfigError` whose `field` is the
    /// path of the offending value (`include.security_classes[1]`).
    #[napi(factory, ts_args_type = "document: RulesetDocument | string")]
    pub fn from_object(env: &Env, document: Unknown<'_>) -> napi::Result<Self> {
        let bytes = json_bytes(env, document, "ruleset")?;
        let text = String::from_utf8_lossy(&bytes);
        Self::compile(env, core::ruleset::Ruleset::from_json(&text))
    }

    /// A ruleset from a `.json`, `.yaml`, `.yml` or `.toml` file.
    #[napi(factory)]
    #[allow(clippy::needless_pass_by_value)] // napi hands JavaScript strings over as `String`
    pub fn from_file(env: &Env, path: String) -> napi::Result<Self> {
        Self::compile(
            env,
            core::ruleset::Ruleset::from_path(std::path::Path::new(&path)),
        )
    }

    /// A ruleset from its text in the given format.
    #[napi(
        factory,
        ts_args_type = "text: string, format: 'json' | 'yaml' | 'toml'"
    )]
    #[allow(clippy::needless_pass_by_value)] // napi hands JavaScript strings over as `String`
    pub fn from_string(env: &Env, text: String, format: String) -> napi::Result<Self> {
        let document = format
            .parse::<RulesetFormat>()
            .and_then(|f| core::ruleset::Ruleset::parse(&text, f));
        Self::compile(env, document)
    }

    /// The document, as core writes it.
    #[napi(ts_return_type = "RulesetDocument")]
    pub fn to_object<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        to_js(env, self.compiled.ruleset())
    }

    /// Decide one killmail: `{ decision: 'accept' }`, or `{ decision:
    /// 'reject', rule, value, reason }` naming the first rule that failed.
    #[napi(ts_args_type = "killmail: KillmailInput", ts_return_type = "Decision")]
    pub fn evaluate<'env>(
        &self,
        env: &'env Env,
        killmail: Unknown<'_>,
    ) -> napi::Result<Unknown<'env>> {
        let km = killmail_from_js(env, killmail, None)?;
        to_js(env, &self.compiled.evaluate(&km))
    }

    /// True when the killmail passes every rule.
    #[napi(ts_args_type = "killmail: KillmailInput")]
    pub fn accepts(&self, env: &Env, killmail: Unknown<'_>) -> napi::Result<bool> {
        let km = killmail_from_js(env, killmail, None)?;
        Ok(self.compiled.accepts(&km))
    }

    /// The killmails the ruleset accepts, as a new set whose `rejected`
    /// counts the others by rule.
    #[napi(ts_args_type = "killmails: KillmailSet | Array<KillmailInput>")]
    pub fn filter(&self, env: &Env, killmails: Unknown<'_>) -> napi::Result<KillmailSet> {
        let killmails = killmails_arg(env, killmails)?;
        let (kept, stats) = self.compiled.filter(&killmails);
        Ok(KillmailSet::from_filter(kept, stats))
    }

    /// The JSON Schema of ruleset documents.
    #[napi(ts_return_type = "Record<string, unknown>")]
    pub fn json_schema(env: &Env) -> napi::Result<Unknown<'_>> {
        to_js(env, &core::ruleset::Ruleset::json_schema())
    }
}
