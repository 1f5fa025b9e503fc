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
    Array, AsyncTask, ClassInstance, FromNapiValue, Function, Undefined, Unknown,
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

/// How to read, as `readKillmails` and `parseKillmails` take it.
#[napi(object, object_to_js = false)]
pub struct ReadKillmailsOptions<'a> {
    /// `auto` (the default), `json`, `jsonl`, `archive`, `esi`, `r2z2`,
    /// `redisq`, `zkb-api`, or `container+shape` such as `jsonl+r2z2`.
    pub format: Option<String>,
    /// Throw the first bad record instead of skipping it.
    pub strict: Option<bool>,
    /// Called as files are read (`readKillmails` only).
    pub on_progress: Option<Function<'a, ReadProgress, Unknown<'static>>>,
    /// Return what the readable files hold instead of failing when a file
    /// cannot be read (`readKillmails` only; the error is in `unreadable`).
    pub skip_unreadable: Option<bool>,
    /// A name for the input in errors (`parseKillmails` only).
    pub source: Option<String>,
}

impl std::fmt::Debug for ReadKillmailsOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadKillmailsOptions")
            .field("format", &self.format)
            .field("strict", &self.strict)
            .field("on_progress", &self.on_progress.is_some())
            .field("source", &self.source)
            .finish()
    }
}

fn read_options(env: &Env, format: Option<&str>) -> napi::Result<ReadOptions> {
    let format = format.unwrap_or("auto").parse::<Format>().js(env)?;
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

fn paths_arg(paths: napi::Either<String, Vec<String>>) -> Vec<String> {
    match paths {
        napi::Either::A(one) => vec![one],
        napi::Either::B(many) => many,
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
    paths: napi::Either<String, Vec<String>>,
    options: Option<ReadKillmailsOptions<'_>>,
) -> napi::Result<KillmailSet> {
    let paths = paths_arg(paths);
    let options = options.unwrap_or(ReadKillmailsOptions {
        format: None,
        strict: None,
        on_progress: None,
        source: None,
        skip_unreadable: None,
    });
    let read = read_options(env, options.format.as_deref())?;
    let skip = options.skip_unreadable == Some(true);
    let mut failure: Option<napi::Error> = None;
    let result = match &options.on_progress {
        Some(callback) => {
            let mut report = |p: ReadProgress| {
                callback.call(p).map(drop).map_err(|e| {
                    failure = Some(e);
                    stopped()
                })
            };
            read_files(&paths, &read, skip, Some(&mut report))
        }
        None => read_files(&paths, &read, skip, None),
    };
    if let Some(e) = failure {
        return Err(e);
    }
    KillmailSet::from_outcome(result.js(env)?).check_strict(env, options.strict == Some(true))
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
    paths: napi::Either<String, Vec<String>>,
    options: Option<ReadKillmailsOptions<'_>>,
) -> AsyncTask<ReadTask> {
    let paths = paths_arg(paths);
    let (format, strict, on_progress, skip_unreadable) = match options {
        Some(o) => (
            o.format,
            o.strict == Some(true),
            o.on_progress,
            o.skip_unreadable == Some(true),
        ),
        None => (None, false, None, false),
    };
    let input = read_options(env, format.as_deref()).and_then(|options| {
        let callback = on_progress
            .map(|f| {
                f.build_threadsafe_function::<ReadProgress>()
                    .callee_handled::<false>()
                    .build()
            })
            .transpose()?;
        Ok(ReadInput {
            paths,
            options,
            skip_unreadable,
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
    ts_args_type = "input: string | Uint8Array | Array<KillmailInput>, options?: ReadKillmailsOptions",
    ts_return_type = "KillmailSet"
)]
pub fn parse_killmails(
    env: &Env,
    input: Unknown<'_>,
    options: Option<ReadKillmailsOptions<'_>>,
) -> napi::Result<KillmailSet> {
    let (format, strict, source) = match options {
        Some(o) => (o.format, o.strict == Some(true), o.source),
        None => (None, false, None),
    };
    let read = read_options(env, format.as_deref())?;
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
