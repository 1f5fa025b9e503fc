//! Battle intel (core `intel`): what a set of battles says about one
//! alliance, corporation or character.

use std::sync::Arc;

use battlescope_core as core;
use core::intel::{DoctrineConfig, DoctrineScope, Entity, IntelConfig};
use core::{Battle, Killmail};
use napi::bindgen_prelude::{AsyncTask, Unknown};
use napi::Env;
use napi::ScopedTask;
use napi_derive::napi;

use crate::convert::{from_js, parse_json, take_input, to_js, to_json};
use crate::error::{config_error, IntoJs, JsErr};
use crate::input::killmails_arg;

/// Doctrine detection (core's `DoctrineConfig`; absent fields keep its
/// defaults).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct DoctrineOptions {
    /// Whose ships make up a battle's fleet: `side` (allies included, the
    /// default) or `entity` (its own pilots only).
    #[napi(ts_type = "'side' | 'entity'")]
    pub scope: Option<String>,
    /// Least similarity, 0 to 1, for a fleet to join a doctrine (0.7).
    pub similarity: Option<f64>,
    /// Fewest pilots in a fleet for it to count (5).
    pub min_fleet: Option<u32>,
    /// Fewest battles a doctrine is flown in (2).
    pub min_battles: Option<u32>,
}

/// Knobs of a report (core's `IntelConfig`).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct IntelOptions {
    pub doctrine: Option<DoctrineOptions>,
}

fn intel_config(env: &Env, options: Option<IntelOptions>) -> napi::Result<IntelConfig> {
    let mut doctrine = DoctrineConfig::default();
    if let Some(d) = options.and_then(|o| o.doctrine) {
        if let Some(scope) = d.scope {
            doctrine.scope =
                serde_json::from_value::<DoctrineScope>(serde_json::Value::String(scope.clone()))
                    .map_err(|_| {
                        config_error(
                            "doctrine.scope",
                            format!("`{scope}` is not one of: side, entity"),
                        )
                    })
                    .js(env)?;
        }
        if let Some(s) = d.similarity {
            doctrine.similarity = s;
        }
        if let Some(n) = d.min_fleet {
            doctrine.min_fleet = n;
        }
        if let Some(n) = d.min_battles {
            doctrine.min_battles = n;
        }
    }
    doctrine.validate().map_err(|e| match e {
        core::Error::Config { field, reason } => {
            // The option as the caller wrote it: `min_fleet` → `minFleet`.
            let mut camel = String::with_capacity(field.len());
            let mut upper = false;
            for c in field.chars() {
                if c == '_' {
                    upper = true;
                } else if upper {
                    camel.push(c.to_ascii_uppercase());
                    upper = false;
                } else {
                    camel.push(c);
                }
            }
            config_error(&format!("doctrine.{camel}"), reason).js(env)
        }
        other => other.js(env),
    })?;
    Ok(IntelConfig::default().with_doctrine(doctrine))
}

#[derive(Debug)]
struct Inputs {
    entity: Entity,
    battles: Vec<Battle>,
    killmails: Arc<Vec<Killmail>>,
    config: IntelConfig,
}

fn inputs(
    env: &Env,
    entity: Unknown<'_>,
    battles: Unknown<'_>,
    killmails: Unknown<'_>,
    options: Option<IntelOptions>,
) -> napi::Result<Inputs> {
    Ok(Inputs {
        entity: from_js(env, entity, "entity")?,
        battles: from_js(env, battles, "battles")?,
        killmails: killmails_arg(env, killmails)?,
        config: intel_config(env, options)?,
    })
}

/// The report on `entity` (`{ kind: 'alliance' | 'corporation' |
/// 'character', id }`) from `battles` (as `cluster` returns them) and
/// their killmails (a superset is fine): opponents, allies, ships,
/// doctrines, activity and pilots. Runs on the calling thread: see
/// `analyzeAsync`.
#[napi(
    ts_args_type = "entity: Entity, battles: Battle[], killmails: KillmailSet | Array<KillmailInput>, options?: IntelOptions",
    ts_return_type = "IntelReport"
)]
pub fn analyze<'env>(
    env: &'env Env,
    entity: Unknown<'_>,
    battles: Unknown<'_>,
    killmails: Unknown<'_>,
    options: Option<IntelOptions>,
) -> napi::Result<Unknown<'env>> {
    let i = inputs(env, entity, battles, killmails, options)?;
    let report = core::intel::analyze(i.entity, &i.battles, &i.killmails, &i.config);
    to_js(env, &report)
}

/// `analyze` on a worker thread; its arguments, or the error they were
/// (which rejects the promise).
#[derive(Debug)]
pub struct AnalyzeTask {
    inputs: Option<napi::Result<Inputs>>,
}

impl<'task> ScopedTask<'task> for AnalyzeTask {
    type Output = String;
    type JsValue = Unknown<'task>;

    fn compute(&mut self) -> napi::Result<String> {
        let i = take_input(&mut self.inputs)?;
        to_json(&core::intel::analyze(
            i.entity,
            &i.battles,
            &i.killmails,
            &i.config,
        ))
    }

    fn resolve(&mut self, env: &'task Env, output: String) -> napi::Result<Unknown<'task>> {
        parse_json(env, &output)
    }
}

/// `analyze` off the JavaScript thread: a promise of the report (or of the
/// error `analyze` would throw; the arguments are read on the calling
/// thread).
#[napi(
    ts_args_type = "entity: Entity, battles: Battle[], killmails: KillmailSet | Array<KillmailInput>, options?: IntelOptions",
    ts_return_type = "Promise<IntelReport>"
)]
pub fn analyze_async(
    env: &Env,
    entity: Unknown<'_>,
    battles: Unknown<'_>,
    killmails: Unknown<'_>,
    options: Option<IntelOptions>,
) -> napi::Result<AsyncTask<AnalyzeTask>> {
    Ok(AsyncTask::new(AnalyzeTask {
        inputs: Some(inputs(env, entity, battles, killmails, options)),
    }))
}
