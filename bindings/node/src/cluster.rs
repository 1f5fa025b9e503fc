//! Clustering (core `cluster`): batch `cluster()` (and its promise
//! variant) and the incremental `Clusterer`.
//!
//! The configuration is core's `ClusterConfig`, read by core's serde from
//! the options object: camelCase keys (`maxGap`) are renamed to the
//! schema's `snake_case` names (`max_gap`), so the schema's `ClusterConfig`
//! document is accepted as it is too; durations are core's (`"30m"`,
//! `"1h 30m"`, seconds as a number).

use std::collections::HashMap;
use std::sync::Arc;

use battlescope_core as core;
use core::cluster::{ClusterConfig, ClustererSnapshot};
use core::Killmail;
use napi::bindgen_prelude::{Array, AsyncTask, Unknown};
use napi::ScopedTask;
use napi::{Env, ValueType};
use napi_derive::napi;
use serde::Serialize;

use crate::convert::{id_number, json_bytes, killmail_from_js, take_input, to_js, JsonChunks};
use crate::error::{config_error, IntoJs, JsErr};
use crate::events::PushOptions;
use crate::input::killmails_arg;

/// The configuration's durations (text is read by core's `parse_duration`).
const DURATIONS: [&str; 4] = [
    "correlation_window",
    "max_gap",
    "allowed_lateness",
    "max_future_skew",
];

/// `maxGap` → `max_gap`; `snake_case` stays as it is.
fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The configuration's keys (`snake_case`), as core writes its default.
fn config_keys() -> Vec<String> {
    match serde_json::to_value(ClusterConfig::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// `correlationWindow, maxGap, …`: the options in the caller's camelCase.
fn options_list(known: &[String], extra: &[&str]) -> String {
    let camel = |name: &str| {
        let mut out = String::new();
        let mut upper = false;
        for c in name.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.push(c.to_ascii_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    };
    known
        .iter()
        .map(String::as_str)
        .chain(extra.iter().copied())
        .map(camel)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The configuration of `cluster` / `new Clusterer`: absent (or `null`)
/// keys keep core's defaults; errors are `ConfigError`s whose `field` is
/// the key as the caller wrote it.
pub(crate) fn config_arg(env: &Env, value: Option<Unknown<'_>>) -> napi::Result<ClusterConfig> {
    config_with(env, value, &[]).map(|(config, _)| config)
}

/// [`config_arg`], also taking the options in `extra` (`snake_case`
/// names) that are not part of the configuration: returned apart.
fn config_with(
    env: &Env,
    value: Option<Unknown<'_>>,
    extra: &[&str],
) -> napi::Result<(ClusterConfig, serde_json::Map<String, serde_json::Value>)> {
    let mut extras = serde_json::Map::new();
    let Some(value) = value else {
        return Ok((ClusterConfig::default(), extras));
    };
    if matches!(value.get_type()?, ValueType::Undefined | ValueType::Null) {
        return Ok((ClusterConfig::default(), extras));
    }
    let bytes = json_bytes(env, value, "config")?;
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(&bytes) else {
        return Err(config_error("config", "must be an object").js(env));
    };
    let mut written: HashMap<String, String> = HashMap::new();
    let known = config_keys();
    let mut snake = serde_json::Map::new();
    for (key, mut v) in map {
        if v.is_null() {
            continue;
        }
        let name = snake_case(&key);
        if let Some(first) = written.get(&name) {
            return Err(config_error(
                &key,
                format!("is given twice, as `{first}` and as `{key}`: keep one"),
            )
            .js(env));
        }
        if !known.contains(&name) && !extra.contains(&name.as_str()) {
            return Err(config_error(
                &key,
                format!(
                    "is not an option; the options are {}",
                    options_list(&known, extra)
                ),
            )
            .js(env));
        }
        written.insert(name.clone(), key.clone());
        if extra.contains(&name.as_str()) {
            extras.insert(name, v);
            continue;
        }
        if let (true, Some(text)) = (DURATIONS.contains(&name.as_str()), v.as_str()) {
            // Core's own parser, so the error names the key as written.
            let d = core::cluster::parse_duration(&key, text).js(env)?;
            v = serde_json::Value::from(d.as_secs_f64());
        }
        snake.insert(name, v);
    }
    let as_written = |field: &str| {
        let head = field.split(['.', '[']).next().unwrap_or(field);
        written
            .get(head)
            .map_or_else(|| field.to_owned(), |w| field.replacen(head, w, 1))
    };
    let config: ClusterConfig = serde_path_to_error::deserialize(serde_json::Value::Object(snake))
        .map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                "config".to_owned()
            } else {
                as_written(&path)
            };
            config_error(&field, e.inner().to_string()).js(env)
        })?;
    config.validate().map_err(|e| match e {
        core::Error::Config { field, reason } => config_error(&as_written(&field), reason).js(env),
        other => other.js(env),
    })?;
    Ok((config, extras))
}

/// Cluster killmails into battles (DESIGN.md "Clustering"): kills in one
/// system, within `correlationWindow` of each other and sharing `minShared`
/// participants (by `correlateBy`) are linked; linked kills form battles,
/// split by silences longer than `maxGap`; groups under `minKills` kills
/// are dropped. Returns the battle documents sorted by first kill. Runs on
/// the calling thread: see `clusterAsync` for large sets.
#[napi(
    ts_args_type = "killmails: KillmailSet | Array<KillmailInput>, config?: ClusterOptions | ClusterConfig",
    ts_return_type = "Battle[]"
)]
pub fn cluster<'env>(
    env: &'env Env,
    killmails: Unknown<'_>,
    config: Option<Unknown<'_>>,
) -> napi::Result<Array<'env>> {
    let config = config_arg(env, config)?;
    let killmails = killmails_arg(env, killmails)?;
    let battles = core::cluster(&killmails, &config).js(env)?;
    JsonChunks::of(battles.iter())?.into_js(env)
}

/// `cluster` on a worker thread; its arguments, or the error they were
/// (which rejects the promise).
#[derive(Debug)]
pub struct ClusterTask {
    input: Option<napi::Result<(Arc<Vec<Killmail>>, ClusterConfig)>>,
}

impl<'task> ScopedTask<'task> for ClusterTask {
    type Output = Result<JsonChunks, core::Error>;
    type JsValue = Array<'task>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let (killmails, config) = take_input(&mut self.input)?;
        Ok(match core::cluster(&killmails, &config) {
            Ok(battles) => Ok(JsonChunks::of(battles.iter())?),
            Err(e) => Err(e),
        })
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<Array<'task>> {
        output.js(env)?.into_js(env)
    }
}

/// `cluster` off the JavaScript thread: a promise of the battles (or of
/// the error `cluster` would throw). The killmails are read from the
/// `KillmailSet` in place (an array is parsed first, on the calling
/// thread).
#[napi(
    ts_args_type = "killmails: KillmailSet | Array<KillmailInput>, config?: ClusterOptions | ClusterConfig",
    ts_return_type = "Promise<Battle[]>"
)]
pub fn cluster_async(
    env: &Env,
    killmails: Unknown<'_>,
    config: Option<Unknown<'_>>,
) -> napi::Result<AsyncTask<ClusterTask>> {
    let input = config_arg(env, config).and_then(|c| Ok((killmails_arg(env, killmails)?, c)));
    Ok(AsyncTask::new(ClusterTask { input: Some(input) }))
}

/// Parse a duration as the configuration reads it (`"30m"`, `"1h 30m"`,
/// `"90"`): its length in seconds.
#[napi]
#[allow(clippy::needless_pass_by_value)] // napi hands JavaScript strings over as `String`
pub fn parse_duration(env: &Env, text: String) -> napi::Result<f64> {
    let d = core::cluster::parse_duration("duration", &text).js(env)?;
    Ok(d.as_secs_f64())
}

/// What `push` returns, the same shape as Python's `Pushed` (core's
/// `Pushed`): the outcome's name, the battle changes, the battles sealed,
/// and the outcome's details (`lateBattles` for `late_beyond_horizon`,
/// `trustedTime` for `future_dated`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PushedJs<'a> {
    outcome: &'static str,
    events: &'a [core::cluster::BattleChange],
    sealed: &'a [core::Battle],
    late_battles: &'a [uuid::Uuid],
    trusted_time: Option<chrono::DateTime<chrono::Utc>>,
}

impl<'a> From<&'a core::cluster::Pushed> for PushedJs<'a> {
    fn from(p: &'a core::cluster::Pushed) -> Self {
        Self {
            outcome: p.outcome.as_str(),
            events: &p.events,
            sealed: &p.sealed,
            late_battles: p.outcome.late_battles(),
            trusted_time: p.outcome.trusted_time(),
        }
    }
}

/// Incremental clustering: push killmails one at a time (any order,
/// duplicates allowed) and get what each push changed; ends with the same
/// battles as `cluster()` on the same set. `pushEvents` gives the bus
/// events of a push instead.
///
/// State is bounded: battles whose last kill is older than the newest kill
/// minus `allowedLateness` are sealed and evicted (`push` says which, and
/// which late kills fall beyond that horizon).
#[napi]
#[derive(Debug)]
pub struct Clusterer {
    inner: core::Clusterer,
}

impl Clusterer {
    /// Push one killmail and stamp the bus events of the push.
    fn push_events_one(
        &mut self,
        env: &Env,
        km: Killmail,
        options: &PushOptions,
    ) -> napi::Result<Vec<core::events::Event>> {
        let id = km.killmail_id;
        let pushed = self.inner.push(km);
        options.events(&pushed, &self.inner, id).js(env)
    }
}

#[napi]
impl Clusterer {
    /// `keepSealed` (default `true`): keep sealed battles and their kills,
    /// so late kills are re-clustered on the spot and `battles()` lists the
    /// whole run; pass `false` for a feed that runs for weeks.
    #[napi(
        constructor,
        ts_args_type = "config?: (ClusterOptions | ClusterConfig) & { keepSealed?: boolean }"
    )]
    pub fn new(env: &Env, config: Option<Unknown<'_>>) -> napi::Result<Self> {
        let (config, extras) = config_with(env, config, &["keep_sealed"])?;
        let keep_sealed = match extras.get("keep_sealed") {
            None => true,
            Some(serde_json::Value::Bool(b)) => *b,
            Some(_) => return Err(config_error("keepSealed", "must be a boolean").js(env)),
        };
        let inner = core::Clusterer::new(config)
            .js(env)?
            .keep_sealed(keep_sealed);
        Ok(Self { inner })
    }

    /// Cluster one killmail and return everything the push did, the same
    /// shape as Python's `Pushed`: the `outcome` (`added`, `duplicate`,
    /// `replaced`, `reclustered`, `late_beyond_horizon`, `future_dated`),
    /// the battle changes (`events`), the battles it `sealed` (final from
    /// now on), `lateBattles` and `trustedTime`.
    #[napi(ts_args_type = "killmail: KillmailInput", ts_return_type = "Pushed")]
    pub fn push<'env>(
        &mut self,
        env: &'env Env,
        killmail: Unknown<'_>,
    ) -> napi::Result<Unknown<'env>> {
        let km = killmail_from_js(env, killmail, None)?;
        let pushed = self.inner.push(km);
        to_js(env, &PushedJs::from(&pushed))
    }

    /// Cluster many killmails in order (a `KillmailSet` is read in place);
    /// returns the battle changes of every push, in order (as Python's
    /// `push_many`).
    #[napi(
        ts_args_type = "killmails: KillmailSet | Array<KillmailInput>",
        ts_return_type = "BattleChange[]"
    )]
    pub fn push_many<'env>(
        &mut self,
        env: &'env Env,
        killmails: Unknown<'_>,
    ) -> napi::Result<Array<'env>> {
        let killmails = killmails_arg(env, killmails)?;
        let mut all = Vec::new();
        for km in killmails.iter() {
            all.extend(self.inner.push(km.clone()).events);
        }
        JsonChunks::of(all.iter())?.into_js(env)
    }

    /// Cluster one killmail and return the bus events of the push
    /// (`battle.created`, `battle.updated`, … envelopes with the whole
    /// battle document), stamped as `options` says.
    #[napi(
        ts_args_type = "killmail: KillmailInput, options?: PushOptions",
        ts_return_type = "BattleEvent[]"
    )]
    pub fn push_events<'env>(
        &mut self,
        env: &'env Env,
        killmail: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<Unknown<'env>> {
        let options = PushOptions::from_arg(env, options)?;
        let km = killmail_from_js(env, killmail, None)?;
        let events = self.push_events_one(env, km, &options)?;
        to_js(env, &events)
    }

    /// [`Clusterer::push_events`] for many killmails in order; every event
    /// shares one timestamp.
    #[napi(
        ts_args_type = "killmails: KillmailSet | Array<KillmailInput>, options?: PushOptions",
        ts_return_type = "BattleEvent[]"
    )]
    pub fn push_many_events<'env>(
        &mut self,
        env: &'env Env,
        killmails: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<Array<'env>> {
        let options = PushOptions::from_arg(env, options)?.stamped();
        let killmails = killmails_arg(env, killmails)?;
        let mut all = Vec::new();
        for km in killmails.iter() {
            all.extend(self.push_events_one(env, km.clone(), &options)?);
        }
        JsonChunks::of(all.iter())?.into_js(env)
    }

    /// Every battle of the run, sorted by first kill: the open ones and,
    /// with `keepSealed` (the default), the sealed ones.
    #[napi(ts_return_type = "Battle[]")]
    pub fn battles<'env>(&self, env: &'env Env) -> napi::Result<Array<'env>> {
        JsonChunks::of(self.inner.battles().iter())?.into_js(env)
    }

    /// The open (not yet sealed) battles, sorted by first kill.
    #[napi(ts_return_type = "Battle[]")]
    pub fn open_battles<'env>(&self, env: &'env Env) -> napi::Result<Array<'env>> {
        JsonChunks::of(self.inner.open_battles().iter())?.into_js(env)
    }

    /// How many pushes ended in each outcome (`added`, `duplicates`,
    /// `replaced`, `late_beyond_horizon`, `reclustered`, `future_dated`).
    #[napi(
        getter,
        ts_return_type = "{ added: number; duplicates: number; replaced: number; late_beyond_horizon: number; reclustered: number; future_dated: number }"
    )]
    pub fn counts<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        to_js(env, &self.inner.counts())
    }

    /// Say what time you trust (a `Date` or RFC 3339 text): kills dated
    /// more than `maxFutureSkew` (1 h) after it are refused
    /// (`future_dated`).
    #[napi(ts_args_type = "now: Date | string")]
    pub fn set_trusted_time(&mut self, env: &Env, now: Unknown<'_>) -> napi::Result<()> {
        let now: chrono::DateTime<chrono::Utc> = crate::convert::from_js(env, now, "now")?;
        self.inner.set_trusted_time(now);
        Ok(())
    }

    /// The id of the battle a killmail belongs to, or `null`.
    #[napi]
    pub fn battle_of(&self, killmail_id: f64) -> Option<String> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let id = killmail_id as u64;
        self.inner.battle_of(id).map(|b| b.to_string())
    }

    /// The current document of one open battle, or `null`.
    #[napi(ts_return_type = "Battle | null")]
    #[allow(clippy::needless_pass_by_value)] // napi hands JavaScript strings over as `String`
    pub fn battle<'env>(&self, env: &'env Env, id: String) -> napi::Result<Option<Unknown<'env>>> {
        let id = uuid::Uuid::parse_str(&id)
            .map_err(|e| config_error("battleId", format!("`{id}` is not a UUID: {e}")).js(env))?;
        self.inner.battle(id).map(|b| to_js(env, &b)).transpose()
    }

    /// Newest kill time seen minus `allowed_lateness` (RFC 3339), or
    /// `null` before the first push.
    #[napi(getter)]
    pub fn watermark(&self) -> Option<String> {
        self.inner.watermark().map(|t| t.to_rfc3339())
    }

    /// Killmails held (not yet sealed).
    #[napi(getter)]
    pub fn live_killmails(&self) -> f64 {
        id_number(self.inner.live_killmails() as u64)
    }

    /// Open (not yet sealed) battles.
    #[napi(getter)]
    pub fn open_battle_count(&self) -> f64 {
        id_number(self.inner.open_battle_count() as u64)
    }

    /// The configuration in force, as the schema's `ClusterConfig`
    /// document (durations as text).
    #[napi(getter, ts_return_type = "ClusterConfig")]
    pub fn config<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        to_js(env, self.inner.config())
    }

    /// The whole state as JSON text; `Clusterer.restore(text)` rebuilds it.
    #[napi]
    pub fn snapshot(&self) -> napi::Result<String> {
        crate::convert::to_json(&self.inner.snapshot())
    }

    /// Rebuild a clusterer from `snapshot()`'s text (or its parsed object,
    /// or a `Buffer`).
    #[napi(factory, ts_args_type = "snapshot: string | Uint8Array | object")]
    pub fn restore(env: &Env, snapshot: Unknown<'_>) -> napi::Result<Self> {
        let bytes = json_bytes(env, snapshot, "snapshot")?;
        let snapshot: ClustererSnapshot = serde_json::from_slice(&bytes)
            .map_err(|e| config_error("snapshot", format!("not a clusterer snapshot: {e}")))
            .js(env)?;
        let inner = core::Clusterer::restore(snapshot).js(env)?;
        Ok(Self { inner })
    }

    #[napi(js_name = "toString")]
    pub fn describe(&self) -> String {
        format!(
            "Clusterer({} live killmails, {} open battles)",
            self.inner.live_killmails(),
            self.inner.open_battle_count()
        )
    }
}
