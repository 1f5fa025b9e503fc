//! Reading killmails (core `input`): files, in-memory text and records, one
//! record; the killmails stay in Rust memory inside a [`KillmailSet`].
//!
//! Reading never stops at a bad record: each is counted in the set's
//! `report` by reason and kept in `errors` (the first thousand), exactly as
//! core's readers do; `strict: true` throws the first one instead.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use battlescope_core as core;
use core::input::{Format, KillmailRef, ReadOptions, ReadOutcome};
use core::ruleset::FilterStats;
use core::Killmail;
use napi::bindgen_prelude::{
    Array, AsyncTask, ClassInstance, FromNapiValue, Function, JsObjectValue, Object, Undefined,
    Unknown,
};
use napi::iterator::ScopedGenerator;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsValue, Task, ValueType};
use napi_derive::napi;

use crate::convert::{id_number, json_bytes, killmail_from_js, take_input, to_js, JsonChunks};
use crate::error::{config_error, error_value, IntoJs, JsErr};

/// Counts of what the inputs held (core's `ReadReport`).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ReadReport {
    /// Inputs (files, texts) read.
    pub sources: f64,
    /// Records met, good or bad.
    pub records: f64,
    /// Distinct killmails kept.
    pub killmails: f64,
    /// Distinct references (zKillboard API rows) kept; they need an ESI fetch.
    pub references: f64,
    /// RedisQ "nothing new" answers.
    pub empty: f64,
    /// Records whose killmail id had been read already (collapsed into the first).
    pub duplicates: f64,
    /// Skipped records by reason (`invalid_json`, `invalid:<field>`, `not_a_killmail`, `too_large`).
    pub skipped: HashMap<String, f64>,
}

impl From<&core::input::ReadReport> for ReadReport {
    fn from(r: &core::input::ReadReport) -> Self {
        Self {
            sources: id_number(r.sources),
            records: id_number(r.records),
            killmails: id_number(r.killmails),
            references: id_number(r.references),
            empty: id_number(r.empty),
            duplicates: id_number(r.duplicates),
            skipped: r
                .skipped
                .iter()
                .map(|(k, &v)| (k.clone(), id_number(v)))
                .collect(),
        }
    }
}

/// Where reading stands, as `onProgress` is told (every 4 MiB and at the
/// end of each file; the last call has `bytesRead === totalBytes`).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ReadProgress {
    /// The file being read (the last one once all are done).
    pub path: String,
    /// Bytes of all the files read so far (a finished file counts whole).
    pub bytes_read: f64,
    /// Size of all the files.
    pub total_bytes: Option<f64>,
    /// Files finished.
    pub files_done: u32,
    /// Files to read in all.
    pub files: u32,
}

/// Killmails held in Rust memory, with the report of how they were read.
///
/// Made by `readKillmails`, `parseKillmails` or `Ruleset.filter`; handed to
/// `cluster`, `Clusterer.pushMany`, `analyze` without converting a single
/// killmail to JavaScript. `get`, `values()` and `toArray()` give plain
/// objects (ESI's JSON with zKillboard's `zkb`) when they are wanted.
#[napi]
#[derive(Debug, Default)]
pub struct KillmailSet {
    pub(crate) killmails: Arc<Vec<Killmail>>,
    references: Vec<KillmailRef>,
    report: core::input::ReadReport,
    errors: Vec<core::Error>,
    unreadable: Vec<core::Error>,
    duplicate_ids: Vec<u64>,
    rejected: FilterStats,
}

impl KillmailSet {
    fn from_outcome(outcome: ReadOutcome) -> Self {
        Self {
            killmails: Arc::new(outcome.killmails),
            references: outcome.references,
            report: outcome.report,
            errors: outcome.errors,
            unreadable: outcome.unreadable,
            duplicate_ids: outcome.duplicate_ids,
            rejected: FilterStats::default(),
        }
    }

    /// The killmails a ruleset kept, with its tallies.
    pub(crate) fn from_filter(kept: Vec<Killmail>, stats: FilterStats) -> Self {
        Self {
            killmails: Arc::new(kept),
            report: stats.read_report(),
            rejected: stats,
            ..Self::default()
        }
    }

    fn check_strict(self, env: &Env, strict: bool) -> napi::Result<Self> {
        match self.errors.first() {
            Some(e) if strict => Err(e.js(env)),
            _ => Ok(self),
        }
    }
}

#[napi]
impl KillmailSet {
    /// Number of killmails.
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        u32::try_from(self.killmails.len()).unwrap_or(u32::MAX)
    }

    /// Records skipped, all reasons together (`report.skipped` has them by reason).
    #[napi(getter)]
    pub fn skipped(&self) -> f64 {
        id_number(self.report.skipped_total())
    }

    /// What the inputs held: records, killmails, duplicates, skipped by reason.
    #[napi(getter)]
    pub fn report(&self) -> ReadReport {
        ReadReport::from(&self.report)
    }

    /// The first thousand record errors, as the `Error`s the package throws
    /// (`code`, `record`, `field`, `killmailId`, …).
    #[napi(getter, ts_return_type = "BattleScopeError[]")]
    pub fn errors<'env>(&self, env: &'env Env) -> napi::Result<Array<'env>> {
        let mut out = env.create_array(0)?;
        for e in &self.errors {
            out.insert(error_value(env, e)?)?;
        }
        Ok(out)
    }

    /// Inputs that could not be read to the end (with `skipUnreadable`;
    /// the killmails read before the failure are in the set), as the
    /// `Error`s the package throws: the file and, in an archive, the entry.
    #[napi(getter, ts_return_type = "BattleScopeError[]")]
    pub fn unreadable<'env>(&self, env: &'env Env) -> napi::Result<Array<'env>> {
        let mut out = env.create_array(0)?;
        for e in &self.unreadable {
            out.insert(error_value(env, e)?)?;
        }
        Ok(out)
    }

    /// Killmails known only by id and hash (zKillboard API rows): fetch
    /// them from ESI.
    #[napi(getter, ts_return_type = "KillmailRef[]")]
    pub fn references<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        to_js(env, &self.references)
    }

    /// Ids of the collapsed duplicates (the first thousand).
    #[napi(getter)]
    pub fn duplicate_ids(&self) -> Vec<f64> {
        self.duplicate_ids.iter().copied().map(id_number).collect()
    }

    /// Killmails a ruleset rejected, by rule (empty unless the set comes
    /// from `Ruleset.filter`).
    #[napi(getter)]
    pub fn rejected(&self) -> HashMap<String, f64> {
        self.rejected
            .rejected
            .iter()
            .map(|(&rule, &n)| (rule.to_owned(), id_number(n)))
            .collect()
    }

    /// Killmail ids, in order.
    #[napi]
    pub fn killmail_ids(&self) -> Vec<f64> {
        self.killmails
            .iter()
            .map(|k| id_number(k.killmail_id))
            .collect()
    }

    /// The killmail at `index` as a plain object, or `undefined`.
    #[napi(ts_return_type = "Killmail | undefined")]
    pub fn get<'env>(
        &self,
        env: &'env Env,
        index: u32,
    ) -> napi::Result<napi::Either<Unknown<'env>, Undefined>> {
        Ok(match self.killmails.get(index as usize) {
            Some(km) => napi::Either::A(to_js(env, km)?),
            None => napi::Either::B(()),
        })
    }

    /// Every killmail as a plain object.
    #[napi(ts_return_type = "Killmail[]")]
    pub fn to_array<'env>(&self, env: &'env Env) -> napi::Result<Array<'env>> {
        JsonChunks::of(self.killmails.iter())?.into_js(env)
    }

    /// An iterator over the killmails as plain objects, converted one at a
    /// time: `for (const km of set.values())`.
    #[napi]
    pub fn values(&self) -> KillmailIterator {
        KillmailIterator {
            killmails: Arc::clone(&self.killmails),
            next: 0,
        }
    }

    #[napi(js_name = "toString")]
    pub fn describe(&self) -> String {
        format!(
            "KillmailSet({} killmails, {} skipped)",
            self.killmails.len(),
            self.report.skipped_total()
        )
    }
}

/// Iterates a `KillmailSet`'s killmails as plain objects.
#[napi(iterator)]
#[derive(Debug)]
pub struct KillmailIterator {
    killmails: Arc<Vec<Killmail>>,
    next: usize,
}

impl<'env> ScopedGenerator<'env> for KillmailIterator {
    type Yield = Unknown<'env>;
    type Next = ();
    type Return = ();

    fn next(&mut self, env: &'env Env, _value: Option<()>) -> Option<Unknown<'env>> {
        let km = self.killmails.get(self.next)?;
        self.next += 1;
        to_js(env, km).ok()
    }
}

/// Killmails from an argument: a [`KillmailSet`] (shared, no copy) or an
/// array of killmails (objects, JSON text or `Buffer`s), parsed strictly:
/// the first record that is not a killmail throws, naming its index.
pub(crate) fn killmails_arg(env: &Env, value: Unknown<'_>) -> napi::Result<Arc<Vec<Killmail>>> {
    if value.get_type()? == ValueType::Object {
        if let Ok(set) = ClassInstance::<KillmailSet>::from_unknown(value) {
            return Ok(Arc::clone(&set.killmails));
        }
        if value.is_array()? {
            let array = Array::from_unknown(value)?;
            let mut out = Vec::with_capacity(array.len() as usize);
            for i in 0..array.len() {
                let item: Unknown<'_> = array.get(i)?.ok_or_else(|| {
                    config_error("killmails", format!("element {i} is missing")).js(env)
                })?;
                out.push(killmail_from_js(env, item, Some(i))?);
            }
            return Ok(Arc::new(out));
        }
    }
    Err(config_error(
        "killmails",
        "must be a KillmailSet or an array of killmails",
    )
    .js(env))
}

/// How `readKillmails` reads files (the declared type; the object is read
/// by [`ReadArgs::options`], which refuses unknown keys and wrong types).
#[napi(object, object_to_js = false)]
pub struct ReadKillmailsOptions<'a> {
    /// `auto` (the default), `json`, `jsonl`, `archive`, `esi`, `r2z2`,
    /// `redisq`, `zkb-api`, or `container+shape` such as `jsonl+r2z2`.
    #[napi(ts_type = "ReadFormat")]
    pub format: Option<String>,
    /// Throw the first bad record instead of skipping it.
    pub strict: Option<bool>,
    /// Called as files are read.
    pub on_progress: Option<Function<'a, ReadProgress, Unknown<'static>>>,
    /// Return what the readable files hold instead of failing when a file
    /// cannot be read (the failures are in `unreadable`, the killmails
    /// read before them are kept).
    pub skip_unreadable: Option<bool>,
}

impl std::fmt::Debug for ReadKillmailsOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadKillmailsOptions")
            .field("format", &self.format)
            .field("strict", &self.strict)
            .field("on_progress", &self.on_progress.is_some())
            .field("skip_unreadable", &self.skip_unreadable)
            .finish()
    }
}

/// How `parseKillmails` reads text or records in memory.
#[napi(object, object_to_js = false)]
#[derive(Debug)]
pub struct ParseKillmailsOptions {
    /// As `ReadKillmailsOptions.format`.
    #[napi(ts_type = "ReadFormat")]
    pub format: Option<String>,
    /// Throw the first bad record instead of skipping it.
    pub strict: Option<bool>,
    /// A name for the input in errors.
    pub source: Option<String>,
}

/// The keys of an options object, each with its value; `undefined` and
/// `null` values are left out (absent). Keys not in `allowed` are a
/// `ConfigError` naming the key.
fn option_entries<'a>(
    env: &Env,
    value: Option<Unknown<'a>>,
    allowed: &[&str],
) -> napi::Result<Vec<(String, Unknown<'a>)>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    match value.get_type()? {
        ValueType::Undefined | ValueType::Null => return Ok(Vec::new()),
        ValueType::Object if !value.is_array()? => {}
        _ => return Err(config_error("options", "must be an object").js(env)),
    }
    let object = Object::from_unknown(value)?;
    let keys = Array::from_unknown(object.get_property_names()?.to_unknown())?;
    let mut out = Vec::new();
    for i in 0..keys.len() {
        let Some(key) = keys.get::<String>(i)? else {
            continue;
        };
        if !allowed.contains(&key.as_str()) {
            return Err(config_error(
                &key,
                format!(
                    "is not an option here; the options are {}",
                    allowed.join(", ")
                ),
            )
            .js(env));
        }
        let v: Unknown<'a> = object.get_named_property(&key)?;
        if !matches!(v.get_type()?, ValueType::Undefined | ValueType::Null) {
            out.push((key, v));
        }
    }
    Ok(out)
}

fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::Object => "an object",
        ValueType::Function => "a function",
        ValueType::External => "an external",
        _ => "an unknown value",
    }
}

fn option_string(env: &Env, key: &str, v: Unknown<'_>) -> napi::Result<String> {
    match v.get_type()? {
        ValueType::String => String::from_unknown(v),
        t => Err(config_error(key, format!("must be a string, got {}", type_name(t))).js(env)),
    }
}

fn option_bool(env: &Env, key: &str, v: Unknown<'_>) -> napi::Result<bool> {
    match v.get_type()? {
        ValueType::Boolean => bool::from_unknown(v),
        t => Err(config_error(key, format!("must be true or false, got {}", type_name(t))).js(env)),
    }
}

/// `readKillmails`' arguments, checked: every mistake is a `ConfigError`
/// naming the argument or option.
struct ReadArgs<'a> {
    paths: Vec<String>,
    options: ReadOptions,
    strict: bool,
    skip_unreadable: bool,
    on_progress: Option<Function<'a, ReadProgress, Unknown<'static>>>,
}

impl<'a> ReadArgs<'a> {
    fn from_js(env: &Env, paths: Unknown<'_>, options: Option<Unknown<'a>>) -> napi::Result<Self> {
        let paths = paths_arg(env, paths)?;
        let mut args = Self {
            paths,
            options: ReadOptions::default(),
            strict: false,
            skip_unreadable: false,
            on_progress: None,
        };
        for (key, v) in option_entries(
            env,
            options,
            &["format", "strict", "onProgress", "skipUnreadable"],
        )? {
            match key.as_str() {
                "format" => args.options = read_options(env, Some(&option_string(env, &key, v)?))?,
                "strict" => args.strict = option_bool(env, &key, v)?,
                "skipUnreadable" => args.skip_unreadable = option_bool(env, &key, v)?,
                _ => match v.get_type()? {
                    ValueType::Function => args.on_progress = Some(Function::from_unknown(v)?),
                    t => {
                        return Err(config_error(
                            &key,
                            format!("must be a function, got {}", type_name(t)),
                        )
                        .js(env))
                    }
                },
            }
        }
        Ok(args)
    }
}

fn read_options(env: &Env, format: Option<&str>) -> napi::Result<ReadOptions> {
    let format = format
        .unwrap_or("auto")
        .parse::<Format>()
        .map_err(|e| match e {
            // The option as the caller wrote it.
            core::Error::Config { reason, .. } => config_error("format", reason),
            other => other,
        })
        .js(env)?;
    Ok(ReadOptions::default().with_format(format))
}

/// Read every file (directories expanded) into one outcome with core's
/// `expand_paths` and `read_paths`; `progress` hears about each step and
/// may stop the read by returning an error. A file that cannot be read
/// stops only itself and fails the read at the end (core's policy) unless
/// `skip_unreadable`.
fn read_files(
    paths: &[String],
    options: &ReadOptions,
    skip_unreadable: bool,
    mut progress: Option<&mut dyn FnMut(ReadProgress) -> io::Result<()>>,
) -> Result<ReadOutcome, core::Error> {
    let files = core::input::expand_paths(paths)?;
    let mut last = String::new();
    let mut outcome = core::input::read_paths(&files, options, &mut |p| {
        if let Some(current) = &p.current {
            last.clone_from(current);
        }
        match progress.as_mut() {
            Some(report) => report(ReadProgress {
                path: last.clone(),
                bytes_read: id_number(p.bytes),
                total_bytes: Some(id_number(p.total_bytes)),
                files_done: u32::try_from(p.files_done).unwrap_or(u32::MAX),
                files: u32::try_from(p.files).unwrap_or(u32::MAX),
            }),
            None => Ok(()),
        }
    })?;
    if !skip_unreadable {
        outcome.check_readable()?;
    }
    Ok(outcome)
}

fn stopped() -> io::Error {
    io::Error::other("reading stopped: onProgress threw")
}

/// `paths`: one path or an array of paths.
fn paths_arg(env: &Env, paths: Unknown<'_>) -> napi::Result<Vec<String>> {
    let wrong = |what: &str| {
        config_error(
            "paths",
            format!("must be a path or an array of paths (strings), got {what}"),
        )
        .js(env)
    };
    match paths.get_type()? {
        ValueType::String => Ok(vec![String::from_unknown(paths)?]),
        ValueType::Object if paths.is_array()? => {
            let array = Array::from_unknown(paths)?;
            let mut out = Vec::with_capacity(array.len() as usize);
            for i in 0..array.len() {
                let item: Unknown<'_> = array.get(i)?.ok_or_else(|| wrong("a hole"))?;
                if item.get_type()? != ValueType::String {
                    return Err(config_error(
                        &format!("paths[{i}]"),
                        format!(
                            "must be a path (a string), got {}",
                            type_name(item.get_type()?)
                        ),
                    )
                    .js(env));
                }
                out.push(String::from_unknown(item)?);
            }
            Ok(out)
        }
        t => Err(wrong(type_name(t))),
    }
}

/// Read killmail files (ESI, R2Z2, RedisQ, zKillboard API rows; one
/// document, JSON arrays, JSON Lines or daily `.tar.bz2` archives) into a
/// `KillmailSet`. Duplicates collapse across files; bad records are skipped
/// and reported unless `strict`. Runs on the calling thread: see
/// `readKillmailsAsync` for large inputs.
#[napi(
    ts_args_type = "paths: string | string[], options?: ReadKillmailsOptions",
    ts_return_type = "KillmailSet"
)]
pub fn read_killmails(
    env: &Env,
    paths: Unknown<'_>,
    options: Option<Unknown<'_>>,
) -> napi::Result<KillmailSet> {
    let args = ReadArgs::from_js(env, paths, options)?;
    let mut failure: Option<napi::Error> = None;
    let result = match &args.on_progress {
        Some(callback) => {
            let mut report = |p: ReadProgress| {
                callback.call(p).map(drop).map_err(|e| {
                    failure = Some(e);
                    stopped()
                })
            };
            read_files(
                &args.paths,
                &args.options,
                args.skip_unreadable,
                Some(&mut report),
            )
        }
        None => read_files(&args.paths, &args.options, args.skip_unreadable, None),
    };
    if let Some(e) = failure {
        return Err(e);
    }
    KillmailSet::from_outcome(result.js(env)?).check_strict(env, args.strict)
}

type ProgressFn =
    ThreadsafeFunction<ReadProgress, Unknown<'static>, ReadProgress, napi::Status, false>;

/// The progress calls of an async read still to run on the JavaScript
/// thread, and the error one of them threw (which stops the read).
#[derive(Debug, Default)]
struct Calls {
    pending: usize,
    thrown: Option<napi::Error>,
}

/// [`Calls`] shared between the worker and the JavaScript thread.
#[derive(Debug, Default)]
struct Progress {
    calls: Mutex<Calls>,
    done: Condvar,
}

impl Progress {
    fn lock(&self) -> MutexGuard<'_, Calls> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wait until every call made has run, so the promise settles after
    /// the last `onProgress`.
    fn drain(&self) {
        let mut calls = self.lock();
        while calls.pending > 0 {
            calls = self
                .done
                .wait(calls)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// `readKillmails` on a worker thread; its arguments, or the error they
/// were (which rejects the promise).
pub struct ReadTask {
    input: Option<napi::Result<ReadInput>>,
    strict: bool,
    progress: Arc<Progress>,
}

struct ReadInput {
    paths: Vec<String>,
    options: ReadOptions,
    skip_unreadable: bool,
    callback: Option<ProgressFn>,
}

impl std::fmt::Debug for ReadTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadTask")
            .field("strict", &self.strict)
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

impl ReadTask {
    fn read(&self, input: &ReadInput) -> Result<ReadOutcome, core::Error> {
        let Some(tsfn) = &input.callback else {
            return read_files(&input.paths, &input.options, input.skip_unreadable, None);
        };
        let mut report = |p: ReadProgress| {
            let mut calls = self.progress.lock();
            if calls.thrown.is_some() {
                return Err(stopped());
            }
            let progress = Arc::clone(&self.progress);
            let status = tsfn.call_with_return_value(
                p,
                ThreadsafeFunctionCallMode::NonBlocking,
                move |result, _| {
                    let mut calls = progress.lock();
                    calls.pending -= 1;
                    if let Err(e) = result {
                        calls.thrown.get_or_insert(e);
                    }
                    progress.done.notify_all();
                    Ok(())
                },
            );
            if status == napi::Status::Ok {
                calls.pending += 1;
            }
            Ok(())
        };
        let result = read_files(
            &input.paths,
            &input.options,
            input.skip_unreadable,
            Some(&mut report),
        );
        self.progress.drain();
        result
    }
}

impl Task for ReadTask {
    type Output = Result<ReadOutcome, core::Error>;
    type JsValue = KillmailSet;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let input = take_input(&mut self.input)?;
        Ok(self.read(&input))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<KillmailSet> {
        if let Some(e) = self.progress.lock().thrown.take() {
            return Err(e);
        }
        KillmailSet::from_outcome(output.js(&env)?).check_strict(&env, self.strict)
    }
}

/// `readKillmails` off the JavaScript thread: a promise of the set (or of
/// the error `readKillmails` would throw). `onProgress` is called on the
/// JavaScript thread as the files are read, every call before the promise
/// settles; if it throws, reading stops and the promise rejects with its
/// error.
#[napi(
    ts_args_type = "paths: string | string[], options?: ReadKillmailsOptions",
    ts_return_type = "Promise<KillmailSet>"
)]
pub fn read_killmails_async(
    env: &Env,
    paths: Unknown<'_>,
    options: Option<Unknown<'_>>,
) -> AsyncTask<ReadTask> {
    // Any argument error rejects the promise rather than throwing.
    let args = ReadArgs::from_js(env, paths, options);
    let strict = args.as_ref().is_ok_and(|a| a.strict);
    let input = args.and_then(|args| {
        let callback = args
            .on_progress
            .map(|f| {
                f.build_threadsafe_function::<ReadProgress>()
                    .callee_handled::<false>()
                    .build()
            })
            .transpose()?;
        Ok(ReadInput {
            paths: args.paths,
            options: args.options,
            skip_unreadable: args.skip_unreadable,
            callback,
        })
    });
    AsyncTask::new(ReadTask {
        input: Some(input),
        strict,
        progress: Arc::default(),
    })
}

/// Read killmails from memory: one text or `Buffer` in any container core
/// reads (a record, a JSON array, JSON Lines), or an array of records
/// (objects, JSON text or `Buffer`s), whose errors name each record by its
/// 0-based `index`. Bad records are skipped and reported unless `strict`.
#[napi(
    ts_args_type = "input: string | Uint8Array | Array<KillmailInput>, options?: ParseKillmailsOptions",
    ts_return_type = "KillmailSet"
)]
pub fn parse_killmails(
    env: &Env,
    input: Unknown<'_>,
    options: Option<Unknown<'_>>,
) -> napi::Result<KillmailSet> {
    let mut read = ReadOptions::default();
    let (mut strict, mut source) = (false, None);
    for (key, v) in option_entries(env, options, &["format", "strict", "source"])? {
        match key.as_str() {
            "format" => read = read_options(env, Some(&option_string(env, &key, v)?))?,
            "strict" => strict = option_bool(env, &key, v)?,
            _ => source = Some(option_string(env, &key, v)?),
        }
    }
    if input.get_type()? == ValueType::Object && input.is_array()? {
        let array = Array::from_unknown(input)?;
        let mut records = Vec::with_capacity(array.len() as usize);
        for i in 0..array.len() {
            let item: Unknown<'_> = array
                .get(i)?
                .ok_or_else(|| config_error("input", format!("element {i} is missing")).js(env))?;
            records.push(json_bytes(env, item, "input")?);
        }
        let outcome = core::input::read_records(&records, source.as_deref(), &read).js(env)?;
        return KillmailSet::from_outcome(outcome).check_strict(env, strict);
    }
    let bytes = match input.get_type()? {
        ValueType::String => String::from_unknown(input)?.into_bytes(),
        ValueType::Object if input.is_buffer()? => json_bytes(env, input, "input")?,
        _ => {
            return Err(
                config_error("input", "must be a string, a Buffer or an array of records").js(env),
            )
        }
    };
    let outcome =
        core::input::read_killmails(bytes.as_slice(), source.as_deref(), &read).js(env)?;
    KillmailSet::from_outcome(outcome).check_strict(env, strict)
}

/// Parse one killmail from an object, JSON text or `Buffer` of any record
/// shape core reads (ESI killmail, R2Z2 item, RedisQ package). Throws a
/// `ParseError` or `InvalidField` naming the field; a zKillboard API row
/// (a reference still to fetch) and RedisQ's empty package are
/// `ParseError`s too.
#[napi(ts_args_type = "record: KillmailInput", ts_return_type = "Killmail")]
pub fn parse_killmail<'env>(env: &'env Env, record: Unknown<'_>) -> napi::Result<Unknown<'env>> {
    let km = killmail_from_js(env, record, None)?;
    to_js(env, &km)
}
